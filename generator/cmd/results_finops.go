package cmd

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/tradeoff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/history"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/plots"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/reprice"
)

// resultsFinOpsCmds are the results verbs that weigh latency against cost.
func resultsFinOpsCmds(s *Settings) []*cobra.Command {
	return []*cobra.Command{newResultsTradeoffCmd(s), newResultsHistoryCmd(s), newResultsRepriceCmd(s)}
}

func newResultsRepriceCmd(s *Settings) *cobra.Command {
	var experiment, dir, sheetFile string
	var asJSON bool
	c := &cobra.Command{
		Use:   "reprice --experiment E [--price-sheet FILE]",
		Short: "Recompute the cost of stored results under today's prices (or another sheet): stored against new, per run",
		Long: `reprice reads the experiment's stored results (DIR/<experiment>/<variant>/*.json)
and recomputes each run's cost from what it recorded - its containers' usage
and requests, or the nodes it ran on, over its duration - with the rule
collect prices by, under the lab's price sheet (lab.costModel in CUE: today's
prices) or the JSON sheet given with --price-sheet (the fields of #CostModel).
It prints the stored and the new monthly projection and their difference per
run, and the medians per variant. Stored results are never changed; a run that
was not priced, or lacks what pricing needs, is listed with the reason.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			var cm labmodel.CostModel
			sheet := "the lab's price sheet, lab.costModel"
			if sheetFile != "" {
				if cm, err = reprice.ReadSheet(sheetFile); err != nil {
					return err
				}
				sheet = "the price sheet " + sheetFile
			} else {
				src, err := load.Load(root)
				if err != nil {
					return err
				}
				cm = src.Lab.CostModel
			}
			runs, err := loadExperimentRuns(root, dir, experiment)
			if err != nil {
				return err
			}
			rp, err := reprice.Build(experiment, sheet, cm, runs)
			if err != nil {
				return err
			}
			if asJSON {
				return writeResultsJSON(c.OutOrStdout(), rp)
			}
			return rp.Markdown(c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&experiment, "experiment", "", "experiment name (required)")
	c.Flags().StringVar(&dir, "dir", "benchmarks/results", "results directory, relative to the repository root")
	c.Flags().StringVar(&sheetFile, "price-sheet", "", "JSON price sheet with #CostModel's fields (default: the lab's lab.costModel)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = c.MarkFlagRequired("experiment")
	return c
}

func newResultsHistoryCmd(s *Settings) *cobra.Command {
	var experiment, dir string
	var minRuns int
	var alpha float64
	var asJSON, runs, drawPlots bool
	c := &cobra.Command{
		Use:   "history EXPERIMENT",
		Short: "The series of an experiment's stored results over time, per variant and metric, with change points",
		Long: `history reads every stored result of the experiment (DIR/<experiment>/<variant>/*.json
in the working tree) and, from Git, the commit that stored each file. Each
variant's runs are ordered by when they were measured (run.window_start, else
started_at, else the commit that stored the file). For every metric
(throughput, p50/p95/p99 latency, error rate, cost per 1M operations, per
transaction, per GB, monthly cost, the declared PromQL metrics) it finds the
change points: seeded binary segmentation with Pettitt's rank statistic,
Bonferroni-corrected over the intervals searched, each change confirmed by a
Mann-Whitney U test between the segments it separates (p < --alpha), every
segment at least --min-runs runs.
Each change point says what else changed at that run: the commit, the tool's
version, charts, images, node types, manifests and price sheet digests.
--plots draws each variant's trend of every metric as SVG beside the results
(DIR/<experiment>/plots/history-<variant>-<metric>.svg, replaced when
redrawn) and embeds them, linked relative to the repository root.
See docs/results.md.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			switch {
			case len(args) == 1 && experiment != "" && args[0] != experiment:
				return fmt.Errorf("experiment given twice: %q and --experiment %q", args[0], experiment)
			case len(args) == 1:
				experiment = args[0]
			case experiment == "":
				return fmt.Errorf("want the EXPERIMENT whose history to show")
			}
			if minRuns < 2 {
				return fmt.Errorf("--min-runs %d: a segment needs at least 2 runs", minRuns)
			}
			if !(alpha > 0 && alpha < 1) {
				return fmt.Errorf("--alpha %v: want a significance level in (0, 1)", alpha)
			}
			root, err := s.Root()
			if err != nil {
				return err
			}
			runsByVariant, err := history.Load(root, dir, experiment)
			if err != nil {
				return err
			}
			h, err := history.Build(experiment, runsByVariant, history.Options{MinSegment: minRuns, Alpha: alpha})
			if err != nil {
				return err
			}
			if asJSON {
				return writeResultsJSON(c.OutOrStdout(), h)
			}
			mo := history.MarkdownOptions{Runs: runs}
			if drawPlots {
				sub := path.Join(filepath.ToSlash(dir), experiment)
				drawn, err := historyPlots(h)
				if err != nil {
					return err
				}
				var ps []plots.Plot
				for _, p := range drawn {
					ps = append(ps, p)
				}
				sort.Slice(ps, func(i, j int) bool { return ps[i].File < ps[j].File })
				if err := writePlots(filepath.Join(root, filepath.FromSlash(sub), plots.Dir), ps); err != nil {
					return err
				}
				mo.Plot = func(variant, metric string) (string, bool) {
					p, ok := drawn[plots.HistoryFile(variant, metric)]
					return path.Join(sub, plots.Dir, p.File), ok
				}
			}
			return h.Markdown(c.OutOrStdout(), mo)
		},
	}
	c.Flags().StringVar(&experiment, "experiment", "", "experiment name (or give it as the argument)")
	c.Flags().StringVar(&dir, "dir", "benchmarks/results", "results directory, relative to the repository root")
	c.Flags().IntVar(&minRuns, "min-runs", history.DefaultMinSegment, "fewest runs between two change points")
	c.Flags().Float64Var(&alpha, "alpha", history.DefaultAlpha, "significance level of the change-point tests")
	c.Flags().BoolVar(&runs, "runs", false, "also list every run in order with its figures")
	c.Flags().BoolVar(&drawPlots, "plots", false, "draw each variant's trend of every metric with at least 2 runs (SVG, change points marked) into DIR/<experiment>/plots/history-<variant>-<metric>.svg and embed them")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newResultsTradeoffCmd(s *Settings) *cobra.Command {
	var experiment, dir string
	var layers []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "tradeoff --experiment E [--layers a,b,c]",
		Short: "Latency against cost per variant or layer: medians with 95% CIs, what each layer adds, the Pareto frontier",
		Long: `tradeoff reads the experiment's stored results (DIR/<experiment>/<variant>/*.json)
and prints, per variant, the median p99, throughput and $/month with 95%
confidence intervals; for a layered composition (compare.layers in CUE, or
--layers) what each layer adds in p99 and dollars (Hodges-Lehmann shift with
its 95% interval, Mann-Whitney U), one sentence per layer; and the Pareto
frontier of p99 against cost. A difference with p >= 0.05 is never claimed.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			rf := reportFlags{experiment: experiment, layers: layers}
			if err := checkExperimentLayers(root, &rf); err != nil {
				return err
			}
			runs, err := loadExperimentRuns(root, dir, experiment)
			if err != nil {
				return err
			}
			tr, err := tradeoff.Build(experiment, runs, rf.layers)
			if err != nil {
				return err
			}
			if asJSON {
				return writeResultsJSON(c.OutOrStdout(), tr)
			}
			return tr.Markdown(c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&experiment, "experiment", "", "experiment name (required)")
	c.Flags().StringVar(&dir, "dir", "benchmarks/results", "results directory, relative to the repository root")
	c.Flags().StringSliceVar(&layers, "layers", nil, "variants of a layered composition in order (default: compare.layers in CUE)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = c.MarkFlagRequired("experiment")
	return c
}

// historyPlots draws the trend of every metric of every variant that at
// least two runs have (one run is a point, not a trend), by file name.
func historyPlots(h *history.History) (map[string]plots.Plot, error) {
	out := map[string]plots.Plot{}
	for i := range h.Variants {
		v := &h.Variants[i]
		for _, s := range v.Series {
			if s.N < 2 {
				continue
			}
			p, err := plots.Trend(h.Experiment, v, s.Metric)
			if err != nil {
				return nil, err
			}
			p.File = plots.HistoryFile(v.Name, s.Metric)
			out[p.File] = p
		}
	}
	return out, nil
}

// loadExperimentRuns reads every stored result of an experiment from the
// working tree, by variant.
func loadExperimentRuns(root, dir, experiment string) (map[string][]*results.Result, error) {
	if err := results.CheckName("experiment", experiment); err != nil {
		return nil, err
	}
	base := joinRoot(root, dir, experiment)
	vs, err := readDirNames(base)
	if err != nil {
		return nil, err
	}
	out := map[string][]*results.Result{}
	for _, v := range vs {
		rs, _, err := results.Load(joinRoot(base, v))
		if err != nil {
			return nil, err
		}
		out[v] = rs
	}
	return out, nil
}

func joinRoot(parts ...string) string { return filepath.Join(parts...) }

// readDirNames lists the variant folders holding results.
func readDirNames(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("results of the experiment: %w", err)
	}
	var out []string
	for _, e := range es {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "plots" {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
