package load

import (
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// TestSchemaMatchesModel keeps the one schema (schema/*.cue) and the Go
// model in agreement: every field of a definition has a Go field with the
// same JSON name, and the other way round, recursively through structs,
// maps and lists. Adding a field to one side only fails here.
func TestSchemaMatchesModel(t *testing.T) {
	root, _ := filepath.Abs("../../../..")
	insts := load.Instances([]string{"./schema"}, &load.Config{Dir: root})
	if err := insts[0].Err; err != nil {
		t.Fatal(err)
	}
	v := cuecontext.New().BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	def := v.LookupPath(cue.ParsePath("#Lab"))
	if !def.Exists() {
		t.Fatal("schema has no #Lab")
	}
	compare(t, "#Lab", def, reflect.TypeOf(model.Lab{}))
}

func compare(t *testing.T, where string, v cue.Value, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		cueFields := map[string]cue.Value{}
		it, err := v.Fields(cue.Optional(true), cue.Definitions(false))
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		for it.Next() {
			cueFields[it.Selector().Unquoted()] = it.Value()
		}
		goFields := map[string]reflect.StructField{}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || name == "" {
				continue
			}
			goFields[name] = f
		}
		for _, name := range keys(cueFields) {
			f, ok := goFields[name]
			if !ok {
				t.Errorf("%s.%s is in the CUE schema but not in model.%s", where, name, typ.Name())
				continue
			}
			compare(t, where+"."+name, cueFields[name], f.Type)
		}
		for _, name := range keys(goFields) {
			if _, ok := cueFields[name]; !ok {
				t.Errorf("model.%s field %s (json %q) is not in the CUE schema at %s", typ.Name(), goFields[name].Name, name, where)
			}
		}
	case reflect.Map:
		if typ.Elem().Kind() == reflect.Interface {
			return // free-form values (Helm values)
		}
		elem := v.LookupPath(cue.MakePath(cue.AnyString))
		if !elem.Exists() {
			t.Errorf("%s: model has a map, CUE has no [string] pattern", where)
			return
		}
		compare(t, where+".[string]", elem, typ.Elem())
	case reflect.Slice:
		elem := v.LookupPath(cue.MakePath(cue.AnyIndex))
		if !elem.Exists() {
			// A list with a default (a | *[...]): look at its disjuncts.
			if op, args := v.Expr(); op == cue.OrOp {
				for _, a := range args {
					if e := a.LookupPath(cue.MakePath(cue.AnyIndex)); e.Exists() {
						elem = e
						break
					}
				}
			}
		}
		if !elem.Exists() {
			t.Errorf("%s: model has a list, CUE value is not a list", where)
			return
		}
		compare(t, where+".[]", elem, typ.Elem())
	default:
		want := map[reflect.Kind]cue.Kind{
			reflect.String: cue.StringKind, reflect.Bool: cue.BoolKind,
			reflect.Int: cue.IntKind, reflect.Int64: cue.IntKind,
			reflect.Float64: cue.NumberKind,
		}[typ.Kind()]
		if want == 0 {
			t.Errorf("%s: model type %s has no CUE counterpart in this test", where, typ)
			return
		}
		if got := v.IncompleteKind(); got&want == 0 {
			t.Errorf("%s: CUE kind %v, model kind %v", where, got, typ.Kind())
		}
	}
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
