package results

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func good() *Result {
	vus := int64(10)
	return &Result{
		SchemaVersion: SchemaVersion, SourceFormat: FormatSummary, LoadGenerators: 1,
		Requests: 3000, DurationS: 30.2, RPS: 99.3, ErrorRate: f(0.001), Iterations: 3000, VUsMax: &vus,
		LatencyMs: Latency{Avg: f(12), Min: f(1), Med: f(10), Max: f(200), P90: f(20), P95: f(30), P99: f(80)},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Result)
		exp    Expect
		want   []string
	}{
		{"good", func(*Result) {}, Expect{Duration: 30 * time.Second, MaxErrorRate: f(0.01)}, nil},
		{"zero requests", func(r *Result) { r.Requests = 0 }, Expect{}, []string{"zero requests"}},
		{"too short", func(r *Result) { r.DurationS = 20 }, Expect{Duration: 30 * time.Second}, []string{"shorter than the declared 30s"}},
		{"within slack", func(r *Result) { r.DurationS = 29.5 }, Expect{Duration: 30 * time.Second}, nil},
		{"custom slack", func(r *Result) { r.DurationS = 29.5 }, Expect{Duration: 30 * time.Second, DurationSlack: 100 * time.Millisecond}, []string{"shorter"}},
		{"dropped", func(r *Result) { r.DroppedIterations = 3 }, Expect{}, []string{"3 dropped iterations"}},
		{"error rate", func(r *Result) { r.ErrorRate = f(0.2) }, Expect{MaxErrorRate: f(0.01)}, []string{"error rate 0.2 is above the maximum 0.01"}},
		{"error rate unknown", func(r *Result) { r.ErrorRate = nil }, Expect{MaxErrorRate: f(0.01)}, []string{"error rate unknown"}},
		{"NaN", func(r *Result) { r.LatencyMs.P95 = f(math.NaN()) }, Expect{}, []string{"latency_ms.p95 is NaN"}},
		{"Inf", func(r *Result) { r.RPS = math.Inf(1) }, Expect{}, []string{"rps is +Inf"}},
		{"negative", func(r *Result) { r.DurationS = -1 }, Expect{}, []string{"duration_s is negative"}},
		{"negative count", func(r *Result) { r.DataSentBytes = -5 }, Expect{}, []string{"data_sent_bytes is negative"}},
		{"non-monotone", func(r *Result) { r.LatencyMs.P99 = f(5) }, Expect{}, []string{"latency_ms.p99 (5) is below latency_ms.p95 (30)"}},
		{"avg outside", func(r *Result) { r.LatencyMs.Avg = f(500) }, Expect{}, []string{"avg (500) is outside"}},
		{"bad version", func(r *Result) { r.SchemaVersion = 9 }, Expect{}, []string{"schema_version is 9"}},
		{"bad format", func(r *Result) { r.SourceFormat = "xml" }, Expect{}, []string{`unknown source_format "xml"`}},
		{"every problem at once", func(r *Result) { r.Requests = 0; r.DroppedIterations = 1; r.ErrorRate = f(0.5) }, Expect{MaxErrorRate: f(0.1)},
			[]string{"zero requests", "1 dropped", "above the maximum"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.mutate(r)
			err := Validate(r, tc.exp)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want ValidationError, got %v", err)
			}
			if len(ve.Problems) != len(tc.want) {
				t.Errorf("problems %q, want %d", ve.Problems, len(tc.want))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

func named(id string) *Result {
	r := good()
	r.Experiment, r.Variant, r.RunID = "exp", "var", id
	return r
}

func TestStoreAppendOnly(t *testing.T) {
	dir := t.TempDir()
	p, err := Store(dir, named("r1"), Expect{})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "exp", "var", "r1.json"); p != want {
		t.Fatalf("path %s, want %s", p, want)
	}
	before, _ := os.ReadFile(p)
	other := named("r1")
	other.Requests = 1
	if _, err := Store(dir, other, Expect{}); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("overwrite: %v", err)
	}
	after, _ := os.ReadFile(p)
	if string(before) != string(after) {
		t.Fatal("existing result changed")
	}
	back, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if back.Requests != 3000 || back.RunID != "r1" {
		t.Errorf("round trip %+v", back)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}

// Concurrent stores of one run id: exactly one wins.
func TestStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Store(dir, named("same"), Expect{}); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d stores won", wins)
	}
}

func TestStoreRefuses(t *testing.T) {
	dir := t.TempDir()
	bad := named("r1")
	bad.Requests = 0
	if _, err := Store(dir, bad, Expect{}); err == nil || !strings.Contains(err.Error(), "zero requests") {
		t.Fatalf("invalid run stored: %v", err)
	}
	for _, id := range []string{"", "../x", "a/b", ".hidden", "a..b"} {
		if _, err := Store(dir, named(id), Expect{}); err == nil {
			t.Errorf("run id %q accepted", id)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused stores wrote %v", entries)
	}
}

func TestDecodeStrict(t *testing.T) {
	b, _ := MarshalIndent(named("r"))
	if _, err := Decode(b, "ok.json"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, data, want string }{
		{"unknown field", strings.Replace(string(b), `"requests"`, `"bogus": 1, "requests"`, 1), "unknown field"},
		{"other version", strings.Replace(string(b), `"schema_version": 1`, `"schema_version": 2`, 1), "schema_version 2"},
		{"truncated", string(b[:len(b)/2]), "x.json"},
		{"trailing", string(b) + "{}", "trailing data"},
	} {
		if _, err := Decode([]byte(c.data), "x.json"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
