// Package stats compares two sets of repeated benchmark runs: per metric
// the median with its 95% confidence interval and a Mann-Whitney U test,
// using golang.org/x/perf/benchmath (the statistics behind benchstat).
package stats

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// Alpha is the significance level; Confidence the interval's level.
const (
	Alpha      = 0.05
	Confidence = 0.95
	// RecommendedRuns is the smallest n per side the docs recommend: the
	// Mann-Whitney test can reach p < 0.05 from 4 runs per side, but a 95%
	// confidence interval of the median needs 6.
	RecommendedRuns = 6
)

// Metric is one figure compared across runs.
type Metric struct {
	Name string
	Unit string
	// HigherIsBetter orients the verdict.
	HigherIsBetter bool
	Get            func(*results.Result) *float64
	// Money marks a cost figure (its unit is the price sheet's currency).
	Money bool
}

func f64(v float64) *float64 { return &v }

// CostOf reads a cost figure of a run, nil when the run is not priced.
func CostOf(get func(*cost.Estimate) *float64) func(*results.Result) *float64 {
	return func(r *results.Result) *float64 {
		if r.Cost == nil {
			return nil
		}
		return get(r.Cost)
	}
}

// Metrics are the figures compared for runs whose operations are of unit,
// in table order: throughput in unit/s, latency percentiles, error rate,
// the cost of a million operations (requests, transactions, messages...),
// of a transaction and of a GB moved.
func Metrics(unit string) []Metric {
	return []Metric{
		{Name: "throughput", Unit: unit + "/s", HigherIsBetter: true, Get: func(r *results.Result) *float64 { return f64(r.ThroughputPerS) }},
		{Name: "p50 latency", Unit: "ms", Get: func(r *results.Result) *float64 { return r.LatencyMs.Med }},
		{Name: "p95 latency", Unit: "ms", Get: func(r *results.Result) *float64 { return r.LatencyMs.P95 }},
		{Name: "p99 latency", Unit: "ms", Get: func(r *results.Result) *float64 { return r.LatencyMs.P99 }},
		{Name: "error rate", Get: func(r *results.Result) *float64 { return r.Errors.Rate }},
		{Name: CostPerMillion(unit), Money: true, Get: CostOf(func(c *cost.Estimate) *float64 { return c.PerMillionOperations })},
		// A pgbench transaction, or a k6 iteration; rows no run has are left out.
		{Name: "cost per transaction", Money: true, Get: CostOf(func(c *cost.Estimate) *float64 { return c.PerTransaction })},
		{Name: "cost per GB", Money: true, Get: CostOf(func(c *cost.Estimate) *float64 { return c.PerGB })},
	}
}

// CostPerMillion names the cost row of a unit: "cost per 1M requests".
func CostPerMillion(unit string) string { return "cost per 1M " + unit }

// Unit is the operation unit every run shares; runs counting different
// things (requests and transactions) cannot be compared.
func Unit(sets ...[]*results.Result) (string, error) {
	unit, first := "", ""
	for _, s := range sets {
		for _, r := range s {
			id := runName(r)
			switch {
			case unit == "":
				unit, first = r.Operations.Unit, id
			case r.Operations.Unit != unit:
				return "", fmt.Errorf("%s counts %s but %s counts %s: runs of different operation units cannot be compared", first, unit, id, r.Operations.Unit)
			}
		}
	}
	return unit, nil
}

func runName(r *results.Result) string {
	if r.RunID == "" {
		return "a run"
	}
	return r.Experiment + "/" + r.Variant + "/" + r.RunID
}

