// Package load reads the lab's CUE (cue.mod/, schema/, phases/), validates it
// concretely and decodes it into the typed model. Every problem it finds,
// from CUE or from its own cross-checks, comes back with a file, line and
// field path, all at once.
package load

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Package is the CUE package, relative to the repository root, that holds
// the lab; its value at field "lab" is a schema.#Lab.
const Package = "./phases"

// Source is a loaded lab: the typed model and the CUE value it came from
// (kept to give positions to errors found later).
type Source struct {
	Root  string
	Lab   *model.Lab
	Value cue.Value // the value of field "lab"
}

// Load evaluates the lab under root. On failure the error is an Errors
// listing every problem.
func Load(root string) (*Source, error) { return LoadWith(root, nil) }

// LoadWith evaluates the lab under root as if the CUE files in edits
// (repo-relative paths under phases/, new or replacing) were on disk: a
// change is checked before anything is written.
func LoadWith(root string, edits map[string][]byte) (*Source, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, "cue.mod", "module.cue")); err != nil {
		return nil, fmt.Errorf("%s is not the lab's root: no cue.mod/module.cue", root)
	}
	cfg := &load.Config{Dir: abs}
	if len(edits) > 0 {
		cfg.Overlay = map[string]load.Source{}
		for rel, b := range edits {
			if !strings.HasPrefix(rel, "phases/") || !strings.HasSuffix(rel, ".cue") || path.Clean(rel) != rel {
				return nil, fmt.Errorf("edit %s: only CUE files under phases/ can be changed", rel)
			}
			cfg.Overlay[filepath.Join(abs, filepath.FromSlash(rel))] = load.FromBytes(b)
		}
	}
	if errs := checkFiles(abs, edits); len(errs) > 0 {
		return nil, errs
	}
	insts := load.Instances([]string{Package}, cfg)
	if len(insts) != 1 {
		return nil, fmt.Errorf("loading %s: expected one CUE instance, got %d", Package, len(insts))
	}
	if err := insts[0].Err; err != nil {
		return nil, (&Source{Root: abs}).fromCUE(err)
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(insts[0])
	if errs := (&Source{Root: abs}).checkTopLevel(v); len(errs) > 0 {
		return nil, errs
	}
	labV := v.LookupPath(cue.ParsePath("lab"))
	if !labV.Exists() {
		if err := v.Err(); err != nil {
			return nil, (&Source{Root: abs}).fromCUE(err)
		}
		return nil, Errors{{File: Package, Msg: `no field "lab": the package must declare lab: schema.#Lab & {...}`}}
	}
	src := &Source{Root: abs, Value: labV}
	if err := labV.Validate(cue.Concrete(true), cue.Final()); err != nil {
		return nil, src.fromCUE(err)
	}
	if errs := src.checkPackage(v); len(errs) > 0 {
		return nil, errs
	}
	var lab model.Lab
	if err := labV.Decode(&lab); err != nil {
		return nil, src.fromCUE(err)
	}
	src.Lab = &lab
	src.annotate()
	if errs := src.check(); len(errs) > 0 {
		return nil, errs
	}
	src.findLocalCharts()
	if errs := src.checkRendered(); len(errs) > 0 {
		return nil, errs
	}
	return src, nil
}

// annotate records what the model cannot say by itself: on each
// experiment its phase and the files declaring it and its benchmark, on
// each policy its file, and the files of the lab's own settings.
func (s *Source) annotate() {
	for pn, p := range s.Lab.Phases {
		for en, e := range p.Experiments {
			e.Phase = pn
			e.Source = s.FileOf("phases", pn, "experiments", en)
			if e.Benchmark != nil {
				e.Benchmark.Source = s.FileOf("phases", pn, "experiments", en, "benchmark")
			}
		}
	}
	for name, p := range s.Lab.Policies {
		p.Source = s.FileOf("policies", name)
	}
	s.Lab.Files = model.Files{
		Lab:       s.FileOf("repoURL"),
		Conduct:   s.FileOf("conduct"),
		Policies:  s.FileOf("policies"),
		Discovery: s.FileOf("discovery"),
		FinOps:    s.FileOf("finops"),
	}
}

