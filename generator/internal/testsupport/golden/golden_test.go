package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(string, ...any)     { r.failed = true }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = true; panic(r) }

func run(tb testing.TB, f func(testing.TB)) (failed bool) {
	r := &recorder{TB: tb}
	defer func() {
		if v := recover(); v != nil && v != r {
			panic(v)
		}
		failed = r.failed
	}()
	f(r)
	return r.failed
}

func TestFileAndDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("x\n"), 0o644)
	if run(t, func(tb testing.TB) { File(tb, filepath.Join(dir, "a"), []byte("x\n")) }) {
		t.Error("equal file reported as differing")
	}
	if !run(t, func(tb testing.TB) { File(tb, filepath.Join(dir, "a"), []byte("y\n")) }) {
		t.Error("differing file not reported")
	}
	if !run(t, func(tb testing.TB) { File(tb, filepath.Join(dir, "missing"), nil) }) {
		t.Error("missing golden file not reported")
	}
	if run(t, func(tb testing.TB) { Dir(tb, dir, map[string][]byte{"a": []byte("x\n")}) }) {
		t.Error("equal folder reported as differing")
	}
	if !run(t, func(tb testing.TB) { Dir(tb, dir, map[string][]byte{}) }) {
		t.Error("extra golden file not reported")
	}
	if !run(t, func(tb testing.TB) { Dir(tb, dir, map[string][]byte{"a": []byte("x\n"), "b/c": nil}) }) {
		t.Error("file without golden not reported")
	}
	if RepoRoot(t) == "" {
		t.Error("no repository root")
	}
}
