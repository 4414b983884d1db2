// Package validate checks the rendered tree offline, the way the Kubernetes API server would
// on create: built-in kinds are strictly decoded into their k8s.io/api types and checked with
// the apimachinery validation helpers; custom resources are pruned, defaulted and validated
// against the vendored CRDs' OpenAPI v3 schemas and CEL rules by the API server's own code
// (k8s.io/apiextensions-apiserver). The Applications each ApplicationSet's list generator will
// produce are expanded (text/template with ArgoCD's functions) and validated too.
package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

// Error is one problem with one rendered object, at a field when known.
type Error struct {
	File string // repo-relative path of the rendered file
	Doc  int    // 1-based position of the document in the file
	// Kind, Namespace and Name identify the object (empty when it could not be read).
	Kind, Namespace, Name string
	// Via names the ApplicationSet element an object was generated from, for generated
	// Applications ("spec.generators[0].list.elements[2]").
	Via string
	// Field is the object's field path ("spec.syncPolicy.automated.prune"); empty for
	// problems with the document as a whole.
	Field string
	// Detail is what is wrong, as the API server words it
	// (`Invalid value: "string": must be of type boolean`).
	Detail string
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Doc > 1 {
		fmt.Fprintf(&b, " (document %d)", e.Doc)
	}
	b.WriteString(": ")
	if e.Kind != "" || e.Name != "" {
		b.WriteString(e.object())
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Detail)
	return b.String()
}

func (e Error) object() string {
	id := e.Name
	if e.Namespace != "" {
		id = e.Namespace + "/" + e.Name
	}
	s := strings.TrimSpace(e.Kind + " " + id)
	if e.Via != "" {
		s = e.Via + " -> " + s
	}
	return s
}

// Object is one rendered document to validate: its file, its position there and its YAML or
// JSON text.
type Object struct {
	File string
	Doc  int
	Data []byte
}

// Report is the outcome of a validation run.
type Report struct {
	Errors []Error
	// Validated counts the objects checked per kind group: "Application (argoproj.io)",
	// "Namespace (core)"; generated Applications are counted under
	// "Application (argoproj.io, generated)".
	Validated map[string]int
	// Skipped counts the documents that are not cluster objects, by reason.
	Skipped map[string]int
}

// Objects is the number of objects validated.
func (r *Report) Objects() int {
	n := 0
	for _, c := range r.Validated {
		n += c
	}
	return n
}

// Summary is a one-line account of what was validated.
func (r *Report) Summary() string {
	keys := make([]string, 0, len(r.Validated))
	for k := range r.Validated {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", r.Validated[k], k))
	}
	s := fmt.Sprintf("%d objects valid: %s", r.Objects(), strings.Join(parts, ", "))
	if n := r.skipped(); n > 0 {
		s += fmt.Sprintf("; %d documents skipped (not cluster objects)", n)
	}
	return s
}

func (r *Report) skipped() int {
	n := 0
	for _, c := range r.Skipped {
		n += c
	}
	return n
}

func (r *Report) count(gvk schema.GroupVersionKind, generated bool) {
	g := gvk.Group
	if g == "" {
		g = "core"
	}
	if generated {
		g += ", generated"
	}
	r.Validated[gvk.Kind+" ("+g+")"]++
}

// checkBootstrap checks the kind configuration of a bootstrap folder with
// kind's own types.
func (r *Report) checkBootstrap(p string, b []byte) {
	if path.Base(p) != KindConfigFile {
		return
	}
	if err := KindConfig(b); err != nil {
		r.Errors = append(r.Errors, Error{File: p, Detail: err.Error()})
	}
}

func newReport() *Report {
	return &Report{Validated: map[string]int{}, Skipped: map[string]int{}}
}

// Skip reasons, by file role.
const (
	SkipKustomization = "kustomize Kustomization"
	SkipHelmValues    = "Helm values"
	SkipKyvernoCLI    = "Kyverno CLI test input (checked by kubectl-kyverno test)"
	SkipBootstrap     = "cluster bootstrap (kind configuration checked with kind's types)"
)

