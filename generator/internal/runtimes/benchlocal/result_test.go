package benchlocal

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

func measurement(requests int64, codes map[int]int64, cpu float64, rss int64) *Measurement {
	return &Measurement{
		Requests: requests, Expected: 1000, Elapsed: 5 * time.Second,
		StatusCodes: codes, Errors: map[string]int64{},
		BytesIn: requests * 100, BytesOut: requests * 50,
		Latency: LatencyUs{Count: requests, Min: 200, Max: 9000, Mean: 700, P50: 500, P90: 900, P95: 1200, P99: 4000},
		Usage:   &RunUsage{CPUSeconds: cpu, PeakRSSBytes: rss, Samples: 52},
	}
}

func TestToResult(t *testing.T) {
	m := cost.Model{CPUCoreHour: 0.036, RAMGiBHour: 0.0036, Currency: "USD"}
	meta := RunMeta{Runtime: "go", Endpoint: "json", RunID: "20261126T073000Z-r1", Rate: 200, Duration: 5 * time.Second, ComputeN: 1000}
	r, err := ToResult(meta, measurement(1000, map[int]int64{200: 1000}, 0.5, 1<<30), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := results.Validate(r, results.Expect{Duration: 5 * time.Second}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if r.Experiment != "runtime-comparison" || r.Variant != "go-json" || r.RunID != meta.RunID || r.SourceFormat != results.FormatVegeta {
		t.Errorf("identity = %s/%s/%s (%s)", r.Experiment, r.Variant, r.RunID, r.SourceFormat)
	}
	if r.Operations.Count != 1000 || r.ThroughputPerS != 200 || r.DurationS != 5 || *r.Errors.Rate != 0 || r.Dropped != 0 {
		t.Errorf("requests %d rps %v duration %v error rate %v dropped %d", r.Operations.Count, r.ThroughputPerS, r.DurationS, *r.Errors.Rate, r.Dropped)
	}
	if *r.LatencyMs.Med != 0.5 || *r.LatencyMs.P99 != 4 || *r.LatencyMs.Max != 9 || *r.LatencyMs.Avg != 0.7 {
		t.Errorf("latency = med %v p99 %v max %v avg %v", *r.LatencyMs.Med, *r.LatencyMs.P99, *r.LatencyMs.Max, *r.LatencyMs.Avg)
	}
	// 0.5 CPU s over 5 s = 0.1 core, 1 GiB peak, for 5 s:
	// (0.1 × 0.036 + 1 × 0.0036) × 5/3600 = 1e-5, over 1000 requests.
	wantTotal := (0.1*0.036 + 0.0036) * 5 / 3600
	if r.Cost == nil || math.Abs(r.Cost.Total-wantTotal) > 1e-15 {
		t.Fatalf("cost = %+v, want total %v", r.Cost, wantTotal)
	}
	if got, want := *r.Cost.PerMillionOperations, wantTotal/1000*1e6; math.Abs(got-want) > 1e-12 {
		t.Errorf("per 1M = %v, want %v", got, want)
	}
	if !contains(r.Notes, "status 200: 1000 requests") {
		t.Errorf("notes = %q", r.Notes)
	}
	b, err := results.MarshalIndent(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := results.Decode(b, "r.json")
	if err != nil || back.Variant != "go-json" {
		t.Fatalf("round trip: %v", err)
	}
}

func TestToResultRefusals(t *testing.T) {
	m := cost.Model{CPUCoreHour: 0.036, RAMGiBHour: 0.0036, Currency: "USD"}
	meta := RunMeta{Runtime: "node", Endpoint: "database", RunID: "x-r1", Rate: 200, Duration: 5 * time.Second}
	maxErr := 0.01
	exp := results.Expect{Duration: 5 * time.Second, MaxErrorRate: &maxErr}
	tests := []struct {
		name string
		ms   *Measurement
		want string
	}{
		{"errors above threshold", measurement(1000, map[int]int64{200: 900, 503: 90, 0: 10}, 0.5, 1<<26), "error rate 0.1 is above the maximum 0.01"},
		{"rate not held", measurement(900, map[int]int64{200: 900}, 0.5, 1<<26), "100 dropped iterations"},
		{"no requests", &Measurement{Expected: 1000, StatusCodes: map[int]int64{}}, "zero requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ToResult(meta, tt.ms, m)
			if err != nil {
				t.Fatal(err)
			}
			err = results.Validate(r, exp)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
	// Within 1% of rate × duration is not a drop (the last tick races the end).
	r, _ := ToResult(meta, measurement(995, map[int]int64{200: 995}, 0.5, 1<<26), m)
	if r.Dropped != 0 {
		t.Errorf("995 of 1000: dropped %d", r.Dropped)
	}
	if r.Checks.Fails != 0 {
		t.Errorf("fails %d", r.Checks.Fails)
	}
	r, _ = ToResult(meta, measurement(1000, map[int]int64{200: 990, 404: 7, 0: 3}, 0.5, 1<<26), m)
	if r.Checks.Fails != 10 || *r.Errors.Rate != 0.01 {
		t.Errorf("fails %d error rate %v, want 10 and 0.01", r.Checks.Fails, *r.Errors.Rate)
	}
	if !contains(r.Notes, "no answer (transport error or timeout): 3 requests") || !contains(r.Notes, "status 404: 7 requests") {
		t.Errorf("notes = %q", r.Notes)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
