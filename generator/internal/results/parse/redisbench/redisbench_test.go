package redisbench

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

func near(a, b, rel float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= rel*max(a, b)
}

type want struct {
	name     string
	requests int64
	rps      float64
	p50      float64
	p99      float64 // 0: not printed
}

// Every figure is what redis-benchmark printed in the test data.
func TestRealOutputs(t *testing.T) {
	for _, tc := range []struct {
		file     string
		requests int64 // --requests
		clients  int64 // 0: unknown
		tests    []want
	}{
		{"set-get.txt", 0, 50, []want{{"SET", 50000, 25214.32, 0.687, 11.839}, {"GET", 50000, 33222.59, 0.727, 5.399}}},
		{"set-get-c10.txt", 0, 10, []want{{"SET", 50000, 29904.30, 0.159, 3.103}, {"GET", 50000, 32851.51, 0.151, 2.103}}},
		{"set-get-P16.txt", 0, 50, []want{{"SET", 100000, 263852.25, 1.607, 13.511}, {"GET", 100000, 270270.28, 1.559, 8.303}}},
		{"set-get.csv", 50000, 0, []want{{"SET", 50000, 34013.61, 0.711, 5.991}, {"GET", 50000, 40916.53, 0.623, 4.631}}},
		{"set-get-q.txt", 50000, 0, []want{{"SET", 50000, 33200.53, 0.719, 0}, {"GET", 50000, 38550.50, 0.719, 0}}},
		{"custom-command-q.txt", 20000, 0, []want{{"SET key:__rand_int__ value", 20000, 30120.48, 0.863, 0}}},
		{"multi-q-threads.txt", 20000, 0, []want{{"SET", 20000, 79051.38, 0.535, 0}, {"GET", 20000, 78431.38, 0.679, 0}, {"INCR", 20000, 78740.16, 0.247, 0}, {"LPUSH", 20000, 78431.38, 0.567, 0}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := ParseFiles([]string{filepath.Join("testdata", tc.file)}, Options{Requests: tc.requests})
			if err != nil {
				t.Fatal(err)
			}
			if err := results.Validate(r, results.Expect{MaxErrorRate: new(float64)}); err != nil {
				t.Fatal(err)
			}
			if len(r.Breakdown) != len(tc.tests) {
				t.Fatalf("tests %+v", r.Breakdown)
			}
			var total int64
			var secs float64
			for i, w := range tc.tests {
				p := r.Breakdown[i]
				if p.Name != w.name || *p.Operations != w.requests || *p.ThroughputPerS != w.rps || *p.LatencyMs.Med != w.p50 {
					t.Errorf("test %d = %s %d %v p50 %v, want %+v", i, p.Name, *p.Operations, *p.ThroughputPerS, *p.LatencyMs.Med, w)
				}
				if w.p99 != 0 && *p.LatencyMs.P99 != w.p99 || w.p99 == 0 && p.LatencyMs.P99 != nil {
					t.Errorf("test %s p99 %v, want %v", w.name, p.LatencyMs.P99, w.p99)
				}
				total += w.requests
				secs += float64(w.requests) / w.rps
			}
			if r.Operations.Count != total || r.Operations.Unit != results.UnitCommands || !near(r.DurationS, secs, 1e-12) {
				t.Errorf("operations %d in %v s, want %d in %v", r.Operations.Count, r.DurationS, total, secs)
			}
			if (tc.clients == 0) != (r.Clients == nil) || tc.clients != 0 && *r.Clients != tc.clients {
				t.Errorf("clients %v, want %d", r.Clients, tc.clients)
			}
			if len(tc.tests) == 1 && (r.LatencyMs.Med == nil || *r.LatencyMs.Med != tc.tests[0].p50) {
				t.Errorf("one test: its latency is the run's, got %+v", r.LatencyMs)
			}
			if len(tc.tests) > 1 && r.LatencyMs.Med != nil {
				t.Error("percentiles of several tests were combined")
			}
		})
	}
	// The default list: 20 tests, names with spaces and parentheses.
	for _, f := range []string{"default-n20000.txt", "default.csv"} {
		r, err := ParseFiles([]string{filepath.Join("testdata", f)}, Options{Requests: 20000})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Breakdown) != 20 || r.Breakdown[15].Name != "LRANGE_100 (first 100 elements)" || r.Operations.Count != 20*20000 {
			t.Errorf("%s: %d tests, 16th %q", f, len(r.Breakdown), r.Breakdown[15].Name)
		}
	}
}

