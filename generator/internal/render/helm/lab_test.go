package helm

import (
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
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
