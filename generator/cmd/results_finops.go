package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/tradeoff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// resultsFinOpsCmds are the results verbs that weigh latency against cost.
func resultsFinOpsCmds(s *Settings) []*cobra.Command {
	return []*cobra.Command{newResultsTradeoffCmd(s)}
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
