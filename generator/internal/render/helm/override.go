package helm

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// Override replaces the chart's objects by the lab's objects of the same
// group, kind and name (Component.Overrides), in place: what ArgoCD does
// with a later source's copy of an object. An override that replaces
// nothing is an error naming the chart's objects of that kind, since a
// misspelt name would otherwise leave the chart's object in place.
func Override(objs []*unstructured.Unstructured, overrides []map[string]any) ([]*unstructured.Unstructured, error) {
	var errs []string
	out := slices.Clone(objs)
	for _, o := range overrides {
		m, err := deepCopy(o)
		if err != nil {
			return nil, err
		}
		repl := &unstructured.Unstructured{Object: m}
		gk, name := repl.GroupVersionKind().GroupKind(), repl.GetName()
		found := false
		var same []string
		for i, obj := range out {
			if obj.GroupVersionKind().GroupKind() != gk {
				continue
			}
			if obj.GetName() != name {
				same = append(same, obj.GetName())
				continue
			}
			if ns := repl.GetNamespace(); ns == "" && obj.GetNamespace() != "" {
				repl.SetNamespace(obj.GetNamespace())
			}
			out[i], found = repl, true
		}
		if !found {
			errs = append(errs, fmt.Sprintf("override %s %s replaces no object of the chart (%s)", kindOf(gk), name, have(gk, same)))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

func kindOf(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + "." + gk.Group
}

func have(gk schema.GroupKind, names []string) string {
	if len(names) == 0 {
		return "it renders no " + kindOf(gk)
	}
	slices.Sort(names)
	return "its " + kindOf(gk) + " objects: " + strings.Join(names, ", ")
}

// deepCopy copies an object through JSON, keeping integers integers.
func deepCopy(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}