// Duplicates refuses a run given twice on one side (the same
// experiment/variant/run id) and returns a warning for every pair of runs
// that are identical but for their ids (stored twice from one output), on
// one side or across both.
func Duplicates(base, cur []*results.Result) ([]string, error) {
	for _, side := range []struct {
		n  string
		rs []*results.Result
	}{{"baseline", base}, {"current", cur}} {
		seen := map[string]bool{}
		for _, r := range side.rs {
			if r.RunID == "" {
				continue
			}
			id := runName(r)
			if seen[id] {
				return nil, fmt.Errorf("%s: run %s given twice: each run counts once", side.n, id)
			}
			seen[id] = true
		}
	}
	var warns []string
	type seen struct {
		name, side string
	}
	byPrint := map[string]seen{}
	for _, side := range []struct {
		n  string
		rs []*results.Result
	}{{"baseline", base}, {"current", cur}} {
		for _, r := range side.rs {
			fp, err := results.Fingerprint(r)
			if err != nil {
				return nil, err
			}
			if prev, ok := byPrint[fp]; ok {
				where := "in the " + side.n
				if prev.side != side.n {
					where = "in the baseline and the current set"
				}
				warns = append(warns, fmt.Sprintf("%s and %s are identical (%s): one run stored under two ids", prev.name, runName(r), where))
				continue
			}
			byPrint[fp] = seen{runName(r), side.n}
		}
	}
	sort.Strings(warns)
	return warns, nil
}

// Side is one sample's summary.
type Side struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	// Lo and Hi bound the 95% confidence interval of the median; they are
	// infinite when n is too small for that confidence.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Row compares one metric.
type Row struct {
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	Base   *Side  `json:"base"`
	Cur    *Side  `json:"current"`
	// DeltaPct is (current - base) / base × 100, nil when undefined.
	DeltaPct *float64 `json:"delta_pct"`
	// P is the Mann-Whitney U p-value; Significant is P < Alpha.
	P           *float64 `json:"p"`
	Significant bool     `json:"significant"`
	// Better is true/false for a significant change in the good/bad
	// direction, nil otherwise.
	Better   *bool    `json:"better"`
	Warnings []string `json:"warnings"`
}

// Comparison is the whole table.
type Comparison struct {
	// Unit is the operation unit of every run.
	Unit  string `json:"unit"`
	Rows  []Row  `json:"rows"`
	NBase int    `json:"n_base"`
	NCur  int    `json:"n_current"`
	// Warnings are about the sets (identical runs under two ids).
	Warnings []string `json:"warnings"`
}

func sample(rs []*results.Result, m Metric) []float64 {
	var v []float64
	for _, r := range rs {
		if p := m.Get(r); p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) {
			v = append(v, *p)
		}
	}
	sort.Float64s(v)
	return v
}

func warnings(into *[]string, errs []error) {
	for _, e := range errs {
		*into = append(*into, e.Error())
	}
}

// Compare builds the comparison of base against current runs. It refuses
// runs of different operation units and a run given twice on one side.
func Compare(base, cur []*results.Result) (*Comparison, error) {
	unit, err := Unit(base, cur)
	if err != nil {
		return nil, err
	}
	dups, err := Duplicates(base, cur)
	if err != nil {
		return nil, err
	}
	c, err := CompareWith(base, cur, Metrics(unit))
	if err != nil {
		return nil, err
	}
	c.Warnings = append(c.Warnings, dups...)
	return c, nil
}

