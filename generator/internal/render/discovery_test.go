package render_test

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// TestDiscoveryCronWorkflow renders the discovery objects, checks them
// against the vendored CronWorkflow CRD and the built-in kinds, and
// compares them with testdata/discovery (-update to accept).
func TestDiscoveryCronWorkflow(t *testing.T) {
	lab := &model.Lab{
		Name: "illm-lab", RepoURL: "https://github.com/illm-k8s-ai-lab/illm-k8s-ai-lab.git", Revision: "main",
		Files:           model.Files{Discovery: "phases/discovery.cue"},
		ArgoCDNamespace: "argocd",
		Clusters:        map[string]*model.Cluster{"hub": {Name: "hub", Server: "https://kubernetes.default.svc"}},
		Discovery: &model.Discovery{
			Schedule: "0 6 * * 1", Timezone: "UTC", Cluster: "hub", Namespace: "argo", SecretName: "discovery-tokens",
			Image: model.DiscoveryImage{Repository: "ghcr.io/illm-k8s-ai-lab/generator", Tag: "0.1.0"},
		},
	}
	tr := tree.New()
	if err := render.Discovery(lab, tr); err != nil {
		t.Fatal(err)
	}
	if errs := validate.Tree(tr); len(errs) > 0 {
		for _, e := range errs {
			t.Error(e)
		}
	}
	if got := strings.Join(tr.Paths(), ","); got != "apps/discovery/cache.yaml,apps/discovery/cronworkflow.yaml,apps/discovery/serviceaccount.yaml,clusters/hub/discovery.yaml,clusters/hub/projects/lab-discovery.yaml" {
		t.Errorf("paths %s", got)
	}
	for _, p := range tr.Paths() {
		b, _ := tr.File(p)
		golden.File(t, filepath.Join("testdata/discovery", strings.ReplaceAll(p, "/", "_")), b)
	}

	b, _ := tr.File("apps/discovery/cronworkflow.yaml")
	var cw struct {
		Spec struct {
			Schedules    []string `json:"schedules"`
			WorkflowSpec struct {
				SecurityContext struct {
					RunAsNonRoot bool `json:"runAsNonRoot"`
				} `json:"securityContext"`
				Templates []struct {
					Container struct {
						Image string `json:"image"`
						Env   []struct {
							Name      string         `json:"name"`
							Value     string         `json:"value"`
							ValueFrom map[string]any `json:"valueFrom"`
						} `json:"env"`
						Resources struct {
							Limits map[string]string `json:"limits"`
						} `json:"resources"`
					} `json:"container"`
				} `json:"templates"`
			} `json:"workflowSpec"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &cw); err != nil {
		t.Fatal(err)
	}
	c := cw.Spec.WorkflowSpec.Templates[0].Container
	if c.Image != "ghcr.io/illm-k8s-ai-lab/generator:0.1.0" || !cw.Spec.WorkflowSpec.SecurityContext.RunAsNonRoot || cw.Spec.Schedules[0] != "0 6 * * 1" || c.Resources.Limits["memory"] == "" {
		t.Errorf("cron workflow: %+v", cw)
	}
	secrets := 0
	for _, e := range c.Env {
		if strings.Contains(e.Name, "TOKEN") || strings.Contains(e.Name, "KEY") {
			if e.Value != "" || e.ValueFrom["secretKeyRef"] == nil {
				t.Errorf("%s is not a secret reference", e.Name)
			}
			secrets++
		}
	}
	if secrets != 2 {
		t.Errorf("%d secret references, want 2", secrets)
	}
}