// findLocalCharts records which component paths hold a Helm chart; the
// paths are checked to stay in the repository first.
func (s *Source) findLocalCharts() {
	for _, e := range s.Lab.Experiments() {
		for _, u := range e.Units() {
			if c := u.Component; c.Path != "" && c.Chart == nil {
				_, err := os.Stat(filepath.Join(s.Root, filepath.FromSlash(c.Path), "Chart.yaml"))
				c.LocalChart = err == nil
			}
		}
	}
}

// FileOf is the repo-relative file of the user's declaration of the value
// at the path of field names under lab (e.g. "policies", name), or of its
// nearest declared parent: what a generated file names as its source.
func (s *Source) FileOf(fields ...string) string { return s.fileOf(sel(fields...)) }

// fileOf is the repo-relative file of the user's (not the schema's)
// declaration of the value at path.
func (s *Source) fileOf(p cue.Path) string {
	pos := s.pos(p)
	if !pos.IsValid() {
		return Package
	}
	return s.rel(pos.Filename())
}

// pos finds the position of the user's declaration at path, walking up to
// the nearest parent that exists; declarations in schema/ are the last
// resort since they say nothing about where the user wrote the value.
func (s *Source) pos(p cue.Path) token.Pos {
	sels := p.Selectors()
	for n := len(sels); n >= 0; n-- {
		v := s.Value.LookupPath(cue.MakePath(sels[:n]...))
		if !v.Exists() {
			continue
		}
		if pos := userPos(s.Root, v); pos.IsValid() {
			return pos
		}
	}
	return token.NoPos
}

func userPos(root string, v cue.Value) token.Pos {
	for _, src := range expressions(v) {
		if pos := src.Pos(); pos.IsValid() && !isSchema(root, pos.Filename()) {
			return pos
		}
	}
	if p := v.Pos(); p.IsValid() && !isSchema(root, p.Filename()) {
		return p
	}
	return token.NoPos
}

// expressions lists the conjuncts of v: each place that contributed to it.
func expressions(v cue.Value) []cue.Value {
	op, args := v.Expr()
	if op == cue.AndOp {
		return args
	}
	return []cue.Value{v}
}

func isSchema(root, file string) bool {
	rel, err := filepath.Rel(root, file)
	return err == nil && strings.HasPrefix(filepath.ToSlash(rel), "schema/")
}

func (s *Source) rel(file string) string {
	if rel, err := filepath.Rel(s.Root, file); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return file
}

// Error is one problem with the lab's source.
type Error struct {
	File      string
	Line, Col int
	Path      string // the field path, e.g. lab.phases.platform.experiments.x.kind
	Msg       string
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found, sorted by file and line.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Path < b.Path
	})
}

// fromCUE turns CUE's errors into Errors, one per distinct problem,
// positioned at the user's file rather than the schema where possible.
func (s *Source) fromCUE(err error) Errors {
	root := s.Root
	var out Errors
	seen := map[string]bool{}
	refs := schemaRefs{}
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if strings.Contains(msg, "errors in empty disjunction") {
			continue // a summary of errors CUE also reports one by one
		}
		path := joinPath(e.Path())
		var chosen, schemaPos token.Pos
		for _, p := range cueerrors.Positions(e) {
			switch {
			case !p.IsValid():
			case isSchema(root, p.Filename()):
				if !schemaPos.IsValid() {
					schemaPos = p
				}
			case refs.is(p):
				// "lab: schema.#Lab & {": where the schema is applied,
				// not where the value was written.
			case !chosen.IsValid():
				chosen = p
			}
		}
		if !chosen.IsValid() && s.Value.Exists() && len(e.Path()) > 1 && e.Path()[0] == "lab" {
			// A value the schema derived (a name from its map key, a
			// default): point at where the user declared its parent.
			chosen = s.pos(cue.ParsePath(strings.Join(quoteAll(e.Path()[1:]), ".")))
		}
		if !chosen.IsValid() {
			chosen = schemaPos
		}
		le := Error{Path: path, Msg: hint(msg)}
		if chosen.IsValid() {
			le.File = relTo(root, chosen.Filename())
			le.Line, le.Col = chosen.Line(), chosen.Column()
		} else {
			le.File = Package
		}
		if schemaPos.IsValid() && schemaPos != chosen {
			le.Msg += fmt.Sprintf(" (schema: %s:%d)", relTo(root, schemaPos.Filename()), schemaPos.Line())
		}
		key := le.Error()
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, le)
	}
	if len(out) == 0 {
		out = Errors{{File: Package, Msg: err.Error()}}
	}
	out = dropDefaultConflicts(out)
	out.sort()
	return out
}

