package tree

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInterruptedWriteIsFinishedByTheNext: a write that fails part-way
// leaves every file it placed owned by the manifest, so the next render
// (here of the previous tree, as conduct restores its source) prunes it
// and render --check reports nothing left over.
func TestInterruptedWriteIsFinishedByTheNext(t *testing.T) {
	root := t.TempDir()
	old := New()
	mustAdd(t, old, "clusters/hub/root.yaml", "root: 1")
	if _, err := Write(root, old); err != nil {
		t.Fatal(err)
	}
	next := New()
	mustAdd(t, next, "clusters/hub/root.yaml", "root: 2")
	mustAdd(t, next, "clusters/hub/experiments/web.yaml", "web: 1")
	moveHook = func(p string) error {
		if p == "clusters/hub/root.yaml" {
			return errors.New("disk full")
		}
		return nil
	}
	defer func() { moveHook = func(string) error { return nil } }()
	if _, err := Write(root, next); err == nil || !strings.Contains(err.Error(), "the next render finishes the job") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "clusters/hub/experiments/web.yaml")); err != nil {
		t.Fatalf("the new file was not placed before the failure: %v", err)
	}
	if m := read(t, root, ManifestPath); !strings.Contains(m, "clusters/hub/experiments/web.yaml") {
		t.Errorf("the new file is not owned after the failure:\n%s", m)
	}
	moveHook = func(string) error { return nil }
	// The lab went back to the old tree: the half-written file is stale.
	diffs, err := Check(root, old)
	if err != nil {
		t.Fatal(err)
	}
	if !hasDiff(diffs, "clusters/hub/experiments/web.yaml", "stale") {
		t.Errorf("check does not report the half-written file: %v", diffs)
	}
	st, err := Write(root, old)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pruned != 1 {
		t.Errorf("stats %+v, want the half-written file pruned", st)
	}
	if diffs, _ := Check(root, old); len(diffs) != 0 {
		t.Errorf("after the next render: %v", diffs)
	}
}

// TestLeftoversAndUnlistedFiles: a killed render's staging folder and a
// generated file no manifest lists are reported by Check and removed by
// the next Write; a hand-written file is never touched.
func TestLeftoversAndUnlistedFiles(t *testing.T) {
	root := t.TempDir()
	tr := New()
	mustAdd(t, tr, "apps/a.yaml", "a: 1")
	if _, err := Write(root, tr); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, StagingPrefix+"123", "x"), 0o755)
	os.MkdirAll(filepath.Join(root, "apps/old"), 0o755)
	os.WriteFile(filepath.Join(root, "apps/old/b.yaml"), []byte(Header("phases/x.cue")+"b: 1\n"), 0o644)
	os.WriteFile(filepath.Join(root, "apps/mine.yaml"), []byte("mine: 1\n"), 0o644)
	diffs, err := Check(root, tr)
	if err != nil {
		t.Fatal(err)
	}
	if !hasDiff(diffs, "apps/old/b.yaml", "unlisted") || !hasDiff(diffs, StagingPrefix+"123", "leftover") || len(diffs) != 2 {
		t.Errorf("diffs %v", diffs)
	}
	st, err := Write(root, tr)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pruned != 1 {
		t.Errorf("stats %+v", st)
	}
	for _, p := range []string{StagingPrefix + "123", "apps/old"} {
		if _, err := os.Stat(filepath.Join(root, p)); !os.IsNotExist(err) {
			t.Errorf("%s is still there", p)
		}
	}
	if read(t, root, "apps/mine.yaml") != "mine: 1\n" {
		t.Error("a hand-written file changed")
	}
	if diffs, _ := Check(root, tr); len(diffs) != 0 {
		t.Errorf("after the write: %v", diffs)
	}
}

// TestWriteRefusesSymlinks: an output folder that is a link out of the
// repository is refused by Write (nothing written there) and reported by
// Check.
func TestWriteRefusesSymlinks(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(outside, "a.yaml"), []byte(Header("x")+"precious\n"), 0o644)
	if err := os.Symlink(outside, filepath.Join(root, "apps")); err != nil {
		t.Fatal(err)
	}
	tr := New()
	mustAdd(t, tr, "apps/a.yaml", "a: 1")
	if _, err := Write(root, tr); err == nil || !strings.Contains(err.Error(), "symbolic links") || !strings.Contains(err.Error(), "  apps") {
		t.Fatalf("err = %v", err)
	}
	if got := read(t, outside, "a.yaml"); got != Header("x")+"precious\n" {
		t.Errorf("the file outside the repository changed: %q", got)
	}
	if _, err := os.Stat(filepath.Join(root, ManifestPath)); !os.IsNotExist(err) {
		t.Error("a manifest was written")
	}
	diffs, err := Check(root, tr)
	if err != nil {
		t.Fatal(err)
	}
	if !hasDiff(diffs, "apps", "symlink") {
		t.Errorf("diffs %v", diffs)
	}
}

func hasDiff(ds []Diff, p, reason string) bool {
	for _, d := range ds {
		if d.Path == p && d.Reason == reason {
			return true
		}
	}
	return false
}