// The text report against the CSV of other runs: the same tests, layout
// independent figures.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		file     string
		requests int64
		want     []string
	}{
		{"error-reply-q.log", 2000, []string{"zero commands", "the tool reported an error: Error from server: ERR value is not an integer or out of range"}},
		{"error-reply-csv.log", 2000, []string{"zero commands", "Error from server: ERR value is not an integer"}},
		{"server-killed-midrun.log", 5000000, []string{"zero commands", "Error: Server closed the connection"}},
		{"server-down.log", 1000, []string{"zero commands", "Could not connect to Redis at 127.0.0.1:27878: Connection refused"}},
	} {
		r, err := ParseFiles([]string{filepath.Join("testdata", tc.file)}, Options{Requests: tc.requests})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		err = results.Validate(r, results.Expect{})
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v lacks %q", tc.file, err, w)
			}
		}
		if r.Errors.Rate != nil {
			t.Errorf("%s: an error rate for a run that stopped on an error", tc.file)
		}
	}
	set, _ := os.ReadFile("testdata/set-get.txt")
	s := string(set)
	for _, tc := range []struct {
		name, data string
		opt        Options
		want       string
	}{
		{"empty", "", Options{}, "x: empty file"},
		{"not redis-benchmark", "hello\n", Options{}, "x: no redis-benchmark test"},
		{"csv without --requests", `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n" + `"SET","1.00","1","1","1","1","1","1"` + "\n", Options{}, "x: redis-benchmark --csv output prints no request counts: give --requests N"},
		{"--requests contradicting the report", s, Options{Requests: 1000}, "x: --requests 1000, but the output says test SET ran 50000"},
		{"bad csv header", `"test","qps"` + "\n", Options{}, `x: line 1 (byte offset 0): CSV header "\"test\",\"qps\"": want test,rps,`},
		{"csv NaN", `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n" + `"SET","NaN","1","1","1","1","1","1"` + "\n", Options{Requests: 5}, `rps "NaN" is not a number`},
		{"csv short row", `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n" + `"SET","1"` + "\n", Options{Requests: 5}, "line 2 (byte offset 115): 2 CSV fields, want 8"},
		{"summary values cut", strings.Replace(s, "        1.501     0.048     0.687     5.407    11.839    47.359", "        1.501     0.048", 1), Options{}, "latency summary values"},
		{"zero rps", strings.Replace(s, "25214.32 requests per second", "0 requests per second", 1), Options{}, "test SET: throughput 0 requests per second"},
		{"binary", "====== SET ======\x00", Options{}, "binary data"},
		{"negative requests", s, Options{Requests: -1}, "--requests -1 is negative"},
	} {
		if _, err := Parse("x", strings.NewReader(tc.data), tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// A test without its summary (the output cut short) refuses the run.
	cut := s[:strings.Index(s, "====== GET ======")+200]
	r, err := Parse("cut.txt", strings.NewReader(cut), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), "test GET has no throughput summary: the run stopped during it") {
		t.Errorf("cut short: %v", err)
	}
}

// Two load generators: per test, commands summed and throughputs added
// (they run in parallel); the run lasts the longest generator's time.
func TestMergeGenerators(t *testing.T) {
	r, err := ParseFiles([]string{"testdata/set-get.txt", "testdata/set-get-c10.txt"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.LoadGenerators != 2 || r.Operations.Count != 200000 || *r.Clients != 60 || len(r.Breakdown) != 2 {
		t.Fatalf("%+v", r)
	}
	if p := r.Breakdown[0]; *p.Operations != 100000 || !near(*p.ThroughputPerS, 25214.32+29904.30, 1e-12) || p.LatencyMs.Med != nil || *p.LatencyMs.Max != 47.359 {
		t.Errorf("SET merged %+v", p)
	}
	if !near(r.DurationS, 50000/25214.32+50000/33222.59, 1e-12) {
		t.Errorf("duration %v: want the slower generator's", r.DurationS)
	}
}

func TestPrefixedAndCRLF(t *testing.T) {
	data, _ := os.ReadFile("testdata/set-get.txt")
	want, _ := Parse("a", bytes.NewReader(data), Options{})
	for _, v := range [][]byte{ptest.Prefix(data, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)), bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))} {
		got, err := Parse("a", bytes.NewReader(v), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got.Sources, want.Sources = nil, nil
		a, _ := results.MarshalIndent(got)
		b, _ := results.MarshalIndent(want)
		if !bytes.Equal(a, b) {
			t.Errorf("differs:\n%s\n%s", a, b)
		}
	}
}
