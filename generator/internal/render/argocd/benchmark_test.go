package argocd

import (
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// TestBenchmarkElement: an experiment with a benchmark gets one more
// element, syncing benchmarks/<experiment> in a wave after every
// component's, and the rolling sync gets a step for it.
func TestBenchmarkElement(t *testing.T) {
	lab := &model.Lab{Name: "lab", RepoURL: "https://git.example.test/lab.git", Revision: "main", CostCenter: "lab", ArgoCDNamespace: "argocd"}
	cl := &model.Cluster{Name: "hub", Server: "https://kubernetes.default.svc"}
	chart := &model.Chart{Repository: "https://charts.example.test", Name: "c", Version: "1.0.0"}
	e := &model.Experiment{
		Name:  "web",
		Phase: "traffic",
		Components: map[string]*model.Component{
			"operator": {Name: "operator", Chart: chart, SyncWave: -10},
			"app":      {Name: "app", Chart: chart, SyncWave: 3},
		},
	}

	as := ExperimentAppSet(lab, cl, e)
	for _, el := range as.Spec.Generators[0].List.Elements {
		if el["component"] == model.BenchmarkComponent {
			t.Fatalf("an experiment without a benchmark has a benchmark element: %v", el)
		}
	}

	e.Benchmark = &model.Benchmark{}
	as = ExperimentAppSet(lab, cl, e)
	var got map[string]string
	for _, el := range as.Spec.Generators[0].List.Elements {
		if el["component"] == model.BenchmarkComponent {
			got = el
		}
	}
	want := map[string]string{
		"name": "web-benchmark", "component": "benchmark", "variant": "shared", "namespace": "web",
		"wave": "4", "source": "directory", "repoURL": lab.RepoURL, "chart": "", "version": "main",
		"path": "benchmarks/web", "valuesFile": "",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("benchmark element %s = %q, want %q (element %v)", k, got[k], v, got)
		}
	}
	steps := as.Spec.Strategy.RollingSync.Steps
	last := steps[len(steps)-1].MatchExpressions[0]
	if len(last.Values) != 1 || last.Values[0] != WaveLabel(4) {
		t.Errorf("last rolling-sync step %v, want the benchmark's wave 4", last)
	}
}
