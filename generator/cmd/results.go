package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/stats"
)

var manifestsDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func init() { register(newResultsCmd) }

func newResultsCmd(s *Settings) *cobra.Command {
	var tools []string
	for _, t := range parse.Tools() {
		tools = append(tools, fmt.Sprintf("  %-26s %s (%s)", t.Name, t.Reads, t.Unit))
	}
	c := &cobra.Command{
		Use:   "results",
		Short: "Parse, validate, store, migrate and compare benchmark results of every load tool",
		Long: `results turns a load tool's output into the lab's normalized result
(schema/result.schema.json, version ` + fmt.Sprint(results.SchemaVersion) + `): operations with a unit,
throughput, latency percentiles and where they came from, errors, aborted
clients, bytes, the tool and its version. Several files are the load generators
of one run and are merged. The tools (--tool, default k6) and what is read:

` + strings.Join(tools, "\n") + `

Every input may be gzipped and may carry a kubectl logs --timestamps prefix on
every line. See docs/results.md.`,
	}
	c.AddCommand(newResultsParseCmd(s), newResultsStoreCmd(s), newResultsCompareCmd(s), newResultsMigrateCmd(s),
		newResultsCollectCmd(s), newResultsReportCmd(s), newResultsPublishCmd(s))
	c.AddCommand(resultsFinOpsCmds(s)...)
	return c
}

// rateFlag is an optional rate in [0, 1]: unset by default; NaN, infinities
// and values outside [0, 1] are refused when the flag is parsed.
type rateFlag struct{ v *float64 }

func (f *rateFlag) String() string {
	if f.v == nil {
		return ""
	}
	return strconv.FormatFloat(*f.v, 'g', -1, 64)
}

func (f *rateFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("not a number")
	}
	if math.IsNaN(v) || v < 0 || v > 1 {
		return fmt.Errorf("%v is not a rate in [0, 1]", v)
	}
	f.v = &v
	return nil
}

func (f *rateFlag) Type() string { return "rate" }

// parseFlags are shared by parse and store.
type parseFlags struct {
	tool          string
	format        string
	expectDur     time.Duration
	durationSlack time.Duration
	maxErrorRate  rateFlag
	requests      int64
}

func (p *parseFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&p.tool, "tool", results.ToolK6, "load tool that wrote the files: "+strings.Join(parse.Names(), "|"))
	c.Flags().StringVar(&p.format, "format", parse.Auto, "input format (auto detects it per file); per tool: "+formatsHelp())
	c.Flags().DurationVar(&p.expectDur, "expect-duration", 0, "declared test duration; a shorter run is refused")
	c.Flags().DurationVar(&p.durationSlack, "duration-slack", results.DefaultDurationSlack, "tolerance on --expect-duration")
	c.Flags().Var(&p.maxErrorRate, "max-error-rate", "refuse runs whose error rate is above this rate in [0, 1] (or unknown)")
	c.Flags().Int64Var(&p.requests, "requests", 0, "operations each test ran, for outputs that print none (redis-benchmark --csv and -q: its -n)")
}

func formatsHelp() string {
	var s []string
	for _, t := range parse.Tools() {
		s = append(s, t.Name+": "+strings.Join(t.Formats, ","))
	}
	return strings.Join(s, "; ")
}

func (p *parseFlags) expect() (results.Expect, error) {
	e := results.Expect{Duration: p.expectDur, DurationSlack: p.durationSlack, MaxErrorRate: p.maxErrorRate.v}
	return e, results.CheckExpect(e)
}

func (p *parseFlags) parse(args []string) (*results.Result, results.Expect, error) {
	exp, err := p.expect()
	if err != nil {
		return nil, exp, err
	}
	r, err := parse.Files(p.tool, args, parse.Options{Format: p.format, Requests: p.requests})
	return r, exp, err
}

