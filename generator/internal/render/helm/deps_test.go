package helm_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/helm"
)

// writeChart writes files (path -> content) under dir.
func writeChart(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSubcharts: dependencies come from the chart's own charts/ folder
// (as Chart.lock pinned them), are switched by their condition and get
// their values from the parent; a dependency that is not vendored fails
// naming it, and nothing is fetched.
func TestSubcharts(t *testing.T) {
	parent := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" +
			"  - {name: cache, version: 0.2.0, repository: https://charts.example.test, condition: cache.enabled}\n",
		"Chart.lock":                     "dependencies:\n- {name: cache, repository: https://charts.example.test, version: 0.2.0}\ndigest: sha256:0\ngenerated: \"2026-01-01T00:00:00Z\"\n",
		"values.yaml":                    "cache: {enabled: true, size: 1Gi}\n",
		"templates/cm.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
		"charts/cache/Chart.yaml":        "apiVersion: v2\nname: cache\nversion: 0.2.0\n",
		"charts/cache/values.yaml":       "size: 100Mi\n",
		"charts/cache/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cache}\ndata: {size: {{ .Values.size | quote }}}\n",
		"charts/cache/crds/caches.yaml":  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: caches.example.test}\n",
	}
	caps, err := helm.Capabilities("1.37.0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeChart(t, dir, parent)
	names := func(vals map[string]any) []string {
		t.Helper()
		ch, err := loader.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := helm.Render(ch, vals, helm.Release{Name: "r", Namespace: "ns"}, caps)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := out.Objects()
		if err != nil {
			t.Fatal(err)
		}
		var ns []string
		for _, o := range objs {
			s := o.GetKind() + "/" + o.GetName()
			if d, ok := o.Object["data"].(map[string]any); ok {
				s += "=" + d["size"].(string)
			}
			ns = append(ns, s)
		}
		sort.Strings(ns) // Helm orders objects of one kind by map iteration
		return ns
	}
	if got := strings.Join(names(nil), " "); got != "ConfigMap/app ConfigMap/cache=1Gi CustomResourceDefinition/caches.example.test" {
		t.Errorf("with the subchart: %s", got)
	}
	off, _ := helm.Values(map[string]any{"cache": map[string]any{"enabled": false}})
	if got := strings.Join(names(off), " "); got != "ConfigMap/app" {
		t.Errorf("subchart disabled: %s (its templates and CRDs go, as with helm install)", got)
	}

	os.RemoveAll(filepath.Join(dir, "charts"))
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = helm.Render(ch, nil, helm.Release{Name: "r", Namespace: "ns"}, caps)
	if err == nil || !strings.Contains(err.Error(), "dependencies cache are in Chart.yaml but not vendored") {
		t.Errorf("missing subchart: %v", err)
	}
}
