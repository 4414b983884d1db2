package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/nearest"
)

// The lab is the CUE package phases in phases/ and the package schema in
// schema/, nothing else. CUE itself would quietly leave out a file whose
// package clause was deleted or misspelt, skip subfolders, and take in
// files of the package from the repository root: each of those changes
// what is deployed without a word, so load refuses them.

// packages are the lab's CUE folders and the package each holds.
var packages = map[string]string{"phases": "phases", "schema": "schema"}

// checkFiles checks every CUE file of the repository outside cue.mod/:
// it must sit directly in phases/ or schema/ and declare that folder's
// package. edits replace files of phases/ (repo-relative paths).
func checkFiles(root string, edits map[string][]byte) Errors {
	var errs Errors
	seen := map[string]bool{}
	check := func(rel string, src []byte) {
		seen[rel] = true
		dir := filepath.ToSlash(filepath.Dir(rel))
		want, ok := packages[dir]
		if !ok {
			errs = append(errs, Error{File: rel, Line: 1, Col: 1, Msg: "CUE outside the lab: the lab's CUE lives directly in phases/ (package phases) and schema/ (package schema); move or remove this file"})
			return
		}
		if line, col, b, bad := invalidUTF8(src); bad {
			errs = append(errs, Error{File: rel, Line: line, Col: col, Msg: fmt.Sprintf("byte 0x%02x is not UTF-8: CUE files are UTF-8 text (re-save the file as UTF-8)", b)})
			return
		}
		f, err := parser.ParseFile(rel, src, parser.PackageClauseOnly)
		if err != nil {
			errs = append(errs, Error{File: rel, Msg: err.Error()})
			return
		}
		switch name := packageName(f); name {
		case want:
		case "":
			errs = append(errs, Error{File: rel, Line: 1, Col: 1, Msg: fmt.Sprintf("no package clause: every file in %s/ starts with `package %s` (without it the file would be left out of the lab)", dir, want)})
		default:
			pos := f.Decls[0].Pos()
			errs = append(errs, Error{File: rel, Line: pos.Line(), Col: pos.Column(), Msg: fmt.Sprintf("package %s: files in %s/ are package %s (another package would be left out of the lab)", name, dir, want)})
		}
	}
	// CUE reads the package's folders and, for package phases, its
	// ancestors up to the module root: the repository root. Files in
	// subfolders of phases/ and schema/ it never reads.
	visit := func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() || !strings.HasSuffix(rel, ".cue") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if target, err := filepath.EvalSymlinks(p); err != nil || !within(root, target) {
				seen[rel] = true
				errs = append(errs, Error{File: rel, Msg: "a symbolic link that leaves the repository (or is broken): the lab reads nothing from outside it"})
				return nil
			}
		}
		if b, ok := edits[rel]; ok {
			check(rel, b)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, Error{File: rel, Msg: err.Error()})
			return nil
		}
		check(rel, b)
		return nil
	}
	top, err := os.ReadDir(root)
	if err != nil {
		return Errors{{File: ".", Msg: fmt.Sprintf("reading the repository: %v", err)}}
	}
	for _, d := range top {
		if !d.IsDir() {
			_ = visit(filepath.Join(root, d.Name()), d, nil)
		}
	}
	for dir := range packages {
		if err := filepath.WalkDir(filepath.Join(root, dir), visit); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, Error{File: dir, Msg: fmt.Sprintf("reading %s/: %v", dir, err)})
		}
	}
	for _, rel := range slices.Sorted(func(yield func(string) bool) {
		for k := range edits {
			if !yield(k) {
				return
			}
		}
	}) {
		if !seen[rel] {
			check(rel, edits[rel])
		}
	}
	errs.sort()
	return errs
}

// invalidUTF8 finds the first byte of src that is not valid UTF-8: its
// line and column (1-based, columns in bytes, as CUE counts them) and the
// byte. CUE's own error for such a file has no position.
func invalidUTF8(src []byte) (line, col int, b byte, bad bool) {
	if utf8.Valid(src) {
		return 0, 0, 0, false
	}
	line, start := 1, 0
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return line, i - start + 1, src[i], true
		}
		if src[i] == '\n' {
			line, start = line+1, i+1
		}
		i += n
	}
	return 0, 0, 0, false
}

func packageName(f *ast.File) string {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok && p.Name != nil {
			return p.Name.Name
		}
	}
	return ""
}

// checkPackage checks the whole package, as `cue vet` would: a conflict
// anywhere (hidden fields included) is an error, and lab is the only
// regular top-level field: another is a typo (lbs: for lab:) whose content
// would be ignored.
func (s *Source) checkPackage(v cue.Value) Errors {
	var errs Errors
	if err := v.Validate(cue.Hidden(true), cue.Definitions(true)); err != nil {
		errs = append(errs, s.fromCUE(err)...)
	}
	return append(errs, s.checkTopLevel(v)...)
}

// checkTopLevel refuses regular top-level fields other than lab.
func (s *Source) checkTopLevel(v cue.Value) Errors {
	var errs Errors
	it, err := v.Fields()
	if err != nil {
		return append(errs, s.fromCUE(err)...)
	}
	for it.Next() {
		name := it.Selector().String()
		if name == "lab" {
			continue
		}
		e := Error{File: Package, Path: name, Msg: fmt.Sprintf("unknown top-level field %q: the package declares only lab%s", name, nearest.Hint(name, []string{"lab"}))}
		if pos := userPos(s.Root, it.Value()); pos.IsValid() {
			e.File, e.Line, e.Col = s.rel(pos.Filename()), pos.Line(), pos.Column()
		}
		errs = append(errs, e)
	}
	errs.sort()
	return errs
}

// within tells whether path (symbolic links resolved) lies under root
// (whose own links are resolved too).
func within(root, path string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(r, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}