// CompareWith compares the given metrics, in that order (e.g. Metrics plus
// an experiment's declared Prometheus metrics). Unlike Compare it does not
// look for duplicate runs (see Duplicates).
func CompareWith(base, cur []*results.Result, metrics []Metric) (*Comparison, error) {
	if len(base) == 0 || len(cur) == 0 {
		return nil, fmt.Errorf("compare needs at least one run per side (got %d base, %d current)", len(base), len(cur))
	}
	unit, err := Unit(base, cur)
	if err != nil {
		return nil, err
	}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = Alpha
	c := &Comparison{Unit: unit, NBase: len(base), NCur: len(cur), Warnings: []string{}}
	for _, m := range metrics {
		row := Row{Metric: m.Name, Unit: m.Unit, Warnings: []string{}}
		bv, cv := sample(base, m), sample(cur, m)
		if len(bv) == 0 && len(cv) == 0 {
			continue // no run has this figure (e.g. no cost): omit the row
		}
		var bs, cs *benchmath.Sample
		if len(bv) > 0 {
			bs = benchmath.NewSample(bv, &th)
			warnings(&row.Warnings, bs.Warnings)
			s := benchmath.AssumeNothing.Summary(bs, Confidence)
			warnings(&row.Warnings, s.Warnings)
			row.Base = &Side{N: len(bv), Median: s.Center, Lo: s.Lo, Hi: s.Hi}
		}
		if len(cv) > 0 {
			cs = benchmath.NewSample(cv, &th)
			warnings(&row.Warnings, cs.Warnings)
			s := benchmath.AssumeNothing.Summary(cs, Confidence)
			warnings(&row.Warnings, s.Warnings)
			row.Cur = &Side{N: len(cv), Median: s.Center, Lo: s.Lo, Hi: s.Hi}
		}
		if bs != nil && cs != nil {
			cmp := benchmath.AssumeNothing.Compare(bs, cs)
			warnings(&row.Warnings, cmp.Warnings)
			p := cmp.P
			row.P = &p
			row.Significant = p < cmp.Alpha
			if row.Base.Median != 0 {
				d := (row.Cur.Median - row.Base.Median) / math.Abs(row.Base.Median) * 100
				row.DeltaPct = &d
			}
			if row.Significant && row.Cur.Median != row.Base.Median {
				better := (row.Cur.Median > row.Base.Median) == m.HigherIsBetter
				row.Better = &better
			}
		}
		if (row.Base != nil && row.Base.N < RecommendedRuns) || (row.Cur != nil && row.Cur.N < RecommendedRuns) {
			row.Warnings = append(row.Warnings, fmt.Sprintf("fewer than %d runs on a side: the comparison has little power", RecommendedRuns))
		}
		sort.Strings(row.Warnings)
		row.Warnings = uniq(row.Warnings)
		c.Rows = append(c.Rows, row)
	}
	return c, nil
}

func uniq(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func side(s *Side, unit string) string {
	if s == nil {
		return "n/a"
	}
	u := ""
	if unit != "" {
		u = " " + unit
	}
	ci := "± ∞"
	if !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0) {
		ci = "[" + format.Number(s.Lo) + ", " + format.Number(s.Hi) + "]"
	}
	return format.Number(s.Median) + u + " " + ci
}

func nCell(r Row) string {
	b, c := 0, 0
	if r.Base != nil {
		b = r.Base.N
	}
	if r.Cur != nil {
		c = r.Cur.N
	}
	return fmt.Sprintf("%d+%d", b, c)
}

// Markdown writes the comparison as a Markdown table fit for a pull
// request comment: median and 95% CI per side, delta of medians, the
// p-value or "~" when not significant at alpha 0.05, and n per side.
func (c *Comparison) Markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| metric | baseline | current | delta | p | n |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range c.Rows {
		delta := "n/a"
		if r.DeltaPct != nil {
			delta = fmt.Sprintf("%+.2f%%", *r.DeltaPct)
			if r.Better != nil {
				if *r.Better {
					delta += " (better)"
				} else {
					delta += " (worse)"
				}
			}
		}
		p := "n/a"
		if r.P != nil {
			if r.Significant {
				p = fmt.Sprintf("%.3f", *r.P)
			} else {
				p = "~"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.Metric, side(r.Base, r.Unit), side(r.Cur, r.Unit), delta, p, nCell(r))
	}
	fmt.Fprintf(&b, "\nMedians with 95%% confidence intervals; p from a two-sided Mann-Whitney U test, \"~\" when p ≥ %.2f. Runs: %d baseline, %d current", Alpha, c.NBase, c.NCur)
	if c.NBase < RecommendedRuns || c.NCur < RecommendedRuns {
		fmt.Fprintf(&b, " (at least %d per side recommended)", RecommendedRuns)
	}
	b.WriteString(".\n")
	// The same warning usually hits every metric: list it once.
	var order []string
	byWarning := map[string][]string{}
	for _, r := range c.Rows {
		for _, w := range r.Warnings {
			if _, ok := byWarning[w]; !ok {
				order = append(order, w)
			}
			byWarning[w] = append(byWarning[w], r.Metric)
		}
	}
	if len(order) > 0 || len(c.Warnings) > 0 {
		sort.Strings(order)
		b.WriteString("\nWarnings:\n")
		for _, w := range c.Warnings {
			b.WriteString("- " + w + "\n")
		}
		for _, w := range order {
			b.WriteString("- " + w + " (" + strings.Join(byWarning[w], ", ") + ")\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
