// Package chartcheck is validate --charts: every component whose chart is
// on disk (a local chart, or a remote one vendored into charts/ by
// generator vendor --all) is rendered in-process with the lab's values, as
// ArgoCD would render it (release = component, in its namespace), and
// checked for what schema checks cannot see:
//
//   - every object, as validate checks the tree (the chart's own CRDs
//     added for its custom resources);
//   - values keys the lab sets that the chart neither defaults
//     (values.yaml, its subcharts') nor reads (its templates): keys Helm
//     ignores silently;
//   - cluster-scoped objects that two components render under one name
//     while they can be conducted on one cluster (variants of one
//     experiment, experiments without conflicting cluster requirements, a
//     shared set beside anything);
//   - the component's clusterObjects claim against what the chart renders,
//     since load's collision check relies on it.
//
// It reads no network; components whose chart is not on disk are listed.
package chartcheck

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/charts"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/helm"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// Report is the outcome of a check.
type Report struct {
	// Rendered counts the components rendered, Charts the distinct charts.
	Rendered, Charts int
	// Objects counts the objects validated.
	Objects int
	// Missing names the components whose chart is not on disk.
	Missing []string
	// Problems are the findings, one line each, sorted.
	Problems []string
}

// rendered is one component's chart output.
type rendered struct {
	u       model.Unit
	label   string
	objects []*unstructured.Unstructured
	scoped  []scopedObj
}

type scopedObj struct{ key, what string }

// Check renders and checks every unit of the lab whose chart is on disk.
func Check(root string, lab *model.Lab, v *validate.Validator) (*Report, error) {
	kv, err := helm.KubeVersion(lab)
	if err != nil {
		return nil, err
	}
	caps, err := helm.Capabilities(kv)
	if err != nil {
		return nil, err
	}
	cache, err := charts.Open(root)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	problems := map[string]bool{}
	add := func(format string, args ...any) { problems[fmt.Sprintf(format, args...)] = true }
	chartSet := map[string]bool{}
	var all []*rendered
	for _, u := range lab.AllUnits() {
		c := u.Component
		if c.Chart == nil && !c.LocalChart {
			continue
		}
		label := fmt.Sprintf("%s: %s of %s", u.File(), u.Where(), u.Owner())
		load := func() (*chart.Chart, error) {
			if c.LocalChart {
				return loader.LoadDir(filepath.Join(root, filepath.FromSlash(c.Path)))
			}
			return cache.Load(charts.RefOf(c.Chart))
		}
		ch, err := load()
		if errors.Is(err, charts.ErrNotVendored) {
			rep.Missing = append(rep.Missing, fmt.Sprintf("%s (chart %s)", label, charts.RefOf(c.Chart)))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		label += fmt.Sprintf(", chart %s %s", ch.Name(), ch.Metadata.Version)
		chartSet[ch.Name()+" "+ch.Metadata.Version] = true
		vals, err := helm.Values(c.Values)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		for _, k := range Unused(ch, vals) {
			add("%s: values key %s: the chart neither defaults it (values.yaml) nor reads it (templates): Helm ignores it", label, k)
		}
		fresh, err := load() // rendering mutates the chart
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		out, err := helm.Render(fresh, vals, helm.Release{Name: c.Name, Namespace: u.Namespace}, caps)
		if err != nil {
			add("%s: does not render: %v", label, err)
			continue
		}
		objs, err := out.Objects()
		if err == nil {
			objs, err = helm.Override(objs, c.Overrides)
		}
		if err != nil {
			add("%s: %v", label, err)
			continue
		}
		rep.Rendered++
		r := &rendered{u: u, label: label, objects: objs}
		all = append(all, r)
		if err := r.validate(v, rep, add); err != nil {
			return nil, err
		}
	}
	rep.Charts = len(chartSet)
	collisions(lab, all, add)
	slices.Sort(rep.Missing)
	rep.Problems = slices.Sorted(maps.Keys(problems))
	return rep, nil
}

// validate checks the objects of one component, with the CRDs the chart
// installs, and records its cluster-scoped objects; it checks the
// component's clusterObjects claim against them.
func (r *rendered) validate(v *validate.Validator, rep *Report, add func(string, ...any)) error {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, o := range r.objects {
		if o.GetKind() == "CustomResourceDefinition" && o.GroupVersionKind().Group == "apiextensions.k8s.io" {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, crd); err != nil {
				add("%s: CustomResourceDefinition %s: %v", r.label, o.GetName(), err)
				continue
			}
			crds = append(crds, crd)
		}
	}
	vv := v
	if len(crds) > 0 {
		var err error
		if vv, err = v.Extend(crds); err != nil {
			add("%s: %v", r.label, err)
			vv = v
		}
	}
	var docs []validate.Object
	for i, o := range r.objects {
		b, err := sigsyaml.Marshal(o.Object)
		if err != nil {
			return err
		}
		docs = append(docs, validate.Object{File: r.label, Doc: i + 1, Data: b})
	}
	vr := vv.Objects(docs)
	rep.Objects += vr.Objects()
	for _, e := range vr.Errors {
		add("%s", e.Error())
	}
	claim := r.u.Component.ClusterObjectsOf()
	full := r.u.Component.Fullname()
	rev := r.u.Component.Revision()
	var fixed, unrevised []string
	for _, o := range r.objects {
		gvk := o.GroupVersionKind()
		scoped, known := vv.ClusterScoped(gvk)
		if !known || !scoped {
			continue
		}
		what := o.GetKind() + " " + o.GetName()
		r.scoped = append(r.scoped, scopedObj{key: gvk.Group + "/" + o.GetKind() + "/" + o.GetName(), what: what})
		if o.GetKind() == "CustomResourceDefinition" || !strings.Contains(o.GetName(), full) {
			fixed = append(fixed, what)
		}
		if o.GetKind() == "CustomResourceDefinition" || rev == "" || !strings.Contains(o.GetName(), rev) {
			unrevised = append(unrevised, what)
		}
	}
	switch {
	case len(r.scoped) > 0 && claim == "":
		add("%s: renders cluster-scoped objects (%s) but claims none: set clusterObjects (\"fixed\" or \"release\") on the chart or the component, so load can refuse two copies on one cluster", r.label, list(r.scoped))
	case len(fixed) > 0 && claim == model.ClusterObjectsRelease:
		add("%s: clusterObjects is \"release\", but %s do not derive from the fullname %q: the claim is \"fixed\"", r.label, strings.Join(fixed, ", "), full)
	case len(unrevised) > 0 && claim == model.ClusterObjectsRevision:
		add("%s: clusterObjects is \"revision\", but %s do not derive from the revision %q: the claim is \"fixed\"", r.label, strings.Join(unrevised, ", "), rev)
	}
	return nil
}

