package collect

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/benchjobs"
)

// TestBenchmarkJobContract checks the contract between the benchmark Jobs
// and the collector from both sides: pods made from the Jobs the renderer
// writes are found by the collector's selector for their run, and carry the
// script digest and declared duration the collector reads, equal to what
// the renderer computed.
func TestBenchmarkJobContract(t *testing.T) {
	rate, vus := 10, 5
	e := &model.Experiment{
		Name: "web", Phase: "traffic",
		Variants: map[string]*model.Variant{"a": {Name: "a"}, "b": {Name: "b"}},
		Benchmark: &model.Benchmark{
			Target: "http://svc.$namespace:80", Repetitions: 2, SummaryTrendStats: []string{"avg", "p(99)", "count"},
			Scenarios: map[string]*model.Scenario{"steady": {Name: "steady", Executor: "constant-arrival-rate",
				Rate: &rate, TimeUnit: "1s", Duration: "45s", PreAllocatedVUs: &vus, Requests: []string{"home"}}},
			Requests: map[string]*model.Request{"home": {Name: "home", Method: "GET", Path: "/", Weight: 1}},
			Runner:   model.Runner{CPU: "500m", Memory: "256Mi"},
		},
	}
	lab := &model.Lab{Name: "l", CostCenter: "lab", Phases: map[string]*model.Phase{"traffic": {Name: "traffic", Experiments: map[string]*model.Experiment{"web": e}}}}
	script, err := benchjobs.Script(e, "phases/web.cue")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := benchjobs.Objects(lab, e, script)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(script)
	wantDigest := hex.EncodeToString(sum[:])
	jobs := 0
	for _, o := range objs {
		job, ok := o.Object.(*batchv1.Job)
		if !ok {
			continue
		}
		jobs++
		tpl := job.Spec.Template
		pod := corev1.Pod{ObjectMeta: tpl.ObjectMeta, Spec: tpl.Spec}
		pod.Namespace = job.Namespace
		variant := pod.Labels["lab.illm.dev/variant"]
		run := pod.Labels["lab.illm.dev/run"]
		if variant == "" || run == "" {
			t.Fatalf("%s: pod template has no variant or run label: %v", job.Name, pod.Labels)
		}
		sel, err := k8slabels.Parse(RunSelector(e.Name, variant, run))
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(k8slabels.Set(pod.Labels)) {
			t.Errorf("%s: the collector's selector %s does not match the pod labels %v", job.Name, sel, pod.Labels)
		}
		if ns := e.VariantNamespace(variant); pod.Namespace != ns {
			t.Errorf("%s: pods run in %s, the collector looks in %s", job.Name, pod.Namespace, ns)
		}
		digest, err := podAnnotation([]corev1.Pod{pod}, "lab.illm.dev/script-sha256")
		if err != nil || digest != wantDigest {
			t.Errorf("%s: script digest %q (%v), want %q", job.Name, digest, err, wantDigest)
		}
		d, err := podAnnotationDuration([]corev1.Pod{pod}, "lab.illm.dev/expected-duration")
		if err != nil || d != 45*time.Second || d != e.Benchmark.TestDuration() {
			t.Errorf("%s: declared duration %v (%v), want 45s", job.Name, d, err)
		}
	}
	if jobs != 4 {
		t.Errorf("%d Jobs, want 2 variants x 2 repetitions", jobs)
	}
}