// dropDefaultConflicts leaves out "conflicting values" errors at a path
// that also has an "invalid value" error: with a default (*"main"), CUE
// reports the value against the default too, which says nothing more.
func dropDefaultConflicts(es Errors) Errors {
	invalid := map[string]bool{}
	for _, e := range es {
		if strings.HasPrefix(e.Msg, "invalid value ") {
			invalid[e.Path] = true
		}
	}
	out := es[:0]
	for _, e := range es {
		if invalid[e.Path] && strings.HasPrefix(e.Msg, "conflicting values ") {
			continue
		}
		out = append(out, e)
	}
	return out
}

// schemaRefs recognises positions that point at a reference to the schema
// package (schema.#Lab) in the user's files.
type schemaRefs map[string][]string

func (r schemaRefs) is(p token.Pos) bool {
	lines, ok := r[p.Filename()]
	if !ok {
		b, _ := os.ReadFile(p.Filename())
		lines = strings.Split(string(b), "\n")
		r[p.Filename()] = lines
	}
	if p.Line() < 1 || p.Line() > len(lines) {
		return false
	}
	line := lines[p.Line()-1]
	if p.Column() < 1 || p.Column() > len(line) {
		return false
	}
	return strings.HasPrefix(line[p.Column()-1:], "schema.#")
}

func relTo(root, file string) string {
	if rel, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return file
}

func quoteAll(sels []string) []string {
	out := make([]string, len(sels))
	for i, s := range sels {
		if strings.HasPrefix(s, `"`) || isIdent(s) {
			out[i] = s
		} else {
			out[i] = strconv.Quote(s)
		}
	}
	return out
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// hints replace the schema's long regular expressions in CUE's messages
// with what they mean.
var hints = []struct{ pattern, meaning string }{
	{`=~"^v?(0|[1-9][0-9]*)\\.`, "must be one exact version such as 1.2.3 or v1.2.3: no ranges, wildcards or latest"},
	{`=~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"},
	{`=~"^apps/`, "must be a path under apps/"},
	{`=~"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"`, "must be a k6 duration such as 30s or 1m30s"},
	{`!~"^(0+(\\.0+)?(ms|s|m|h))+$"`, "must not be zero"},
	{`=~"^[A-Za-z0-9][A-Za-z0-9._/-]*$"`, "must be a plain Git ref: letters, digits and . _ / - (it lands in ArgoCD's templates: no spaces, quotes or braces)"},
	{`!~"\\.\\.|//|\\.lock$|/$"`, "must be a valid Git ref: no '..', '//', trailing '/' or '.lock'"},
	{`=~"^(https://|ssh://|git@|http://)[^\\s{}\"'` + "`" + `]+$"`, "must be an https://, http://, ssh:// or git@ URL without spaces, quotes or braces (it lands in ArgoCD's templates)"},
	{`=~"^https://[^\\s{}\"'` + "`" + `]+$"`, "must be an https:// URL without spaces, quotes or braces (it lands in ArgoCD's templates)"},
}

func hint(msg string) string {
	for _, h := range hints {
		if i := strings.Index(msg, "(out of bound "+h.pattern); i >= 0 {
			// CUE closes the bound with ")"; keep what follows it.
			rest := ""
			if j := strings.Index(msg[i:], "$\")"); j >= 0 {
				rest = msg[i+j+3:]
			}
			return msg[:i] + "(" + h.meaning + ")" + rest
		}
	}
	return msg
}

// joinPath spells a CUE error path the way cue.Path does: list indexes in
// brackets (lab.conduct.hub[0]).
func joinPath(sels []string) string {
	var b strings.Builder
	for i, s := range sels {
		if _, err := strconv.Atoi(s); err == nil && i > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}
