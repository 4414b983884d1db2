package pgbench

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

// printed reads one figure of pgbench's summary with a regexp of its own,
// independently of the parser.
func printed(t *testing.T, out []byte, re string) float64 {
	t.Helper()
	m := regexp.MustCompile(re).FindSubmatch(out)
	if m == nil {
		t.Fatalf("%q not in the output:\n%s", re, out)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func logs(t *testing.T, dir, prefix string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, prefix+".*"))
	if len(m) == 0 {
		t.Fatalf("no %s.* logs in %s", prefix, dir)
	}
	return m
}

// TestLivePgbench runs the real pgbench (2 s runs) against a real
// PostgreSQL on 127.0.0.1 and checks the parsed figures against what
// pgbench printed and what it was told to do.
func TestLivePgbench(t *testing.T) {
	// PostgreSQL 15's own pgbench (scripts/postgres.sh installs it); the
	// PATH's is Debian's wrapper, which picks a version itself.
	bin := "/usr/lib/postgresql/15/bin/pgbench"
	if _, err := os.Stat(bin); err != nil {
		bin = ptest.Binary(t, "pgbench")
	}
	url := ptest.Postgres(t)
	dir := t.TempDir()
	if r := ptest.Run(t, 2*time.Minute, dir, bin, "-i", "-s", "1", "-q", url); r.RC != 0 {
		t.Fatalf("pgbench -i: rc %d\n%s", r.RC, r.Combined)
	}
	for _, s := range []string{"serialization.sql", "error.sql"} {
		b, _ := os.ReadFile(filepath.Join("testdata", s))
		ptest.WriteFile(t, dir, s, b)
	}
	run := func(t *testing.T, wantRC int, args ...string) (ptest.Result, string) {
		t.Helper()
		sub := t.TempDir()
		r := ptest.Run(t, time.Minute, sub, append([]string{bin}, append(args, url)...)...)
		if r.RC != wantRC {
			t.Fatalf("rc %d, want %d\n%s", r.RC, wantRC, r.Combined)
		}
		return r, ptest.WriteFile(t, sub, "pgbench.log", r.Combined)
	}

	t.Run("-t with per-statement latencies and per-transaction logs", func(t *testing.T) {
		out, path := run(t, 0, "-c", "4", "-j", "2", "-t", "50", "-r", "-l", "--log-prefix=txn")
		res, err := ParseFiles(append([]string{path}, logs(t, filepath.Dir(path), "txn")...), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Operations.Count != 4*50 || *res.Operations.Target != 200 || *res.Clients != 4 || *res.Errors.Count != 0 || *res.AbortedClients != 0 {
			t.Errorf("operations %d of %v, clients %d, errors %d: want 4 clients x 50", res.Operations.Count, res.Operations.Target, *res.Clients, *res.Errors.Count)
		}
		if tps := printed(t, out.Stdout, `tps = ([0-9.]+) \(without`); !near(200/res.DurationS, tps, 1e-12) {
			t.Errorf("throughput %v, pgbench printed tps = %v", 200/res.DurationS, tps)
		}
		l := res.LatencyMs
		// pgbench logs whole microseconds, and on a loaded machine it has
		// logged transactions of 0 µs: the minimum may be 0.
		if l.Source != results.LatencyTransactionLog || *l.Min < 0 || *l.Med < *l.Min || *l.P99 < *l.Med || *l.Max < *l.P99 {
			t.Errorf("latency from %s: min %v, p50 %v, p99 %v, max %v", l.Source, *l.Min, *l.Med, *l.P99, *l.Max)
		}
		if n := len(res.Breakdown); n != 11 || res.Breakdown[n-1].Name != "END;" {
			t.Errorf("statements %+v", res.Breakdown)
		}
		if !regexp.MustCompile(`^\d+\.\d+ `).MatchString(*res.Tool.Version) {
			t.Errorf("version %q", *res.Tool.Version)
		}
		t.Logf("pgbench %s: %d transactions, %.1f tps, latency ms p50 %.3f p99 %.3f max %.3f", *res.Tool.Version, res.Operations.Count, res.ThroughputPerS, *l.Med, *l.P99, *l.Max)
		if err := results.Validate(res, results.Expect{}); err != nil {
			t.Error(err)
		}
		// As kubectl logs --timestamps prints the pod log: the same run.
		pre, err := Parse("pod.log", strings.NewReader(string(ptest.Prefix(out.Combined, time.Now()))), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if pre.Operations.Count != 200 || pre.DurationS != res.DurationS || len(pre.Breakdown) != 11 {
			t.Errorf("prefixed log: %d in %v s, %d statements", pre.Operations.Count, pre.DurationS, len(pre.Breakdown))
		}
	})

	t.Run("-T with progress and aggregate logs", func(t *testing.T) {
		out, path := run(t, 0, "-c", "2", "-j", "1", "-T", "2", "--progress=1", "-l", "--aggregate-interval=1", "--log-prefix=agg")
		res, err := ParseFiles(append([]string{path}, logs(t, filepath.Dir(path), "agg")...), Options{})
		if err != nil {
			t.Fatal(err)
		}
		processed := printed(t, out.Stdout, `actually processed: (\d+)`)
		if float64(res.Operations.Count) != processed || res.Operations.Target != nil {
			t.Errorf("operations %d, pgbench processed %v", res.Operations.Count, processed)
		}
		if res.DurationS < 1.8 || res.DurationS > 2.2 {
			t.Errorf("duration %v for -T 2", res.DurationS)
		}
		if l := res.LatencyMs; l.Source != results.LatencyAggregateLog || l.Stddev == nil || *l.Min > *l.Avg || *l.Avg > *l.Max {
			t.Errorf("latency %+v", l)
		}
		if err := results.Validate(res, results.Expect{Duration: 2 * time.Second}); err != nil {
			t.Error(err)
		}
		t.Logf("-T 2: %d transactions in %.3f s, %.1f tps, latency ms avg %.3f stddev %.3f", res.Operations.Count, res.DurationS, res.ThroughputPerS, *res.LatencyMs.Avg, *res.LatencyMs.Stddev)
	})

	t.Run("serialization failures and retries", func(t *testing.T) {
		out, path := run(t, 0, "-c", "8", "-j", "2", "-T", "2", "-n", "-f", filepath.Join(dir, "serialization.sql"),
			"--max-tries=3", "--failures-detailed", "-r", "-l", "--log-prefix=ser")
		res, err := ParseFiles(append([]string{path}, logs(t, filepath.Dir(path), "ser")...), Options{})
		if err != nil {
			t.Fatal(err)
		}
		failed := printed(t, out.Stdout, `number of failed transactions: (\d+)`)
		retries := printed(t, out.Stdout, `total number of retries: (\d+)`)
		processed := printed(t, out.Stdout, `actually processed: (\d+)`)
		if float64(*res.Errors.Count) != failed || float64(*res.Retries) != retries || float64(res.Operations.Count) != processed+failed {
			t.Errorf("errors %d retries %d operations %d; pgbench: %v failed, %v retries, %v processed", *res.Errors.Count, *res.Retries, res.Operations.Count, failed, retries, processed)
		}
		if failed == 0 {
			t.Log("no serialization failure in this run: the contention was too low")
		}
	})

	t.Run("aborted clients", func(t *testing.T) {
		_, path := run(t, 2, "-c", "2", "-j", "1", "-t", "50", "-n", "-f", filepath.Join(dir, "error.sql"))
		res, err := ParseFiles([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = results.Validate(res, results.Expect{})
		if *res.AbortedClients == 0 || err == nil || !strings.Contains(err.Error(), "aborted client(s)") || !strings.Contains(err.Error(), "division by zero") {
			t.Errorf("aborted clients %d, refusal %v", *res.AbortedClients, err)
		}
	})
}
