package perftest

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

// These tests run on output written in PerfTest v2.25.0's formats
// (testdata/README.md): PerfTest needs a JVM and a broker, which the lab's
// machine lacks.

func td(n string) []string { return []string{filepath.Join("testdata", n)} }

func TestOutputs(t *testing.T) {
	for _, tc := range []struct {
		file     string
		ops      int64
		secs     float64
		clients  int64 // -1: unknown
		errs     int64 // -1: unknown
		per      string
		p50, p99 float64 // ms
	}{
		{"default-x1-y1-z5.txt", int64(math.Round(22421 * 5.0)), 5, 2, -1, "message (publish to consume)", 1.421, 5.610},
		{"confirm-c100.txt", int64(math.Round(15617 * 2.0)), 2, 1, 12, "publish to confirm", 2.505, 8.050},
		{"compact-x1-y1.txt", int64(math.Round(22421 * 2.0)), 2, -1, -1, "message (publish to consume)", 1.421, 5.610},
		{"use-millis-no-utf8.txt", 10000, 2, 2, -1, "message (publish to consume)", 2, 9},
		{"output-file.csv", 15011 + 15998, 2, -1, 0, "", 0, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := ParseFiles(td(tc.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := results.Validate(r, results.Expect{}); err != nil {
				t.Fatal(err)
			}
			if r.Operations.Count != tc.ops || r.DurationS != tc.secs || r.Operations.Unit != results.UnitMessages {
				t.Errorf("%d in %v s, want %d in %v", r.Operations.Count, r.DurationS, tc.ops, tc.secs)
			}
			if (tc.clients < 0) != (r.Clients == nil) || tc.clients >= 0 && *r.Clients != tc.clients {
				t.Errorf("clients %v, want %d", r.Clients, tc.clients)
			}
			if (tc.errs < 0) != (r.Errors.Count == nil) || tc.errs >= 0 && *r.Errors.Count != tc.errs {
				t.Errorf("errors %v, want %d", r.Errors.Count, tc.errs)
			}
			l := r.LatencyMs
			if tc.per == "" {
				if l.Source != results.LatencyNone {
					t.Errorf("latency %+v from a CSV", l)
				}
				return
			}
			if l.Per != tc.per || math.Abs(*l.Med-tc.p50) > 1e-12 || math.Abs(*l.P99-tc.p99) > 1e-12 || l.P90 != nil || l.Avg != nil {
				t.Errorf("latency %+v, want per %s p50 %v p99 %v", l, tc.per, tc.p50, tc.p99)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"broker-down.log", "Main thread caught exception: java.net.ConnectException: Connection refused"},
		{"producer-error.txt", "the tool reported an error: test stopped (Error in producer)"},
	} {
		r, err := ParseFiles(td(tc.file), Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
	def, _ := os.ReadFile("testdata/default-x1-y1-z5.txt")
	d := string(def)
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "x: empty file"},
		{"not PerfTest", "hello\n", "x: no PerfTest interval or summary line"},
		{"decimal comma", strings.Replace(d, "sent: 20413 msg/s", "sent: 2,5 msg/s", 1), "has a decimal comma"},
		{"unknown latency unit", strings.Replace(d, "6012/9050 µs", "6012/9050 fortnights", 1), "x: line 5 (byte offset"},
		{"time going back", strings.Replace(d, "time 3.000 s", "time 0.500 s", 1), "interval 3 at 0.5 s after one at 2 s"},
		{"summary without intervals", "id: a, sending rate avg: 5 msg/s\nid: a, receiving rate avg: 5 msg/s\n", "a summary without an interval line"},
		{"csv header", "id,time (s),sent\n", "CSV header"},
		{"binary", "id:\x00", "binary data"},
	} {
		if _, err := Parse("x", strings.NewReader(tc.data), Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestPrefixed(t *testing.T) {
	data, _ := os.ReadFile("testdata/default-x1-y1-z5.txt")
	want, _ := Parse("a", bytes.NewReader(data), Options{})
	got, err := Parse("a", bytes.NewReader(ptest.Prefix(data, time.Date(2026, 12, 3, 13, 45, 0, 0, time.UTC))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Operations.Count != want.Operations.Count || got.DurationS != want.DurationS || *got.LatencyMs.P99 != *want.LatencyMs.P99 {
		t.Errorf("prefixed %+v", got)
	}
}
