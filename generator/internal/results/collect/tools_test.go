package collect

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/benchjobs"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// toolVariants are the variants of toolLab, one per load tool's log in
// testdata (the exporter serves a system under test in each namespace).
var toolVariants = []string{"pg", "redis", "natsfan", "natsjs", "natsdur", "kafka", "perftest", "fio"}

func ip(v int) *int { return &v }

// toolLab is experiment "lab" whose variants each run one load tool, with
// the parameters the logs in testdata were made with (testdata/README.md).
func toolLab() (*labmodel.Lab, *labmodel.Experiment) {
	nats := func(n labmodel.NatsBench) *labmodel.NatsBench {
		n.URL, n.Subject, n.Timeout = "nats://nats.$namespace.svc:4222", "lab.bench", "1m"
		return &n
	}
	e := &labmodel.Experiment{
		Name: "lab", Phase: "data",
		Variants: map[string]*labmodel.Variant{},
		Cost:     labmodel.CostQuestion{Pricing: "resources"},
		Benchmark: &labmodel.Benchmark{
			Tool: labmodel.ToolPgbench,
			Pgbench: &labmodel.Pgbench{Host: "pg.$namespace.svc", Port: 5432, Database: "lab", User: "lab", Scale: 1, Clients: 4, Threads: 2,
				Duration: "5s", Builtin: "tpcb-like", Protocol: "prepared", Init: true, InitTimeout: "2m", Progress: "1s"},
			Repetitions: 1,
			Runner:      labmodel.Runner{CPU: "1", Memory: "1Gi"},
			Source:      "phases/lab.cue",
			Variants: map[string]*labmodel.VariantLoad{
				"redis": {Tool: labmodel.ToolRedisBenchmark, RedisBenchmark: &labmodel.RedisBenchmark{Host: "cache.$namespace.svc", Port: 6379,
					Tests: []string{"set", "get"}, Requests: 50000, Clients: 10, Pipeline: 4, DataSize: 64, Keyspace: ip(1000), Timeout: "1m"}},
				"natsfan": {Tool: labmodel.ToolNatsBench, NatsBench: nats(labmodel.NatsBench{Messages: 20000, Size: 128, Publishers: 2, Subscribers: 3})},
				"natsjs": {Tool: labmodel.ToolNatsBench, NatsBench: nats(labmodel.NatsBench{Messages: 10000, Size: 256, Publishers: 1, Subscribers: 2,
					JetStream: &labmodel.NatsJetStream{Storage: "memory", Publish: "async", Batch: 100, Replicas: 1, Consumer: "consume"}})},
				"natsdur": {Tool: labmodel.ToolNatsBench, NatsBench: nats(labmodel.NatsBench{Messages: 100000, Size: 64, Publishers: 1, Throughput: ip(2000), Duration: "3s"})},
				"kafka": {Tool: labmodel.ToolKafkaPerf, KafkaPerf: &labmodel.KafkaPerf{Bootstrap: "kafka.$namespace.svc:9092", Topic: "bench", Records: 1000000,
					RecordSize: 1024, Throughput: -1, Acks: "all", WarmupRecords: ip(200000), Consumers: 2, HeapMiB: 256, Timeout: "5m"}},
				"perftest": {Tool: labmodel.ToolPerfTest, PerfTest: &labmodel.PerfTest{URI: "amqp://rabbitmq.$namespace.svc:5672", Producers: 1, Consumers: 1,
					Size: 1024, Duration: "5s", QueueType: "classic", Queues: 1, ExchangeType: "direct"}},
				"fio": {Tool: labmodel.ToolFio, Fio: &labmodel.Fio{
					Volumes: map[string]*labmodel.FioVolume{"disk": {Medium: labmodel.FioNodeDisk, Size: "1Gi"}},
					Jobs: map[string]*labmodel.FioJob{
						"disk-fsync": {Volume: "disk", RW: "randwrite", BS: "4k", Size: "16M", IOEngine: "psync", IODepth: 1, Fsync: 1, NumJobs: 1, Runtime: "2s"},
						"disk-read":  {Volume: "disk", RW: "randread", BS: "4k", Size: "16M", IOEngine: "psync", IODepth: 1, NumJobs: 1, Runtime: "2s"},
					},
					RampTime: "1s",
				}},
			},
		},
	}
	for _, v := range toolVariants {
		e.Variants[v] = &labmodel.Variant{Name: v}
	}
	lab := &labmodel.Lab{Name: "l", CostCenter: "lab", Phases: map[string]*labmodel.Phase{"data": {Name: "data", Experiments: map[string]*labmodel.Experiment{"lab": e}}},
		CostModel: labmodel.CostModel{Currency: "USD", CPUCoreHour: 0.031611, RAMGiBHour: 0.004237, StorageGiBMonth: 0.04, HoursPerMonth: 730}}
	return lab, e
}

