package redisbench

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

// TestLiveRedisBenchmark runs the real redis-benchmark against a real
// redis-server on 127.0.0.1 (each run well under a second).
func TestLiveRedisBenchmark(t *testing.T) {
	bin := ptest.Binary(t, "redis-benchmark")
	srv := ptest.Redis(t)
	dir := t.TempDir()
	base := []string{bin, "-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port)}
	run := func(t *testing.T, rc int, args ...string) (ptest.Result, string) {
		t.Helper()
		r := ptest.Run(t, time.Minute, dir, append(append([]string{}, base...), args...)...)
		if r.RC != rc {
			t.Fatalf("rc %d, want %d\n%s", r.RC, rc, r.Combined)
		}
		return r, ptest.WriteFile(t, dir, strings.ReplaceAll(t.Name(), "/", "_")+".log", r.Combined)
	}
	rpsOf := func(t *testing.T, out []byte, test string) float64 {
		t.Helper()
		m := regexp.MustCompile(`====== ` + test + ` ======(?s:.*?)throughput summary: ([0-9.]+) requests per second`).FindSubmatch(out)
		if m == nil {
			m = regexp.MustCompile(`"` + test + `","([0-9.]+)"`).FindSubmatch(out)
		}
		if m == nil {
			t.Fatalf("no throughput of %s in\n%s", test, out)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}

	t.Run("report", func(t *testing.T) {
		out, path := run(t, 0, "-t", "set,get", "-n", "20000", "-c", "10")
		r, err := ParseFiles([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := results.Validate(r, results.Expect{MaxErrorRate: new(float64)}); err != nil {
			t.Fatal(err)
		}
		if r.Operations.Count != 40000 || *r.Clients != 10 || len(r.Breakdown) != 2 {
			t.Fatalf("%d commands, %v clients, %d tests: want 2 tests x 20000 by 10 clients", r.Operations.Count, r.Clients, len(r.Breakdown))
		}
		for _, p := range r.Breakdown {
			if want := rpsOf(t, out.Stdout, p.Name); *p.ThroughputPerS != want || *p.Operations != 20000 {
				t.Errorf("%s: %v/s, redis-benchmark printed %v", p.Name, *p.ThroughputPerS, want)
			}
			l := p.LatencyMs
			if *l.Min > *l.Med || *l.Med > *l.P95 || *l.P95 > *l.P99 || *l.P99 > *l.Max {
				t.Errorf("%s latency %+v", p.Name, l)
			}
			t.Logf("%s: %.0f commands/s, p50 %.3f ms, p99 %.3f ms", p.Name, *p.ThroughputPerS, *l.Med, *l.P99)
		}
	})
	t.Run("csv", func(t *testing.T) {
		out, path := run(t, 0, "-t", "set,get", "-n", "20000", "--csv")
		r, err := ParseFiles([]string{path}, Options{Requests: 20000})
		if err != nil {
			t.Fatal(err)
		}
		if r.SourceFormat != FormatCSV || r.Operations.Count != 40000 || *r.Breakdown[1].ThroughputPerS != rpsOf(t, out.Stdout, "GET") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("quiet and pipelined", func(t *testing.T) {
		_, path := run(t, 0, "-t", "set", "-n", "20000", "-P", "16", "-q")
		r, err := ParseFiles([]string{path}, Options{Requests: 20000})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Breakdown) != 1 || r.Breakdown[0].Name != "SET" || r.LatencyMs.Med == nil || r.Operations.Count != 20000 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("error reply", func(t *testing.T) {
		run(t, 0, "-n", "1", "SET", "errkey", "not-a-number")
		_, path := run(t, 1, "-n", "200", "-q", "INCR", "errkey")
		r, err := ParseFiles([]string{path}, Options{Requests: 200})
		if err != nil {
			t.Fatal(err)
		}
		if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), "ERR value is not an integer") {
			t.Errorf("refusal %v", err)
		}
	})
}