// KindConfigFile is the base name of a cluster's kind configuration in its
// bootstrap folder (clusters/<cluster>/bootstrap/).
const KindConfigFile = "kind.yaml"

// Role says what a rendered file is: "" for Kubernetes objects, else a Skip reason.
func Role(p string) string {
	base := path.Base(p)
	if base == "kustomization.yaml" || base == "kustomization.yml" || base == "Kustomization" {
		return SkipKustomization
	}
	// apps/<phase>/<experiment>/values/**: one Helm values file per component.
	parts := strings.Split(p, "/")
	if len(parts) >= 5 && parts[0] == "apps" && parts[3] == "values" {
		return SkipHelmValues
	}
	// clusters/<cluster>/bootstrap/**: what task hub:bootstrap reads.
	if len(parts) >= 4 && parts[0] == "clusters" && parts[2] == "bootstrap" {
		return SkipBootstrap
	}
	return ""
}

// Tree validates every object of a rendered tree with the shared Validator.
func Tree(t *tree.Tree) []Error { return Default().Tree(t).Errors }

// Objects validates the given documents with the shared Validator.
func Objects(objs []Object) []Error { return Default().Objects(objs).Errors }

// Tree validates every object of a rendered tree: files that are not Kubernetes objects
// (kustomization.yaml, Helm values) are skipped by path.
func (v *Validator) Tree(t *tree.Tree) *Report {
	var objs []Object
	r := newReport()
	for _, p := range t.Paths() {
		b, _ := t.File(p)
		if role := Role(p); role != "" {
			r.Skipped[role]++
			r.checkBootstrap(p, b)
			continue
		}
		docs, err := SplitDocuments(b)
		if err != nil {
			r.Errors = append(r.Errors, Error{File: p, Detail: err.Error()})
			continue
		}
		for i, d := range docs {
			objs = append(objs, Object{File: p, Doc: i + 1, Data: d})
		}
	}
	v.objects(objs, r)
	return r
}

// Objects validates documents, each of which must be one Kubernetes object (or a Kyverno CLI
// test input, which is skipped).
func (v *Validator) Objects(objs []Object) *Report {
	r := newReport()
	v.objects(objs, r)
	return r
}

func (v *Validator) objects(objs []Object, r *Report) {
	// Objects are independent: validate them on every core, each into its own report, and
	// merge in input order so the output stays deterministic.
	parts := make([]*Report, len(objs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(objs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				parts[i] = newReport()
				v.object(objs[i], parts[i])
			}
		}()
	}
	for i := range objs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, p := range parts {
		r.Errors = append(r.Errors, p.Errors...)
		for k, n := range p.Validated {
			r.Validated[k] += n
		}
		for k, n := range p.Skipped {
			r.Skipped[k] += n
		}
	}
	sort.SliceStable(r.Errors, func(i, j int) bool {
		a, b := r.Errors[i], r.Errors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Doc < b.Doc
	})
}

// SplitDocuments returns the non-empty YAML documents of a (multi-document) file.
func SplitDocuments(b []byte) ([][]byte, error) {
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out [][]byte
	for {
		d, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if isEmptyDoc(d) {
			continue
		}
		out = append(out, d)
	}
}

