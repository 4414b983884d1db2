package kyverno

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// newLab writes a lab root: the repository's cue.mod and schema plus the
// given phases files.
func newLab(t *testing.T, phases map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"cue.mod", "schema"} {
		files, err := filepath.Glob(filepath.Join("../../../..", sub, "*.cue"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s/*.cue: %v", sub, err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "phases"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range phases {
		if err := os.WriteFile(filepath.Join(dir, "phases", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testdataLab(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("testdata/lab/phases/lab.cue")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"lab.cue": string(b)}
}

func renderLab(root string) (*tree.Tree, error) {
	src, err := load.Load(root)
	if err != nil {
		return nil, err
	}
	tr := tree.New()
	return tr, Render(src.Lab, tr)
}

// TestGolden compares the testdata lab's rendered policies and tests with
// testdata/golden (-update rewrites it).
func TestGolden(t *testing.T) {
	tr, err := renderLab(newLab(t, testdataLab(t)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"policies/require-team-label.yaml",
		"policies/require-team-label/kyverno-test.yaml",
		"policies/require-team-label/resources.yaml",
		"policies/require-team-label/values.yaml",
		"policies/verify-signed.yaml",
		"policies/verify-signed/kyverno-test.yaml",
		"policies/verify-signed/resources.yaml",
	}
	if got := tr.Paths(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	golden.Tree(t, "testdata/golden", tr)
	pol, _ := tr.File("policies/verify-signed.yaml")
	for _, w := range []string{"kind: ImageValidatingPolicy", "glob: registry.example.test/*", "issuer: https://issuer.example.test", "name: cosign", "mutateDigest: false"} {
		if !strings.Contains(string(pol), w) {
			t.Errorf("image policy lacks %q", w)
		}
	}
	deny, _ := tr.File("policies/require-team-label.yaml")
	if !strings.Contains(string(deny), "validationActions:\n  - Deny\n") {
		t.Errorf("action Deny not rendered:\n%s", deny)
	}
}

// TestBadInput: bad policies fail with the field (and, from CUE, the file
// and line) in the error.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name, edit string
		want       []string
	}{
		{"unknown severity", `_labelPolicy: severity: "urgent"`, []string{"lab.cue:", "severity", "urgent"}},
		{"Enforce is not a CEL action", `_labelPolicy: action: "Enforce"`, []string{"action", "Enforce"}},
		{"no validations", `_labelPolicy: validations: []`, []string{"validations"}},
		{"bad variable name", `_labelPolicy: variables: [{name: "my-var", expression: "1"}]`, []string{"variables[0].name"}},
		{"no resources matched", `_labelPolicy: match: resources: []`, []string{"match.resources"}},
		{"bad operation", `_labelPolicy: match: resources: [{apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["PATCH"]}]`, []string{"operations"}},
		{"image policy without identities", `_imagePolicy: images: identities: []`, []string{"images.identities"}},
		{"non-https issuer", `_imagePolicy: images: identities: [{issuer: "http://x", subjectRegExp: "x"}]`, []string{"issuer"}},
		{"images on a ValidatingPolicy kind", `_imagePolicy: kind: "ValidatingPolicy"`, []string{"kind"}},
		{"unknown field", `_labelPolicy: enforce: true`, []string{"enforce", "not allowed"}},
		{"test resource without a name", `_labelPolicy: tests: skip: [{apiVersion: "v1", kind: "Pod", metadata: {}}]`, []string{"policy require-team-label", "tests.skip[0]: a test resource needs kind and metadata.name"}},
		{"undeclared test namespace", `_labelPolicy: tests: skip: [{apiVersion: "v1", kind: "Pod", metadata: {name: "x", namespace: "elsewhere"}}]`, []string{`tests.skip[0]: namespace "elsewhere" is not declared`}},
		{"duplicate test resource", `_labelPolicy: tests: skip: [{apiVersion: "v1", kind: "Pod", metadata: {name: "good", namespace: "team-a"}}]`, []string{"two test resources are named Pod/good"}},
		{"untested policy", `lab: policies: untested: {title: "t", category: "c", severity: "low", description: "d", match: resources: [{apiGroups: [""], apiVersions: ["v1"], resources: ["pods"]}], validations: [{expression: "true", message: "m"}], tests: {}}`, []string{"policy untested", "no test resources"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := testdataLab(t)
			files["edit.cue"] = "package phases\n\n" + c.edit + "\n"
			_, err := renderLab(newLab(t, files))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
