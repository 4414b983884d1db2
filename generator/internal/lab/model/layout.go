package model

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/nearest"
)

// The lab's layout: how an experiment's parts are named and where their
// files go. Every generator and the results side read it from here, so a
// name is decided once.

// Reserved component names of the Applications the lab adds to each
// experiment: its namespaces (apps/<phase>/<experiment>/) and its
// benchmark (benchmarks/<experiment>/).
const (
	NamespacesComponent = "namespaces"
	BenchmarkComponent  = "benchmark"
)

// SharedVariant is the variant name of the components every variant of an
// experiment shares: label values cannot be empty, so "" is spelled this
// way wherever a variant is named (labels, list elements, results).
const SharedVariant = labels.Shared

// VariantLabel is the name of a variant in labels and results: the
// variant's own, or SharedVariant for the experiment's shared components.
func VariantLabel(variant string) string {
	if variant == "" {
		return SharedVariant
	}
	return variant
}

// SourceKind is how ArgoCD gets a unit's manifests.
type SourceKind string

// The source kinds of a unit.
const (
	SourceChart      SourceKind = "chart"       // a chart from a Helm repository
	SourceLocalChart SourceKind = "local-chart" // a chart in this repository
	SourceDirectory  SourceKind = "directory"   // manifests or a kustomization in this repository
	SourceRendered   SourceKind = "rendered"    // a chart rendered by the generator into this repository
)

// Unit is one deployable unit: a component of an experiment (Variant "")
// or of one of its variants, or a component of a shared component set
// (Shared set, Experiment nil).
type Unit struct {
	Experiment *Experiment
	Shared     *Shared
	Variant    string
	Component  *Component
	Namespace  string
}

// Units lists an experiment's components in a stable order: shared ones
// first, then each variant's, each sorted by name.
func (e *Experiment) Units() []Unit {
	var us []Unit
	for _, cn := range slices.Sorted(maps.Keys(e.Components)) {
		c := e.Components[cn]
		us = append(us, Unit{Experiment: e, Component: c, Namespace: e.Namespace("", c)})
	}
	for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
		v := e.Variants[vn]
		for _, cn := range slices.Sorted(maps.Keys(v.Components)) {
			c := v.Components[cn]
			us = append(us, Unit{Experiment: e, Variant: vn, Component: c, Namespace: e.Namespace(vn, c)})
		}
	}
	return us
}

// Name is the Application name of the unit.
func (u Unit) Name() string {
	if u.Shared != nil {
		return u.Shared.AppName(u.Component.Name)
	}
	return u.Experiment.AppName(u.Variant, u.Component.Name)
}

// ValuesFile is the repo-relative values file of the unit.
func (u Unit) ValuesFile() string {
	if u.Shared != nil {
		return u.Shared.Dir() + "/values/" + u.Component.Name + ".yaml"
	}
	return u.Experiment.ValuesFile(u.Variant, u.Component.Name)
}

// RenderedDir is the folder of the unit's rendered manifests (and of a
// chart component's overrides).
func (u Unit) RenderedDir() string {
	if u.Shared != nil {
		return u.Shared.Dir() + "/" + u.Component.Name
	}
	return u.Experiment.RenderedDir(u.Variant, u.Component.Name)
}

// Where names the unit in messages: its component, and its variant if any.
func (u Unit) Where() string {
	if u.Variant == "" {
		return u.Component.Name
	}
	return u.Component.Name + " (variant " + u.Variant + ")"
}

// Owner names what deploys the unit: `experiment "x"` or `shared "y"`.
func (u Unit) Owner() string {
	if u.Shared != nil {
		return fmt.Sprintf("shared %q", u.Shared.Name)
	}
	return fmt.Sprintf("experiment %q", u.Experiment.Name)
}

// File is the repo-relative CUE file declaring the unit's owner.
func (u Unit) File() string {
	if u.Shared != nil {
		return u.Shared.Source
	}
	return u.Experiment.Source
}

// Fields is the path of field names under lab that declares the unit's
// component: where load reports a problem with it.
func (u Unit) Fields() []string {
	if u.Shared != nil {
		return []string{"shared", u.Shared.Name, "components", u.Component.Name}
	}
	p := []string{"phases", u.Experiment.Phase, "experiments", u.Experiment.Name}
	if u.Variant != "" {
		p = append(p, "variants", u.Variant)
	}
	return append(p, "components", u.Component.Name)
}

// Source is how ArgoCD gets the unit's manifests.
func (u Unit) Source() SourceKind { return u.Component.Source() }

// IsRendered tells whether the component's chart is rendered by the
// generator into plain manifests: as set, else only for local charts
// (its path holds a Chart.yaml), which need no vendoring.
func (c *Component) IsRendered() bool {
	if c.Rendered != nil {
		return *c.Rendered
	}
	return c.Chart == nil && c.LocalChart
}

// Source is how ArgoCD gets the component's manifests.
func (c *Component) Source() SourceKind {
	switch {
	case c.IsRendered():
		return SourceRendered
	case c.Chart != nil:
		return SourceChart
	case c.LocalChart:
		return SourceLocalChart
	}
	return SourceDirectory
}

