package report

import (
	"fmt"
	"sort"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// Layer is one variant of a layered composition and what it adds to the
// layer before it (medians over its runs). Deltas are nil for the first
// layer and when either side lacks the figure.
type Layer struct {
	Name string
	Runs int

	P50Ms, P99Ms, CostPerMillion, Monthly *float64

	AddedP50Ms, AddedP99Ms, AddedCostPerMillion, AddedMonthly *float64
}

// Layers computes, for variants that add one layer at a time in the given
// order, each layer's latency (p50, p99) and cost (per 1M requests and per
// month) and the amount it adds over the previous layer. It is a pure
// function of the runs.
func Layers(order []string, runs map[string][]*results.Result) ([]Layer, error) {
	if len(order) < 2 {
		return nil, fmt.Errorf("layers: need at least two layers, got %d", len(order))
	}
	seen := map[string]bool{}
	out := make([]Layer, 0, len(order))
	for i, name := range order {
		if seen[name] {
			return nil, fmt.Errorf("layers: %q listed twice", name)
		}
		seen[name] = true
		rs := runs[name]
		if len(rs) == 0 {
			return nil, fmt.Errorf("layers: no runs of layer %q", name)
		}
		l := Layer{
			Name:  name,
			Runs:  len(rs),
			P50Ms: median(rs, func(r *results.Result) *float64 { return r.LatencyMs.Med }),
			P99Ms: median(rs, func(r *results.Result) *float64 { return r.LatencyMs.P99 }),
			CostPerMillion: median(rs, func(r *results.Result) *float64 {
				if r.Cost == nil {
					return nil
				}
				return r.Cost.PerMillionOperations
			}),
			Monthly: median(rs, func(r *results.Result) *float64 {
				if r.Cost == nil {
					return nil
				}
				return &r.Cost.MonthlyProjection
			}),
		}
		if i > 0 {
			prev := out[i-1]
			l.AddedP50Ms = diff(l.P50Ms, prev.P50Ms)
			l.AddedP99Ms = diff(l.P99Ms, prev.P99Ms)
			l.AddedCostPerMillion = diff(l.CostPerMillion, prev.CostPerMillion)
			l.AddedMonthly = diff(l.Monthly, prev.Monthly)
		}
		out = append(out, l)
	}
	return out, nil
}

// median of the runs that have the figure; nil when none has it.
func median(rs []*results.Result, get func(*results.Result) *float64) *float64 {
	var v []float64
	for _, r := range rs {
		if p := get(r); p != nil {
			v = append(v, *p)
		}
	}
	if len(v) == 0 {
		return nil
	}
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return &m
}

func diff(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	d := *a - *b
	return &d
}
