// Package report renders the Markdown benchmark report posted on a pull
// request: per variant, the statistical comparison of the runs a change
// adds against the results already on the base branch (with the cost
// delta), a mermaid chart GitHub renders, for layered compositions what
// each layer adds to latency and cost, and, when asked, SVG plots
// (results/plots) embedded as images.
package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/tradeoff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/envdiff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/plots"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/stats"
)

// Marker identifies the report comment on a pull request, so that it is
// found and edited in place instead of posted again.
const Marker = "<!-- illm-lab:benchmark-report -->"

// Input is what a report compares.
type Input struct {
	Experiment string
	// BaseRef names where the baseline came from (e.g. main).
	BaseRef string
	// Base and Current are runs by variant.
	Base, Current map[string][]*results.Result
	// Layers orders the variants of a layered composition; empty for none.
	Layers []string
	// Plots asks for the report's SVG plots (results/plots), embedded as
	// images by Markdown.
	Plots bool
}

// Report is the built report.
type Report struct {
	Experiment, BaseRef string
	Currency            string
	// Unit is the operation unit of the first variant's runs.
	Unit     string
	Variants []Variant
	Layers   []Layer
	// LayersNote says why the layers table is missing.
	LayersNote string
	// Tradeoff is the latency-against-cost section (finops/tradeoff).
	Tradeoff string
	// Environment is, per variant with runs on both sides, what differs
	// between the environments the baseline and the current runs recorded.
	Environment []envdiff.Variant
	Warnings    []string
	// Plots are the drawn pictures (Input.Plots), to be kept at
	// PlotPath(File) in the experiment's results folder; PlotNotes say
	// which were left out and why.
	Plots     []plots.Plot
	PlotNotes []string
	// PlotLink is the link Markdown gives a plot's file; unset, the path
	// relative to the experiment's results folder (PlotPath).
	PlotLink func(file string) string
}

// Variant is the comparison table of one variant.
type Variant struct {
	Name            string
	NBase, NCurrent int
	Rows            []Row
	// Warnings are the comparison's set warnings (identical runs).
	Warnings []string
}

// Row is one metric's comparison; CostDelta is the difference of medians
// in currency for cost metrics.
type Row struct {
	stats.Row
	Cost      bool
	CostDelta *float64
}

