package helm

import (
	"context"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

func TestKubeVersionIsTheOldestCluster(t *testing.T) {
	cases := []struct {
		versions map[string]string
		want     string
		err      string
	}{
		{map[string]string{"hub": "1.37.0"}, "1.37.0", ""},
		{map[string]string{"hub": "1.37.0", "edge": "1.36.4", "lab": "v1.36.10"}, "1.36.4", ""},
		{map[string]string{"a": "1.9.0", "b": "1.10.0"}, "1.9.0", ""},
		{map[string]string{}, "", "no cluster"},
		{map[string]string{"hub": "latest"}, "", "cluster hub"},
	}
	for _, tc := range cases {
		lab := &model.Lab{Clusters: map[string]*model.Cluster{}}
		for n, v := range tc.versions {
			lab.Clusters[n] = &model.Cluster{Name: n, KubernetesVersion: v}
		}
		got, err := KubeVersion(lab)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err = %v, want %q", tc.versions, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.versions, got, err, tc.want)
		}
	}
}

// TestLabRefusesRenderingPlainManifests: rendered: true on a path without
// a Chart.yaml is an error naming the file, experiment and component.
func TestLabRefusesRenderingPlainManifests(t *testing.T) {
	yes := true
	e := &model.Experiment{Name: "exp", Phase: "p", Source: "phases/p.cue", Components: map[string]*model.Component{
		"plain": {Name: "plain", Path: "apps/x/manifests", Rendered: &yes},
	}}
	lab := &model.Lab{Name: "l", CostCenter: "lab", Clusters: map[string]*model.Cluster{"hub": {Name: "hub", KubernetesVersion: "1.37.0"}}}
	err := Lab(context.Background(), t.TempDir(), lab, []*model.Experiment{e}, tree.New(), Options{})
	if err == nil || !strings.Contains(err.Error(), "phases/p.cue: experiment exp, component plain: rendered needs a chart, and apps/x/manifests holds no Chart.yaml") {
		t.Errorf("err = %v", err)
	}
}