// TestToolJobContract checks the same contract for the Jobs of the other
// load tools, from both sides: the collector's selector finds their pods,
// LoadContainer picks the tool's container (not pgbench's init), the
// digest is the configuration's, the declared duration and operation
// count are the load's, and the tool label names the parser to use.
func TestToolJobContract(t *testing.T) {
	e := &model.Experiment{
		Name: "brokers", Phase: "messaging",
		Variants: map[string]*model.Variant{"nats": {Name: "nats"}, "kafka": {Name: "kafka"}, "pg": {Name: "pg"}},
		Benchmark: &model.Benchmark{
			Tool:        model.ToolNatsBench,
			NatsBench:   &model.NatsBench{URL: "nats://nats.$namespace.svc:4222", Subject: "lab.bench", Messages: 1000, Size: 128, Publishers: 1, Timeout: "5m"},
			Repetitions: 2,
			Runner:      model.Runner{CPU: "1", Memory: "1Gi"},
			Variants: map[string]*model.VariantLoad{
				"kafka": {Tool: model.ToolKafkaPerf, KafkaPerf: &model.KafkaPerf{Bootstrap: "lab-kafka-bootstrap.$namespace.svc:9092", Topic: "bench",
					Records: 5000, RecordSize: 100, Throughput: -1, Acks: "all", Consumers: 1, HeapMiB: 256, Timeout: "5m"}},
				"pg": {Tool: model.ToolPgbench, Pgbench: &model.Pgbench{Host: "pg-rw.$namespace.svc", Port: 5432, Database: "lab", User: "lab",
					Scale: 1, Clients: 1, Threads: 1, Duration: "45s", Protocol: "simple", Init: true, InitTimeout: "1m", Progress: "5s"}},
			},
			Source: "phases/brokers.cue",
		},
	}
	lab := &model.Lab{Name: "l", CostCenter: "lab", Phases: map[string]*model.Phase{"messaging": {Name: "messaging", Experiments: map[string]*model.Experiment{"brokers": e}}}}
	objs, err := benchjobs.Objects(lab, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	configs := map[string]map[string]string{} // namespace -> ConfigMap data
	for _, o := range objs {
		if cm, ok := o.Object.(*corev1.ConfigMap); ok {
			configs[cm.Namespace] = cm.Data
		}
	}
	want := map[string]struct {
		tool       string
		duration   time.Duration
		operations string
	}{
		"nats":  {model.ToolNatsBench, 0, "1000"},
		"kafka": {model.ToolKafkaPerf, 0, "5000"},
		"pg":    {model.ToolPgbench, 45 * time.Second, ""},
	}
	jobs := 0
	for _, o := range objs {
		job, ok := o.Object.(*batchv1.Job)
		if !ok {
			continue
		}
		jobs++
		tpl := job.Spec.Template
		pod := corev1.Pod{ObjectMeta: tpl.ObjectMeta, Spec: tpl.Spec}
		pod.Namespace, pod.Name = job.Namespace, job.Name+"-x1"
		variant, run := pod.Labels["lab.illm.dev/variant"], pod.Labels["lab.illm.dev/run"]
		w := want[variant]
		sel, err := k8slabels.Parse(RunSelector(e.Name, variant, run))
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(k8slabels.Set(pod.Labels)) || pod.Namespace != e.VariantNamespace(variant) {
			t.Errorf("%s: the collector's selector %s in %s misses the pod %v in %s", job.Name, sel, e.VariantNamespace(variant), pod.Labels, pod.Namespace)
		}
		if got := pod.Labels["lab.illm.dev/tool"]; got != w.tool {
			t.Errorf("%s: tool label %q, want %q", job.Name, got, w.tool)
		}
		ctr, err := LoadContainer(&pod)
		if err != nil || ctr != w.tool {
			t.Errorf("%s: load container %q (%v), want %q", job.Name, ctr, err, w.tool)
		}
		digest, err := podAnnotation([]corev1.Pod{pod}, "lab.illm.dev/script-sha256")
		if want := benchjobs.ConfigDigest(configs[pod.Namespace]); err != nil || digest != want {
			t.Errorf("%s: digest %q (%v), want the configuration's %q", job.Name, digest, err, want)
		}
		d, err := podAnnotationDuration([]corev1.Pod{pod}, "lab.illm.dev/expected-duration")
		if err != nil || d != w.duration || d != e.Benchmark.LoadOf(variant).Measured() {
			t.Errorf("%s: declared duration %v (%v), want %v", job.Name, d, err, w.duration)
		}
		ops, err := podAnnotation([]corev1.Pod{pod}, "lab.illm.dev/expected-operations")
		if err != nil || ops != w.operations {
			t.Errorf("%s: expected operations %q (%v), want %q", job.Name, ops, err, w.operations)
		}
	}
	if jobs != 6 {
		t.Errorf("%d Jobs, want 3 variants x 2 repetitions", jobs)
	}
}
