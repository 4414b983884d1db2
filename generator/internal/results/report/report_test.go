package report

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

func f(v float64) *float64 { return &v }

// run is a synthetic result: latency in ms, cost per 1M requests and a
// declared metric, with i spreading the runs a little.
func run(variant string, i int, p50, p99, costPerM float64) *results.Result {
	j := float64(i%3) * 0.01 // small, deterministic spread
	r := &results.Result{
		SchemaVersion: results.SchemaVersion, Experiment: "layers", Variant: variant,
		SourceFormat: results.FormatSummary, Requests: 1_000_000, DurationS: 600, RPS: 1000 * (1 + j), Iterations: 500_000,
		LatencyMs: results.Latency{Med: f(p50 * (1 + j)), P95: f(p99 * 0.8 * (1 + j)), P99: f(p99 * (1 + j))},
		ErrorRate: f(0),
		Metrics:   map[string]results.MetricValue{"cpu_cores": {Value: costPerM * 10 * (1 + j), Unit: "cores", Aggregation: "avg", Query: "q"}},
	}
	total := costPerM * (1 + j)
	e := cost.Estimate{Currency: "USD", Method: "workload", Hours: 600.0 / 3600, Total: total, MonthlyProjection: total / (600.0 / 3600) * 730}
	r.Cost = &e
	r.Cost = func() *cost.Estimate { x := e.WithUnits(r.Requests, r.Iterations); return &x }()
	return r
}

func runs(variant string, n int, p50, p99, costPerM float64) []*results.Result {
	var out []*results.Result
	for i := 0; i < n; i++ {
		out = append(out, run(variant, i, p50, p99, costPerM))
	}
	return out
}

func TestLayers(t *testing.T) {
	rs := map[string][]*results.Result{
		"baseline":      runs("baseline", 6, 10, 20, 0.10),
		"gateway":       runs("gateway", 6, 12, 25, 0.12),
		"mesh":          runs("mesh", 6, 15, 33, 0.15),
		"observability": runs("observability", 6, 16, 34, 0.19),
	}
	ls, err := Layers([]string{"baseline", "gateway", "mesh", "observability"}, rs)
	if err != nil {
		t.Fatal(err)
	}
	// Medians of (1, 1.01, 1.02, 1, 1.01, 1.02) are 1.01 times the base.
	want := []struct {
		name                    string
		addP50, addP99, addCost float64
	}{
		{"baseline", 0, 0, 0}, {"gateway", 2, 5, 0.02}, {"mesh", 3, 8, 0.03}, {"observability", 1, 1, 0.04},
	}
	for i, w := range want {
		l := ls[i]
		if l.Name != w.name || l.Runs != 6 {
			t.Errorf("layer %d: %+v", i, l)
		}
		if i == 0 {
			if l.AddedP50Ms != nil || l.AddedCostPerMillion != nil {
				t.Errorf("first layer has deltas: %+v", l)
			}
			continue
		}
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"p50", *l.AddedP50Ms, w.addP50 * 1.01}, {"p99", *l.AddedP99Ms, w.addP99 * 1.01}, {"cost", *l.AddedCostPerMillion, w.addCost * 1.01}} {
			if math.Abs(c.got-c.want) > 1e-9 {
				t.Errorf("%s added %s = %v, want %v", w.name, c.what, c.got, c.want)
			}
		}
	}
	for _, c := range []struct {
		order []string
		want  string
	}{
		{[]string{"baseline"}, "at least two"},
		{[]string{"baseline", "nope"}, `no runs of layer "nope"`},
		{[]string{"baseline", "mesh", "baseline"}, "listed twice"},
	} {
		if _, err := Layers(c.order, rs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.order, err, c.want)
		}
	}
}

func TestReportGolden(t *testing.T) {
	in := Input{
		Experiment: "layers",
		BaseRef:    "main",
		Base: map[string][]*results.Result{
			"baseline": runs("baseline", 6, 10, 20, 0.10),
			"gateway":  runs("gateway", 6, 12, 25, 0.12),
		},
		Current: map[string][]*results.Result{
			"baseline":      runs("baseline", 6, 10, 20, 0.10),
			"gateway":       runs("gateway", 6, 11, 22, 0.11),
			"mesh":          runs("mesh", 6, 15, 33, 0.15),
			"observability": runs("observability", 3, 16, 34, 0.19),
		},
		Layers: []string{"baseline", "gateway", "mesh", "observability"},
	}
	rep, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	// Same input, same bytes (map order must not leak).
	for i := 0; i < 5; i++ {
		rep2, _ := Build(in)
		var b2 bytes.Buffer
		rep2.Markdown(&b2)
		if !bytes.Equal(buf.Bytes(), b2.Bytes()) {
			t.Fatal("report is not deterministic")
		}
	}
	golden.File(t, "testdata/report.golden.md", buf.Bytes())
	out := buf.String()
	for _, s := range []string{"```mermaid\nxychart-beta\n", "| gateway | 6 |", "No baseline for this variant yet"} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

func TestReportLayersMissingRuns(t *testing.T) {
	rep, err := Build(Input{Experiment: "layers", Current: map[string][]*results.Result{"baseline": runs("baseline", 2, 10, 20, 0.1)}, Layers: []string{"baseline", "mesh"}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.Markdown(&b)
	if !strings.Contains(b.String(), "Layers table omitted: no runs of layer \"mesh\".") {
		t.Errorf("report:\n%s", b.String())
	}
}

func TestReportNeedsCurrent(t *testing.T) {
	if _, err := Build(Input{}); err == nil {
		t.Error("empty input accepted")
	}
}
