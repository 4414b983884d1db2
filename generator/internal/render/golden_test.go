package render_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden renders testdata/lab (comparison with variants, local chart and
// plain manifests, an OCI chart, two clusters, a namespace override) and
// compares every file with testdata/golden. Run with -update to accept.
func TestGolden(t *testing.T) {
	repo, _ := filepath.Abs("../../..")
	root := t.TempDir()
	if err := synth.CopySchema(repo, root); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(root, os.DirFS("testdata/lab")); err != nil {
		t.Fatal(err)
	}
	src, err := load.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Lab(src, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/golden"
	if *update {
		os.RemoveAll(golden)
		for _, p := range tr.Paths() {
			b, _ := tr.File(p)
			dst := filepath.Join(golden, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(dst), 0o755)
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	filepath.WalkDir(golden, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(golden, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return nil
	})
	if got := tr.Paths(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rendered files differ from golden:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range want {
		g, _ := os.ReadFile(filepath.Join(golden, filepath.FromSlash(p)))
		b, _ := tr.File(p)
		if string(b) != string(g) {
			t.Errorf("%s differs from golden (run go test -run TestGolden -update to accept):\n%s", p, b)
		}
	}

	// Determinism: a second load and render gives the same bytes.
	src2, err := load.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	tr2, err := render.Lab(src2, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tr.Paths() {
		a, _ := tr.File(p)
		b, _ := tr2.File(p)
		if string(a) != string(b) {
			t.Errorf("%s differs between two renders", p)
		}
	}
}
