package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
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

// StagingPrefix starts the name of the folder a write stages files in.
const StagingPrefix = ".render-staging-"

// Write makes the files under root match t. It refuses, changing nothing,
// to overwrite a file it did not generate or to write through a symbolic
// link. New content is first written to a staging folder on the same file
// system. Before anything moves, the manifest is replaced by one listing
// both the old and the new files, so an interrupted or failed write leaves
// every file it may have placed owned: the next render prunes what is no
// longer generated and finishes the job. Then files are renamed into
// place, stale generated files removed, and the final manifest written
// last. Staging folders a killed render left behind are removed first.
func Write(root string, t *Tree) (Stats, error) {
	st := Stats{Files: t.Len()}
	if err := removeLeftovers(root); err != nil {
		return st, err
	}
	owned, err := readManifest(root)
	if err != nil {
		return st, err
	}
	unlisted, err := generatedUnlisted(root, owned, t)
	if err != nil {
		return st, err
	}
	var changed, conflicts, links []string
	for _, p := range t.Paths() {
		if l := symlinkOnPath(root, p); l != "" {
			links = append(links, l)
			continue
		}
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
	if len(links) > 0 {
		slices.Sort(links)
		return st, fmt.Errorf("refusing to write through symbolic links (render writes only inside the repository):\n  %s", strings.Join(slices.Compact(links), "\n  "))
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
	stale = append(stale, unlisted...)
	sort.Strings(stale)

	manifest := t.manifest()
	oldManifest, _ := os.ReadFile(filepath.Join(root, ManifestPath))
	if len(changed) == 0 && len(stale) == 0 && bytes.Equal(manifest, oldManifest) {
		return st, nil
	}

	staging, err := os.MkdirTemp(root, StagingPrefix)
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
	// Every file this write may place or leave behind is owned before the
	// first move: the union of the old and the new tree.
	union := map[string]bool{}
	for p := range owned {
		union[p] = true
	}
	for _, p := range unlisted {
		union[p] = true
	}
	for _, p := range t.Paths() {
		union[p] = true
	}
	if err := writeSynced(filepath.Join(staging, "union"), manifestOf(slices.Sorted(maps.Keys(union)))); err != nil {
		return st, fmt.Errorf("staging %s: %w", ManifestPath, err)
	}
	if err := os.Rename(filepath.Join(staging, "union"), filepath.Join(root, ManifestPath)); err != nil {
		return st, fmt.Errorf("replacing %s: %w", ManifestPath, err)
	}
	// Everything is staged and owned: from here on each step is a rename
	// or a remove, and a failure leaves a tree the next render completes.
	for i, p := range changed {
		dst := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return st, fmt.Errorf("%w (the next render finishes the job)", err)
		}
		if err := moveHook(p); err != nil {
			return st, fmt.Errorf("moving %s into place: %w (the next render finishes the job)", p, err)
		}
		if err := os.Rename(filepath.Join(staging, fmt.Sprint(i)), dst); err != nil {
			return st, fmt.Errorf("moving %s into place: %w (the next render finishes the job)", p, err)
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
			return st, fmt.Errorf("pruning %s: %w (the next render finishes the job)", p, err)
		}
		st.Pruned++
		removeEmptyParents(root, path.Dir(p))
	}
	if err := os.Rename(filepath.Join(staging, "manifest"), filepath.Join(root, ManifestPath)); err != nil {
		return st, fmt.Errorf("replacing %s: %w (the next render finishes the job)", ManifestPath, err)
	}
	return st, nil
}

// moveHook runs before each file is moved into place. Tests make it fail:
// the failures it stands for (a full disk, a permission error) cannot be
// produced for a test running as root.
var moveHook = func(string) error { return nil }

// removeLeftovers removes the staging folders of writes that were killed.
func removeLeftovers(root string) error {
	ms, err := filepath.Glob(filepath.Join(root, StagingPrefix+"*"))
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := os.RemoveAll(m); err != nil {
			return fmt.Errorf("removing the leftover staging folder %s: %w", filepath.Base(m), err)
		}
	}
	return nil
}

// generatedUnlisted lists the files under the output roots that carry the
// generated header but neither the manifest nor t lists: left by a write
// that could not finish, or copied by hand.
func generatedUnlisted(root string, owned map[string]bool, t *Tree) ([]string, error) {
	var out []string
	for _, r := range roots {
		dir := filepath.Join(root, strings.TrimSuffix(r, "/"))
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if owned[rel] {
				return nil
			}
			if _, ok := t.files[rel]; ok {
				return nil
			}
			if hasHeader(p) {
				out = append(out, rel)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// hasHeader tells whether a file starts with the generated header.
func hasHeader(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(HeaderPrefix))
	n, _ := io.ReadFull(f, b)
	return n == len(b) && string(b) == HeaderPrefix
}

// symlinkOnPath is the first existing element of p (repo-relative) that is
// a symbolic link, or "".
func symlinkOnPath(root, p string) string {
	cur := ""
	for _, part := range strings.Split(p, "/") {
		cur = path.Join(cur, part)
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(cur)))
		if err != nil {
			return ""
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return cur
		}
	}
	return ""
}

// Diff is one file whose disk content differs from the rendered tree.
type Diff struct {
	Path string
	// Reason is "missing", "differs", "stale" (generated before, no longer),
	// "unlisted" (carries the header, not in the manifest), "leftover" (a
	// killed render's staging folder) or "symlink" (an output path through
	// a symbolic link).
	Reason string
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
	unlisted, err := generatedUnlisted(root, owned, t)
	if err != nil {
		return nil, err
	}
	for _, p := range unlisted {
		diffs = append(diffs, Diff{p, "unlisted"})
	}
	leftovers, err := filepath.Glob(filepath.Join(root, StagingPrefix+"*"))
	if err != nil {
		return nil, err
	}
	for _, l := range leftovers {
		diffs = append(diffs, Diff{filepath.Base(l), "leftover"})
	}
	for _, p := range t.Paths() {
		if l := symlinkOnPath(root, p); l != "" {
			diffs = append(diffs, Diff{l, "symlink"})
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
