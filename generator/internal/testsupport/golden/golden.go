// Package golden compares test output with committed golden files, the
// one way every package's tests do it: `go test ./... -update` rewrites
// them, and a failure says which file differs and how to accept the change.
package golden

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// update is registered once for every test binary that imports the package.
var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Updating tells whether this run rewrites golden files.
func Updating() bool { return *update }

// File compares got with the golden file at path, or rewrites it with -update.
func File(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		write(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v (run go test -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (check the change, then go test -update to accept it):\n%s", path, diff(want, got))
	}
}

// Dir compares a set of files (slash-separated paths relative to dir,
// mapped to their content) with the files under dir: a missing, extra or
// differing file fails. With -update dir is made to hold exactly files.
func Dir(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	var have []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		have = append(have, filepath.ToSlash(rel))
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if *update {
		for _, p := range have {
			if _, ok := files[p]; !ok {
				if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
					t.Fatal(err)
				}
			}
		}
		for p, b := range files {
			write(t, filepath.Join(dir, filepath.FromSlash(p)), b)
		}
		return
	}
	for _, p := range have {
		if _, ok := files[p]; !ok {
			t.Errorf("%s/%s is golden but no longer produced (go test -update to remove it)", dir, p)
		}
	}
	for _, p := range sortedKeys(files) {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Errorf("%s is produced but has no golden file in %s (go test -update to add it)", p, dir)
			continue
		}
		if !bytes.Equal(files[p], want) {
			t.Errorf("%s differs from %s/%s (check the change, then go test -update to accept it):\n%s", p, dir, p, diff(want, files[p]))
		}
	}
}

// RepoRoot is the repository root: the nearest parent folder of the
// working directory holding go.mod and cue.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if isRoot(dir) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no repository root (go.mod beside cue.mod) above the working directory")
		}
		dir = parent
	}
}

func isRoot(dir string) bool {
	for _, f := range []string{"go.mod", "cue.mod"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// diff shows the first differing line with a little context: enough to
// see what changed without printing whole files.
func diff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	b.WriteString("first difference at line ")
	b.WriteString(strconv.Itoa(i + 1))
	b.WriteString(":\n")
	for j := i; j < i+5; j++ {
		if j < len(w) {
			b.WriteString("  - " + w[j] + "\n")
		}
	}
	for j := i; j < i+5; j++ {
		if j < len(g) {
			b.WriteString("  + " + g[j] + "\n")
		}
	}
	return b.String()
}

func sortedKeys(m map[string][]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Files is a set of generated files, as a rendered tree holds them.
type Files interface {
	Paths() []string
	File(path string) ([]byte, bool)
}

// Tree is Dir for every file of a rendered tree.
func Tree(t testing.TB, dir string, tr Files) {
	t.Helper()
	files := map[string][]byte{}
	for _, p := range tr.Paths() {
		files[p], _ = tr.File(p)
	}
	Dir(t, dir, files)
}
