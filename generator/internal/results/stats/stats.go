// Package stats compares two sets of repeated benchmark runs: per metric
// the median with its 95% confidence interval and a Mann-Whitney U test,
// using golang.org/x/perf/benchmath (the statistics behind benchstat).
package stats

import (
	"fmt"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"io"
	"math"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
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
}

func f64(v float64) *float64 { return &v }

// Metrics are the figures compared, in table order.
var Metrics = []Metric{
	{"rps", "req/s", true, func(r *results.Result) *float64 { return f64(r.RPS) }},
	{"p50 latency", "ms", false, func(r *results.Result) *float64 { return r.LatencyMs.Med }},
	{"p95 latency", "ms", false, func(r *results.Result) *float64 { return r.LatencyMs.P95 }},
	{"p99 latency", "ms", false, func(r *results.Result) *float64 { return r.LatencyMs.P99 }},
	{"error rate", "", false, func(r *results.Result) *float64 { return r.ErrorRate }},
	{"cost per 1M requests", "", false, func(r *results.Result) *float64 {
		if r.Cost == nil {
			return nil
		}
		return r.Cost.PerMillionRequests
	}},
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
	Rows  []Row `json:"rows"`
	NBase int   `json:"n_base"`
	NCur  int   `json:"n_current"`
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

// Compare builds the comparison of base against current runs.
func Compare(base, cur []*results.Result) (*Comparison, error) {
	return CompareWith(base, cur, Metrics)
}

// CompareWith compares the given metrics, in that order (e.g. Metrics plus
// an experiment's declared Prometheus metrics).
func CompareWith(base, cur []*results.Result, metrics []Metric) (*Comparison, error) {
	if len(base) == 0 || len(cur) == 0 {
		return nil, fmt.Errorf("compare needs at least one run per side (got %d base, %d current)", len(base), len(cur))
	}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = Alpha
	c := &Comparison{NBase: len(base), NCur: len(cur)}
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
	if len(order) > 0 {
		sort.Strings(order)
		b.WriteString("\nWarnings:\n")
		for _, w := range order {
			b.WriteString("- " + w + " (" + strings.Join(byWarning[w], ", ") + ")\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
