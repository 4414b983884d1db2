// Package kustomize writes the lab's kustomization.yaml files and builds
// them with kustomize (through github.com/fluxcd/pkg/kustomize, krusty with
// plugins off), in memory. A rendered component's folder holds one file per
// object plus the kustomization that labels, annotates and namespaces them;
// the files written are the output of building that very kustomization, so
// ArgoCD building the committed folder again gives the same objects
// (docs/adr/0008-rendered-manifests.md).
package kustomize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	fluxkustomize "github.com/fluxcd/pkg/kustomize"
	yamlv2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// FileName is the kustomization every generated folder holds.
const FileName = "kustomization.yaml"

// Spec is what a kustomization applies to every object it lists.
type Spec struct {
	// Namespace of every namespaced object; "" leaves namespaces alone.
	Namespace string
	// Labels go on every object and on pod templates, never on selectors
	// (selectors are immutable: changing one would break upgrades).
	Labels map[string]string
	// Annotations go on every object (and, as kustomize does, on pod
	// templates).
	Annotations map[string]string
}

// Kustomization is the kustomization.yaml listing resources with spec.
func Kustomization(resources []string, spec Spec) ([]byte, error) {
	k := kustypes.Kustomization{
		TypeMeta: kustypes.TypeMeta{
			APIVersion: kustypes.KustomizationVersion,
			Kind:       kustypes.KustomizationKind,
		},
		Namespace:         spec.Namespace,
		CommonAnnotations: spec.Annotations,
		Resources:         resources,
	}
	if len(spec.Labels) > 0 {
		k.Labels = []kustypes.Label{{Pairs: spec.Labels, IncludeTemplates: true}}
	}
	// Through JSON: sorted keys, and Resources stays a list even when empty.
	if k.Resources == nil {
		k.Resources = []string{}
	}
	j, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	return sigsyaml.JSONToYAML(j)
}

// File is one generated file of a folder.
type File struct {
	Name string // base name, e.g. deployment-runtime-api.yaml
	Body []byte
}

// Dir is one folder to generate: its objects and what its kustomization
// applies to them.
type Dir struct {
	Objects []*unstructured.Unstructured
	Spec    Spec
}

