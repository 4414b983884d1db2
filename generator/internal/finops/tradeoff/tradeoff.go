// Package tradeoff weighs latency against cost across an experiment's
// variants or layers: per variant the median p99, throughput and monthly
// cost with 95% confidence intervals (results/stats' medians, through
// benchmath), per layer what it adds in latency and dollars with a
// Mann-Whitney test and the Hodges-Lehmann interval of the difference,
// the Pareto frontier of latency against cost, and one sentence per layer.
// A difference that is not significant is never claimed.
package tradeoff

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/stats"
)

// Figure is one metric's median with its 95% interval (infinite bounds
// when there are too few runs for that confidence).
type Figure struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
}

// Variant is one variant's figures; nil when no run has the figure.
type Variant struct {
	Name       string  `json:"name"`
	Runs       int     `json:"runs"`
	P99Ms      *Figure `json:"p99_ms"`
	RPS        *Figure `json:"rps"`
	Monthly    *Figure `json:"monthly"`
	OnFrontier bool    `json:"on_frontier"`
	// DominatedBy names the variants significantly better on one axis and
	// no worse (by median) on the other.
	DominatedBy []string `json:"dominated_by"`
}

// Delta is what a layer adds over the one before it.
type Delta struct {
	// Estimate is the Hodges-Lehmann shift (median of pairwise
	// differences), Lo and Hi its 95% interval.
	Estimate    float64 `json:"estimate"`
	Lo          float64 `json:"lo"`
	Hi          float64 `json:"hi"`
	P           float64 `json:"p"`
	Significant bool    `json:"significant"`
}

// Layer is one layer over the previous.
type Layer struct {
	Name, Previous string
	P99Ms, Monthly *Delta
	Sentence       string
}

// Tradeoff is the whole analysis.
type Tradeoff struct {
	Experiment string    `json:"experiment"`
	Currency   string    `json:"currency"`
	Variants   []Variant `json:"variants"`
	Layers     []Layer   `json:"layers"`
	Warnings   []string  `json:"warnings"`
}

func p99(r *results.Result) *float64 { return r.LatencyMs.P99 }
func rps(r *results.Result) *float64 { v := r.ThroughputPerS; return &v }
func monthly(r *results.Result) *float64 {
	if r.Cost == nil {
		return nil
	}
	v := r.Cost.MonthlyProjection
	return &v
}

func sample(rs []*results.Result, get func(*results.Result) *float64) []float64 {
	var v []float64
	for _, r := range rs {
		if p := get(r); p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) {
			v = append(v, *p)
		}
	}
	sort.Float64s(v)
	return v
}

func figure(v []float64) *Figure {
	if len(v) == 0 {
		return nil
	}
	th := benchmath.DefaultThresholds
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(v, &th), stats.Confidence)
	return &Figure{N: len(v), Median: s.Center, Lo: s.Lo, Hi: s.Hi}
}

// delta compares cur with base: Mann-Whitney p (benchmath) and the
// Hodges-Lehmann shift with its distribution-free 95% interval (order
// statistics of the pairwise differences at the normal approximation of
// the U distribution; infinite when the samples are too small).
func delta(base, cur []float64) *Delta {
	if len(base) == 0 || len(cur) == 0 {
		return nil
	}
	th := benchmath.DefaultThresholds
	th.CompareAlpha = stats.Alpha
	c := benchmath.AssumeNothing.Compare(benchmath.NewSample(base, &th), benchmath.NewSample(cur, &th))
	var d []float64
	for _, b := range base {
		for _, x := range cur {
			d = append(d, x-b)
		}
	}
	sort.Float64s(d)
	n := len(d)
	est := d[n/2]
	if n%2 == 0 {
		est = (d[n/2-1] + d[n/2]) / 2
	}
	m, k := float64(len(base)), float64(len(cur))
	const z = 1.959963984540054
	ka := int(math.Floor(m*k/2 - z*math.Sqrt(m*k*(m+k+1)/12)))
	out := &Delta{Estimate: est, P: c.P, Significant: c.P < stats.Alpha, Lo: math.Inf(-1), Hi: math.Inf(1)}
	if ka >= 1 {
		out.Lo, out.Hi = d[ka-1], d[n-ka]
	}
	return out
}

