package tradeoff

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// runs makes n synthetic results around p99 ms and monthly dollars, spread
// by ±spread (deterministic, alternating).
func runs(n int, p99, monthly, spread float64) []*results.Result {
	var out []*results.Result
	for i := 0; i < n; i++ {
		off := spread * float64(i%3-1) * (1 + float64(i)/10)
		p := p99 + off
		r := &results.Result{ThroughputPerS: 100 + off, Operations: results.Operations{Count: 1000, Unit: results.UnitRequests}}
		r.LatencyMs.P99 = &p
		if monthly >= 0 {
			r.Cost = &cost.Estimate{Currency: "USD", MonthlyProjection: monthly + off}
		}
		out = append(out, r)
	}
	return out
}

func TestLayers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		runs     map[string][]*results.Result
		order    []string
		want     []string // substrings of the layer sentences, in order
		frontier map[string]bool
	}{
		{
			name: "mesh adds latency and dollars",
			runs: map[string][]*results.Result{
				"baseline": runs(8, 10, 100, 0.2),
				"mesh":     runs(8, 15, 312, 0.2),
			},
			order:    []string{"baseline", "mesh"},
			want:     []string{"The mesh layer (over baseline) adds 5 ms p99 [", "+$212/month [", ": $42.4 per ms."},
			frontier: map[string]bool{"baseline": true, "mesh": false},
		},
		{
			name: "no significant latency difference is not claimed",
			runs: map[string][]*results.Result{
				"baseline": runs(8, 10, 100, 1),
				"gateway":  runs(8, 10.1, 150, 1),
			},
			order:    []string{"baseline", "gateway"},
			want:     []string{"shows no significant p99 difference (p = ", "+$50"},
			frontier: map[string]bool{"baseline": true, "gateway": false},
		},
		{
			name: "a cheaper faster layer removes latency",
			runs: map[string][]*results.Result{
				"a": runs(6, 20, 200, 0.1),
				"b": runs(6, 12, 150, 0.1),
			},
			order:    []string{"a", "b"},
			want:     []string{"removes 8 ms p99", "-$50/month"},
			frontier: map[string]bool{"a": false, "b": true},
		},
		{
			name: "unpriced runs: cost unknown, no dominance",
			runs: map[string][]*results.Result{
				"a": runs(6, 20, -1, 0.1),
				"b": runs(6, 12, 150, 0.1),
			},
			order:    []string{"a", "b"},
			want:     []string{"its cost is not measured"},
			frontier: map[string]bool{"a": false, "b": true},
		},
		{
			name: "trade-off: both on the frontier",
			runs: map[string][]*results.Result{
				"fast": runs(6, 5, 300, 0.1),
				"lean": runs(6, 9, 120, 0.1),
			},
			frontier: map[string]bool{"fast": true, "lean": true},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Build("x", tc.runs, tc.order)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, l := range tr.Layers {
				all.WriteString(l.Sentence + "\n")
			}
			rest := all.String()
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("sentences lack %q:\n%s", w, all.String())
				}
				rest = rest[i+len(w):]
			}
			for _, v := range tr.Variants {
				if want, ok := tc.frontier[v.Name]; ok && v.OnFrontier != want {
					t.Errorf("%s on frontier = %v, want %v (dominated by %v)", v.Name, v.OnFrontier, want, v.DominatedBy)
				}
			}
		})
	}
}

func TestHodgesLehmann(t *testing.T) {
	d := delta([]float64{1, 2, 3, 4, 5, 6, 7, 8}, []float64{11, 12, 13, 14, 15, 16, 17, 18})
	if d.Estimate != 10 || !d.Significant || d.Lo > 10 || d.Hi < 10 || math.IsInf(d.Lo, 0) {
		t.Errorf("delta %+v", d)
	}
	// Two runs a side: no 95% interval.
	d = delta([]float64{1, 2}, []float64{3, 4})
	if !math.IsInf(d.Lo, -1) || !math.IsInf(d.Hi, 1) || d.Significant {
		t.Errorf("tiny samples: %+v", d)
	}
}

func TestMarkdownGolden(t *testing.T) {
	tr, err := Build("full-stack", map[string][]*results.Result{
		"baseline": runs(6, 10, 100, 0.2),
		"gateway":  runs(6, 11.5, 140, 0.2),
		"mesh":     runs(6, 16, 352, 0.2),
		"cheap":    runs(3, 30, -1, 0.2),
	}, []string{"baseline", "gateway", "mesh"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tr.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/tradeoff.golden.md", b.Bytes())
	if _, err := Build("x", map[string][]*results.Result{"a": runs(2, 1, 1, 0)}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), `no runs of variant "b"`) {
		t.Errorf("missing layer: %v", err)
	}
}
