package render_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// TestRenderCache: a render served from the cache is byte-identical to
// one rendered from scratch, and every rendered component was cached.
func TestRenderCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("LAB_CACHE", cache)
	renderOnce := func() *tree.Tree {
		src, err := load.Load(golden.RepoRoot(t))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := render.Lab(src, render.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	t.Setenv("LAB_RENDER_CACHE", "off")
	cold := renderOnce()
	t.Setenv("LAB_RENDER_CACHE", "")
	fill := renderOnce()
	entries, _ := filepath.Glob(filepath.Join(cache, "render", "*", "*.json"))
	if len(entries) == 0 {
		t.Fatal("nothing was cached")
	}
	warm := renderOnce()
	for _, tr := range []*tree.Tree{fill, warm} {
		if len(tr.Paths()) != len(cold.Paths()) {
			t.Fatalf("file count %d, want %d", len(tr.Paths()), len(cold.Paths()))
		}
		for _, p := range cold.Paths() {
			a, _ := cold.File(p)
			b, _ := tr.File(p)
			if string(a) != string(b) {
				t.Errorf("%s differs between a cached and an uncached render", p)
			}
		}
	}
	// A corrupt entry is a miss, not a wrong render.
	if err := os.WriteFile(entries[0], []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	again := renderOnce()
	for _, p := range cold.Paths() {
		a, _ := cold.File(p)
		b, _ := again.File(p)
		if string(a) != string(b) {
			t.Errorf("%s differs after a corrupt cache entry", p)
		}
	}
}
