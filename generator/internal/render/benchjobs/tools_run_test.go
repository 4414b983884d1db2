package benchjobs

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/runtimes/benchlocal"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// The tests below run the scripts the generator renders with the real
// tools of this machine against real servers on loopback: pgbench
// (PostgreSQL 15's) against PostgreSQL, redis-benchmark against
// redis-server, natscli v0.5.0 (the pinned build) against nats-server,
// fio on temporary folders. The images the Jobs run carry newer builds of
// the same tools (docs/adr/0011-load-tools.md). What each test checks is
// what the Job guarantees the collector: the script exits 0 and the pod
// log holds exactly one report between the results markers, in the tool's
// format.

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serve starts a server for the test and stops it at the end.
func serve(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	log, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(bin)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
	})
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on port %d", port)
}

// TestPgbenchRuns: the init script builds the tables, the run script's
// summary is the report (real pgbench, real PostgreSQL).
func TestPgbenchRuns(t *testing.T) {
	need(t, "pgbench", "timeout")
	if os.Getuid() == 0 {
		need(t, "runuser")
	}
	dbURL, stop, err := benchlocal.StartPostgres(repoRoot)
	if err != nil {
		if testenv.RequireTools() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	env := []string{"PGHOST=" + u.Hostname(), "PGPORT=" + u.Port(), "PGDATABASE=" + strings.TrimPrefix(u.Path, "/"), "PGUSER=" + u.User.Username(), "PGPASSWORD=" + pw}
	for _, tc := range []struct {
		name string
		g    model.Pgbench
		want []string
	}{
		{"builtin", model.Pgbench{Scale: 1, Clients: 4, Threads: 2, Duration: "4s", Builtin: "tpcb-like", Protocol: "prepared", Init: true, InitTimeout: "2m", Progress: "1s"},
			[]string{"transaction type: <builtin: TPC-B (sort of)>", "scaling factor: 1", "query mode: prepared", "number of clients: 4", "number of threads: 2", "duration: 4 s", "latency stddev = ", "tps = "}},
		// On the tables the run before built.
		{"script at a rate", model.Pgbench{Clients: 2, Threads: 1, Duration: "4s", Script: "\\set aid random(1, 100000 * :scale)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n", Protocol: "simple", Progress: "1s", Rate: ptr(200), LatencyLimit: ptr(50.0)},
			[]string{"script.sql", "number of clients: 2", "rate limit schedule lag", "above the 50.0 ms latency limit", "tps = "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g
			g.Host, g.Port, g.Database, g.User = "db.$namespace.svc", 5432, "lab", "lab"
			e := toolExperiment(&model.Benchmark{Tool: model.ToolPgbench, Pgbench: &g})
			data, err := Config(e, "", "test.cue")
			if err != nil {
				t.Fatal(err)
			}
			rep := report(t, runConfig(t, data, env))
			for _, w := range tc.want {
				if !strings.Contains(rep, w) {
					t.Errorf("report lacks %q:\n%s", w, rep)
				}
			}
			if strings.Contains(rep, "progress:") {
				t.Errorf("progress lines (stderr) leaked into the report:\n%s", rep)
			}
			t.Logf("pgbench %s, real figures here:\n%s", tc.name, rep)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestRedisBenchmarkRuns: the CSV of every test is the report (real
// redis-benchmark, real redis-server); a server that does not answer is
// refused at once instead of hanging.
func TestRedisBenchmarkRuns(t *testing.T) {
	need(t, "redis-benchmark", "redis-cli", "redis-server", "timeout")
	port := freePort(t)
	serve(t, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	waitPort(t, port)
	r := &model.RedisBenchmark{Host: "cache.$namespace.svc", Port: 6379, Tests: []string{"set", "get", "incr"}, Requests: 20000, Clients: 10, Pipeline: 4, DataSize: 64, Keyspace: ptr(1000), Timeout: "1m"}
	e := toolExperiment(&model.Benchmark{Tool: model.ToolRedisBenchmark, RedisBenchmark: r})
	data, err := Config(e, "", "test.cue")
	if err != nil {
		t.Fatal(err)
	}
	rep := report(t, runConfig(t, data, []string{"LAB_HOST=127.0.0.1", "LAB_PORT=" + strconv.Itoa(port), "LAB_TARGET=redis://127.0.0.1:" + strconv.Itoa(port)}))
	lines := strings.Split(strings.TrimSpace(rep), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], `"test","rps","avg_latency_ms"`) {
		t.Fatalf("want a header and 3 rows:\n%s", rep)
	}
	for i, name := range []string{"SET", "GET", "INCR"} {
		if !strings.HasPrefix(lines[i+1], `"`+name+`",`) {
			t.Errorf("row %d: %s, want test %s", i+1, lines[i+1], name)
		}
	}
	t.Logf("redis-benchmark, real figures here:\n%s", rep)

	// Nothing listens: the script fails fast with a clear message.
	cfg, res := t.TempDir(), t.TempDir()
	for k, v := range data {
		_ = os.WriteFile(filepath.Join(cfg, k), []byte(v), 0o644)
	}
	cmd := exec.Command("sh", filepath.Join(cfg, RunScript))
	cmd.Env = append(os.Environ(), EnvConfigDir+"="+cfg, EnvResultsDir+"="+res, "LAB_HOST=127.0.0.1", "LAB_PORT="+strconv.Itoa(freePort(t)), "LAB_TARGET=redis://down", "LAB_NAMESPACE=ns", "LAB_VARIANT=v", "LAB_EXPERIMENT=e", "LAB_RUN=r1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no PONG from redis://down") || strings.Contains(string(out), "K6_SUMMARY_BEGIN") {
		t.Errorf("server down: err %v, output:\n%s", err, out)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("server down took %s to fail", time.Since(start))
	}
}

// TestNatsBenchRuns: Core NATS subscribers then publishers, and JetStream
// publish then consume, each report pair between the markers (natscli
// v0.5.0, the pinned build, against a real nats-server with JetStream).
func TestNatsBenchRuns(t *testing.T) {
	need(t, "nats-server", "timeout")
	natsBin := testenv.Tool(t, "natscli")
	port := freePort(t)
	serve(t, "nats-server", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir())
	waitPort(t, port)
	env := []string{"LAB_TARGET=nats://127.0.0.1:" + strconv.Itoa(port), "PATH=" + filepath.Dir(natsBin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, tc := range []struct {
		name string
		n    model.NatsBench
		want []string
	}{
		{"core fan-out", model.NatsBench{Messages: 20000, Size: 128, Publishers: 2, Subscribers: 3},
			[]string{"NATS Core NATS publisher aggregated stats:", "NATS Core NATS subscriber aggregated stats:", "message rates min"}},
		{"jetstream", model.NatsBench{Messages: 10000, Size: 256, Publishers: 1, Subscribers: 2,
			JetStream: &model.NatsJetStream{Storage: "memory", Publish: "async", Batch: 100, Replicas: 1, Consumer: "consume"}},
			[]string{"NATS JetStream asynchronous publisher stats:", "NATS JetStream durable consumer (callback) aggregated stats:"}},
		{"publisher at a rate for a time", model.NatsBench{Messages: 100000, Size: 64, Publishers: 1, Throughput: ptr(2000), Duration: "2s"},
			[]string{"NATS Core NATS publisher stats:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			n.URL, n.Subject, n.Timeout = "nats://nats.$namespace.svc:4222", "lab.bench", "1m"
			e := toolExperiment(&model.Benchmark{Tool: model.ToolNatsBench, NatsBench: &n})
			data, err := Config(e, "", "test.cue")
			if err != nil {
				t.Fatal(err)
			}
			rep := report(t, runConfig(t, data, env))
			for _, w := range tc.want {
				if !strings.Contains(rep, w) {
					t.Errorf("report lacks %q:\n%s", w, rep)
				}
			}
			t.Logf("nats bench %s, real figures here:\n%s", tc.name, rep)
		})
	}
}

// TestFioRuns: the jobs run one after the other on their folders and the
// JSON report has one element per job, by name; the fsync job synced
// (real fio on temporary folders standing in for the volumes).
func TestFioRuns(t *testing.T) {
	need(t, "fio")
	data := t.TempDir()
	for _, v := range []string{"disk", "mem"} {
		if err := os.Mkdir(filepath.Join(data, v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f := &model.Fio{
		Volumes: map[string]*model.FioVolume{"disk": {Medium: "node-disk", Size: "1Gi"}, "mem": {Medium: "memory", Size: "64Mi"}},
		Jobs: map[string]*model.FioJob{
			"disk-fsync": {Volume: "disk", RW: "randwrite", BS: "4k", Size: "16M", IOEngine: "psync", IODepth: 1, Fsync: 1, NumJobs: 1, Runtime: "2s"},
			"disk-none":  {Volume: "disk", RW: "randwrite", BS: "4k", Size: "16M", IOEngine: "psync", IODepth: 1, NumJobs: 1, Runtime: "2s"},
			"mem-rw":     {Volume: "mem", RW: "randrw", RWMixRead: ptr(70), BS: "4k", Size: "16M", IOEngine: "psync", IODepth: 1, NumJobs: 2, Runtime: "2s"},
		},
	}
	e := toolExperiment(&model.Benchmark{Tool: model.ToolFio, Fio: f})
	cfg, err := Config(e, "", "test.cue")
	if err != nil {
		t.Fatal(err)
	}
	rep := report(t, runConfig(t, cfg, []string{EnvDataDir + "=" + data}))
	var out struct {
		Version string `json:"fio version"`
		Jobs    []struct {
			Name  string `json:"jobname"`
			Error int    `json:"error"`
			Write struct {
				IOPS float64 `json:"iops"`
			} `json:"write"`
			Sync struct {
				Lat struct {
					N int `json:"N"`
				} `json:"lat_ns"`
			} `json:"sync"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(rep), &out); err != nil {
		t.Fatalf("report is not fio's JSON: %v\n%s", err, rep)
	}
	var names []string
	for _, j := range out.Jobs {
		names = append(names, j.Name)
		if j.Error != 0 || j.Write.IOPS <= 0 {
			t.Errorf("job %s: error %d, write IOPS %v", j.Name, j.Error, j.Write.IOPS)
		}
		t.Logf("fio %s (%s), real figures here: write %.0f IOPS, %d fsyncs", j.Name, out.Version, j.Write.IOPS, j.Sync.Lat.N)
	}
	if strings.Join(names, ",") != "disk-fsync,disk-none,mem-rw" {
		t.Errorf("jobs %v, want one per job in name order (group_reporting merges numjobs)", names)
	}
	if len(out.Jobs) == 3 && (out.Jobs[0].Sync.Lat.N == 0 || out.Jobs[1].Sync.Lat.N != 0) {
		t.Errorf("fsyncs: %d with fsync=1, %d without", out.Jobs[0].Sync.Lat.N, out.Jobs[1].Sync.Lat.N)
	}
	// Each job removed its file.
	for _, v := range []string{"disk", "mem"} {
		if left, _ := os.ReadDir(filepath.Join(data, v)); len(left) > 0 {
			t.Errorf("files left on %s: %v", v, left)
		}
	}
}

// stub writes an executable shell script that stands in for a tool that
// cannot run here: it refuses options the tool does not have (the lists
// come from the tool's source at the pinned version) and prints output in
// the tool's documented format.
func stub(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// optionCheck is sh that exits 2 on an option not in allowed, and records
// the arguments in $ARGS_LOG.
func optionCheck(allowed ...string) string {
	return fmt.Sprintf(`echo "$0 $*" >>"$ARGS_LOG"
for a in "$@"; do
  case "$a" in
    --*) case " %s " in *" $a "*) ;; *) echo "unknown option $a" >&2; exit 2 ;; esac ;;
  esac
done
`, strings.Join(allowed, " "))
}

// TestKafkaPerfScript runs the Kafka script with stand-ins for the perf
// test scripts: Kafka and a JVM do not run here, so this checks the
// script's options against ProducerPerformance's and ConsumerPerformance's
// at Kafka 4.2.0 (the Strimzi image's), that the consumers run at once in
// groups of their own, and that the report holds the producer's output
// then each consumer's (in the documented format, not real figures).
func TestKafkaPerfScript(t *testing.T) {
	need(t, "sh")
	home := t.TempDir()
	argsLog := filepath.Join(t.TempDir(), "args")
	stub(t, filepath.Join(home, "bin", "kafka-producer-perf-test.sh"), optionCheck("--bootstrap-server", "--topic", "--num-records", "--record-size",
		"--payload-file", "--payload-monotonic", "--payload-delimiter", "--throughput", "--producer-props", "--command-property",
		"--producer.config", "--command-config", "--print-metrics", "--transactional-id", "--transaction-duration-ms",
		"--warmup-records", "--reporting-interval")+`
while [ $# -gt 0 ]; do
  if [ "$1" = --command-config ]; then grep -q '^acks=all$' "$2" || { echo "no acks=all in $2" >&2; exit 3; }; fi
  shift
done
echo "500000 records sent, 19998.400128 records/sec (19.53 MB/sec), 3.10 ms avg latency, 200.00 ms max latency, 2 ms 50th, 8 ms 95th, 15 ms 99th, 40 ms 99.9th."
`)
	stub(t, filepath.Join(home, "bin", "kafka-consumer-perf-test.sh"), optionCheck("--bootstrap-server", "--topic", "--include", "--group",
		"--fetch-size", "--command-property", "--from-latest", "--socket-buffer-size", "--consumer.config", "--command-config",
		"--print-metrics", "--show-detailed-stats", "--timeout", "--messages", "--num-records", "--reporting-interval",
		"--date-format", "--hide-header")+`
# Wait (10s at most) until all three consumers run: run one after the
# other, the first would give up.
touch "$SYNC_DIR/$$"
i=0
while [ "$(ls "$SYNC_DIR" | wc -l)" -lt 3 ]; do
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then echo "consumers do not run at once" >&2; exit 4; fi
  sleep 0.1
done
echo "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
echo "2026-12-03 10:00:00:000, 2026-12-03 10:00:05:000, 488.2812, 97.6562, 500000, 100000.0000, 3000, 2000, 244.1406, 250000.0000"
`)
	k := &model.KafkaPerf{Bootstrap: "lab-kafka-bootstrap.$namespace.svc:9092", Topic: "bench", Records: 500000, RecordSize: 1024, Throughput: 20000,
		Acks: "all", Producer: map[string]string{"linger.ms": "5"}, WarmupRecords: ptr(1000), Consumers: 3, HeapMiB: 256, Timeout: "5m"}
	e := toolExperiment(&model.Benchmark{Tool: model.ToolKafkaPerf, KafkaPerf: k})
	data, err := Config(e, "", "test.cue")
	if err != nil {
		t.Fatal(err)
	}
	rep := report(t, runConfig(t, data, []string{"KAFKA_HOME=" + home, "ARGS_LOG=" + argsLog, "SYNC_DIR=" + t.TempDir(), "LAB_TARGET=127.0.0.1:9092", "LAB_POD=exp-kafka-perf-r1-abcde"}))
	if n := strings.Count(rep, "start.time, end.time"); n != 3 || !strings.HasPrefix(rep, "500000 records sent") {
		t.Errorf("want the producer's total then 3 consumer blocks, got:\n%s", rep)
	}
	args, _ := os.ReadFile(argsLog)
	for _, w := range []string{"--group lab-exp-kafka-perf-r1-abcde-1", "--group lab-exp-kafka-perf-r1-abcde-3", "--num-records 500000", "--warmup-records 1000", "--throughput 20000"} {
		if !strings.Contains(string(args), w) {
			t.Errorf("no %q in the calls:\n%s", w, args)
		}
	}
}

// TestPerfTestScript runs the PerfTest script with a stand-in for java:
// no broker or JVM here, so it checks the options against PerfTest's at
// v2.25.0 (PerfTest.java) and that its stdout becomes the report.
func TestPerfTestScript(t *testing.T) {
	need(t, "sh")
	bin := t.TempDir()
	argsLog := filepath.Join(t.TempDir(), "args")
	stub(t, filepath.Join(bin, "java"), `[ "$1 $2" = "-jar /perf_test/perf-test.jar" ] || { echo "not PerfTest: $*" >&2; exit 2; }
shift 2
`+optionCheck("--uri", "--id", "--time", "--producers", "--consumers", "--size", "--rate", "--consumer-rate", "--confirm", "--flag",
		"--quorum-queue", "--auto-delete", "--exchange", "--type", "--queue", "--queue-pattern", "--queue-pattern-from", "--queue-pattern-to")+`
echo "id: exp-shared-r1, time 1.000 s, sent: 2000 msg/s, received: 8000 msg/s, min/median/75th/95th/99th/max consumer latency: 210/1520/2330/4100/6012/9050 µs"
echo "test stopped (Reached time limit)"
echo "id: exp-shared-r1, sending rate avg: 2000 msg/s"
echo "id: exp-shared-r1, receiving rate avg: 8000 msg/s"
`)
	pt := &model.PerfTest{URI: "amqp://guest:guest@rabbitmq.$namespace.svc:5672", Producers: 1, Consumers: 4, Size: 1024, Duration: "1m",
		Rate: ptr(2000), Confirm: ptr(100), Persistent: true, QueueType: "quorum", Queues: 4, ExchangeType: "fanout"}
	e := toolExperiment(&model.Benchmark{Tool: model.ToolPerfTest, PerfTest: pt})
	data, err := Config(e, "", "test.cue")
	if err != nil {
		t.Fatal(err)
	}
	rep := report(t, runConfig(t, data, []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "ARGS_LOG=" + argsLog, "LAB_TARGET=amqp://guest:guest@127.0.0.1:5672"}))
	if !strings.Contains(rep, "sending rate avg: 2000 msg/s") {
		t.Errorf("report:\n%s", rep)
	}
	args, _ := os.ReadFile(argsLog)
	for _, w := range []string{"--time 60", "--queue-pattern lab-perf-%d --queue-pattern-from 1 --queue-pattern-to 4", "--type fanout", "--quorum-queue", "--flag persistent", "--confirm 100", "--id exp-shared-r1"} {
		if !strings.Contains(string(args), w) {
			t.Errorf("no %q in the call:\n%s", w, args)
		}
	}
}
