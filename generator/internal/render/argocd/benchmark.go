package argocd

import (
	"strconv"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// benchmarkElement is the list-generator element of an experiment's
// benchmark: a directory Application (its kustomization.yaml lists the
// ConfigMaps and Jobs) in a wave after every component's, so the rolling
// sync starts it only once the whole stack is healthy. Its Jobs are
// ordinary resources in sync waves (docs/adr/0004-k6-jobs-run-after-sync.md).
func benchmarkElement(lab *model.Lab, e *model.Experiment, waves map[int]bool) (map[string]string, int) {
	wave := 0
	for w := range waves {
		if w >= wave {
			wave = w + 1
		}
	}
	return map[string]string{
		"name":       e.AppName("", model.BenchmarkComponent),
		"component":  model.BenchmarkComponent,
		"variant":    model.SharedVariant,
		"namespace":  e.Name,
		"wave":       strconv.Itoa(wave),
		"source":     string(model.SourceDirectory),
		"repoURL":    lab.RepoURL,
		"chart":      "",
		"version":    lab.Revision,
		"path":       e.BenchmarkDir(),
		"valuesFile": "",
	}, wave
}
