package load

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// benchLab is a lab with one experiment of two variants (a, b) in
// phases/lab.cue; a test adds its benchmark in phases/bench.cue.
const benchLab = `package phases

import "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/schema"

lab: schema.#Lab & {
	name:    "test-lab"
	repoURL: "https://git.example.test/lab.git"
	clusters: hub: {}
	costModel: nodeHour: "kind-node": 0
	phases: data: {
		number:   5
		title:    "Data"
		builds:   "b"
		measures: "m"
		finops:   "f"
		experiments: db: {
			kind:        "comparison"
			status:      "planned"
			title:       "Two servers"
			description: "Two servers under load."
			variants: {
				a: components: server: chart: {repository: "https://charts.example.test", name: "a", version: "1.0.0"}
				b: components: server: chart: {repository: "https://charts.example.test", name: "b", version: "1.0.0"}
			}
			measure: summary: "throughput"
			cost: question:   "what does it cost?"
			compare: summary: "a against b"
		}
	}
}
`

// loadBench loads the lab with bench as phases/bench.cue.
func loadBench(t *testing.T, bench string) (*Source, error) {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"cue.mod", "schema"} {
		files, err := filepath.Glob(filepath.Join("../../../..", sub, "*.cue"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s/*.cue: %v", sub, err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "phases"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"lab.cue": benchLab, "bench.cue": bench} {
		if err := os.WriteFile(filepath.Join(dir, "phases", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Load(dir)
}

const pgbenchOK = `package phases

lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {
		host:     "pg-rw.$namespace.svc"
		passwordSecret: {name: "pg-app", key: "password"}
		clients:  8
		threads:  2
		duration: "2m"
	}
}
`

func TestToolBenchmarkLoads(t *testing.T) {
	src, err := loadBench(t, pgbenchOK)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := src.Lab.Experiment("db")
	b := e.Benchmark
	if b.Tool != model.ToolPgbench || b.Pgbench == nil {
		t.Fatalf("tool %q, pgbench %v", b.Tool, b.Pgbench)
	}
	g := b.Pgbench
	// The schema's defaults reach the model.
	if g.Port != 5432 || g.Database != "lab" || g.User != "lab" || g.Scale != 10 || g.Protocol != "simple" || !g.Init || g.Progress != "10s" {
		t.Errorf("defaults: %+v", g)
	}
	if got := e.BenchmarkJobName("a", 3); got != "db-a-pgbench-r3" {
		t.Errorf("job name %q", got)
	}
	if got := e.BenchmarkConfigMap("b"); got != "pgbench-config" {
		t.Errorf("config map %q", got)
	}
	if l := b.LoadOf("a"); l.Measured().String() != "2m0s" || l.ExpectedOperations() != 0 {
		t.Errorf("measured %v, operations %d", l.Measured(), l.ExpectedOperations())
	}
}

// TestVariantTools: each variant may run its own tool; the benchmark's
// tool runs against the others.
func TestVariantTools(t *testing.T) {
	src, err := loadBench(t, `package phases

lab: phases: data: experiments: db: benchmark: {
	tool: "redis-benchmark"
	redisBenchmark: {host: "valkey.$namespace.svc", tests: ["set", "get", "incr"], requests: 1000}
	variants: b: {
		tool: "nats-bench"
		natsBench: {url: "nats://nats.$namespace.svc:4222", messages: 5000}
		runner: {cpu: "2", memory: "1Gi"}
	}
}
`)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := src.Lab.Experiment("db")
	a, b := e.Benchmark.LoadOf("a"), e.Benchmark.LoadOf("b")
	if a.Tool != model.ToolRedisBenchmark || a.ExpectedOperations() != 3000 || a.Runner.CPU != "1" {
		t.Errorf("variant a: %+v", a)
	}
	if b.Tool != model.ToolNatsBench || b.ExpectedOperations() != 5000 || b.Runner.Memory != "1Gi" {
		t.Errorf("variant b: %+v", b)
	}
	if e.BenchmarkJobName("b", 1) != "db-b-nats-bench-r1" || e.BenchmarkJobName("a", 1) != "db-a-redis-benchmark-r1" {
		t.Errorf("job names %s %s", e.BenchmarkJobName("a", 1), e.BenchmarkJobName("b", 1))
	}
}

// TestToolBenchmarkErrors: each bad benchmark is refused with the file,
// line and field of the mistake. at is a text on the line the error must
// point to.
func TestToolBenchmarkErrors(t *testing.T) {
	tests := []struct {
		name, bench, at, field, msg string
	}{
		{
			name: "tool without its block",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
}`,
			// The block is missing: the error points at the benchmark.
			at: `benchmark: {`, field: "benchmark.pgbench", msg: "field is required but not present",
		},
		{
			name: "unknown tool",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "jmeter"
}`,
			at: `tool: "jmeter"`, field: "benchmark.tool", msg: "jmeter",
		},
		{
			name: "a typo in a parameter",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {host: "pg-rw.$namespace.svc", duration: "1m"}
	pgbench: clinets: 4
}`,
			at: `clinets: 4`, field: "benchmark.pgbench.clinets", msg: "field not allowed",
		},
		{
			name: "k6 fields with another tool",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {host: "pg-rw.$namespace.svc", duration: "1m"}
	scenarios: steady: {executor: "constant-vus", vus: 1, duration: "1m"}
}`,
			at: `scenarios: steady`, field: "benchmark.scenarios", msg: "scenarios is a k6 field, and no variant runs k6 (tool: pgbench)",
		},
		{
			name: "another tool's block",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {host: "pg-rw.$namespace.svc", duration: "1m"}
	redisBenchmark: {host: "valkey.$namespace.svc", tests: ["get"]}
}`,
			at: `redisBenchmark: {host`, field: "benchmark.redisBenchmark", msg: "holds redis-benchmark's parameters, but the tool here is pgbench",
		},
		{
			name: "threads above clients",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {
		host:     "pg-rw.$namespace.svc"
		duration: "1m"
		clients:  2
		threads:  4
	}
}`,
			at: `threads:  4`, field: "benchmark.pgbench.threads", msg: "threads 4 exceed clients 2",
		},
		{
			name: "a duration pgbench cannot take",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {host: "pg-rw.$namespace.svc", duration: "1500ms"}
}`,
			at: `duration: "1500ms"`, field: "benchmark.pgbench.duration", msg: "must be a whole number of seconds",
		},
		{
			name: "builtin and script",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {host: "pg-rw.$namespace.svc", duration: "1m", builtin: "select-only"}
	pgbench: script: "SELECT 1;"
}`,
			at: `script: "SELECT 1;"`, field: "benchmark.pgbench.script", msg: "builtin select-only and script are both set",
		},
		{
			name: "an entry for a variant that does not exist",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "pgbench"
	pgbench: {host: "pg-rw.$namespace.svc", duration: "1m"}
	variants: c: {tool: "fio", fio: {volumes: d: medium: "node-disk", jobs: j: {volume: "d", rw: "read", runtime: "10s"}}}
}`,
			at: `variants: c:`, field: "benchmark.variants.c", msg: `no variant "c" in experiment db (variants: a, b)`,
		},
		{
			name: "a redis test twice",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "redis-benchmark"
	redisBenchmark: {host: "valkey.$namespace.svc", tests: ["set", "get", "set"]}
}`,
			at: `tests: ["set"`, field: "benchmark.redisBenchmark.tests[2]", msg: "test set is listed twice",
		},
		{
			name: "an unknown redis test",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "redis-benchmark"
	redisBenchmark: {host: "valkey.$namespace.svc", tests: ["set", "georadius"]}
}`,
			at: `tests: ["set"`, field: "benchmark.redisBenchmark.tests[1]", msg: `unknown test "georadius" (redis-benchmark's tests: ping_inline,`,
		},
		{
			name: "nats duration without throughput",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "nats-bench"
	natsBench: {url: "nats://nats.$namespace.svc:4222", duration: "30s"}
}`,
			at: `natsBench: {url`, field: "benchmark.natsBench.duration", msg: "duration needs throughput",
		},
		{
			name: "a JetStream stream larger than nats bench makes",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "nats-bench"
	natsBench: {
		url:      "nats://nats.$namespace.svc:4222"
		messages: 2000000
		size:     1024
		jetstream: storage: "file"
	}
}`,
			at: `messages: 2000000`, field: "benchmark.natsBench.messages", msg: "2000000 messages of 1024 bytes exceed the 1 GB stream",
		},
		{
			name: "kafka JVMs beyond the runner",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "kafka-perf"
	kafkaPerf: {
		bootstrap: "lab-kafka-bootstrap.$namespace.svc:9092"
		topic:     "bench"
		consumers: 4
	}
}`,
			at: `consumers: 4`, field: "benchmark.kafkaPerf.consumers", msg: "4 JVM(s) of 256 MiB heap (+128 MiB each) need 1536Mi, more than the runner's memory 512Mi",
		},
		{
			name: "fio direct I/O on tmpfs",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "fio"
	fio: {
		volumes: mem: {medium: "memory", size: "128Mi"}
		jobs: w: {
			volume:  "mem"
			rw:      "randwrite"
			direct:  true
			runtime: "30s"
		}
	}
}`,
			at: `direct:  true`, field: "benchmark.fio.jobs.w.direct", msg: "tmpfs (medium memory) refuses O_DIRECT",
		},
		{
			name: "fio on a volume it does not declare",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "fio"
	fio: {
		volumes: disk: medium: "node-disk"
		jobs: w: {
			volume:  "disc"
			rw:      "randwrite"
			runtime: "30s"
		}
	}
}`,
			at: `volume:  "disc"`, field: "benchmark.fio.jobs.w.volume", msg: `no volume "disc" (volumes: disk)`,
		},
		{
			name: "fio tmpfs larger than the pod",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "fio"
	fio: {
		volumes: mem: {medium: "memory", size: "1Gi"}
		jobs: w: {volume: "mem", rw: "write", runtime: "30s"}
	}
}`,
			at: `volumes: mem:`, field: "benchmark.fio.volumes", msg: "memory volumes of 1Gi do not fit the runner's memory 512Mi",
		},
		{
			name: "a k6 target for a variant of another tool",
			bench: `lab: phases: data: experiments: db: benchmark: {
	target: "http://server.$namespace.svc:8080"
	targets: b: "http://other.$namespace.svc:8080"
	scenarios: steady: {executor: "constant-vus", vus: 1, duration: "1m"}
	requests: home: path: "/"
	variants: b: {tool: "perftest", perfTest: {uri: "amqp://rabbitmq.$namespace.svc:5672", duration: "1m"}}
}`,
			at: `targets: b:`, field: "benchmark.targets.b", msg: "variant b runs perftest, not k6",
		},
		{
			name: "perftest consumers fewer than queues",
			bench: `lab: phases: data: experiments: db: benchmark: {
	tool: "perftest"
	perfTest: {
		uri:          "amqp://rabbitmq.$namespace.svc:5672"
		duration:     "1m"
		queues:       10
		consumers:    3
		exchangeType: "fanout"
	}
}`,
			at: `consumers:    3`, field: "benchmark.perfTest.consumers", msg: "3 consumers for 10 queues",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "package phases\n\n" + tt.bench + "\n"
			_, err := loadBench(t, body)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			line := 0
			for i, l := range strings.Split(body, "\n") {
				if strings.Contains(l, tt.at) {
					line = i + 1
					break
				}
			}
			if line == 0 {
				t.Fatalf("test error: %q is not in the benchmark", tt.at)
			}
			want := fmt.Sprintf("phases/bench.cue:%d:", line)
			field := "lab.phases.data.experiments.db." + tt.field
			for _, e := range err.(Errors) {
				if strings.HasPrefix(e.Error(), want) && e.Path == field && strings.Contains(e.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("no error at %s for %s with %q; got:\n%v", want, field, tt.msg, err)
		})
	}
}