// toolJobs are the rendered Jobs of toolLab by variant, and the digest of
// each variant's configuration.
func toolJobs(t *testing.T, lab *labmodel.Lab, e *labmodel.Experiment) (map[string]*batchv1.Job, map[string]string) {
	t.Helper()
	objs, err := benchjobs.Objects(lab, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	jobs, digests := map[string]*batchv1.Job{}, map[string]string{}
	for _, o := range objs {
		switch x := o.Object.(type) {
		case *batchv1.Job:
			jobs[x.Spec.Template.Labels[labels.Variant]] = x
		case *corev1.ConfigMap:
			digests[strings.TrimPrefix(x.Namespace, "lab-")] = benchjobs.ConfigDigest(x.Data)
		}
	}
	if len(jobs) != len(toolVariants) {
		t.Fatalf("%d Jobs, want one per variant %v", len(jobs), toolVariants)
	}
	return jobs, digests
}

// podOf is the finished pod a Job's template makes, as the kubelet leaves
// it: the load container terminated with code 0 over w.
func podOf(job *batchv1.Job, run string, w Window) *corev1.Pod {
	tpl := job.Spec.Template.DeepCopy()
	p := &corev1.Pod{ObjectMeta: tpl.ObjectMeta, Spec: tpl.Spec}
	p.Namespace, p.Name = job.Namespace, job.Name+"-"+run
	p.Labels[labels.Run] = run
	p.Spec.NodeName = "node-load"
	ctr := p.Spec.Containers[0]
	p.Status = corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{{
		Name: ctr.Name, Image: ctr.Image, ImageID: ctr.Image + "@sha256:" + strings.Repeat("3", 64),
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, StartedAt: metav1.NewTime(w.Start), FinishedAt: metav1.NewTime(w.End)}},
	}}}
	return p
}

