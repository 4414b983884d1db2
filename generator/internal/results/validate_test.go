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
func n(v int64) *int64     { return &v }

func good() *Result {
	r := New(ToolK6, UnitRequests)
	r.SetSources([]Source{{File: "summary.json", Format: FormatSummary, SHA256: strings.Repeat("a", 64), Bytes: n(1000)}})
	r.LoadGenerators = 1
	r.Operations.Count = 3000
	r.DurationS = 30.2
	r.SetThroughput()
	r.Errors = Errors{Count: n(3), Rate: f(0.001)}
	r.Iterations = n(3000)
	r.Clients = n(10)
	r.LatencyMs = Latency{Source: LatencyToolPercentiles, Per: "request", Avg: f(12), Min: f(1), Med: f(10), Max: f(200), P90: f(20), P95: f(30), P99: f(80)}
	r.Checks = &Checks{}
	return r
}

func TestValidate(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name   string
		mutate func(*Result)
		exp    Expect
		want   []string
	}{
		{"good", func(*Result) {}, Expect{Duration: 30 * time.Second, MaxErrorRate: f(0.01)}, nil},
		{"zero operations", func(r *Result) { r.Operations.Count = 0; r.Errors.Count = nil }, Expect{}, []string{"zero requests: the run did no work"}},
		{"negative operations", func(r *Result) { r.Operations.Count = -1; r.Errors.Count = nil }, Expect{}, []string{"operations.count is negative"}},
		{"unknown unit", func(r *Result) { r.Operations.Unit = "widgets" }, Expect{}, []string{`operations.unit "widgets" is not one of`}},
		{"short of the target", func(r *Result) { r.Operations.Target = n(4000) }, Expect{}, []string{"3000 of the 4000 requests the tool was told to run: the run stopped early"}},
		{"target met", func(r *Result) { r.Operations.Target = n(3000) }, Expect{}, nil},
		{"aborted clients", func(r *Result) { r.AbortedClients = n(2) }, Expect{}, []string{"2 aborted client(s): the run is incomplete"}},
		{"no aborted clients", func(r *Result) { r.AbortedClients = n(0) }, Expect{}, nil},
		{"tool errors", func(r *Result) { r.ToolErrors = []string{"Error from server: ERR x"} }, Expect{}, []string{"the tool reported an error: Error from server: ERR x"}},
		{"too short", func(r *Result) { r.DurationS = 20; r.SetThroughput() }, Expect{Duration: 30 * time.Second}, []string{"shorter than the declared 30s"}},
		{"within slack", func(r *Result) { r.DurationS = 29.5; r.SetThroughput() }, Expect{Duration: 30 * time.Second}, nil},
		{"custom slack", func(r *Result) { r.DurationS = 29.5; r.SetThroughput() }, Expect{Duration: 30 * time.Second, DurationSlack: 100 * time.Millisecond}, []string{"shorter"}},
		{"absurdly short", func(r *Result) { r.DurationS = 1e-303; r.ThroughputPerS = 3e306 }, Expect{}, []string{"duration_s 1e-303 is below 0.001 s: the run measured nothing"}},
		{"below a millisecond", func(r *Result) { r.DurationS = 0.0009; r.SetThroughput() }, Expect{}, []string{"below 0.001 s"}},
		{"zero duration", func(r *Result) { r.DurationS = 0; r.ThroughputPerS = 0 }, Expect{}, []string{"duration_s 0 is below"}},
		{"longer than a year", func(r *Result) { r.DurationS = 4e7; r.SetThroughput() }, Expect{}, []string{"duration_s 4e+07 is above a year"}},
		{"throughput mismatch", func(r *Result) { r.ThroughputPerS = 1000 }, Expect{}, []string{"throughput_per_s 1000 is not operations.count / duration_s"}},
		{"dropped", func(r *Result) { r.Dropped = 3 }, Expect{}, []string{"3 dropped iterations"}},
		{"skipped", func(r *Result) {
			r.Tool.Name = ToolPgbench
			r.Dropped = 3
			r.Sources = nil
			r.SourceFormat = "output"
			r.Operations.Unit = UnitTransactions
		}, Expect{}, []string{"3 skipped transactions"}},
		{"error rate", func(r *Result) { r.Errors.Rate = f(0.2) }, Expect{MaxErrorRate: f(0.01)}, []string{"error rate 0.2 is above the maximum 0.01"}},
		{"error rate unknown", func(r *Result) { r.Errors = Errors{} }, Expect{MaxErrorRate: f(0.01)}, []string{"error rate unknown"}},
		{"error count above operations", func(r *Result) { r.Errors.Count = n(3001) }, Expect{}, []string{"errors.count 3001 is above operations.count 3000"}},
		{"error rate above 1", func(r *Result) { r.Errors.Rate = f(1.5) }, Expect{}, []string{"errors.rate 1.5 is above 1"}},
		{"NaN", func(r *Result) { r.LatencyMs.P95 = f(math.NaN()) }, Expect{}, []string{"latency_ms.p95 is NaN"}},
		{"Inf", func(r *Result) { r.ThroughputPerS = math.Inf(1) }, Expect{}, []string{"throughput_per_s is +Inf"}},
		{"negative duration", func(r *Result) { r.DurationS = -1; r.ThroughputPerS = 0 }, Expect{}, []string{"duration_s is negative"}},
		{"negative bytes", func(r *Result) { r.Bytes.Out = n(-5) }, Expect{}, []string{"bytes.out is negative"}},
		{"non-monotone", func(r *Result) { r.LatencyMs.P99 = f(5) }, Expect{}, []string{"latency_ms.p99 (5) is below latency_ms.p95 (30)"}},
		{"p999 below p99", func(r *Result) { r.LatencyMs.P999 = f(50) }, Expect{}, []string{"latency_ms.p999 (50) is below latency_ms.p99 (80)"}},
		{"avg outside", func(r *Result) { r.LatencyMs.Avg = f(500) }, Expect{}, []string{"avg (500) is outside"}},
		{"figures without a source", func(r *Result) { r.LatencyMs.Source = LatencyNone }, Expect{}, []string{"latency_ms.source is none but it has figures"}},
		{"a source without figures", func(r *Result) { r.LatencyMs = Latency{Source: LatencyHistogram, Per: "request"} }, Expect{}, []string{"latency_ms.source is histogram but every figure is null"}},
		{"unknown latency source", func(r *Result) { r.LatencyMs.Source = "guess" }, Expect{}, []string{`latency_ms.source "guess" is not one of`}},
		{"latency without per", func(r *Result) { r.LatencyMs.Per = "" }, Expect{}, []string{`latency_ms.per "" does not say what one sample times`}},
		{"bad version", func(r *Result) { r.SchemaVersion = 9 }, Expect{}, []string{"schema_version is 9"}},
		{"unknown tool", func(r *Result) { r.Tool.Name = "ab" }, Expect{}, []string{`unknown tool "ab"`}},
		{"empty tool version", func(r *Result) { r.Tool.Version = s("") }, Expect{}, []string{"tool.version is empty"}},
		{"format of another tool", func(r *Result) { r.Sources[0].Format = "json+"; r.SourceFormat = "json+" }, Expect{}, []string{`source summary.json: format "json+" is not one of k6's`}},
		{"source format mismatch", func(r *Result) { r.SourceFormat = FormatNDJSON }, Expect{}, []string{`source_format "ndjson" does not match the sources' formats ("summary")`}},
		{"bad digest", func(r *Result) { r.Sources[0].SHA256 = "xyz" }, Expect{}, []string{`sha256 "xyz" is not a hex SHA-256`}},
		{"no load generator", func(r *Result) { r.LoadGenerators = 0 }, Expect{}, []string{"load_generators is 0"}},
		{"started in 1970", func(r *Result) { r.StartedAt = s("1970-01-01T00:00:00Z") }, Expect{}, []string{"started_at: 1970-01-01T00:00:00Z is outside the years 2000-2199"}},
		{"ended in 2300", func(r *Result) { r.EndedAt = s("2300-01-01T00:00:00Z") }, Expect{}, []string{"ended_at: 2300-01-01T00:00:00Z is outside"}},
		{"ended before it started", func(r *Result) { r.StartedAt, r.EndedAt = s("2026-01-01T00:00:10Z"), s("2026-01-01T00:00:00Z") }, Expect{}, []string{"is before started_at"}},
		{"window in 1999", func(r *Result) {
			r.Run = &RunInfo{WindowStart: "1999-12-31T23:59:59Z", WindowEnd: "2026-01-01T00:00:00Z"}
		}, Expect{}, []string{"run.window_start: 1999-12-31T23:59:59Z is outside"}},
		{"bad manifests digest", func(r *Result) { r.ManifestsDigest = "md5:abc" }, Expect{}, []string{`manifests_digest "md5:abc" is not sha256:<64 hex digits>`}},
		{"good digests", func(r *Result) {
			r.ManifestsDigest, r.PriceSheetDigest = "sha256:"+strings.Repeat("0", 64), "sha256:"+strings.Repeat("f", 64)
		}, Expect{}, nil},
		{"bad breakdown", func(r *Result) {
			r.Breakdown = []Part{{Name: "SET", Kind: "phase", Operations: n(-1), LatencyMs: Latency{Source: LatencyNone}}}
		}, Expect{}, []string{`breakdown[0] (phase SET): kind "phase" is not one of`, "breakdown[0] (phase SET) operations is negative"}},
		{"NaN max error rate", func(*Result) {}, Expect{MaxErrorRate: f(math.NaN())}, []string{"--max-error-rate NaN is not a rate in [0, 1]"}},
		{"every problem at once", func(r *Result) { r.Operations.Count = 0; r.Errors.Count = nil; r.Dropped = 1; r.Errors.Rate = f(0.5) }, Expect{MaxErrorRate: f(0.1)},
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

func TestCheckExpect(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Expect
		want string
	}{
		{"none", Expect{}, ""},
		{"ok", Expect{Duration: time.Minute, DurationSlack: time.Second, MaxErrorRate: f(0)}, ""},
		{"rate 1", Expect{MaxErrorRate: f(1)}, ""},
		{"negative duration", Expect{Duration: -time.Second}, "--expect-duration -1s is negative"},
		{"negative slack", Expect{DurationSlack: -time.Second}, "--duration-slack -1s is negative"},
		{"slack as long as the run", Expect{Duration: time.Second, DurationSlack: time.Second}, "is not shorter than --expect-duration 1s"},
		{"over a year", Expect{Duration: 9000 * time.Hour}, "longer than a year"},
		{"NaN", Expect{MaxErrorRate: f(math.NaN())}, "--max-error-rate NaN is not a rate in [0, 1]"},
		{"above 1", Expect{MaxErrorRate: f(1.5)}, "--max-error-rate 1.5"},
		{"negative", Expect{MaxErrorRate: f(-0.1)}, "--max-error-rate -0.1"},
		{"infinite", Expect{MaxErrorRate: f(math.Inf(1))}, "--max-error-rate +Inf"},
	} {
		err := CheckExpect(tc.e)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
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
	other.Operations.Count = 1
	other.Errors.Count = n(0)
	other.SetThroughput()
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
	if back.Operations.Count != 3000 || back.RunID != "r1" {
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
	bad.Operations.Count = 0
	bad.Errors.Count = nil
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
		{"unknown field", strings.Replace(string(b), `"operations"`, `"bogus": 1, "operations"`, 1), `ok.json: json: unknown field "bogus"`},
		{"unknown version", strings.Replace(string(b), `"schema_version": 2`, `"schema_version": 3`, 1), "schema_version 3, this generator reads 1 and 2"},
		{"no version", strings.Replace(string(b), `"schema_version": 2,`, ``, 1), "no schema_version: not a stored result"},
		{"v1 layout with v2 fields", strings.Replace(string(b), `"schema_version": 2`, `"schema_version": 1`, 1), `(schema_version 1): json: unknown field "tool"`},
		{"truncated", string(b[:len(b)/2]), "ok.json: line"},
		{"trailing", string(b) + "{}", "trailing data"},
		{"huge", string(b) + strings.Repeat(" ", MaxStoredBytes), "larger than the 16777216 a stored result may have"},
	} {
		if _, err := Decode([]byte(c.data), "ok.json"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