// metrics are stats.Metrics of the runs' unit, the other cost figures and
// every declared Prometheus metric some run holds (no better/worse: their
// direction is not declared).
func metrics(unit string, sets ...[]*results.Result) (ms []stats.Metric, declared map[string]bool) {
	ms = append(ms, stats.Metrics(unit)...)
	ms = append(ms,
		stats.Metric{Name: "monthly cost", Money: true, Get: stats.CostOf(func(c *cost.Estimate) *float64 { v := c.MonthlyProjection; return &v })},
	)
	units := map[string]string{}
	for _, s := range sets {
		for _, r := range s {
			for n, v := range r.Metrics {
				units[n] = v.Unit
			}
		}
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	declared = map[string]bool{}
	for _, n := range names {
		n := n
		declared[n] = true
		ms = append(ms, stats.Metric{Name: n, Unit: units[n], Get: func(r *results.Result) *float64 {
			if v, ok := r.Metrics[n]; ok {
				return &v.Value
			}
			return nil
		}})
	}
	return ms, declared
}

// Build compares every variant with current runs against its baseline.
func Build(in Input) (*Report, error) {
	if len(in.Current) == 0 {
		return nil, fmt.Errorf("report: no current runs")
	}
	rep := &Report{Experiment: in.Experiment, BaseRef: in.BaseRef}
	names := make([]string, 0, len(in.Current))
	for v := range in.Current {
		names = append(names, v)
	}
	sort.Strings(names)
	var warns []string
	for _, v := range names {
		cur, base := in.Current[v], in.Base[v]
		for _, r := range append(append([]*results.Result{}, cur...), base...) {
			if r.Cost != nil && rep.Currency == "" {
				rep.Currency = r.Cost.Currency
			}
		}
		unit, err := stats.Unit(base, cur)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", v, err)
		}
		if rep.Unit == "" {
			rep.Unit = unit
		}
		ms, declared := metrics(unit, base, cur)
		money := map[string]bool{}
		for _, m := range ms {
			money[m.Name] = m.Money
		}
		// Without a baseline the current side is summarized alone (the
		// comparison against itself yields its median and interval).
		b := base
		if len(b) == 0 {
			b = cur
		}
		cmp, err := stats.CompareWith(b, cur, ms)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", v, err)
		}
		// The comparison of a variant without baseline is against itself:
		// its set warnings are those of the current runs alone.
		dups, err := stats.Duplicates(base, cur)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", v, err)
		}
		for _, w := range dups {
			warns = append(warns, v+": "+w)
		}
		if len(base) > 0 {
			rep.Environment = append(rep.Environment, envdiff.Variant{Name: v, Fields: envdiff.Diff(base, cur)})
		}
		vr := Variant{Name: v, NBase: len(base), NCurrent: len(cur), Warnings: dups}
		for _, row := range cmp.Rows {
			r := Row{Row: row, Cost: money[row.Metric]}
			if declared[row.Metric] {
				r.Better = nil
			}
			if len(base) == 0 {
				r.Base, r.DeltaPct, r.P, r.Significant, r.Better = nil, nil, nil, false, nil
			}
			if r.Cost && r.Base != nil && r.Cur != nil {
				d := r.Cur.Median - r.Base.Median
				r.CostDelta = &d
			}
			for _, w := range row.Warnings {
				// Without a baseline only the current side's warnings mean
				// anything (the self-comparison's do not).
				if len(base) == 0 && (strings.Contains(w, "detect a difference") || strings.Contains(w, "all samples are equal")) {
					continue
				}
				warns = append(warns, v+": "+w)
			}
			vr.Rows = append(vr.Rows, r)
		}
		rep.Variants = append(rep.Variants, vr)
	}
	if len(in.Layers) > 0 {
		// A change that reruns only some layers still gets its report.
		ls, err := Layers(in.Layers, in.Current)
		if err != nil {
			rep.LayersNote = "Layers table omitted: " + strings.TrimPrefix(err.Error(), "layers: ") + "."
		}
		rep.Layers = ls
	}
	var t *tradeoff.Tradeoff
	rep.Tradeoff, t = tradeoffSection(in.Experiment, in.Current, in.Layers)
	if in.Plots {
		rep.Plots, rep.PlotNotes = drawPlots(in, t)
	}
	sort.Strings(warns)
	rep.Warnings = uniq(warns)
	return rep, nil
}

func uniq(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (rep *Report) unit(r Row) string {
	if r.Cost {
		return rep.Currency
	}
	return r.Unit
}

func withUnit(s, unit string) string {
	if unit == "" {
		return s
	}
	return s + " " + unit
}

func side(s *stats.Side, unit string) string {
	if s == nil {
		return "—"
	}
	m := withUnit(format.Number(s.Median), unit)
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) {
		return m + " ± ∞"
	}
	return fmt.Sprintf("%s [%s, %s]", m, format.Number(s.Lo), format.Number(s.Hi))
}

func delta(r Row) string {
	if r.DeltaPct == nil {
		return "—"
	}
	s := fmt.Sprintf("%+.2f%%", *r.DeltaPct)
	if r.Better != nil {
		if *r.Better {
			s += " (better)"
		} else {
			s += " (worse)"
		}
	}
	return s
}

func pCell(r Row) string {
	switch {
	case r.P == nil:
		return "—"
	case !r.Significant:
		return "~"
	}
	return strconv.FormatFloat(*r.P, 'g', 3, 64)
}

func nCell(r Row) string {
	n := func(s *stats.Side) int {
		if s == nil {
			return 0
		}
		return s.N
	}
	return fmt.Sprintf("%d+%d", n(r.Base), n(r.Cur))
}

func (rep *Report) costCell(r Row) string {
	if r.CostDelta == nil {
		return ""
	}
	return withUnit(fmt.Sprintf("%+.4g", *r.CostDelta), rep.Currency)
}

func opt(p *float64, unit string) string {
	if p == nil {
		return "—"
	}
	return withUnit(format.Number(*p), unit)
}

