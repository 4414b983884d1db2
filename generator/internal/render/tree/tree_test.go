package tree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustAdd(t *testing.T, tr *Tree, p, body string) {
	t.Helper()
	if err := tr.Add(p, "phases/x.cue", []byte(body)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, root, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAddRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", "/abs/x.yaml", "../x.yaml", "apps/../x.yaml", "other/x.yaml", "apps\\x.yaml", "apps//x.yaml"} {
		if err := New().Add(p, "s", nil); err == nil {
			t.Errorf("Add(%q) succeeded, want an error", p)
		}
	}
	tr := New()
	mustAdd(t, tr, "apps/a.yaml", "a: 1")
	if err := tr.Add("apps/a.yaml", "s", nil); err == nil || !strings.Contains(err.Error(), "two generated files") {
		t.Errorf("duplicate path: %v", err)
	}
}

func TestWritePrunesOnlyGeneratedFiles(t *testing.T) {
	root := t.TempDir()
	tr := New()
	mustAdd(t, tr, "apps/a.yaml", "a: 1")
	mustAdd(t, tr, "apps/b/c.yaml", "c: 1")
	mustAdd(t, tr, "apps/d.yaml", "d: 1")
	if _, err := Write(root, tr); err != nil {
		t.Fatal(err)
	}
	// d.yaml is later edited by hand (header removed): it must be kept.
	os.WriteFile(filepath.Join(root, "apps/d.yaml"), []byte("mine: true\n"), 0o644)

	next := New()
	mustAdd(t, next, "apps/a.yaml", "a: 2")
	st, err := Write(root, next)
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != 1 || st.Pruned != 1 || len(st.Kept) != 1 || st.Kept[0] != "apps/d.yaml" {
		t.Errorf("stats = %+v", st)
	}
	if _, err := os.Stat(filepath.Join(root, "apps/b")); !os.IsNotExist(err) {
		t.Errorf("emptied folder apps/b should be removed: %v", err)
	}
	if got := read(t, root, "apps/d.yaml"); got != "mine: true\n" {
		t.Errorf("hand-edited file changed: %q", got)
	}
	if got := read(t, root, ManifestPath); strings.Contains(got, "apps/d.yaml") || !strings.Contains(got, "apps/a.yaml") {
		t.Errorf("manifest: %q", got)
	}
	if entries, _ := filepath.Glob(filepath.Join(root, ".render-staging-*")); len(entries) != 0 {
		t.Errorf("staging folders left behind: %v", entries)
	}
}

func TestWriteFailsBeforeChangingAnything(t *testing.T) {
	root := t.TempDir()
	tr := New()
	mustAdd(t, tr, "apps/a.yaml", "a: 1")
	if _, err := Write(root, tr); err != nil {
		t.Fatal(err)
	}
	before := read(t, root, "apps/a.yaml")
	// A file render never generated is in the way of a new generated file.
	os.MkdirAll(filepath.Join(root, "clusters"), 0o755)
	os.WriteFile(filepath.Join(root, "clusters/hand.yaml"), []byte("kind: Mine\n"), 0o644)
	next := New()
	mustAdd(t, next, "apps/a.yaml", "a: 2")
	mustAdd(t, next, "clusters/hand.yaml", "kind: Generated")
	if _, err := Write(root, next); err == nil || !strings.Contains(err.Error(), "clusters/hand.yaml") {
		t.Fatalf("want a refusal naming clusters/hand.yaml, got %v", err)
	}
	if read(t, root, "apps/a.yaml") != before || read(t, root, "clusters/hand.yaml") != "kind: Mine\n" {
		t.Error("a refused write changed files")
	}
}

func TestCheck(t *testing.T) {
	root := t.TempDir()
	tr := New()
	mustAdd(t, tr, "apps/a.yaml", "a: 1")
	mustAdd(t, tr, "apps/b.yaml", "b: 1")
	if diffs, err := Check(root, tr); err != nil || len(diffs) != 3 {
		t.Fatalf("empty disk: want 2 missing files and a missing manifest, got %v %v", diffs, err)
	}
	if _, err := Write(root, tr); err != nil {
		t.Fatal(err)
	}
	if diffs, _ := Check(root, tr); len(diffs) != 0 {
		t.Fatalf("fresh write: %v", diffs)
	}
	next := New()
	mustAdd(t, next, "apps/a.yaml", "a: 2")
	diffs, _ := Check(root, next)
	var got []string
	for _, d := range diffs {
		got = append(got, d.String())
	}
	want := "differs: .render-manifest,differs: apps/a.yaml,stale: apps/b.yaml"
	if strings.Join(got, ",") != want {
		t.Errorf("got %q, want %q", strings.Join(got, ","), want)
	}
}
