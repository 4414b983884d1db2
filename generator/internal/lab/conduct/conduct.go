// Package conduct switches experiments on and off for a cluster by editing
// the lab's CUE (phases/conduct.cue) in place: conducting an experiment is a
// change in Git, never a kubectl command.
package conduct

import (
	"bytes"
	"fmt"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// File is the CUE file, relative to the repository root, holding
// lab: conduct: <cluster>: [experiments...].
const File = "phases/conduct.cue"

// Edit switches experiment on (or off) for cluster in src, the content of
// the CUE file name, keeping its comments and layout. It returns the new
// content and whether it differs; nothing is written (the render pipeline
// writes it with the tree).
func Edit(name string, src []byte, cluster, experiment string, on bool) ([]byte, bool, error) {
	return edit(name, src, cluster, experiment, on)
}

func edit(name string, src []byte, cluster, experiment string, on bool) ([]byte, bool, error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, false, err
	}
	// The file may declare lab: conduct: more than once (one line per
	// cluster): the cluster's list is edited where it is, and a new one
	// goes into the first declaration.
	structs := findStructs(f.Decls, "lab", "conduct")
	if len(structs) == 0 {
		return nil, false, fmt.Errorf("%s: no struct %q to edit (expected lab: conduct: <cluster>: [...])", name, []string{"lab", "conduct"})
	}
	conduct := structs[0]
	var list *ast.ListLit
	for _, s := range structs {
		if l := findList(s, cluster); l != nil {
			conduct, list = s, l
			break
		}
	}
	if list == nil {
		if !on {
			return src, false, nil
		}
		list = &ast.ListLit{}
		conduct.Elts = append(conduct.Elts, &ast.Field{Label: label(cluster), Value: list})
	}
	var found *ast.BasicLit
	for _, e := range list.Elts {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && s == experiment {
				found = lit
			}
		}
	}
	if on == (found != nil) {
		return src, false, nil
	}
	// Edit the text, not the tree, so comments stay where they were; then
	// let the formatter settle the layout.
	var text []byte
	if on {
		if !list.Rbrack.IsValid() {
			// A list this call created: print the file with it.
			list.Elts = append(list.Elts, ast.NewString(experiment))
			out, err := format.Node(f)
			return out, err == nil, err
		}
		at := list.Rbrack.Offset()
		ins := strconv.Quote(experiment) + ",\n"
		switch inline := !bytes.Contains(src[list.Lbrack.Offset():at], []byte("\n")); {
		case inline && len(list.Elts) > 0:
			ins = ", " + strconv.Quote(experiment)
		case inline:
			ins = strconv.Quote(experiment)
		case !bytes.HasSuffix(bytes.TrimRight(src[:at], " \t"), []byte("\n")):
			ins = "\n" + ins
		}
		text = append(append(append([]byte{}, src[:at]...), ins...), src[at:]...)
	} else {
		start := found.Pos().Offset()
		end := start + len(found.Value)
		for end < len(src) && (src[end] == ',' || src[end] == ' ' || src[end] == '\t') {
			end++
		}
		ls := start
		for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
			ls--
		}
		if (ls == 0 || src[ls-1] == '\n') && end < len(src) && src[end] == '\n' {
			start, end = ls, end+1 // the element had its own line: remove the line
		}
		text = append(append([]byte{}, src[:start]...), src[end:]...)
	}
	out, err := format.Source(text)
	if err != nil {
		return nil, false, fmt.Errorf("%s: formatting after the edit: %w", name, err)
	}
	return out, !bytes.Equal(out, src), nil
}

// findStructs finds every struct at the path of labels, in file order,
// following both nested and shorthand (a: b: c) declarations.
func findStructs(decls []ast.Decl, path ...string) []*ast.StructLit {
	var out []*ast.StructLit
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		if !ok || labelName(f.Label) != path[0] {
			continue
		}
		s, ok := f.Value.(*ast.StructLit)
		if !ok {
			continue
		}
		if len(path) == 1 {
			out = append(out, s)
			continue
		}
		out = append(out, findStructs(s.Elts, path[1:]...)...)
	}
	return out
}

func findList(s *ast.StructLit, key string) *ast.ListLit {
	for _, d := range s.Elts {
		if f, ok := d.(*ast.Field); ok && labelName(f.Label) == key {
			if l, ok := f.Value.(*ast.ListLit); ok {
				return l
			}
		}
	}
	return nil
}

func labelName(l ast.Label) string {
	name, _, err := ast.LabelName(l)
	if err != nil {
		return ""
	}
	return name
}

func label(name string) ast.Label {
	if ast.IsValidIdent(name) {
		return ast.NewIdent(name)
	}
	return ast.NewString(name)
}
