package report

import (
	"bytes"
	"fmt"
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
	j := float64(i%3)*0.01 + float64(i/3)*0.001 // small, deterministic spread, no two runs alike
	r := results.New(results.ToolK6, results.UnitRequests)
	r.Experiment, r.Variant, r.RunID = "layers", variant, fmt.Sprintf("r%d", i)
	r.SourceFormat, r.Operations.Count, r.DurationS, r.ThroughputPerS = results.FormatSummary, 1_000_000, 600, 1000*(1+j)
	iters := int64(500_000)
	r.Iterations = &iters
	r.LatencyMs = results.Latency{Source: results.LatencyToolPercentiles, Per: "request", Med: f(p50 * (1 + j)), P95: f(p99 * 0.8 * (1 + j)), P99: f(p99 * (1 + j))}
	r.Errors.Rate = f(0)
	r.Metrics = map[string]results.MetricValue{"cpu_cores": {Value: costPerM * 10 * (1 + j), Unit: "cores", Aggregation: "avg", Query: "q"}}
	total := costPerM * (1 + j)
	e := cost.Estimate{Currency: "USD", Method: "workload", Hours: 600.0 / 3600, Total: total, MonthlyProjection: total / (600.0 / 3600) * 730}
	r.Cost = &e
	r.Cost = func() *cost.Estimate { x := e.WithUnits(r.CostUnits()); return &x }()
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
	// Medians of (1, 1.01, 1.02, 1.001, 1.011, 1.021) are 1.0105 times the base.
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
		}{{"p50", *l.AddedP50Ms, w.addP50 * 1.0105}, {"p99", *l.AddedP99Ms, w.addP99 * 1.0105}, {"cost", *l.AddedCostPerMillion, w.addCost * 1.0105}} {
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
			"baseline":      current(runs("baseline", 6, 10.01, 20.01, 0.10)),
			"gateway":       current(runs("gateway", 6, 11, 22, 0.11)),
			"mesh":          current(runs("mesh", 6, 15, 33, 0.15)),
			"observability": current(runs("observability", 3, 16, 34, 0.19)),
		},
		Layers: []string{"baseline", "gateway", "mesh", "observability"},
		Plots:  true,
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
	files := map[string][]byte{}
	for _, p := range rep.Plots {
		files[p.File] = p.SVG
	}
	golden.Dir(t, "testdata/report-plots", files)
	out := buf.String()
	for _, s := range []string{"```mermaid\nxychart-beta\n", "| gateway | 6 |", "No baseline for this variant yet",
		"![layers: latency by percentile](plots/latency.svg)\n",
		"![layers: p99 latency against monthly cost, Pareto frontier](plots/tradeoff.svg)\n",
		"![layers/gateway: p99 latency over the stored runs, change points marked](plots/trend-gateway-p99-latency.svg)\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

// current renames runs as new ones (the base branch has r0..r5).
func current(rs []*results.Result) []*results.Result {
	for i, r := range rs {
		r.RunID = fmt.Sprintf("c%d", i)
	}
	return rs
}

// A current run identical to a stored one (the same output stored under a
// new id) is flagged in the report's warnings.
func TestReportFlagsIdenticalRuns(t *testing.T) {
	base := runs("gateway", 6, 12, 25, 0.12)
	cur := current(runs("gateway", 6, 11, 22, 0.11))
	copied := *base[3]
	copied.RunID = "c9"
	rep, err := Build(Input{Experiment: "layers", Base: map[string][]*results.Result{"gateway": base}, Current: map[string][]*results.Result{"gateway": append(cur, &copied)}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.Markdown(&b)
	if !strings.Contains(b.String(), "- gateway: layers/gateway/r3 and layers/gateway/c9 are identical (in the baseline and the current set): one run stored under two ids") {
		t.Errorf("report:\n%s", b.String())
	}
	twice := append(current(runs("gateway", 6, 11, 22, 0.11)), cur[0])
	twice[6] = &copied
	copied.RunID = "c0"
	if _, err := Build(Input{Experiment: "layers", Current: map[string][]*results.Result{"gateway": twice}}); err == nil || !strings.Contains(err.Error(), "variant gateway: current: run layers/gateway/c0 given twice") {
		t.Errorf("a run twice: %v", err)
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

// A pgbench experiment: rows and the layers table in transactions.
func TestReportOtherUnit(t *testing.T) {
	tx := func(variant string, n int) []*results.Result {
		rs := runs(variant, n, 5, 9, 0.2)
		for _, r := range rs {
			r.Tool.Name, r.Operations.Unit, r.Iterations = results.ToolPgbench, results.UnitTransactions, nil
			e := r.Cost.WithUnits(r.CostUnits())
			r.Cost = &e
		}
		return rs
	}
	rep, err := Build(Input{Experiment: "db", Current: map[string][]*results.Result{"pg": tx("pg", 6), "pgbouncer": tx("pgbouncer", 6)}, Layers: []string{"pg", "pgbouncer"}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.Markdown(&b)
	for _, want := range []string{"| throughput | — | 1010 transactions/s", "| cost per 1M transactions | — |", "| cost per transaction | — | 2.021e-07 USD", "| layer | runs | p50 | p99 | cost per 1M transactions |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// The report links its plots where the caller keeps them; without Plots
// it draws none and has no Plots section.
func TestReportPlotLinks(t *testing.T) {
	in := Input{Experiment: "layers", Current: map[string][]*results.Result{"a": runs("a", 6, 10, 20, 0.1), "b": runs("b", 2, 12, 25, 0.2)}, Plots: true}
	rep, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range rep.Plots {
		names = append(names, p.File)
	}
	if got := strings.Join(names, " "); got != "latency.svg tradeoff.svg trend-a-p99-latency.svg trend-b-p99-latency.svg" {
		t.Errorf("plots %s", got)
	}
	rep.PlotLink = func(file string) string {
		return "https://forge.example.test/o/r/raw/abc/benchmarks/results/layers/plots/" + file
	}
	var b bytes.Buffer
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(https://forge.example.test/o/r/raw/abc/benchmarks/results/layers/plots/tradeoff.svg)") || !strings.Contains(b.String(), "```mermaid") {
		t.Errorf("report:\n%s", b.String())
	}
	in.Plots = false
	rep, err = Build(in)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	rep.Markdown(&b)
	if len(rep.Plots) != 0 || strings.Contains(b.String(), "### Plots") {
		t.Errorf("plots drawn unasked: %d", len(rep.Plots))
	}
}