func optSigned(p *float64, unit string) string {
	if p == nil {
		return "—"
	}
	s := format.Number(*p)
	if *p >= 0 {
		s = "+" + s
	}
	return withUnit(s, unit)
}

// Markdown writes the report. The output depends only on the input.
func (rep *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Benchmark report: %s\n\n", rep.Experiment)
	base := rep.BaseRef
	if base == "" {
		base = "the base branch"
	} else {
		base = "`" + base + "`"
	}
	fmt.Fprintf(&b, "Baseline: the results stored on %s. Current: the runs this change adds. Medians with 95%% confidence intervals; p from a two-sided Mann-Whitney U test, \"~\" when p ≥ 0.05.\n", base)
	for _, v := range rep.Variants {
		fmt.Fprintf(&b, "\n### %s (%d baseline, %d current runs)\n\n", v.Name, v.NBase, v.NCurrent)
		if v.NBase == 0 {
			fmt.Fprintf(&b, "No baseline for this variant yet: current runs only.\n\n")
		}
		b.WriteString("| metric | baseline | current | delta | p | n | cost delta |\n|---|---|---|---|---|---|---|\n")
		for _, r := range v.Rows {
			u := rep.unit(r)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Metric, side(r.Base, u), side(r.Cur, u), delta(r), pCell(r), nCell(r), rep.costCell(r))
		}
	}
	var env strings.Builder
	if err := envdiff.Markdown(&env, rep.Environment, "baseline"); err != nil {
		return err
	}
	b.WriteString(env.String())
	rep.chart(&b)
	if len(rep.Layers) > 0 {
		cur := rep.Currency
		b.WriteString("\n### Layers\n\nEach layer's medians and what it adds to the layer before it.\n\n")
		fmt.Fprintf(&b, "| layer | runs | p50 | p99 | %s | monthly cost | added p50 | added p99 | added cost per 1M | added monthly |\n|---|---|---|---|---|---|---|---|---|---|\n", stats.CostPerMillion(rep.Unit))
		for _, l := range rep.Layers {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", l.Name, l.Runs,
				opt(l.P50Ms, "ms"), opt(l.P99Ms, "ms"), opt(l.CostPerMillion, cur), opt(l.Monthly, cur),
				optSigned(l.AddedP50Ms, "ms"), optSigned(l.AddedP99Ms, "ms"), optSigned(l.AddedCostPerMillion, cur), optSigned(l.AddedMonthly, cur))
		}
	}
	if rep.LayersNote != "" {
		fmt.Fprintf(&b, "\n### Layers\n\n%s\n", rep.LayersNote)
	}
	b.WriteString(rep.Tradeoff)
	rep.plotsSection(&b)
	if len(rep.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, w := range rep.Warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// chart draws the latency of every variant as a mermaid xychart: bars for
// the current runs, a line for the baseline when every variant has one.
// It charts the highest percentile every current variant has.
func (rep *Report) chart(b *strings.Builder) {
	for _, metric := range []string{"p99 latency", "p95 latency", "p50 latency"} {
		var labels, cur, base []string
		haveBase := true
		for _, v := range rep.Variants {
			var row *Row
			for i := range v.Rows {
				if v.Rows[i].Metric == metric {
					row = &v.Rows[i]
				}
			}
			if row == nil || row.Cur == nil {
				labels = nil
				break
			}
			labels = append(labels, strconv.Quote(v.Name))
			cur = append(cur, format.Plain(row.Cur.Median))
			if row.Base == nil {
				haveBase = false
			} else {
				base = append(base, format.Plain(row.Base.Median))
			}
		}
		if len(labels) == 0 {
			continue
		}
		legend := "bars: current"
		if haveBase {
			legend += "; line: baseline"
		}
		fmt.Fprintf(b, "\n### %s by variant\n\nMedian of the runs in ms (%s).\n\n```mermaid\nxychart-beta\n", metric, legend)
		fmt.Fprintf(b, "    title \"%s (ms)\"\n    x-axis [%s]\n    y-axis \"ms\"\n    bar [%s]\n", metric, strings.Join(labels, ", "), strings.Join(cur, ", "))
		if haveBase {
			fmt.Fprintf(b, "    line [%s]\n", strings.Join(base, ", "))
		}
		b.WriteString("```\n")
		return
	}
}
