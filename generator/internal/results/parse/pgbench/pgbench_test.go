package pgbench

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

func td(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, filepath.Join("testdata", n))
	}
	return out
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

// Every figure below is what pgbench printed in the test data.
func TestRealOutputs(t *testing.T) {
	const version = "15.18 (Debian 15.18-0+deb12u1)"
	tests := []struct {
		name    string
		files   []string
		ops     int64
		target  int64 // 0: none
		clients int64
		errs    int64
		retries int64 // -1: not reported
		tps     float64
		avg     float64
		stddev  float64 // 0: none
		check   func(*testing.T, *results.Result)
		refuse  []string
	}{
		{name: "basic", files: td("basic.log"), ops: 1269, clients: 4, retries: -1, tps: 427.203540, avg: 9.363},
		{name: "progress", files: td("progress.log"), ops: 1336, clients: 4, retries: -1, tps: 451.478406, avg: 8.826, stddev: 10.780},
		{name: "per-statement", files: td("per-statement.log"), ops: 1336, clients: 4, retries: -1, tps: 445.599356, avg: 8.977, check: func(t *testing.T, r *results.Result) {
			if len(r.Breakdown) != 11 {
				t.Fatalf("%d statements, want 11: %+v", len(r.Breakdown), r.Breakdown)
			}
			last := r.Breakdown[10]
			if last.Name != "END;" || last.Kind != "statement" || *last.LatencyMs.Avg != 1.917 || *last.Errors != 0 || last.Retries != nil {
				t.Errorf("END; = %+v", last)
			}
			if r.Breakdown[0].Name != `\set aid random(1, 100000 * :scale)` {
				t.Errorf("first statement %q", r.Breakdown[0].Name)
			}
		}},
		{name: "-t and prepared", files: td("prepared-t200.log"), ops: 800, target: 800, clients: 4, retries: -1, tps: 642.010778, avg: 6.230},
		{name: "weighted scripts", files: td("weighted-scripts.log"), ops: 8711, clients: 4, retries: -1, tps: 2920.863739, avg: 1.369, check: func(t *testing.T, r *results.Result) {
			if len(r.Breakdown) != 2 {
				t.Fatalf("breakdown %+v", r.Breakdown)
			}
			s := r.Breakdown[0]
			if s.Name != "script 1 (custom.sql)" || *s.Operations != 6526 || *s.ThroughputPerS != 2188.216825 || *s.LatencyMs.Avg != 0.323 || *s.LatencyMs.Stddev != 1.133 || *s.Errors != 0 {
				t.Errorf("script 1 = %+v", s)
			}
			if s := r.Breakdown[1]; s.Name != "script 2 (<builtin: simple update>)" || *s.Operations != 2184 {
				t.Errorf("script 2 = %+v", s)
			}
		}},
		{name: "several scripts with -r", files: td("multi-script-r.log"), ops: 9883, clients: 2, retries: -1, tps: 5030.153948, avg: 0.398, check: func(t *testing.T, r *results.Result) {
			if len(r.Breakdown) != 2+2+9 {
				t.Fatalf("%d parts: %+v", len(r.Breakdown), r.Breakdown)
			}
			if p := r.Breakdown[3]; p.Name != "script 1 (custom.sql): SELECT abalance FROM pgbench_accounts WHERE aid = :aid;" || *p.LatencyMs.Avg != 0.209 {
				t.Errorf("script 1's statement = %+v", p)
			}
			if p := r.Breakdown[12]; p.Name != "script 2 (<builtin: simple update>): END;" || *p.LatencyMs.Avg != 0.171 {
				t.Errorf("script 2's last statement = %+v", p)
			}
		}},
		{name: "failures without retries", files: td("serialization-no-retry.log"), ops: 1166 + 2599, clients: 8, errs: 2599, retries: -1, tps: 398.914378, avg: 6.211, check: func(t *testing.T, r *results.Result) {
			if !near(*r.Errors.Rate, 0.69031, 1e-5) {
				t.Errorf("error rate %v, pgbench printed 69.031%%", *r.Errors.Rate)
			}
			if p := r.Breakdown[4]; !strings.HasPrefix(p.Name, "UPDATE pgbench_accounts") || *p.Errors != 2599 {
				t.Errorf("failing statement %+v", p)
			}
			max := 0.5
			if err := results.Validate(r, results.Expect{MaxErrorRate: &max}); err == nil || !strings.Contains(err.Error(), "error rate 0.69") {
				t.Errorf("failures above the maximum: %v", err)
			}
		}},
		{name: "failures and retries", files: td("serialization-retry.log"), ops: 867 + 355, clients: 8, errs: 355, retries: 1365, tps: 292.712472, avg: 15.178, stddev: 11.303, check: func(t *testing.T, r *results.Result) {
			if p := r.Breakdown[4]; *p.Errors != 355 || *p.Retries != 1365 {
				t.Errorf("failing statement %+v", p)
			}
		}},
		{name: "skipped transactions", files: td("rate-latency-limit.log"), ops: 742, clients: 4, retries: -1, tps: 250.183423, avg: 9.187, stddev: 9.423,
			refuse: []string{"173 skipped transactions: the load generator could not hold the declared rate"}},
		{name: "aborted clients", files: td("error-abort.log"), ops: 20, clients: 4, retries: -1, tps: 1368.925394, avg: 2.922,
			refuse: []string{"4 aborted client(s)", "client 1 script 0 aborted in command 1 query 0: ERROR:  division by zero"}},
		{name: "aborted clients under -t", files: td("error-abort-t.log"), ops: 58, target: 800, clients: 4, retries: -1, tps: 5490.864338, avg: 0.728,
			refuse: []string{"58 of the 800 transactions the tool was told to run: the run stopped early", "4 aborted client(s)"}},
		{name: "server killed mid-run", files: td("server-killed-midrun.log"), ops: 898, clients: 4, retries: -1, tps: 398.190671, avg: 9.836, stddev: 12.714,
			refuse: []string{"4 aborted client(s)", "perhaps the backend died while processing"}},
		{name: "per-transaction logs", files: td("per-txn/output.log", "per-txn/txn.31932", "per-txn/txn.31932.1"), ops: 629, clients: 2, retries: -1, tps: 311.410805, check: func(t *testing.T, r *results.Result) {
			if r.LatencyMs.Source != results.LatencyTransactionLog || r.LatencyMs.P99 == nil || *r.LatencyMs.P999 > *r.LatencyMs.Max {
				t.Errorf("latency %+v", r.LatencyMs)
			}
			if r.StartedAt == nil || *r.StartedAt != "2026-12-03T13:19:14.035052Z" || *r.EndedAt != "2026-12-03T13:19:16.054784Z" {
				t.Errorf("window %v .. %v", r.StartedAt, r.EndedAt)
			}
		}},
		{name: "aggregate logs", files: td("aggregate/output.log", "aggregate/agg.32078", "aggregate/agg.32078.1"), ops: 1164, clients: 2, retries: -1, tps: 290.558786, check: func(t *testing.T, r *results.Result) {
			l := r.LatencyMs
			// The eight intervals' sums: 762172+1001147+998358+996284+752929+1011471+927624+1072677 µs over 1067 transactions.
			if l.Source != results.LatencyAggregateLog || !near(*l.Avg, 7522662.0/1067/1000, 1e-12) || *l.Min != 0.628 || *l.Max != 149.491 || l.P99 != nil {
				t.Errorf("latency %+v", l)
			}
		}},
		{name: "sampled log", files: td("sampled/output.log", "sampled/sampled.32313"), ops: 723, clients: 2, retries: -1, tps: 360.325519, check: func(t *testing.T, r *results.Result) {
			if r.LatencyMs.Source != results.LatencySampledLog {
				t.Errorf("latency source %s", r.LatencyMs.Source)
			}
		}},
		{name: "logs with failures", files: td("serialization/output.log", "serialization/ser.2557", "serialization/ser.2557.1"), ops: 882 + 359, clients: 8, errs: 359, retries: 1386, tps: 302.118115},
		{name: "aggregate log with failures", files: td("serialization-agg/output.log", "serialization-agg/seragg.2705"), ops: 878 + 375, clients: 8, errs: 375, retries: 1359, tps: 295.451295},
		{name: "logs with skipped", files: td("rate/output.log", "rate/rate.3459"), ops: 362, clients: 2, retries: -1, tps: 181.953436, check: func(t *testing.T, r *results.Result) {
			// --rate makes pgbench measure its latency: the log's exact
			// average and stddev are pgbench's own.
			if !near(*r.LatencyMs.Avg, 8.066, 1e-4) || !near(*r.LatencyMs.Stddev, 14.448, 1e-4) {
				t.Errorf("log latency avg %v stddev %v, pgbench printed 8.066 and 14.448", *r.LatencyMs.Avg, *r.LatencyMs.Stddev)
			}
		}, refuse: []string{"80 skipped transactions"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseFiles(tc.files, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Tool.Name != results.ToolPgbench || r.Tool.Version == nil || *r.Tool.Version != version || r.Operations.Unit != results.UnitTransactions {
				t.Errorf("tool %+v unit %s", r.Tool, r.Operations.Unit)
			}
			if r.Operations.Count != tc.ops || *r.Clients != tc.clients || *r.Errors.Count != tc.errs {
				t.Errorf("operations %d clients %d errors %d, want %d %d %d", r.Operations.Count, *r.Clients, *r.Errors.Count, tc.ops, tc.clients, tc.errs)
			}
			if (tc.target == 0) != (r.Operations.Target == nil) || tc.target != 0 && *r.Operations.Target != tc.target {
				t.Errorf("target %v, want %d", r.Operations.Target, tc.target)
			}
			if (tc.retries < 0) != (r.Retries == nil) || tc.retries >= 0 && *r.Retries != tc.retries {
				t.Errorf("retries %v, want %d", r.Retries, tc.retries)
			}
			// duration = successful / tps: pgbench's tps is recovered exactly.
			if succ := float64(tc.ops - tc.errs); !near(succ/r.DurationS, tc.tps, 1e-12) {
				t.Errorf("duration %v gives tps %v, pgbench printed %v", r.DurationS, succ/r.DurationS, tc.tps)
			}
			if tc.avg != 0 && (r.LatencyMs.Avg == nil || *r.LatencyMs.Avg != tc.avg) {
				t.Errorf("latency avg %v, want %v", r.LatencyMs.Avg, tc.avg)
			}
			if tc.stddev != 0 && (r.LatencyMs.Stddev == nil || *r.LatencyMs.Stddev != tc.stddev) || tc.stddev == 0 && tc.avg != 0 && r.LatencyMs.Stddev != nil {
				t.Errorf("latency stddev %v, want %v", r.LatencyMs.Stddev, tc.stddev)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			err = results.Validate(r, results.Expect{})
			if len(tc.refuse) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.refuse {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %v lacks %q", err, w)
				}
			}
		})
	}
}

// Logs alone give the counts and the run's window; sampled logs do not.
func TestLogsAlone(t *testing.T) {
	r, err := ParseFiles(td("per-txn/txn.31932", "per-txn/txn.31932.1"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Operations.Count != 629 || r.LoadGenerators != 1 || *r.Clients != 2 || r.Tool.Version != nil || r.SourceFormat != FormatLog {
		t.Errorf("%+v", r)
	}
	want, _ := time.Parse(time.RFC3339Nano, "2026-12-03T13:19:16.054784Z")
	start, _ := time.Parse(time.RFC3339Nano, *r.StartedAt)
	if !near(r.DurationS, want.Sub(start).Seconds(), 1e-12) || r.DurationS < 1.9 || r.DurationS > 2.1 {
		t.Errorf("duration %v for a -T 2 run", r.DurationS)
	}
	if err := results.Validate(r, results.Expect{Duration: 2 * time.Second}); err != nil {
		t.Error(err)
	}
	r, err = ParseFiles(td("aggregate/agg.32078", "aggregate/agg.32078.1"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Operations.Count != 117+125+141+194+115+98+129+148 || r.DurationS != 4 || r.Errors.Count != nil {
		t.Errorf("aggregate alone: %d transactions in %v s, errors %v", r.Operations.Count, r.DurationS, r.Errors.Count)
	}
	for _, c := range []struct {
		files []string
		want  string
	}{
		{td("sampled/sampled.32313"), "the -l logs are sampled"},
		{td("per-txn/output.log", "per-txn/txn.31932"), "the -l logs hold 329 transactions (0 skipped) but the output 629 (0 skipped)"},
		{td("aggregate/output.log", "per-txn/txn.31932"), "the -l logs hold 329"},
		{td("per-txn/txn.31932", "aggregate/agg.32078"), "per-transaction and aggregate logs given together"},
		{td("basic.log", "per-txn/txn.31932", "per-txn/txn.31932.1"), "the -l logs hold 629 transactions (0 skipped) but the output 1269"},
	} {
		if _, err := ParseFiles(c.files, Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.files, err, c.want)
		}
	}
}

// Two pgbench processes (two load pods): counts summed, the longest duration.
func TestMergeProcesses(t *testing.T) {
	r, err := ParseFiles(td("basic.log", "progress.log"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.LoadGenerators != 2 || r.Operations.Count != 1269+1336 || *r.Clients != 8 || len(r.Breakdown) != 0 {
		t.Errorf("%+v", r)
	}
	if !near(r.DurationS, 1269/427.203540, 1e-12) {
		t.Errorf("duration %v", r.DurationS)
	}
	if !near(*r.LatencyMs.Avg, (9.363*1269+8.826*1336)/(1269+1336), 1e-12) || r.LatencyMs.Stddev != nil {
		t.Errorf("latency %+v", r.LatencyMs)
	}
}

// The outputs as a pod log holds them: with a kubectl --timestamps prefix
// on every line, and gzipped, they give the same figures.
func TestPrefixedAndGzipped(t *testing.T) {
	for _, name := range []string{"per-statement.log", "serialization-retry.log", "per-txn/txn.31932"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := Parse(name, bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(ptest.Prefix(data, time.Date(2026, 12, 3, 13, 19, 0, 0, time.UTC)))
		zw.Close()
		for _, variant := range []struct {
			n string
			b []byte
		}{{"prefixed", ptest.Prefix(data, time.Date(2026, 12, 3, 13, 19, 0, 0, time.UTC))}, {"prefixed and gzipped", gz.Bytes()}} {
			got, err := Parse(name, bytes.NewReader(variant.b), Options{})
			if err != nil {
				t.Fatalf("%s %s: %v", variant.n, name, err)
			}
			got.Sources, want.Sources = nil, nil
			a, _ := results.MarshalIndent(got)
			b, _ := results.MarshalIndent(want)
			if !bytes.Equal(a, b) {
				t.Errorf("%s %s differs:\n%s\n%s", variant.n, name, a, b)
			}
		}
	}
}

func TestRefusesBrokenInput(t *testing.T) {
	basic, _ := os.ReadFile("testdata/basic.log")
	b := string(basic)
	cut := b[:strings.Index(b, "tps =")]
	for _, tc := range []struct {
		name, data, format, want string
	}{
		{"empty", "", "", "x: empty file"},
		{"blanks", "\n \n", "", "x: only blanks"},
		{"not pgbench", "hello\nworld\n", "", "x: unrecognized pgbench output"},
		{"binary", "pgbench (15)\x00", "", "binary data"},
		{"summary cut short", cut, "", "x: the pgbench summary lacks tps = ... (without initial connection time) (cut short?)"},
		{"no summary", "starting vacuum...end.\n", "", "x: no pgbench summary"},
		{"bad duration", strings.Replace(b, "duration: 3 s", "duration: three s", 1), "", `line 8 (byte offset 192): duration "three s": want "N s"`},
		{"bad processed", strings.Replace(b, "processed: 1269", "processed: 12x9", 1), "", `transactions processed "12x9": want N or N/M`},
		{"bad failed", strings.Replace(b, "transactions: 0 (0.000%)", "transactions: -1 (0%)", 1), "", `number of failed transactions "-1 (0%)": want "N (x%)"`},
		{"forced log on an output", b, FormatLog, "x: line 1 (byte offset 0): 4 fields, a per-transaction log line has 6 to 8"},
		{"log with 5 fields", "0 1 21967 0 1796303954\n", FormatLog, "5 fields"},
		{"log with a negative latency", "0 1 -5 0 1796303954 57019\n", "", "time \"-5\" is neither a latency"},
		{"log from 1970", "0 1 21967 0 954 57019\n", "", "line 1 (byte offset 0): completion time: 1970-01-01T00:15:54.057019Z is outside the years 2000-2199"},
		{"log from 2300", "0 1 21967 0 10413792000 57019\n", "", "is outside the years 2000-2199"},
		{"log time_us out of range", "0 1 21967 0 1796303954 1000000\n", "", "time_us 1000000 is not a fraction of a second"},
		{"log going backwards", "0 2 21967 0 1796303954 57019\n0 1 2000 0 1796303954 57020\n", "", "client 0: transaction 1 after 2"},
		{"log with an unknown outcome", "0 1 lost 0 1796303954 57019\n", FormatLog, `time "lost" is neither a latency in µs nor skipped/failed/serialization/deadlock`},
		{"aggregate with 14 fields", "1796303956 117 762172 25150885542 807 93227 0 0 0 0 0 0 0 0\n", FormatAggregateLog, "14 fields, a PostgreSQL 15 aggregate log line has 15"},
		{"aggregate min above max", "1796303956 117 762172 25150885542 99999 93227 0 0 0 0 0 0 0 0 0\n", "", "min_latency 99999 is above max_latency 93227"},
		{"aggregate NaN sum", "1796303956 117 NaN 25150885542 807 93227 0 0 0 0 0 0 0 0 0\n", FormatAggregateLog, `field 3 "NaN" is not a sum`},
		{"huge statement line", "statement latencies in milliseconds and failures:\n" + strings.Repeat("9", 2<<20) + "\n", FormatOutput, "line longer than 1048576 bytes"},
		{"unknown format", b, "xml", `unknown format "xml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x", strings.NewReader(tc.data), Options{Format: tc.format})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
		})
	}
	if _, err := Parse("one.agg", strings.NewReader("1796304012 209 2694934 49412778956 2849 43762 0 0 0 0 0 196 325 95 0\n"), Options{}); err == nil || !strings.Contains(err.Error(), "the aggregate log has one interval: its length (--aggregate-interval) is unknown") {
		t.Errorf("one interval: %v", err)
	}
	// A refused run still parses: zero transactions, the tool's errors.
	r, err := ParseFiles(td("server-down.log"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = results.Validate(r, results.Expect{})
	for _, w := range []string{"zero transactions", `connection to server at "127.0.0.1", port 22248 failed: Connection refused`, "could not create connection for setup"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("server down: %v lacks %q", err, w)
		}
	}
}
