package argocd

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"text/template"

	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// TestTemplatePatchExpands runs the ApplicationSet's templatePatch the way
// ArgoCD does (Go text/template, missingkey=error, Sprig's quote) for every
// element, and checks the Application sources each kind of component gets.
func TestTemplatePatchExpands(t *testing.T) {
	lab := &model.Lab{Name: "l", RepoURL: "https://git.example.test/l.git", Revision: "main", CostCenter: "lab", ArgoCDNamespace: "argocd"}
	cl := &model.Cluster{Name: "hub", Server: "https://kubernetes.default.svc"}
	e := &model.Experiment{Name: "exp", Phase: "p", Components: map[string]*model.Component{
		"remote": {Name: "remote", Chart: &model.Chart{Repository: "oci://r.example.test/charts", Name: "c", Version: "1.0.0"},
			IgnoreDifferences: []model.IgnoreDifference{{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}}}},
		"local":    {Name: "local", Path: "apps/x/chart", LocalChart: true, SyncWave: 2, Rendered: new(false)},
		"rendered": {Name: "rendered", Path: "apps/x/chart", LocalChart: true}, // local charts render by default
		"plain":    {Name: "plain", Path: "apps/x/manifests", SyncWave: -1},
	}}
	as := ExperimentAppSet(lab, cl, e)
	// Sprig's quote, which ArgoCD provides.
	funcs := template.FuncMap{"quote": func(s string) string { return fmt.Sprintf("%q", s) }}
	tmpl := template.Must(template.New("patch").Option("missingkey=error").Funcs(funcs).Parse(as.Spec.TemplatePatch))

	type source struct {
		RepoURL, Path, Chart, TargetRevision, Ref string
		Helm                                      *struct {
			ReleaseName string
			ValueFiles  []string
		}
	}
	type patch struct {
		Spec struct {
			Sources           []source
			IgnoreDifferences []IgnoreDifference
		}
	}
	got := map[string]patch{}
	for _, el := range as.Spec.Generators[0].List.Elements {
		var b bytes.Buffer
		if err := tmpl.Execute(&b, el); err != nil {
			t.Fatalf("element %s: %v", el["name"], err)
		}
		var p patch
		if err := yaml.UnmarshalStrict(b.Bytes(), &p); err != nil {
			t.Fatalf("element %s: patch is not valid YAML: %v\n%s", el["name"], err, b.String())
		}
		got[el["name"]] = p
	}
	if len(got) != 5 {
		t.Fatalf("want 5 Applications (4 components + namespaces), got %d", len(got))
	}
	remote := got["exp-remote"].Spec
	if len(remote.Sources) != 2 || remote.Sources[0].Chart != "c" || remote.Sources[0].RepoURL != "r.example.test/charts" ||
		remote.Sources[0].TargetRevision != "1.0.0" || remote.Sources[1].Ref != "values" ||
		remote.Sources[0].Helm == nil || remote.Sources[0].Helm.ValueFiles[0] != "$values/apps/p/exp/values/remote.yaml" {
		t.Errorf("chart component sources: %+v", remote.Sources)
	}
	if len(remote.IgnoreDifferences) != 1 || remote.IgnoreDifferences[0].JSONPointers[0] != "/spec/replicas" {
		t.Errorf("ignoreDifferences not carried: %+v", remote.IgnoreDifferences)
	}
	local := got["exp-local"].Spec
	if len(local.Sources) != 2 || local.Sources[0].Path != "apps/x/chart" || local.Sources[0].Helm == nil || local.Sources[1].Ref != "values" {
		t.Errorf("local chart sources: %+v", local.Sources)
	}
	rendered := got["exp-rendered"].Spec
	if len(rendered.Sources) != 1 || rendered.Sources[0].Path != "apps/p/exp/rendered" || rendered.Sources[0].Helm != nil ||
		rendered.Sources[0].RepoURL != lab.RepoURL || rendered.Sources[0].TargetRevision != "main" {
		t.Errorf("rendered chart sources: %+v", rendered.Sources)
	}
	plain := got["exp-plain"].Spec
	if len(plain.Sources) != 1 || plain.Sources[0].Path != "apps/x/manifests" || plain.Sources[0].Helm != nil || len(plain.IgnoreDifferences) != 0 {
		t.Errorf("plain manifests sources: %+v", plain.Sources)
	}
	ns := got["exp-namespaces"].Spec
	if len(ns.Sources) != 1 || ns.Sources[0].Path != "apps/p/exp" {
		t.Errorf("namespaces sources: %+v", ns.Sources)
	}

	// Waves: namespaces first, then by syncWave, one RollingSync step each.
	var steps []string
	for _, s := range as.Spec.Strategy.RollingSync.Steps {
		steps = append(steps, s.MatchExpressions[0].Values[0])
	}
	if strings.Join(steps, ",") != "w-2,w-1,w0,w2" {
		t.Errorf("rolling sync steps = %v, want w-2,w-1,w0,w2", steps)
	}
}