// Build generates one folder: see BuildAll.
func Build(objs []*unstructured.Unstructured, spec Spec) ([]File, error) {
	out, err := BuildAll([]Dir{{Objects: objs, Spec: spec}})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// BuildAll generates each folder: every object in its own file (named by
// FileNames, listed in order), the kustomization.yaml listing them with
// the folder's spec, and the objects as that kustomization builds them.
// The returned files are the built objects followed by the
// kustomization.
//
// A kustomize build costs a parse of kustomize's OpenAPI schema (about
// 0.2 s), so folders are built together, as the resources of one root
// kustomization, in as few builds as their objects allow: folders whose
// objects could share an id (API version, kind, name and namespace) go to
// different builds. Should a build still meet two objects with one id
// (a cluster-scoped object in two folders), its folders are built one by
// one; the result is the same.
func BuildAll(dirs []Dir) ([][]File, error) {
	type prepared struct {
		names []string // per object
		kust  []byte
		keys  []string // apiVersion|kind|name|namespace per object
	}
	preps := make([]prepared, len(dirs))
	for i, d := range dirs {
		names, err := FileNames(d.Objects)
		if err != nil {
			return nil, err
		}
		sorted := append([]string(nil), names...)
		sort.Strings(sorted)
		kust, err := Kustomization(sorted, d.Spec)
		if err != nil {
			return nil, err
		}
		keys := make([]string, len(d.Objects))
		for j, o := range d.Objects {
			keys[j] = id(o.GetAPIVersion(), o.GetKind(), o.GetName()) + "|" + d.Spec.Namespace
		}
		preps[i] = prepared{names: names, kust: kust, keys: keys}
	}

	// Greedy batches of folders whose object keys do not overlap.
	var batches [][]int
	var batchKeys []map[string]bool
	for i, p := range preps {
		if len(dirs[i].Objects) == 0 {
			continue
		}
		placed := false
		for b := range batches {
			if !overlaps(batchKeys[b], p.keys) {
				batches[b] = append(batches[b], i)
				for _, k := range p.keys {
					batchKeys[b][k] = true
				}
				placed = true
				break
			}
		}
		if !placed {
			m := map[string]bool{}
			for _, k := range p.keys {
				m[k] = true
			}
			batches = append(batches, []int{i})
			batchKeys = append(batchKeys, m)
		}
	}

	built := make([]map[string][]byte, len(dirs)) // file name -> built object
	for _, batch := range batches {
		res, err := build(dirs, batch, func(i int) ([]string, []byte) { return preps[i].names, preps[i].kust })
		if err != nil && len(batch) > 1 {
			for _, i := range batch {
				one, err := build(dirs, []int{i}, func(i int) ([]string, []byte) { return preps[i].names, preps[i].kust })
				if err != nil {
					return nil, err
				}
				built[i] = one[i]
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		for i, m := range res {
			built[i] = m
		}
	}

	out := make([][]File, len(dirs))
	for i, p := range preps {
		sorted := append([]string(nil), p.names...)
		sort.Strings(sorted)
		files := make([]File, 0, len(sorted)+1)
		for _, name := range sorted {
			b, ok := built[i][name]
			if !ok {
				return nil, fmt.Errorf("kustomize build dropped %s", name)
			}
			files = append(files, File{Name: name, Body: b})
		}
		out[i] = append(files, File{Name: FileName, Body: p.kust})
	}
	return out, nil
}

func overlaps(set map[string]bool, keys []string) bool {
	for _, k := range keys {
		if set[k] {
			return true
		}
	}
	return false
}

// build runs one kustomize build over the folders of batch, laid out in
// memory as /lab/<index>/ under a root kustomization, and sorts the built
// objects back to their folders and files.
func build(dirs []Dir, batch []int, prep func(int) ([]string, []byte)) (map[int]map[string][]byte, error) {
	const root = "/lab"
	fs := filesys.MakeFsInMemory()
	var subdirs []string
	// apiVersion|kind|name -> folders of the batch holding such an object
	owners := map[string][]int{}
	fileOf := map[int]map[string]string{} // folder -> id -> file
	for _, i := range batch {
		names, kust := prep(i)
		sub := strconv.Itoa(i)
		subdirs = append(subdirs, sub)
		fileOf[i] = map[string]string{}
		for j, o := range dirs[i].Objects {
			// JSON is YAML to kustomize, and much faster to write.
			b, err := json.Marshal(o.Object)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", names[j], err)
			}
			if err := fs.WriteFile(path.Join(root, sub, names[j]), b); err != nil {
				return nil, err
			}
			k := id(o.GetAPIVersion(), o.GetKind(), o.GetName())
			owners[k] = append(owners[k], i)
			fileOf[i][k] = names[j]
		}
		if err := fs.WriteFile(path.Join(root, sub, FileName), kust); err != nil {
			return nil, err
		}
	}
	rootKust, err := Kustomization(subdirs, Spec{})
	if err != nil {
		return nil, err
	}
	if err := fs.WriteFile(path.Join(root, FileName), rootKust); err != nil {
		return nil, err
	}
	rm, err := fluxkustomize.Build(fs, root)
	if err != nil {
		return nil, fmt.Errorf("kustomize build: %w", err)
	}
	out := map[int]map[string][]byte{}
	for _, i := range batch {
		out[i] = map[string][]byte{}
	}
	for _, r := range rm.Resources() {
		k := id(r.GetApiVersion(), r.GetKind(), r.GetName())
		var owner = -1
		for _, i := range owners[k] {
			if ns := r.GetNamespace(); ns == "" || ns == dirs[i].Spec.Namespace || len(owners[k]) == 1 {
				if owner >= 0 {
					return nil, fmt.Errorf("kustomize build: %s %s could come from two folders", r.GetKind(), r.GetName())
				}
				owner = i
			}
		}
		if owner < 0 {
			return nil, fmt.Errorf("kustomize build made %s %s, which no input file holds", r.GetKind(), r.GetName())
		}
		j, err := r.MarshalJSON()
		if err != nil {
			return nil, err
		}
		y, err := jsonToYAML(j)
		if err != nil {
			return nil, err
		}
		name := fileOf[owner][k]
		if _, dup := out[owner][name]; dup {
			return nil, fmt.Errorf("kustomize build made %s twice", name)
		}
		out[owner][name] = y
	}
	return out, nil
}

func id(apiVersion, kind, name string) string {
	return apiVersion + "|" + kind + "|" + name
}

// FileNames names one file per object: <kind>-<name>.yaml, lowercase, with
// characters outside [a-z0-9.-] turned into "-". Objects whose names
// collide (the same kind and name in two API groups) get the group too:
// <kind>.<group>-<name>.yaml. Names depend on the objects only, never on
// their order.
func FileNames(objs []*unstructured.Unstructured) ([]string, error) {
	base := make([]string, len(objs))
	count := map[string]int{}
	for i, o := range objs {
		base[i] = clean(o.GetKind()) + "-" + clean(o.GetName())
		count[base[i]]++
	}
	names := make([]string, len(objs))
	seen := map[string]int{}
	for i, o := range objs {
		n := base[i]
		if count[n] > 1 {
			g := o.GroupVersionKind().Group
			if g == "" {
				g = "core"
			}
			n = clean(o.GetKind()) + "." + clean(g) + "-" + clean(o.GetName())
		}
		n += ".yaml"
		if j, dup := seen[n]; dup {
			return nil, fmt.Errorf("two objects %s %s (%s and %s): names must be unique per kind and group",
				o.GetKind(), o.GetName(), objs[j].GetAPIVersion(), o.GetAPIVersion())
		}
		seen[n] = i
		names[i] = n
	}
	return names, nil
}

func clean(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// jsonToYAML writes a JSON object as YAML with sorted keys, keeping
// integers integers (1000000, not 1e+06).
func jsonToYAML(j []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return yamlv2.Marshal(numbers(v))
}

func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
