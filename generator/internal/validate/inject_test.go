package validate_test

import (
	"encoding/json"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/argocd"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// TestUserStringsStayLiteral: strings of the lab that land in an
// ApplicationSet's template and templatePatch (revision, repository URL,
// cluster server) come out of the expansion as written, even holding
// template delimiters: they are never executed.
func TestUserStringsStayLiteral(t *testing.T) {
	lab := &model.Lab{Name: "l", RepoURL: "https://git.example.test/{{.name}}/x}}.git", Revision: "v{{.name}}", CostCenter: "lab", ArgoCDNamespace: "argocd"}
	cl := &model.Cluster{Name: "hub", Server: "https://k8s.example.test/{{ .namespace }}"}
	e := &model.Experiment{Name: "exp", Phase: "p", Components: map[string]*model.Component{
		"plain": {Name: "plain", Path: "apps/x/manifests"},
	}}
	b, err := json.Marshal(argocd.ExperimentAppSet(lab, cl, e))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	gen := validate.ExpandApplicationSet(m)
	if len(gen) == 0 {
		t.Fatal("no Applications generated")
	}
	for _, g := range gen {
		if g.Err != nil {
			t.Fatalf("%s: %v", g.Via, g.Err)
		}
		spec := g.Object["spec"].(map[string]any)
		if got := spec["destination"].(map[string]any)["server"]; got != cl.Server {
			t.Errorf("%s: server %q, want %q", g.Via, got, cl.Server)
		}
		for _, s := range spec["sources"].([]any) {
			src := s.(map[string]any)
			if src["repoURL"] != lab.RepoURL || src["targetRevision"] != lab.Revision {
				t.Errorf("%s: source %v, want repoURL %q and targetRevision %q", g.Via, src, lab.RepoURL, lab.Revision)
			}
		}
	}
	if got := argocd.Literal("a{{b}}c"); got != `a{{"{{"}}b{{"}}"}}c` {
		t.Errorf("Literal = %q", got)
	}
}
