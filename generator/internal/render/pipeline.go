package render

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// The pipeline every verb that writes or checks the tree runs:
//
//	load (CUE, with the verb's edits in memory) → model → tree → validate → write | check
//
// Nothing is written unless every step before the write succeeded, so a
// tree that validate would refuse never reaches the disk, whichever verb
// produced it.

// Edits are changes a verb makes to the lab's CUE sources (conduct's
// phases/conduct.cue, a new experiment's file, discovery's scaffolds):
// repo-relative paths under phases/ to their new content.
type Edits map[string][]byte

// Run says how to run the pipeline.
type Run struct {
	Root string
	// Edits are loaded in memory first and written only with the tree.
	Edits Edits
	// SkipValidation leaves out the offline validation of every object
	// (render --validate=false).
	SkipValidation bool
	// Options tune the rendering itself.
	Options Options
}

// Outcome is what a pipeline run produced.
type Outcome struct {
	Source *load.Source
	Tree   *tree.Tree
	// Validation is the offline validation report (nil when skipped).
	Validation *validate.Report
	// Stats say what Write changed; Diffs what Check found.
	Stats tree.Stats
	Diffs []tree.Diff
}

// ValidationError is a rendered tree validate refuses: nothing was written.
type ValidationError struct{ Report *validate.Report }

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the rendered objects; nothing written:", len(e.Report.Errors))
	for _, v := range e.Report.Errors {
		b.WriteString("\n")
		b.WriteString(v.Error())
	}
	return b.String()
}

// Build loads the lab with the edits, renders it and validates the tree.
func (r Run) Build() (*Outcome, error) {
	src, err := load.LoadWith(r.Root, r.Edits)
	if err != nil {
		return nil, err
	}
	t, err := Lab(src, r.Options)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Source: src, Tree: t}
	if !r.SkipValidation {
		out.Validation = validate.Default().Tree(t)
		if len(out.Validation.Errors) > 0 {
			return out, &ValidationError{Report: out.Validation}
		}
	}
	return out, nil
}

// Check builds the tree and compares it with the disk, writing nothing.
func (r Run) Check() (*Outcome, error) {
	out, err := r.Build()
	if err != nil {
		return out, err
	}
	out.Diffs, err = tree.Check(out.Source.Root, out.Tree)
	return out, err
}

// Write builds the tree, then writes the edits and the tree. When writing
// the tree fails, the edited sources are put back as they were, so the
// lab on disk still describes the tree on disk.
func (r Run) Write() (*Outcome, error) {
	out, err := r.Build()
	if err != nil {
		return out, err
	}
	return out, r.Commit(out)
}

// Commit writes the edits and the tree a successful Build produced.
func (r Run) Commit(out *Outcome) error {
	root := out.Source.Root
	restore, err := writeEdits(root, r.Edits)
	if err != nil {
		return err
	}
	out.Stats, err = tree.Write(root, out.Tree)
	if err != nil {
		if rerr := restore(); rerr != nil {
			return fmt.Errorf("%w (and restoring the edited sources failed: %v)", err, rerr)
		}
		return err
	}
	return nil
}

// writeEdits writes each edited file atomically and returns how to put
// the previous contents back (or remove files that were new).
func writeEdits(root string, edits Edits) (func() error, error) {
	type prev struct {
		data    []byte
		existed bool
	}
	saved := map[string]prev{}
	restore := func() error {
		var errs []error
		for _, rel := range slices.Sorted(maps.Keys(saved)) {
			p := saved[rel]
			full := filepath.Join(root, filepath.FromSlash(rel))
			if !p.existed {
				if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
				continue
			}
			if err := writeAtomic(full, p.data); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	for _, rel := range slices.Sorted(maps.Keys(edits)) {
		full := filepath.Join(root, filepath.FromSlash(rel))
		b, err := os.ReadFile(full)
		switch {
		case err == nil:
			saved[rel] = prev{data: b, existed: true}
		case errors.Is(err, os.ErrNotExist):
			saved[rel] = prev{}
		default:
			return nil, errors.Join(err, restore())
		}
		if err := writeAtomic(full, edits[rel]); err != nil {
			return nil, errors.Join(fmt.Errorf("writing %s: %w", rel, err), restore())
		}
	}
	return restore, nil
}

// writeAtomic replaces a file by renaming a complete temporary copy over it.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
