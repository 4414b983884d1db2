package validate

import (
	"strings"
	"testing"
	"text/template"
)

// TestTemplateFunctions runs the functions ArgoCD adds to Sprig through a
// template, as the ApplicationSet controller does.
func TestTemplateFunctions(t *testing.T) {
	tests := []struct {
		tmpl, want string
		data       map[string]any
	}{
		{`{{ normalize .n }}`, "my-app.v1", map[string]any{"n": "My_App.v1"}},
		{`{{ normalize .n }}`, "a-b", map[string]any{"n": "--A/B.."}},
		{`{{ normalize .n }}`, strings.Repeat("a", 253), map[string]any{"n": strings.Repeat("A", 300)}},
		{`{{ slugify .n }}`, "hello-world", map[string]any{"n": "Hello World!"}},
		{`{{ slugify 10 .n }}`, "a-long", map[string]any{"n": "a-long-name-here"}},
		{`{{ slugify 10 false .n }}`, "a-long-nam", map[string]any{"n": "a-long-name-here"}},
		{`{{ .n | toYaml }}`, "a: 1", map[string]any{"n": map[string]any{"a": 1}}},
		{`{{ (fromYaml .n).a }}`, "x", map[string]any{"n": "a: x"}},
		{`{{ index (fromYamlArray .n) 1 }}`, "2", map[string]any{"n": "[1, 2]"}},
	}
	for _, tt := range tests {
		tp, err := template.New("t").Option("missingkey=error").Funcs(funcs).Parse(tt.tmpl)
		if err != nil {
			t.Fatalf("%s: %v", tt.tmpl, err)
		}
		var b strings.Builder
		if err := tp.Execute(&b, tt.data); err != nil {
			t.Errorf("%s: %v", tt.tmpl, err)
			continue
		}
		if b.String() != tt.want {
			t.Errorf("%s with %v = %q, want %q", tt.tmpl, tt.data, b.String(), tt.want)
		}
	}
	// What ArgoCD leaves out of Sprig.
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		if _, ok := funcs[name]; ok {
			t.Errorf("%s is offered; ArgoCD removes it", name)
		}
	}
	if _, err := template.New("t").Funcs(funcs).Parse(`{{ slugify "x" 3 }}`); err != nil {
		t.Fatal(err)
	}
	tp := template.Must(template.New("t").Funcs(funcs).Parse(`{{ slugify "x" 3 }}`))
	if err := tp.Execute(&strings.Builder{}, nil); err == nil {
		t.Error("slugify with a name that is not last: no error")
	}
}