func isEmptyDoc(d []byte) bool {
	for _, line := range strings.Split(string(d), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line != "---" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

// object validates one document.
func (v *Validator) object(o Object, r *Report) {
	fail := func(e Error) {
		e.File, e.Doc = o.File, o.Doc
		r.Errors = append(r.Errors, e)
	}
	// YAMLToJSONStrict refuses duplicate keys, as the API server's strict decoding does.
	js, err := yaml.YAMLToJSONStrict(o.Data)
	if err != nil {
		e := Error{Detail: "not valid YAML: " + strings.Join(strings.Fields(err.Error()), " ")}
		// Name the object if the lenient reading can (a duplicate key is the usual cause).
		if lj, lerr := yaml.YAMLToJSON(o.Data); lerr == nil {
			var m map[string]any
			if kjson.UnmarshalCaseSensitivePreserveInts(lj, &m) == nil && m != nil {
				id := identify(m)
				e.Kind, e.Namespace, e.Name = id.gvk.Kind, id.namespace, id.name
			}
		}
		fail(e)
		return
	}
	var m map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &m); err != nil || m == nil {
		fail(Error{Detail: "not a YAML mapping (a Kubernetes object)"})
		return
	}
	id := identify(m)
	if id.gvk.Group == "cli.kyverno.io" {
		r.Skipped[SkipKyvernoCLI]++
		return
	}
	var errs field.ErrorList
	def, err := v.crd(id.gvk)
	switch {
	case id.gvk.Kind == "" || id.gvk.Version == "":
		errs = field.ErrorList{field.Required(field.NewPath("apiVersion"), "apiVersion and kind are required")}
	case err != nil:
		errs = field.ErrorList{field.InternalError(field.NewPath("kind"), err)}
	case def != nil:
		var gen []generated
		errs, gen = v.custom(id.gvk, m)
		for _, g := range gen {
			for _, fe := range g.errs {
				fail(fieldError(g.id, fe, g.via))
			}
			if len(g.errs) == 0 {
				r.count(g.id.gvk, true)
			}
		}
	case isBuiltin(id.gvk):
		errs = builtin(id.gvk, js)
	default:
		errs = field.ErrorList{field.Invalid(field.NewPath("kind"), id.gvk.Kind,
			fmt.Sprintf("no schema for %s: neither a built-in kind nor a kind of the vendored CRDs (generator/internal/validate/crds)", id.gvk.GroupVersion()))}
	}
	for _, fe := range errs {
		fail(fieldError(id, fe, ""))
	}
	if len(errs) == 0 {
		r.count(id.gvk, false)
	}
}

// ident is what an error says about its object.
type ident struct {
	gvk             schema.GroupVersionKind
	namespace, name string
}

func identify(m map[string]any) ident {
	av, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	gv, _ := schema.ParseGroupVersion(av)
	id := ident{gvk: gv.WithKind(kind)}
	if md, ok := m["metadata"].(map[string]any); ok {
		id.name, _ = md["name"].(string)
		id.namespace, _ = md["namespace"].(string)
	}
	return id
}

func fieldError(id ident, fe *field.Error, via string) Error {
	e := Error{Kind: id.gvk.Kind, Namespace: id.namespace, Name: id.name, Via: via, Field: fe.Field, Detail: fe.ErrorBody()}
	if e.Field == "<nil>" {
		e.Field = ""
	}
	return e
}

// Disk validates the rendered files on disk under root: those the last render listed in
// .render-manifest (hand-written files beside them are not the generator's to check).
func (v *Validator) Disk(root string) (*Report, error) {
	mb, err := os.ReadFile(filepath.Join(root, tree.ManifestPath))
	if err != nil {
		return nil, fmt.Errorf("reading the list of rendered files: %w (run `go run ./generator render` first)", err)
	}
	r := newReport()
	var objs []Object
	for _, line := range strings.Split(string(mb), "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		role := Role(p)
		if role != "" && role != SkipBootstrap {
			r.Skipped[role]++
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			r.Errors = append(r.Errors, Error{File: p, Detail: err.Error()})
			continue
		}
		if role != "" {
			r.Skipped[role]++
			r.checkBootstrap(p, b)
			continue
		}
		docs, err := SplitDocuments(b)
		if err != nil {
			r.Errors = append(r.Errors, Error{File: p, Detail: err.Error()})
			continue
		}
		for i, d := range docs {
			objs = append(objs, Object{File: p, Doc: i + 1, Data: d})
		}
	}
	v.objects(objs, r)
	return r, nil
}
