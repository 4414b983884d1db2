package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// namePattern keeps experiment, variant and run-id safe as path elements.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckName reports whether s can be an experiment, variant or run id.
func CheckName(field, s string) error {
	if !namePattern.MatchString(s) || strings.Contains(s, "..") {
		return fmt.Errorf("%s %q: must match %s and contain no \"..\"", field, s, namePattern)
	}
	return nil
}

// StorePath is where Store writes r below dir.
func StorePath(dir string, r *Result) string {
	return filepath.Join(dir, r.Experiment, r.Variant, r.RunID+".json")
}

// Store validates r and writes it to dir/<experiment>/<variant>/<run-id>.json.
// Results are append-only: an existing file is never replaced. The file
// appears whole or not at all (temp file, fsync, then a hard link that
// fails if the target exists).
func Store(dir string, r *Result, exp Expect) (string, error) {
	var errs []error
	for _, f := range []struct{ n, v string }{{"experiment", r.Experiment}, {"variant", r.Variant}, {"run id", r.RunID}} {
		if err := CheckName(f.n, f.v); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	if err := Validate(r, exp); err != nil {
		return "", err
	}
	data, err := MarshalIndent(r)
	if err != nil {
		return "", err
	}
	final := StorePath(dir, r)
	if _, err := os.Lstat(final); err == nil {
		return "", fmt.Errorf("%s already exists: results are append-only, pick a new run id", final)
	}
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.CreateTemp(parent, "."+r.RunID+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("create temp file in %s: %w", parent, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("sync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", tmpName, err)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return "", fmt.Errorf("chmod %s: %w", tmpName, err)
	}
	// link(2) fails with EEXIST instead of replacing, unlike rename(2):
	// two concurrent stores of one run id cannot both win.
	if err := os.Link(tmpName, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s already exists: results are append-only, pick a new run id", final)
		}
		return "", fmt.Errorf("publish %s: %w", final, err)
	}
	if d, err := os.Open(parent); err == nil {
		_ = d.Sync() // make the new directory entry durable; best effort
		d.Close()
	}
	return final, nil
}

// LoadFile reads one stored result.
func LoadFile(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(data, path)
}

// Load reads results from files and directories (every *.json directly in
// a directory, sorted by name). Each is decoded strictly and validated. One
// file named twice (by two paths, or by a directory and a path in it) is
// refused: each run counts once.
func Load(paths ...string) ([]*Result, []string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, nil, err
		}
		if len(m) == 0 {
			return nil, nil, fmt.Errorf("%s: no *.json results", p)
		}
		sort.Strings(m)
		files = append(files, m...)
	}
	if err := input.Distinct(files); err != nil {
		return nil, nil, err
	}
	out := make([]*Result, 0, len(files))
	for _, f := range files {
		r, err := LoadFile(f)
		if err != nil {
			return nil, nil, err
		}
		if err := Validate(r, Expect{}); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, r)
	}
	return out, files, nil
}
