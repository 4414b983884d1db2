package stats

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

func run(rps, p95, errRate float64, costPerM *float64) *results.Result {
	med, p50 := p95/2, p95/2
	p99 := p95 * 1.5
	r := &results.Result{SchemaVersion: results.SchemaVersion, RPS: rps, ErrorRate: &errRate,
		LatencyMs: results.Latency{Med: &med, P95: &p95, P99: &p99}}
	_ = p50
	if costPerM != nil {
		r.Cost = &cost.Estimate{PerMillionRequests: costPerM}
	}
	return r
}

func fp(v float64) *float64 { return &v }

func sets() (base, cur []*results.Result) {
	for i, d := range []float64{0, 1, -1, 0.5, -0.5, 0.2} {
		base = append(base, run(1000+d*10, 50+d, 0.001, fp(0.12+d/1000)))
		// current: 10 % more throughput, same latency spread, error rate
		// interleaved with the baseline (no real change)
		e := 0.001 + []float64{0.0001, -0.0001, 0.0002, -0.0002, 0, 0.00005}[i]
		cur = append(cur, run(1100+d*10, 50+d*1.1, e, fp(0.11+d/1000)))
	}
	return
}

func TestCompare(t *testing.T) {
	base, cur := sets()
	c, err := Compare(base, cur)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]Row{}
	for _, r := range c.Rows {
		rows[r.Metric] = r
	}
	rps := rows["rps"]
	if !rps.Significant || *rps.P > 0.01 || rps.Base.N != 6 || rps.Cur.N != 6 || math.Abs(*rps.DeltaPct-10) > 0.5 || !*rps.Better {
		t.Errorf("rps row %+v (delta %v p %v)", rps, *rps.DeltaPct, *rps.P)
	}
	if rps.Base.Median != 1001 || !(rps.Base.Lo <= rps.Base.Median && rps.Base.Median <= rps.Base.Hi) {
		t.Errorf("rps base %+v", rps.Base)
	}
	if p95 := rows["p95 latency"]; p95.Significant {
		t.Errorf("p95 latency did not move but is significant: p=%v", *p95.P)
	}
	if er := rows["error rate"]; er.Significant {
		t.Errorf("error rate significant: p=%v", *er.P)
	}
	if cr := rows["cost per 1M requests"]; !cr.Significant || *cr.Better != true {
		t.Errorf("cost row %+v", cr)
	}
}

// Rows whose figure no run has are left out; a one-sided figure is n/a.
func TestCompareMissingFigures(t *testing.T) {
	base, cur := sets()
	for _, r := range append(base, cur...) {
		r.Cost = nil
	}
	for _, r := range base {
		r.LatencyMs.P99 = nil
	}
	c, err := Compare(base, cur)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Rows {
		if r.Metric == "cost per 1M requests" {
			t.Error("cost row without cost")
		}
		if r.Metric == "p99 latency" && (r.Base != nil || r.P != nil) {
			t.Errorf("p99 row %+v", r)
		}
	}
	if _, err := Compare(nil, cur); err == nil {
		t.Error("empty baseline accepted")
	}
}

func TestMarkdownGolden(t *testing.T) {
	base, cur := sets()
	c, err := Compare(base, cur)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	// Three runs per side: too few for the CI, warned about.
	small, err := Compare(base[:3], cur[:3])
	if err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\n---\n\n")
	if err := small.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/compare.golden.md", buf.Bytes())
	if !strings.Contains(buf.String(), "| rps |") || !strings.Contains(buf.String(), " ~ |") {
		t.Error("table lacks rows or ~")
	}
}
