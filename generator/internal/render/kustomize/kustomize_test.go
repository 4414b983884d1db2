package kustomize

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	fluxkustomize "github.com/fluxcd/pkg/kustomize"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

func obj(apiVersion, kind, name string, extra map[string]any) *unstructured.Unstructured {
	m := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name}}
	for k, v := range extra {
		m[k] = v
	}
	return &unstructured.Unstructured{Object: m}
}

func deployment(name string) *unstructured.Unstructured {
	return obj("apps/v1", "Deployment", name, map[string]any{"spec": map[string]any{
		"replicas": 1000000,
		"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
		"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": name}},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "image": "example.test/c:1.0.0"}}},
		},
	}})
}

var spec = Spec{
	Namespace:   "exp-a",
	Labels:      map[string]string{"lab.illm.dev/experiment": "exp", "lab.illm.dev/variant": "a"},
	Annotations: map[string]string{"lab.illm.dev/chart": "web-1.0.0"},
}

// TestBuildAppliesSpecAndIsAFixedPoint: the built objects carry the labels
// (pod template too, selector untouched), annotations and namespace; a
// cluster-scoped object gets no namespace; and building the written folder
// again from disk, as ArgoCD does, gives the very same objects.
func TestBuildAppliesSpecAndIsAFixedPoint(t *testing.T) {
	objs := []*unstructured.Unstructured{
		deployment("web"),
		obj("v1", "Service", "web", map[string]any{"spec": map[string]any{"selector": map[string]any{"app": "web"}}}),
		obj("rbac.authorization.k8s.io/v1", "ClusterRole", "web:reader", nil),
	}
	files, err := Build(objs, spec)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	dir := t.TempDir()
	byName := map[string]map[string]any{}
	for _, f := range files {
		names = append(names, f.Name)
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := sigsyaml.Unmarshal(f.Body, &m); err != nil {
			t.Fatal(err)
		}
		byName[f.Name] = m
	}
	if want := "clusterrole-web-reader.yaml deployment-web.yaml service-web.yaml kustomization.yaml"; strings.Join(names, " ") != want {
		t.Fatalf("files %v, want %s", names, want)
	}
	dep := &unstructured.Unstructured{Object: byName["deployment-web.yaml"]}
	if dep.GetNamespace() != "exp-a" || dep.GetLabels()["lab.illm.dev/variant"] != "a" || dep.GetAnnotations()["lab.illm.dev/chart"] != "web-1.0.0" {
		t.Errorf("deployment metadata not applied: %v", dep.Object["metadata"])
	}
	tl, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "template", "metadata", "labels")
	if tl["lab.illm.dev/experiment"] != "exp" {
		t.Errorf("pod template labels %v lack the lab's labels", tl)
	}
	sel, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "selector", "matchLabels")
	if !reflect.DeepEqual(sel, map[string]string{"app": "web"}) {
		t.Errorf("selector changed: %v", sel)
	}
	if !strings.Contains(string(files[1].Body), "replicas: 1000000\n") {
		t.Errorf("integer not kept:\n%s", files[1].Body)
	}
	cr := &unstructured.Unstructured{Object: byName["clusterrole-web-reader.yaml"]}
	if cr.GetNamespace() != "" || cr.GetLabels()["lab.illm.dev/experiment"] != "exp" {
		t.Errorf("cluster role: namespace %q, labels %v", cr.GetNamespace(), cr.GetLabels())
	}

	rm, err := fluxkustomize.SecureBuild(dir, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	rebuilt := map[string]bool{}
	for _, r := range rm.Resources() {
		j, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		y, err := jsonToYAML(j)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt[string(y)] = true
	}
	for _, f := range files[:len(files)-1] {
		if !rebuilt[string(f.Body)] {
			t.Errorf("%s changes when ArgoCD builds the folder again:\n%s", f.Name, f.Body)
		}
	}
	if len(rebuilt) != len(files)-1 {
		t.Errorf("rebuild made %d objects, want %d", len(rebuilt), len(files)-1)
	}
}

// TestBuildAllMatchesBuildingEachFolder: batching folders into shared
// builds gives what building each alone gives, including folders that hold
// the same cluster-scoped object (which force separate builds) and the
// same namespaced object in two namespaces (which share one).
func TestBuildAllMatchesBuildingEachFolder(t *testing.T) {
	crd := func() *unstructured.Unstructured {
		return obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.test", map[string]any{"spec": map[string]any{
			"group": "example.test", "scope": "Namespaced",
			"names":    map[string]any{"kind": "Widget", "plural": "widgets"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true}},
		}})
	}
	var dirs []Dir
	for _, ns := range []string{"exp-a", "exp-b", "exp-c"} {
		s := spec
		s.Namespace = ns
		dirs = append(dirs, Dir{Objects: []*unstructured.Unstructured{deployment("web"), crd()}, Spec: s})
	}
	dirs = append(dirs, Dir{Objects: nil, Spec: spec})
	all, err := BuildAll(dirs)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range dirs {
		one, err := Build(d.Objects, d.Spec)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(all[i], one) {
			t.Errorf("folder %d differs between BuildAll and Build", i)
		}
	}
	if n := len(all[3]); n != 1 || all[3][0].Name != FileName {
		t.Errorf("empty folder: %d files", n)
	}
}

func TestFileNames(t *testing.T) {
	cases := []struct {
		name string
		objs []*unstructured.Unstructured
		want []string
		err  string
	}{
		{"kind and name, lowercase", []*unstructured.Unstructured{obj("v1", "ConfigMap", "Web-Config", nil), obj("rbac.authorization.k8s.io/v1", "ClusterRole", "system:web", nil)},
			[]string{"configmap-web-config.yaml", "clusterrole-system-web.yaml"}, ""},
		{"same kind and name in two groups", []*unstructured.Unstructured{obj("cert-manager.io/v1", "Certificate", "tls", nil), obj("acme.example.test/v1", "Certificate", "tls", nil), obj("v1", "Secret", "tls", nil)},
			[]string{"certificate.cert-manager.io-tls.yaml", "certificate.acme.example.test-tls.yaml", "secret-tls.yaml"}, ""},
		{"true duplicate", []*unstructured.Unstructured{obj("v1", "Secret", "a", nil), obj("v1", "Secret", "a", nil)}, nil, "two objects Secret a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FileNames(tc.objs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("names = %v, want %v", got, tc.want)
			}
		})
	}
}