// createPod creates p in the API server with its status (namespace and
// its default service account made on first use).
func createPod(t *testing.T, kube kubernetes.Interface, p *corev1.Pod) {
	t.Helper()
	ctx := context.Background()
	if _, err := kube.CoreV1().Namespaces().Get(ctx, p.Namespace, metav1.GetOptions{}); err != nil {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.Namespace}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := kube.CoreV1().ServiceAccounts(p.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	status := p.Status
	created, err := kube.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status = status
	if _, err := kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// toolLogs are the testdata log of each variant of toolLab.
var toolLogs = map[string]string{
	"pg": "pgbench-pod.log", "redis": "redis-benchmark-pod.log", "natsfan": "nats-bench-fanout-pod.log", "natsjs": "nats-bench-jetstream-pod.log",
	"natsdur": "nats-bench-duration-pod.log", "kafka": "kafka-perf-pod.log", "perftest": "perftest-pod.log", "fio": "fio-pod.log",
}

// testCollectTools collects one run of every load tool the lab renders:
// pods made from the rendered Jobs on a real kube-apiserver, the tools'
// logs from testdata (real output of pgbench, redis-benchmark, natscli
// and fio run by the Jobs' scripts here; Kafka's and PerfTest's in their
// documented format), usage from the real Prometheus.
func testCollectTools(t *testing.T, f *promFixture) {
	kube := apiserverClient(t)
	ctx := context.Background()
	if _, err := kube.CoreV1().Nodes().Create(ctx, node("node-load", "c6i.xlarge"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lab, e := toolLab()
	jobs, digests := toolJobs(t, lab, e)
	logs := mapLogs{}
	for _, v := range toolVariants {
		p := podOf(jobs[v], "r1", f.w)
		createPod(t, kube, p)
		logs[p.Namespace+"/"+p.Name+"/"+p.Spec.Containers[0].Name] = readTestdata(t, toolLogs[v])
	}
	type want struct {
		tool, unit string
		ops        int64
		version    string // "" for none
		parts      []string
	}
	wants := map[string]want{
		"pg":       {results.ToolPgbench, results.UnitTransactions, 9349, "15.18 (Debian 15.18-0+deb12u1)", nil},
		"redis":    {results.ToolRedisBenchmark, results.UnitCommands, 100000, "", []string{"test SET 50000", "test GET 50000"}},
		"natsfan":  {results.ToolNatsBench, results.UnitMessages, 20000, "", []string{"direction Core NATS subscriber 60000"}},
		"natsjs":   {results.ToolNatsBench, results.UnitMessages, 10000, "", []string{"direction JetStream durable consumer (callback) 10000"}},
		"natsdur":  {results.ToolNatsBench, results.UnitMessages, 6000, "", nil},
		"kafka":    {results.ToolKafkaProducer, results.UnitMessages, 800000, "", []string{"direction consumer 1 1000000", "direction consumer 2 1000000"}},
		"perftest": {results.ToolPerfTest, results.UnitMessages, 112105, "", []string{"direction sent 112716"}},
		"fio":      {results.ToolFio, results.UnitIOOperations, 26447, "3.33", []string{"direction disk-fsync write 2448", "direction disk-fsync sync 2448", "direction disk-read read 23999"}},
	}
	dir := t.TempDir()
	for _, v := range toolVariants {
		t.Run(v, func(t *testing.T) {
			w := wants[v]
			o := Options{Lab: lab, Experiment: e, Variant: v, Run: "r1", RepoRoot: "."}
			r, err := Collect(ctx, Sources{Kube: kube, Logs: logs, Prom: f.prom}, o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Tool.Name != w.tool || r.Operations.Unit != w.unit || (w.ops != 0 && r.Operations.Count != w.ops) || r.Operations.Count <= 0 || r.LoadGenerators != 1 {
				t.Errorf("%s: %d %s over %d load generator(s), want %s: %d %s", r.Tool.Name, r.Operations.Count, r.Operations.Unit, r.LoadGenerators, w.tool, w.ops, w.unit)
			}
			if got := deref(r.Tool.Version); got != w.version {
				t.Errorf("tool version %q, want %q (the tool's own, never the lab image's tag)", got, w.version)
			}
			var parts []string
			for _, p := range r.Breakdown {
				parts = append(parts, p.Kind+" "+p.Name+" "+itoa(p.Operations))
			}
			if strings.Join(parts, "|") != strings.Join(w.parts, "|") {
				t.Errorf("breakdown %q, want %q", parts, w.parts)
			}
			if r.Run == nil || r.Run.ScriptSHA256 != digests[v] || r.Run.Namespace != "lab-"+v {
				t.Errorf("run %+v: want the configuration's digest %s", r.Run, digests[v])
			}
			if r.Resources == nil || len(r.Resources.Containers) != 1 || r.Resources.Containers[0].Name != "lab-"+v+"/sut-0/sut" {
				t.Errorf("resources %+v: want the system under test only, not the load pod", r.Resources)
			}
			if r.Cost == nil || r.Cost.Total <= 0 || r.Cost.PerMillionOperations == nil {
				t.Errorf("cost %+v", r.Cost)
			}
			validateSchema(t, r)
			if _, err := CollectAndStore(ctx, Sources{Kube: kube, Logs: logs, Prom: f.prom}, o, dir); err != nil {
				t.Errorf("store: %v", err)
			}
			t.Logf("%s: %d %s in %.3f s (%.0f/s), cost %.6g %s", v, r.Operations.Count, r.Operations.Unit, r.DurationS, r.ThroughputPerS, r.Cost.Total, r.Cost.Currency)
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func itoa(n *int64) string {
	if n == nil {
		return "null"
	}
	return strconv.FormatInt(*n, 10)
}

// TestCollectToolsRefuses: broken runs of every tool are refused with the
// pod log and the problem named, before Prometheus is asked (pods on a
// real kube-apiserver made from the rendered Jobs).
func TestCollectToolsRefuses(t *testing.T) {
	kube := apiserverClient(t)
	lab, e := toolLab()
	jobs, _ := toolJobs(t, lab, e)
	w := Window{Start: time.Unix(1_800_000_000, 0), End: time.Unix(1_800_000_030, 0)}
	// Collection fails before Prometheus is asked: a closed port.
	prom, err := NewPrometheus("http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("testdata lacks %q", old)
			}
			return bytes.Replace(b, []byte(old), []byte(new), 1)
		}
	}
	for i, c := range []struct {
		name, variant string
		log           func([]byte) []byte
		pod           func(*corev1.Pod)
		want          string
	}{
		{"redis test missing", "redis", edit(`"GET","58892.82","0.512","0.064","0.207","2.111","6.335","31.103"`+"\n", ""), nil,
			"50000 commands, fewer than the 100000 declared: the run stopped early"},
		{"redis declared another count", "redis", nil, func(p *corev1.Pod) { p.Annotations[labels.ExpectedOperations] = "99" },
			"declares lab.illm.dev/expected-operations 99, the lab's benchmark 100000: the run was made from another configuration"},
		{"bad declared count", "redis", nil, func(p *corev1.Pod) { p.Annotations[labels.ExpectedOperations] = "lots" },
			`annotation lab.illm.dev/expected-operations: "lots" is not a positive count`},
		{"nats subscribers report missing", "natsfan", func(b []byte) []byte {
			i := bytes.Index(b, []byte("  [1] 212,165"))
			j := bytes.Index(b, []byte("K6_SUMMARY_END"))
			return append(append([]byte{}, b[:i]...), b[j:]...)
		}, nil, "(Core NATS subscriber): refusing result"},
		{"nats subscriber missed messages", "natsfan", edit("24 MiB/sec (20,000 msgs)", "24 MiB/sec (19,000 msgs)"), nil,
			"59000 of the 60000 messages the tool was told to run: the run stopped early"},
		{"nats error on stderr", "natsdur", func(b []byte) []byte {
			return append([]byte("nats: error: nats: no servers available for connection\n"), b...)
		}, nil,
			"the tool reported an error: nats: error: nats: no servers available"},
		{"kafka producer short", "kafka", edit("800000 steady state records sent", "700000 steady state records sent"), nil,
			"700000 messages, fewer than the 800000 declared"},
		{"kafka consumer gave up", "kafka", edit("2026-12-03 13:40:01:120", "WARNING: Exiting before consuming the expected number of messages: timeout (30000 ms) exceeded.\n2026-12-03 13:40:01:120"), nil,
			"(consumer 2): refusing result"},
		{"perftest producer error", "perftest", edit("test stopped (Reached time limit)", "test stopped (Error in producer)"), nil, "Error in producer"},
		{"pgbench log truncated", "pg", func(b []byte) []byte { return b[:bytes.Index(b, []byte("tps = "))] }, nil, "truncated log"},
		{"pgbench two reports", "pg", func(b []byte) []byte { return append(append([]byte{}, b...), b...) }, nil, "a second summary"},
		{"fio shorter than declared", "fio", nil, func(p *corev1.Pod) { p.Annotations[labels.ExpectedDuration] = "10s" }, "shorter than the declared 10s"},
		{"another tool than declared", "pg", nil, func(p *corev1.Pod) { p.Labels[labels.Tool] = "fio" },
			"its pods ran fio (label lab.illm.dev/tool), but experiment lab declares pgbench for variant pg"},
		{"unknown tool", "pg", nil, func(p *corev1.Pod) { p.Labels[labels.Tool] = "jmeter" }, `label lab.illm.dev/tool="jmeter" names no load tool the collector reads`},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := "c" + strconv.Itoa(i)
			p := podOf(jobs[c.variant], run, w)
			if c.pod != nil {
				c.pod(p)
			}
			createPod(t, kube, p)
			log := readTestdata(t, toolLogs[c.variant])
			if c.log != nil {
				log = c.log(log)
			}
			dir := t.TempDir()
			_, err := CollectAndStore(context.Background(), Sources{Kube: kube, Prom: prom, Logs: mapLogs{p.Namespace + "/" + p.Name + "/" + p.Spec.Containers[0].Name: log}},
				Options{Lab: lab, Experiment: e, Variant: c.variant, Run: run, RepoRoot: "."}, dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want it to mention %q", err, c.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("something was stored: %v", ents)
			}
		})
	}
}

// TestCollectToolsPods: two load pods of one run are two load generators:
// the publishers merge, each pod's subscribers are a breakdown part named
// after the pod (pods on a real kube-apiserver made from the rendered Job).
func TestCollectToolsPods(t *testing.T) {
	kube := apiserverClient(t)
	lab, e := toolLab()
	jobs, _ := toolJobs(t, lab, e)
	w := Window{Start: time.Unix(1_800_000_000, 0), End: time.Unix(1_800_000_030, 0)}
	log := readTestdata(t, "nats-bench-fanout-pod.log")
	other := bytes.Replace(bytes.Replace(log, []byte("[1] 229,088 msgs/sec"), []byte("[1] 229,000 msgs/sec"), 1),
		[]byte("[1] 212,165 msgs/sec"), []byte("[1] 212,000 msgs/sec"), 1)
	logs := mapLogs{}
	var pods []corev1.Pod
	for i, l := range [][]byte{log, other} {
		p := podOf(jobs["natsfan"], "m1", w)
		p.Name += "-" + strconv.Itoa(i)
		createPod(t, kube, p)
		logs[p.Namespace+"/"+p.Name+"/"+p.Spec.Containers[0].Name] = l
		pods = append(pods, *p)
	}
	listed, err := RunPods(context.Background(), kube, "lab-natsfan", RunSelector("lab", "natsfan", "m1"))
	if err != nil || len(listed) != 2 {
		t.Fatalf("pods %d, %v", len(listed), err)
	}
	r, tool, _, err := parseRun(context.Background(), logs, listed, e, "natsfan")
	if err != nil {
		t.Fatal(err)
	}
	if tool != labmodel.ToolNatsBench || r.LoadGenerators != 2 || r.Operations.Count != 40000 {
		t.Errorf("%s: %d load generators, %d messages; want 2 pods of 20000", tool, r.LoadGenerators, r.Operations.Count)
	}
	var parts []string
	for _, p := range r.Breakdown {
		parts = append(parts, p.Name+" "+itoa(p.Operations))
	}
	want := []string{pods[0].Name + " Core NATS subscriber 60000", pods[1].Name + " Core NATS subscriber 60000"}
	if strings.Join(parts, "|") != strings.Join(want, "|") {
		t.Errorf("breakdown %q, want %q", parts, want)
	}
	// The same log from both pods is one load generator counted twice.
	logs[pods[1].Namespace+"/"+pods[1].Name+"/"+pods[1].Spec.Containers[0].Name] = log
	if _, _, _, err := parseRun(context.Background(), logs, listed, e, "natsfan"); err == nil {
		t.Error("two pods with the same log accepted")
	}
}

func TestToolOf(t *testing.T) {
	mk := func(name, tool string) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
		if tool != "" {
			p.Labels[labels.Tool] = tool
		}
		return p
	}
	if got, err := ToolOf([]corev1.Pod{mk("a", "")}); err != nil || got != labmodel.ToolK6 {
		t.Errorf("no label: %q, %v; want k6", got, err)
	}
	if _, err := ToolOf([]corev1.Pod{mk("a", "fio"), mk("b", "pgbench")}); err == nil || !strings.Contains(err.Error(), `load pods disagree on lab.illm.dev/tool: a has "fio", b has "pgbench"`) {
		t.Errorf("two tools in one run: %v", err)
	}
	if _, err := ToolOf([]corev1.Pod{mk("a", "fio"), mk("b", "")}); err == nil {
		t.Error("a labelled and an unlabelled pod in one run accepted")
	}
}
