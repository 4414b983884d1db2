package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/k6"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/stats"
)

func init() { register(newResultsCmd) }

func newResultsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "results",
		Short: "Parse, validate, store and compare k6 benchmark results",
		Long: `results turns k6 output into the lab's normalized result (schema/result.schema.json).

Inputs (auto-detected per file, or --format): handleSummary JSON, legacy
--summary-export JSON, --out json NDJSON (also gzipped), --out csv, and pod logs
holding the summary between K6_SUMMARY_BEGIN / K6_SUMMARY_END lines. Several
files are the load generators of one run and are merged.`,
	}
	c.AddCommand(newResultsParseCmd(), newResultsStoreCmd(), newResultsCompareCmd(),
		newResultsCollectCmd(), newResultsReportCmd(), newResultsPublishCmd())
	return c
}

// parseFlags are shared by parse and store.
type parseFlags struct {
	format        string
	expectDur     time.Duration
	durationSlack time.Duration
	maxErrorRate  float64
}

func (p *parseFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&p.format, "format", k6.FormatAuto, "input format: "+strings.Join(k6.Formats, "|"))
	c.Flags().DurationVar(&p.expectDur, "expect-duration", 0, "declared test duration; a shorter run is refused")
	c.Flags().DurationVar(&p.durationSlack, "duration-slack", results.DefaultDurationSlack, "tolerance on --expect-duration")
	c.Flags().Float64Var(&p.maxErrorRate, "max-error-rate", -1, "refuse runs whose error rate is above this (0..1); negative disables")
}

func (p *parseFlags) expect() results.Expect {
	e := results.Expect{Duration: p.expectDur, DurationSlack: p.durationSlack}
	if p.maxErrorRate >= 0 {
		v := p.maxErrorRate
		e.MaxErrorRate = &v
	}
	return e
}

func newResultsParseCmd() *cobra.Command {
	var pf parseFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "parse FILE...",
		Short: "Print the normalized result of one run (several files: its load generators, merged)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			r, err := k6.ParseFiles(args, k6.Options{Format: pf.format})
			if err != nil {
				return err
			}
			verr := results.Validate(r, pf.expect())
			out := c.OutOrStdout()
			if asJSON {
				b, err := results.MarshalIndent(r)
				if err != nil {
					return err
				}
				if _, err := out.Write(b); err != nil {
					return err
				}
			} else if err := writeTable(out, r); err != nil {
				return err
			}
			return verr
		},
	}
	pf.add(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

func newResultsStoreCmd() *cobra.Command {
	var pf parseFlags
	var dir, experiment, variant, runID string
	c := &cobra.Command{
		Use:   "store --experiment E --variant V --run-id ID FILE...",
		Short: "Validate one run and write it to DIR/<experiment>/<variant>/<run-id>.json (append-only)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var errs []error
			for _, f := range []struct{ n, v string }{{"experiment", experiment}, {"variant", variant}, {"run id", runID}} {
				if err := results.CheckName(f.n, f.v); err != nil {
					errs = append(errs, err)
				}
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			r, err := k6.ParseFiles(args, k6.Options{Format: pf.format})
			if err != nil {
				return err
			}
			r.Experiment, r.Variant, r.RunID = experiment, variant, runID
			path, err := results.Store(dir, r, pf.expect())
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), "stored", path)
			return nil
		},
	}
	pf.add(c)
	c.Flags().StringVar(&dir, "dir", "benchmarks/results", "results directory")
	c.Flags().StringVar(&experiment, "experiment", "", "experiment name (required)")
	c.Flags().StringVar(&variant, "variant", "", "variant name (required)")
	c.Flags().StringVar(&runID, "run-id", "", "run id, unique within the variant (required)")
	for _, f := range []string{"experiment", "variant", "run-id"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func newResultsCompareCmd() *cobra.Command {
	var base, cur []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "compare [BASE CURRENT]",
		Short: "Compare two sets of stored runs: medians, 95% CI, Mann-Whitney U (Markdown table)",
		Long: `compare reads stored results: BASE and CURRENT are each a directory (every
*.json in it, e.g. benchmarks/results/E/V) or a result file; or give sets of
files with repeated --base and --current. Prints a Markdown table for a pull
request comment; "~" marks differences not significant at alpha 0.05.
At least 5 runs per side are recommended.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(base) > 0 || len(cur) > 0 {
				if len(args) != 0 || len(base) == 0 || len(cur) == 0 {
					return errors.New("give either BASE CURRENT or both --base and --current")
				}
				return nil
			}
			if len(args) != 2 {
				return fmt.Errorf("want BASE and CURRENT, got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 2 {
				base, cur = []string{args[0]}, []string{args[1]}
			}
			b, _, err := results.Load(base...)
			if err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
			k, _, err := results.Load(cur...)
			if err != nil {
				return fmt.Errorf("current: %w", err)
			}
			cmp, err := stats.Compare(b, k)
			if err != nil {
				return err
			}
			if asJSON {
				return writeResultsJSON(c.OutOrStdout(), cmp)
			}
			return cmp.Markdown(c.OutOrStdout())
		},
	}
	c.Flags().StringArrayVar(&base, "base", nil, "baseline result file or directory (repeatable)")
	c.Flags().StringArrayVar(&cur, "current", nil, "current result file or directory (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	return c
}

func fmtOpt(p *float64) string {
	if p == nil {
		return "-"
	}
	return format.Number(*p)
}

func writeTable(w io.Writer, r *results.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("source", fmt.Sprintf("%s (%d load generator(s): %s)", r.SourceFormat, r.LoadGenerators, strings.Join(r.SourceFiles, ", ")))
	if r.StartedAt != nil && r.EndedAt != nil {
		row("window", *r.StartedAt+" .. "+*r.EndedAt)
	}
	row("requests", fmt.Sprint(r.Requests))
	row("duration", format.Number(r.DurationS)+" s")
	row("rps", format.Number(r.RPS))
	row("error rate", fmtOpt(r.ErrorRate))
	row("iterations", fmt.Sprint(r.Iterations))
	row("dropped iterations", fmt.Sprint(r.DroppedIterations))
	vus := "-"
	if r.VUsMax != nil {
		vus = fmt.Sprint(*r.VUsMax)
	}
	row("vus max", vus)
	l := r.LatencyMs
	row("latency ms", fmt.Sprintf("avg %s  min %s  med %s  p90 %s  p95 %s  p99 %s  max %s",
		fmtOpt(l.Avg), fmtOpt(l.Min), fmtOpt(l.Med), fmtOpt(l.P90),
		fmtOpt(l.P95), fmtOpt(l.P99), fmtOpt(l.Max)))
	row("checks", fmt.Sprintf("%d passed, %d failed", r.Checks.Passes, r.Checks.Fails))
	for _, t := range r.Thresholds {
		s := "ok"
		if !t.OK {
			s = "FAILED"
		}
		row("threshold", fmt.Sprintf("%s %s: %s", t.Metric, t.Expression, s))
	}
	row("data received", fmt.Sprintf("%d B", r.DataReceivedBytes))
	row("data sent", fmt.Sprintf("%d B", r.DataSentBytes))
	for _, n := range r.Notes {
		row("note", n)
	}
	return tw.Flush()
}

func writeResultsJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
