package benchlocal

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// fixture is a fixed run set: two runtimes, three endpoints, three
// repetitions whose figures differ so that medians are visible.
func fixture(t *testing.T) ReportInput {
	t.Helper()
	m := cost.Model{CPUCoreHour: 0.031611, RAMGiBHour: 0.004237, StorageGiBMonth: 0.04, Currency: "USD"}
	var rs []*results.Result
	for ri, rt := range []string{"node", "go"} {
		for ei, ep := range []string{"health", "compute", "database"} {
			for rep := 1; rep <= 3; rep++ {
				k := int64(1 + ri*3 + ei + rep)
				ms := &Measurement{
					Requests: 1000, Expected: 1000, Elapsed: 5*time.Second + time.Duration(k)*time.Millisecond,
					StatusCodes: map[int]int64{200: 1000 - k%2, 503: k % 2}, Errors: map[string]int64{},
					BytesIn: 17000, BytesOut: 9000,
					Latency: LatencyUs{Count: 1000, Min: 100 + k, Max: 20000 + 1000*k, Mean: 600 + 10*float64(k),
						P50: 400 + 10*k, P90: 800 + 20*k, P95: 1000 + 30*k, P99: 3000 + 100*k},
					Usage: &RunUsage{CPUSeconds: 0.3 + 0.05*float64(k) + 0.2*float64(ri), PeakRSSBytes: (10 + 50*int64(ri) + k) << 20},
				}
				r, err := ToResult(RunMeta{Runtime: rt, Endpoint: ep, RunID: RunID(time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC), rep), Rate: 200, Duration: 5 * time.Second, ComputeN: 1000}, ms, m)
				if err != nil {
					t.Fatal(err)
				}
				rs = append(rs, r)
			}
		}
	}
	return ReportInput{
		Settings: Settings{Rate: 200, Duration: 5 * time.Second, Warmup: 2 * time.Second, Repetitions: 3, ColdStarts: 3, ComputeN: 1000,
			Machine: "fixture machine, 2 cores"},
		Model: m,
		Runtimes: []RuntimeInfo{
			{Name: "go", Toolchain: "go 1.26.8", ColdStartsMs: []float64{4.2, 3.9, 12.5}, AppBytes: 10_580_000},
			{Name: "node", Toolchain: "node 24.21.0", ColdStartsMs: []float64{210, 190.5, 250, 199}, AppBytes: 1_040_000, RuntimeBytes: 126_600_000},
		},
		Results: rs,
		Refused: []Refusal{{Variant: "node-database", RunID: "20261126T070000Z-r4", Reason: "refusing result: 1 problem(s):\n  - error rate 0.2 is above the maximum 0.01"}},
	}
}

func TestRenderGolden(t *testing.T) {
	in := fixture(t)
	var a, b bytes.Buffer
	if err := Render(&a, in); err != nil {
		t.Fatal(err)
	}
	// Input order does not matter.
	rev := in
	rev.Results = append([]*results.Result(nil), in.Results...)
	for i, j := 0, len(rev.Results)-1; i < j; i, j = i+1, j-1 {
		rev.Results[i], rev.Results[j] = rev.Results[j], rev.Results[i]
	}
	if err := Render(&b, rev); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("report depends on the order of the results")
	}
	golden.File(t, filepath.Join("testdata", "report.golden.md"), a.Bytes())
}

func TestAggregate(t *testing.T) {
	in := fixture(t)
	rows, err := Aggregate(in.Results, []string{"go", "node"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	// Endpoints in API order, runtimes in the given order.
	order := []string{"go-health", "node-health", "go-compute", "node-compute", "go-database", "node-database"}
	for i, r := range rows {
		if Variant(r.Runtime, r.Endpoint) != order[i] {
			t.Errorf("row %d = %s, want %s", i, Variant(r.Runtime, r.Endpoint), order[i])
		}
	}
	// go health: k = 4 + rep (ri=1, ei=0) → 5, 6, 7: median p99 3600 µs,
	// CPU 0.5 + 0.05k → median 0.8 s per 1000 requests.
	g := rows[0]
	if g.N != 3 || *g.P99 != 3.6 || *g.P50 != 0.46 || *g.Max != 27 || g.Failed != 2 || g.Requests != 3000 {
		t.Errorf("go health = n %d p99 %v p50 %v max %v failed %d/%d", g.N, *g.P99, *g.P50, *g.Max, g.Failed, g.Requests)
	}
	if c := *g.CPUPer1k; c < 0.7999 || c > 0.8001 {
		t.Errorf("go health CPU s per 1k = %v, want 0.8", c)
	}
	if *g.PeakRSSBytes != float64(66<<20) {
		t.Errorf("go health peak RSS = %v, want 66 MiB", *g.PeakRSSBytes)
	}

	if _, err := Aggregate([]*results.Result{{Variant: "nodash"}}, nil); err == nil {
		t.Error("a variant without <runtime>-<endpoint> was accepted")
	}
}

func TestMedianAndNum(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}}
	for _, tt := range tests {
		if got := *median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if median(nil) != nil {
		t.Error("median(nil) is not nil")
	}
	for v, want := range map[float64]string{0: "0", 1234.6: "1235", 0.0015984: "0.001598", 12.345678: "12.35", 3.1: "3.1"} {
		if got := format.Number(v); got != want {
			t.Errorf("format.Number(%v) = %s, want %s", v, got, want)
		}
	}
}
