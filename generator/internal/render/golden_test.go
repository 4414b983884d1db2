package render_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/synth"
)

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
	golden.Tree(t, "testdata/golden", tr)

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
