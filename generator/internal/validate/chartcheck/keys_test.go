package chartcheck

import (
	"slices"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
)

func tmpl(name, text string) *chart.File {
	return &chart.File{Name: "templates/" + name, Data: []byte(text)}
}

func TestUnused(t *testing.T) {
	sub := &chart.Chart{
		Metadata: &chart.Metadata{Name: "db", Version: "1.0.0"},
		Values:   map[string]any{"port": 5432},
		Templates: []*chart.File{tmpl("db.yaml",
			"port: {{ .Values.port }}\n{{ with .Values.tls }}cert: {{ .cert }}{{ end }}")},
	}
	top := &chart.Chart{
		Metadata: &chart.Metadata{Name: "app", Version: "1.0.0", Dependencies: []*chart.Dependency{{Name: "db", Alias: "store"}}},
		Values: map[string]any{
			"image":     map[string]any{"repository": "x", "tag": "1"},
			"resources": map[string]any{},
			"extra":     nil,
			"service":   map[string]any{"spec": map[string]any{"type": "ClusterIP"}},
			"store":     map[string]any{"user": "app"},
			// Defaults with some keys, serialised whole by the templates.
			"podResources": map[string]any{"limits": map[string]any{"memory": "1Gi"}},
			"sidecar":      map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "1m"}}, "image": "s"},
		},
		Templates: []*chart.File{tmpl("app.yaml", `
image: {{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- if .Values.debugMode }}debug: true{{ end }}
{{- with .Values.probes }}{{ index . "liveness" }}{{ end }}
type: {{ .Values.service.spec.type }}
resources: {{- toYaml .Values.podResources | nindent 2 }}
sidecar: {{ .Values.sidecar.resources | toJson }}
{{ .Values.imageTag }}`)},
	}
	top.SetDependencies(sub)
	values := map[string]any{
		"image":     map[string]any{"tag": "2", "pullPolicy": "Always"}, // pullPolicy: neither
		"resources": map[string]any{"limits": map[string]any{"cpu": "1"}},
		"extra":     map[string]any{"anything": true},
		"debugMode": true,                                      // read, not defaulted
		"probes":    map[string]any{"liveness": 1, "ready": 2}, // read whole
		"service":   map[string]any{"type": "NodePort"},        // another chart generation's key
		"img":       "x",                                       // .Values.imageTag is not .Values.img
		// limits.cpu beside the default limits.memory, written out whole
		// by toYaml; the same through a pipe to toJson; sidecar.tag is
		// beside a map that is serialised, not below it.
		"podResources": map[string]any{"limits": map[string]any{"cpu": "1", "memory": "2Gi"}},
		"sidecar":      map[string]any{"resources": map[string]any{"requests": map[string]any{"memory": "1Mi"}}, "tag": "t"},
		"global":       map[string]any{"anything": 1},
		"store": map[string]any{
			"port": 1, "user": "u", // defaulted by the subchart and by the parent
			"tls":  map[string]any{"cert": "c", "key": "k"}, // read through with
			"host": "h",
		},
	}
	got := Unused(top, values)
	// probes and store.tls are read whole (with): nothing below them counts.
	want := []string{"image.pullPolicy", "img", "service.type", "sidecar.tag", "store.host"}
	if !slices.Equal(got, want) {
		t.Errorf("Unused = %q\nwant      %q", got, want)
	}
}

func TestRefers(t *testing.T) {
	for _, tc := range []struct {
		text, ref string
		want      bool
	}{
		{"{{ .Values.image.tag }}", ".Values.image", true},
		{"{{ .Values.imageTag }}", ".Values.image", false},
		{"{{ .Values.image }}", ".Values.image", true},
		{"{{ $.Values.a_b }} {{ .Values.a }}", ".Values.a", true},
		{"{{ $.Values.a_b }}", ".Values.a", false},
	} {
		if got := refers(tc.text, tc.ref); got != tc.want {
			t.Errorf("refers(%q, %q) = %v", tc.text, tc.ref, got)
		}
	}
}
