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
