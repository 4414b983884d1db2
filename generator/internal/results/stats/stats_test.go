package stats

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

func run(rps, p95, errRate float64, costPerM *float64) *results.Result {
	med, p50 := p95/2, p95/2
	p99 := p95 * 1.5
	r := results.New(results.ToolK6, results.UnitRequests)
	r.ThroughputPerS, r.Errors.Rate = rps, &errRate
	r.LatencyMs = results.Latency{Source: results.LatencyToolPercentiles, Per: "request", Med: &med, P95: &p95, P99: &p99}
	_ = p50
	if costPerM != nil {
		r.Cost = &cost.Estimate{PerMillionOperations: costPerM}
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
	rps := rows["throughput"]
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
	if !strings.Contains(buf.String(), "| throughput |") || !strings.Contains(buf.String(), " ~ |") {
		t.Error("table lacks rows or ~")
	}
}

func named(r *results.Result, variant, id string) *results.Result {
	r.Experiment, r.Variant, r.RunID = "exp", variant, id
	return r
}

// Runs must count the same thing; one run counts once per side; runs
// identical but for their ids are flagged.
func TestCompareRefusesAndFlags(t *testing.T) {
	base, cur := sets()
	for i, r := range base {
		named(r, "a", fmt.Sprintf("r%d", i))
	}
	for i, r := range cur {
		named(r, "b", fmt.Sprintf("r%d", i))
	}
	tx := run(5, 1, 0, nil)
	tx.Operations.Unit = results.UnitTransactions
	if _, err := Compare(base, append(cur[:5:5], named(tx, "b", "tx"))); err == nil || !strings.Contains(err.Error(), "exp/a/r0 counts requests but exp/b/tx counts transactions") {
		t.Errorf("mixed units: %v", err)
	}
	if _, err := Compare(append(base[:5:5], base[0]), cur); err == nil || !strings.Contains(err.Error(), "baseline: run exp/a/r0 given twice") {
		t.Errorf("a run twice: %v", err)
	}
	again := *cur[2]
	again.RunID = "r2-again"
	c, err := Compare(base, append(cur[:6:6], &again))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || c.Warnings[0] != "exp/b/r2 and exp/b/r2-again are identical (in the current): one run stored under two ids" {
		t.Errorf("warnings %q", c.Warnings)
	}
	var buf bytes.Buffer
	c.Markdown(&buf)
	if !strings.Contains(buf.String(), "- exp/b/r2 and exp/b/r2-again are identical") {
		t.Errorf("markdown lacks the warning:\n%s", buf.String())
	}
	across := *base[1]
	across.Variant, across.RunID = "b", "copied"
	c, _ = Compare(base, append(cur[:6:6], &across))
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "exp/a/r1 and exp/b/copied are identical (in the baseline and the current set)") {
		t.Errorf("across sides: %q", c.Warnings)
	}
}