func list(objs []scopedObj) string {
	var out []string
	for i, o := range objs {
		if i == 3 {
			out = append(out, fmt.Sprintf("and %d more", len(objs)-3))
			break
		}
		out = append(out, o.what)
	}
	return strings.Join(out, ", ")
}

// collisions lists cluster-scoped objects two components render under one
// name while they can be conducted on one cluster.
func collisions(lab *model.Lab, all []*rendered, add func(string, ...any)) {
	for i, a := range all {
		for _, b := range all[i+1:] {
			if !together(lab, a.u, b.u) {
				continue
			}
			keys := map[string]string{}
			for _, o := range a.scoped {
				keys[o.key] = o.what
			}
			var same []string
			for _, o := range b.scoped {
				if w, ok := keys[o.key]; ok {
					same = append(same, w)
					delete(keys, o.key)
				}
			}
			if len(same) == 0 {
				continue
			}
			slices.Sort(same)
			add("collision: %s and %s both render %s, and they can be conducted on one cluster: one shared set both require, or names of their own (fullnameOverride)", a.label, b.label, strings.Join(same, ", "))
		}
	}
}

// together tells whether two units can run on one cluster at once.
func together(lab *model.Lab, a, b model.Unit) bool {
	switch {
	case a.Shared != nil && b.Shared != nil:
		return a.Shared != b.Shared // a set runs once
	case a.Shared != nil || b.Shared != nil:
		return true
	case a.Experiment == b.Experiment:
		return true // its variants run side by side
	}
	return lab.CanRunTogether(a.Experiment, b.Experiment)
}