// Build analyses runs by variant; order lists the layers (compare.layers)
// or, empty, every variant by name with no layer deltas.
func Build(experiment string, runs map[string][]*results.Result, order []string) (*Tradeoff, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("tradeoff: no runs of %s", experiment)
	}
	t := &Tradeoff{Experiment: experiment, Variants: []Variant{}, Layers: []Layer{}, Warnings: []string{}}
	names := order
	if len(names) == 0 {
		for v := range runs {
			names = append(names, v)
		}
		sort.Strings(names)
	}
	for _, n := range names {
		rs := runs[n]
		if len(rs) == 0 {
			return nil, fmt.Errorf("tradeoff: no runs of variant %q of %s", n, experiment)
		}
		for _, r := range rs {
			if r.Cost != nil && t.Currency == "" {
				t.Currency = r.Cost.Currency
			}
		}
		v := Variant{Name: n, Runs: len(rs), P99Ms: figure(sample(rs, p99)), RPS: figure(sample(rs, rps)), Monthly: figure(sample(rs, monthly)), DominatedBy: []string{}}
		if len(rs) < stats.RecommendedRuns {
			t.Warnings = append(t.Warnings, fmt.Sprintf("%s: %d run(s), fewer than the %d a 95%% interval of the median needs", n, len(rs), stats.RecommendedRuns))
		}
		if v.P99Ms == nil {
			t.Warnings = append(t.Warnings, n+": no run has a p99 latency")
		}
		if v.Monthly == nil {
			t.Warnings = append(t.Warnings, n+": no run is priced (no cost): its $/month is unknown, not zero")
		}
		t.Variants = append(t.Variants, v)
	}
	t.frontier(runs)
	if len(order) > 1 {
		for i := 1; i < len(order); i++ {
			l := Layer{Name: order[i], Previous: order[i-1],
				P99Ms:   delta(sample(runs[order[i-1]], p99), sample(runs[order[i]], p99)),
				Monthly: delta(sample(runs[order[i-1]], monthly), sample(runs[order[i]], monthly))}
			l.Sentence = sentence(l, t.Currency)
			t.Layers = append(t.Layers, l)
		}
	}
	return t, nil
}

// frontier marks the variants no other variant dominates: A dominates B
// when A's medians are no higher on both latency and cost and at least one
// of the two differences is significant.
func (t *Tradeoff) frontier(runs map[string][]*results.Result) {
	for i := range t.Variants {
		b := &t.Variants[i]
		if b.P99Ms == nil || b.Monthly == nil {
			continue
		}
		for _, a := range t.Variants {
			if a.Name == b.Name || a.P99Ms == nil || a.Monthly == nil {
				continue
			}
			if a.P99Ms.Median > b.P99Ms.Median || a.Monthly.Median > b.Monthly.Median {
				continue
			}
			dl := delta(sample(runs[b.Name], p99), sample(runs[a.Name], p99))
			dc := delta(sample(runs[b.Name], monthly), sample(runs[a.Name], monthly))
			if (dl.Significant && dl.Estimate < 0) || (dc.Significant && dc.Estimate < 0) {
				b.DominatedBy = append(b.DominatedBy, a.Name)
			}
		}
		b.OnFrontier = len(b.DominatedBy) == 0
	}
}

func money(cur string, v float64) string {
	if cur == "USD" || cur == "" {
		if v < 0 {
			return "-$" + format.Number(-v)
		}
		return "$" + format.Number(v)
	}
	return format.Number(v) + " " + cur
}