func newResultsParseCmd(s *Settings) *cobra.Command {
	var pf parseFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "parse FILE...",
		Short: "Print the normalized result of one run (several files: its load generators, merged)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			r, exp, err := pf.parse(args)
			if err != nil {
				return err
			}
			verr := results.Validate(r, exp)
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

func newResultsStoreCmd(s *Settings) *cobra.Command {
	var pf parseFlags
	var dir, experiment, variant, runID, manifests string
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
			if manifests != "" && !manifestsDigest.MatchString(manifests) {
				return fmt.Errorf("--manifests-digest %q: want sha256:<64 hex digits>", manifests)
			}
			r, exp, err := pf.parse(args)
			if err != nil {
				return err
			}
			r.Experiment, r.Variant, r.RunID = experiment, variant, runID
			r.ManifestsDigest = manifests
			path, err := results.Store(dir, r, exp)
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
	c.Flags().StringVar(&manifests, "manifests-digest", "", "sha256:<hex> of the rendered manifests the run ran (recorded as provenance)")
	for _, f := range []string{"experiment", "variant", "run-id"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func newResultsCompareCmd(s *Settings) *cobra.Command {
	var base, cur []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "compare [BASE CURRENT]",
		Short: "Compare two sets of stored runs: medians, 95% CI, Mann-Whitney U (Markdown table)",
		Long: `compare reads stored results: BASE and CURRENT are each a directory (every
*.json in it, e.g. benchmarks/results/E/V) or a result file; or give sets of
files with repeated --base and --current. Prints a Markdown table for a pull
request comment; "~" marks differences not significant at alpha 0.05.
At least 6 runs per side are recommended. Every run must count the same
operation unit; one file given twice (under any path) or one run twice on a
side is refused, and runs identical but for their ids are flagged.`,
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

func fmtCount(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

func fmtLatency(l results.Latency) string {
	if l.Source == results.LatencyNone || !l.Any() {
		return "none reported"
	}
	var parts []string
	for _, f := range []struct {
		n string
		v *float64
	}{{"avg", l.Avg}, {"min", l.Min}, {"med", l.Med}, {"p90", l.P90}, {"p95", l.P95}, {"p99", l.P99}, {"p99.9", l.P999}, {"max", l.Max}, {"stddev", l.Stddev}} {
		if f.v != nil {
			parts = append(parts, f.n+" "+format.Number(*f.v))
		}
	}
	return strings.Join(parts, "  ") + "  (" + l.Source + ", per " + l.Per + ")"
}

func writeTable(w io.Writer, r *results.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	tool := r.Tool.Name
	if r.Tool.Version != nil {
		tool += " " + *r.Tool.Version
	}
	row("tool", tool)
	var files []string
	for _, s := range r.Sources {
		files = append(files, s.File)
	}
	row("source", fmt.Sprintf("%s (%d load generator(s): %s)", r.SourceFormat, r.LoadGenerators, strings.Join(files, ", ")))
	if r.StartedAt != nil && r.EndedAt != nil {
		row("window", *r.StartedAt+" .. "+*r.EndedAt)
	}
	ops := strconv.FormatInt(r.Operations.Count, 10) + " " + r.Operations.Unit
	if r.Operations.Target != nil {
		ops += fmt.Sprintf(" (of %d)", *r.Operations.Target)
	}
	row("operations", ops)
	row("duration", format.Number(r.DurationS)+" s")
	row("throughput", format.Number(r.ThroughputPerS)+" "+r.Operations.Unit+"/s")
	row("errors", fmtCount(r.Errors.Count)+" (rate "+fmtOpt(r.Errors.Rate)+")")
	row("retries", fmtCount(r.Retries))
	row("dropped", strconv.FormatInt(r.Dropped, 10))
	row("aborted clients", fmtCount(r.AbortedClients))
	row("clients", fmtCount(r.Clients))
	if r.Iterations != nil {
		row("iterations", fmtCount(r.Iterations))
	}
	row("latency ms", fmtLatency(r.LatencyMs))
	row("bytes", "in "+fmtCount(r.Bytes.In)+", out "+fmtCount(r.Bytes.Out))
	if r.Checks != nil {
		row("checks", fmt.Sprintf("%d passed, %d failed", r.Checks.Passes, r.Checks.Fails))
	}
	for _, t := range r.Thresholds {
		s := "ok"
		if !t.OK {
			s = "FAILED"
		}
		row("threshold", fmt.Sprintf("%s %s: %s", t.Metric, t.Expression, s))
	}
	for _, b := range r.Breakdown {
		v := fmt.Sprintf("%s %s: operations %s", b.Kind, b.Name, fmtCount(b.Operations))
		if b.ThroughputPerS != nil {
			v += ", " + format.Number(*b.ThroughputPerS) + "/s"
		}
		if b.Errors != nil {
			v += ", errors " + fmtCount(b.Errors)
		}
		if b.Retries != nil {
			v += ", retries " + fmtCount(b.Retries)
		}
		if b.LatencyMs.Any() {
			v += ", latency ms " + fmtLatency(b.LatencyMs)
		}
		row("breakdown", v)
	}
	for _, e := range r.ToolErrors {
		row("tool error", e)
	}
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

func newResultsMigrateCmd(s *Settings) *cobra.Command {
	var dryRun bool
	c := &cobra.Command{
		Use:   "migrate PATH...",
		Short: "Rewrite stored results of an older schema version in the current one (files, or every *.json below directories)",
		Long: `migrate upgrades stored results to schema version ` + fmt.Sprint(results.SchemaVersion) + `. Every command reads older
results transparently (in memory); only migrate changes the stored bytes. Each
file is replaced whole (temp file, fsync, rename); files already current are
left byte for byte. With --dry-run nothing is written and the command exits 1
when a file would change.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var files []string
			for _, a := range args {
				err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					if !d.IsDir() && (p == a || strings.HasSuffix(p, ".json") && !strings.HasPrefix(d.Name(), ".")) {
						files = append(files, p)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			sort.Strings(files)
			if len(files) == 0 {
				return fmt.Errorf("no *.json results in %s", strings.Join(args, ", "))
			}
			out := c.OutOrStdout()
			old := 0
			for _, f := range files {
				v, err := results.MigrateFile(f, dryRun)
				if err != nil {
					return err
				}
				switch {
				case v == results.SchemaVersion:
					fmt.Fprintf(out, "%s: schema_version %d, unchanged\n", f, v)
				case dryRun:
					old++
					fmt.Fprintf(out, "%s: schema_version %d, would migrate to %d\n", f, v, results.SchemaVersion)
				default:
					old++
					fmt.Fprintf(out, "%s: migrated schema_version %d -> %d\n", f, v, results.SchemaVersion)
				}
			}
			if dryRun && old > 0 {
				return fmt.Errorf("%d of %d result(s) need migrating", old, len(files))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "write nothing; exit 1 when a file would change")
	return c
}
