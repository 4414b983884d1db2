package scaleup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func at(s float64, desired, ready int32) Sample {
	return Sample{Time: t0.Add(time.Duration(s * float64(time.Second))), Desired: desired, Ready: ready}
}

func secs(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestAnalyze(t *testing.T) {
	// One replica, the load from 10s to 70s: the autoscaler asks for 4 at
	// 25s, they are ready one by one until 41s, and it scales back at 100s.
	samples := []Sample{
		at(90, 4, 4), // out of order on purpose
		at(0, 1, 1), at(25, 4, 1), at(30, 4, 2), at(35, 4, 3), at(41, 4, 4),
		at(100, 1, 3), at(103, 1, 1),
	}
	r, err := Analyze(samples, Options{LoadStart: secs(10), LoadEnd: secs(70)})
	if err != nil {
		t.Fatal(err)
	}
	if r.BaselineReplicas != 1 || r.TargetReplicas != 4 || r.MaxReady != 4 {
		t.Errorf("baseline %d, target %d, max %d; want 1, 4, 4", r.BaselineReplicas, r.TargetReplicas, r.MaxReady)
	}
	if r.TimeToTargetSeconds == nil || *r.TimeToTargetSeconds != 31 {
		t.Errorf("time to 4 ready %v, want 31s (41s - 10s)", r.TimeToTargetSeconds)
	}
	if r.TimeToBaselineSeconds == nil || *r.TimeToBaselineSeconds != 33 {
		t.Errorf("time back to 1 %v, want 33s (103s - 70s)", r.TimeToBaselineSeconds)
	}
	if !r.Samples[0].Time.Equal(secs(0)) {
		t.Error("samples are not sorted")
	}

	// Time to 3 of the 4.
	r, err = Analyze(samples, Options{LoadStart: secs(10), LoadEnd: secs(70), Target: 3})
	if err != nil || *r.TimeToTargetSeconds != 25 {
		t.Errorf("time to 3 ready: %v (%v), want 25s", r.TimeToTargetSeconds, err)
	}
	// Never reached 6: no times, the rest still measured.
	r, err = Analyze(samples, Options{LoadStart: secs(10), LoadEnd: secs(70), Target: 6})
	if err != nil || r.TimeToTargetSeconds != nil || r.TimeToBaselineSeconds != nil || r.MaxReady != 4 {
		t.Errorf("target 6: %+v (%v), want no times", r, err)
	}
	// Scaled from zero (KEDA): the baseline given, not read.
	zero := int32(0)
	r, err = Analyze([]Sample{at(0, 0, 0), at(12, 1, 0), at(20, 1, 1), at(200, 0, 0)}, Options{LoadStart: secs(10), LoadEnd: secs(60), Baseline: &zero})
	if err != nil || *r.TimeToTargetSeconds != 10 || *r.TimeToBaselineSeconds != 140 {
		t.Errorf("from zero: %+v (%v)", r, err)
	}
	// The window ended before it scaled back.
	r, err = Analyze(samples[:6], Options{LoadStart: secs(10), LoadEnd: secs(70)})
	if err != nil || r.TimeToBaselineSeconds != nil {
		t.Errorf("no way back in the samples: %v (%v)", r.TimeToBaselineSeconds, err)
	}
}

func TestAnalyzeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples []Sample
		o       Options
		want    string
	}{
		{"no samples", nil, Options{LoadStart: secs(0), LoadEnd: secs(1)}, "no samples"},
		{"no window", []Sample{at(0, 1, 1)}, Options{LoadStart: secs(10), LoadEnd: secs(5)}, "is not a window"},
		{"samples after the start", []Sample{at(20, 1, 1)}, Options{LoadStart: secs(10), LoadEnd: secs(30)}, "the replicas at the start are unknown"},
		{"nothing scaled", []Sample{at(0, 2, 2), at(50, 2, 2)}, Options{LoadStart: secs(10), LoadEnd: secs(30)}, "nothing scaled up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Analyze(tc.samples, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFromSeries(t *testing.T) {
	ready := []Point{{secs(0), 1}, {secs(15), 1}, {secs(30), 3}, {secs(45), 3}}
	desired := []Point{{secs(0), 1}, {secs(15), 3}}
	got := FromSeries(ready, desired, "kube_deployment_status_replicas_ready")
	if len(got) != 4 || got[1].Desired != 3 || got[0].Desired != 1 || got[2].Ready != 3 || got[3].Observed != "kube_deployment_status_replicas_ready" {
		t.Errorf("samples %+v", got)
	}
	r, err := Analyze(got, Options{LoadStart: secs(5), LoadEnd: secs(40)})
	if err != nil || *r.TimeToTargetSeconds != 25 {
		t.Errorf("%+v (%v)", r, err)
	}
}

func TestStoreAppendOnly(t *testing.T) {
	r, err := Analyze([]Sample{at(0, 1, 1), at(20, 3, 3), at(80, 1, 1)}, Options{LoadStart: secs(10), LoadEnd: secs(60)})
	if err != nil {
		t.Fatal(err)
	}
	r.Experiment, r.Variant, r.RunID = "scale-up-time", "shared", "r1"
	r.Target = Target{Kind: "Deployment", Namespace: "scale-up-time", Name: "runtime-api"}
	dir := t.TempDir()
	p, err := Store(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "scale-up-time", "shared", "r1.scaleup.json"); p != want {
		t.Errorf("stored at %s, want %s", p, want)
	}
	back, err := Load(p)
	if err != nil || *back.TimeToTargetSeconds != 10 || len(back.Samples) != 3 || back.Target.Name != "runtime-api" {
		t.Errorf("round trip: %+v (%v)", back, err)
	}
	if _, err := Store(dir, r); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("second store: %v, want refused", err)
	}
	bad := *r
	bad.RunID = "../x"
	if _, err := Store(dir, &bad); err == nil {
		t.Error("a run id leaving the folder was stored")
	}
	if err := os.WriteFile(filepath.Join(dir, "v2.json"), []byte(`{"schemaVersion": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "v2.json")); err == nil {
		t.Error("loaded another schema version")
	}
}