// AppName is the name of the Application of a component of the
// experiment (variant "" for a shared one).
func (e *Experiment) AppName(variant, component string) string {
	if variant == "" {
		return e.Name + "-" + component
	}
	return e.Name + "-" + variant + "-" + component
}

// Dir is the repo-relative folder of the experiment's rendered files.
func (e *Experiment) Dir() string { return "apps/" + e.Phase + "/" + e.Name }

// ValuesFile is the repo-relative values file of a component.
func (e *Experiment) ValuesFile(variant, component string) string {
	dir := e.Dir() + "/values/"
	if variant != "" {
		dir += variant + "/"
	}
	return dir + component + ".yaml"
}

// RenderedDir is the repo-relative folder of a rendered component's
// manifests and kustomization (docs/adr/0008-rendered-manifests.md).
func (e *Experiment) RenderedDir(variant, component string) string {
	if variant == "" {
		return e.Dir() + "/" + component
	}
	return e.Dir() + "/" + variant + "/" + component
}

// BenchmarkDir is the repo-relative folder of the experiment's benchmark.
func (e *Experiment) BenchmarkDir() string { return "benchmarks/" + e.Name }

// Namespaces lists every namespace the experiment deploys to, sorted.
func (e *Experiment) Namespaces() []string {
	set := map[string]bool{e.Name: true}
	for vn := range e.Variants {
		set[e.VariantNamespace(vn)] = true
	}
	for _, u := range e.Units() {
		set[u.Namespace] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// VariantOfNamespace is the variant whose namespace ns is ("" for the
// experiment's own namespace or one it does not own).
func (e *Experiment) VariantOfNamespace(ns string) string {
	for vn := range e.Variants {
		if e.VariantNamespace(vn) == ns {
			return vn
		}
	}
	return ""
}

// CostCenterOf is the experiment's cost center: its own, else the lab's.
func (l *Lab) CostCenterOf(e *Experiment) string {
	if e.CostCenter != "" {
		return e.CostCenter
	}
	return l.CostCenter
}

// CostLabels are the FinOps cost-allocation labels of an experiment's
// objects; variant and component are left out when empty.
func (l *Lab) CostLabels(e *Experiment, variant, component string) map[string]string {
	m := map[string]string{
		labels.Phase:      e.Phase,
		labels.Experiment: e.Name,
		labels.CostCenter: l.CostCenterOf(e),
		labels.PartOf:     l.Name,
	}
	if variant != "" {
		m[labels.Variant] = variant
	}
	if component != "" {
		m[labels.Component] = component
	}
	return m
}

// Experiments lists every experiment sorted by phase number, then name:
// the order everything is rendered in.
func (l *Lab) Experiments() []*Experiment {
	var out []*Experiment
	for _, p := range l.Phases {
		for _, e := range p.Experiments {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *Experiment) int {
		if pa, pb := l.Phases[a.Phase].Number, l.Phases[b.Phase].Number; pa != pb {
			return pa - pb
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Experiment finds an experiment by name in any phase.
func (l *Lab) Experiment(name string) (*Experiment, bool) {
	for _, p := range l.Phases {
		if e, ok := p.Experiments[name]; ok {
			return e, true
		}
	}
	return nil, false
}

// HelmRepoURL is a chart repository as ArgoCD spells it: OCI registries
// without their scheme (and enabled by a repository Secret).
func (c *Chart) HelmRepoURL() string { return strings.TrimPrefix(c.Repository, "oci://") }

// IsOCI tells whether the chart comes from an OCI registry.
func (c *Chart) IsOCI() bool { return strings.HasPrefix(c.Repository, "oci://") }

// ExperimentNames lists the names of every experiment, sorted.
func (l *Lab) ExperimentNames() []string {
	var all []string
	for _, p := range l.Phases {
		for en := range p.Experiments {
			all = append(all, en)
		}
	}
	slices.Sort(all)
	return all
}

// FindExperiment is Experiment with an error for a name a user typed: the
// nearest names, and every name while the lab is small enough to list.
func (l *Lab) FindExperiment(name string) (*Experiment, error) {
	if e, ok := l.Experiment(name); ok {
		return e, nil
	}
	all := l.ExperimentNames()
	msg := fmt.Sprintf("no experiment %q in the lab%s", name, nearest.Hint(name, all))
	if len(all) <= 8 {
		msg += " (have: " + strings.Join(all, ", ") + ")"
	} else {
		msg += fmt.Sprintf(" (`generator list` shows all %d)", len(all))
	}
	return nil, errors.New(msg)
}

// CheckLayers checks that each layer of a layered comparison is a variant
// of the experiment.
func (e *Experiment) CheckLayers(layers []string) error {
	var errs []error
	for _, l := range layers {
		if _, ok := e.Variants[l]; !ok {
			errs = append(errs, fmt.Errorf("layer %q is not a variant of experiment %s", l, e.Name))
		}
	}
	return errors.Join(errs...)
}