func interval(d *Delta) string {
	if math.IsInf(d.Lo, 0) || math.IsInf(d.Hi, 0) {
		return "[± ∞]"
	}
	return "[" + format.Number(d.Lo) + ", " + format.Number(d.Hi) + "]"
}

func pval(p float64) string { return "p = " + format.Number(p) }

// sentence says what the layer adds, claiming only significant differences.
func sentence(l Layer, cur string) string {
	var lat, cost string
	switch {
	case l.P99Ms == nil:
		lat = "has no p99 latency to compare"
	case !l.P99Ms.Significant:
		lat = fmt.Sprintf("shows no significant p99 difference (%s)", pval(l.P99Ms.P))
	case l.P99Ms.Estimate >= 0:
		lat = fmt.Sprintf("adds %s ms p99 %s", format.Number(l.P99Ms.Estimate), interval(l.P99Ms))
	default:
		lat = fmt.Sprintf("removes %s ms p99 %s", format.Number(-l.P99Ms.Estimate), interval(l.P99Ms))
	}
	switch {
	case l.Monthly == nil:
		cost = "its cost is not measured"
	case !l.Monthly.Significant:
		cost = fmt.Sprintf("shows no significant cost difference (%s)", pval(l.Monthly.P))
	default:
		cost = fmt.Sprintf("%s/month %s", signed(cur, l.Monthly.Estimate), interval(l.Monthly))
	}
	s := fmt.Sprintf("The %s layer (over %s) %s and %s", l.Name, l.Previous, lat, cost)
	if l.P99Ms != nil && l.Monthly != nil && l.P99Ms.Significant && l.Monthly.Significant && l.P99Ms.Estimate > 0 && l.Monthly.Estimate > 0 {
		s += fmt.Sprintf(": %s per ms", money(cur, l.Monthly.Estimate/l.P99Ms.Estimate))
	}
	return s + "."
}

func signed(cur string, v float64) string {
	if v >= 0 {
		return "+" + money(cur, v)
	}
	return money(cur, v)
}

func cell(f *Figure, unit string) string {
	if f == nil {
		return "—"
	}
	return cellWith(f, format.Number(f.Median)+unit)
}

func moneyCell(f *Figure, cur string) string {
	if f == nil {
		return "not priced"
	}
	return cellWith(f, money(cur, f.Median))
}

func cellWith(f *Figure, median string) string {
	ci := "± ∞"
	if !math.IsInf(f.Lo, 0) && !math.IsInf(f.Hi, 0) {
		ci = "[" + format.Number(f.Lo) + ", " + format.Number(f.Hi) + "]"
	}
	return median + " " + ci
}

// Markdown writes the analysis as a report section. Output depends only on
// the runs.
func (t *Tradeoff) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### Latency against cost: %s\n\nMedians with 95%% confidence intervals; the Pareto frontier keeps every variant no other beats significantly on p99 or $/month without being worse on the other.\n\n", t.Experiment)
	b.WriteString("| variant | runs | p99 | throughput | $/month | frontier |\n|---|---|---|---|---|---|\n")
	for _, v := range t.Variants {
		fr := "yes"
		if !v.OnFrontier {
			fr = "no"
			if len(v.DominatedBy) > 0 {
				fr = "no (beaten by " + strings.Join(v.DominatedBy, ", ") + ")"
			}
			if v.P99Ms == nil || v.Monthly == nil {
				fr = "unknown (a figure is missing)"
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", v.Name, v.Runs, cell(v.P99Ms, " ms"), cell(v.RPS, " req/s"), moneyCell(v.Monthly, t.Currency), fr)
	}
	if len(t.Layers) > 0 {
		b.WriteString("\nWhat each layer adds (Hodges-Lehmann shift with its 95% interval; Mann-Whitney U, not claimed when p ≥ 0.05):\n\n")
		for _, l := range t.Layers {
			fmt.Fprintf(&b, "- %s\n", l.Sentence)
		}
	}
	if len(t.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, w := range t.Warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
