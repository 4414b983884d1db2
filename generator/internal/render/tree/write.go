package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Stats says what a write changed.
type Stats struct {
	Files, Written, Unchanged, Pruned int
	// Kept lists stale files that were not pruned because they no longer
	// carry the generated header (someone edited them by hand).
	Kept []string
}

// Write makes the files under root match t. It refuses, changing nothing,
// to overwrite a file it did not generate. New content is first written to
// a staging folder on the same file system; only when all of it is there
// are the files renamed into place, stale generated files removed, and the
// manifest replaced last.
func Write(root string, t *Tree) (Stats, error) {
	st := Stats{Files: t.Len()}
	owned, err := readManifest(root)
	if err != nil {
		return st, err
	}
	var changed []string
	var conflicts []string
	for _, p := range t.Paths() {
		want := t.files[p]
		have, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changed = append(changed, p)
		case err != nil:
			return st, err
		case bytes.Equal(have, want):
			st.Unchanged++
		case !owned[p] && !bytes.HasPrefix(have, []byte(HeaderPrefix)):
			conflicts = append(conflicts, p)
		default:
			changed = append(changed, p)
		}
	}
	if len(conflicts) > 0 {
		return st, fmt.Errorf("refusing to overwrite files render did not generate (move them, or rename what generates them):\n  %s", strings.Join(conflicts, "\n  "))
	}
	var stale []string
	for p := range owned {
		if _, ok := t.files[p]; !ok {
			stale = append(stale, p)
		}
	}
	sort.Strings(stale)

	manifest := t.manifest()
	oldManifest, _ := os.ReadFile(filepath.Join(root, ManifestPath))
	if len(changed) == 0 && len(stale) == 0 && bytes.Equal(manifest, oldManifest) {
		return st, nil
	}

	staging, err := os.MkdirTemp(root, ".render-staging-")
	if err != nil {
		return st, fmt.Errorf("creating staging folder: %w", err)
	}
	defer os.RemoveAll(staging)
	for i, p := range changed {
		if err := writeSynced(filepath.Join(staging, fmt.Sprint(i)), t.files[p]); err != nil {
			return st, fmt.Errorf("staging %s: %w", p, err)
		}
	}
	if err := writeSynced(filepath.Join(staging, "manifest"), manifest); err != nil {
		return st, fmt.Errorf("staging %s: %w", ManifestPath, err)
	}
	// Everything is staged: from here on each step is a rename or a remove.
	for i, p := range changed {
		dst := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return st, err
		}
		if err := os.Rename(filepath.Join(staging, fmt.Sprint(i)), dst); err != nil {
			return st, fmt.Errorf("moving %s into place: %w", p, err)
		}
		st.Written++
	}
	for _, p := range stale {
		full := filepath.Join(root, filepath.FromSlash(p))
		have, err := os.ReadFile(full)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || !bytes.HasPrefix(have, []byte(HeaderPrefix)) {
			st.Kept = append(st.Kept, p)
			continue
		}
		if err := os.Remove(full); err != nil {
			return st, fmt.Errorf("pruning %s: %w", p, err)
		}
		st.Pruned++
		removeEmptyParents(root, path.Dir(p))
	}
	if err := os.Rename(filepath.Join(staging, "manifest"), filepath.Join(root, ManifestPath)); err != nil {
		return st, fmt.Errorf("replacing %s: %w", ManifestPath, err)
	}
	return st, nil
}

// Diff is one file whose disk content differs from the rendered tree.
type Diff struct {
	Path   string
	Reason string // "missing", "differs" or "stale"
}

func (d Diff) String() string { return d.Reason + ": " + d.Path }

// Check compares t with the files under root without writing anything.
func Check(root string, t *Tree) ([]Diff, error) {
	var diffs []Diff
	for _, p := range t.Paths() {
		have, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			diffs = append(diffs, Diff{p, "missing"})
		case err != nil:
			return nil, err
		case !bytes.Equal(have, t.files[p]):
			diffs = append(diffs, Diff{p, "differs"})
		}
	}
	owned, err := readManifest(root)
	if err != nil {
		return nil, err
	}
	for p := range owned {
		if _, ok := t.files[p]; ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			diffs = append(diffs, Diff{p, "stale"})
		}
	}
	have, err := os.ReadFile(filepath.Join(root, ManifestPath))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if !bytes.Equal(have, t.manifest()) {
		reason := "differs"
		if err != nil {
			reason = "missing"
		}
		diffs = append(diffs, Diff{ManifestPath, reason})
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs, nil
}

func readManifest(root string) (map[string]bool, error) {
	b, err := os.ReadFile(filepath.Join(root, ManifestPath))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	owned := map[string]bool{}
	for _, p := range parseManifest(b) {
		owned[p] = true
	}
	return owned, nil
}

func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removeEmptyParents removes dir and its parents while they are empty,
// stopping at the top-level output folder.
func removeEmptyParents(root, dir string) {
	for strings.Contains(dir, "/") {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(dir))); err != nil {
			return // not empty, or gone
		}
		dir = path.Dir(dir)
	}
}
