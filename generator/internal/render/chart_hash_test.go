package render

import (
	"os"
	"path/filepath"
	"testing"
)

// TestChartHashFollowsLinks: the render cache key covers what Helm reads:
// a template that is a symbolic link changes the key when its target
// changes, and a link cycle is an error, not a hang.
func TestChartHashFollowsLinks(t *testing.T) {
	root := t.TempDir()
	chart := filepath.Join(root, "apps/chart")
	os.MkdirAll(filepath.Join(chart, "templates"), 0o755)
	os.MkdirAll(filepath.Join(root, "apps/shared"), 0o755)
	os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 1.0.0\n"), 0o644)
	target := filepath.Join(root, "apps/shared/cm.yaml")
	os.WriteFile(target, []byte("a: 1\n"), 0o644)
	if err := os.Symlink("../../shared/cm.yaml", filepath.Join(chart, "templates/cm.yaml")); err != nil {
		t.Fatal(err)
	}
	hash := func() string {
		h, err := (&renderCache{charts: map[string]string{}}).chartHash(chart)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	before := hash()
	os.WriteFile(target, []byte("a: 2\n"), 0o644)
	if hash() == before {
		t.Error("changing a linked template does not change the key")
	}
	if err := os.Symlink("..", filepath.Join(chart, "templates/loop")); err != nil {
		t.Fatal(err)
	}
	if _, err := (&renderCache{charts: map[string]string{}}).chartHash(chart); err == nil {
		t.Error("a link cycle is not an error")
	}
}
