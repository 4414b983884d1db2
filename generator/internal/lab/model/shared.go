package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
)

// Shared component sets (lab.shared): one copy per cluster, deployed
// while an experiment conducted there requires it (docs/adr/0013-shared-components.md).

// SharedPhase is the folder under apps/ of the shared component sets and
// their phase label value; no phase may take the name.
const SharedPhase = "shared"

// Units lists the shared set's components, sorted by name; each runs in
// the set's namespace.
func (s *Shared) Units() []Unit {
	var us []Unit
	for _, cn := range slices.Sorted(maps.Keys(s.Components)) {
		us = append(us, Unit{Shared: s, Component: s.Components[cn], Namespace: s.Namespace})
	}
	return us
}

// AppName is the Application name of one of its components.
func (s *Shared) AppName(component string) string {
	return SharedPhase + "-" + s.Name + "-" + component
}

// Dir is the repo-relative folder of its rendered files.
func (s *Shared) Dir() string { return "apps/" + SharedPhase + "/" + s.Name }

// SharedCostLabels are the cost-allocation labels of a shared set's objects:
// the shared phase and the set's name instead of an experiment's.
func (l *Lab) SharedCostLabels(s *Shared, component string) map[string]string {
	m := map[string]string{
		labels.Phase:      SharedPhase,
		labels.SharedSet:  s.Name,
		labels.CostCenter: l.CostCenter,
		labels.PartOf:     l.Name,
	}
	if component != "" {
		m[labels.Component] = component
	}
	return m
}

// SharedSets lists the lab's shared sets sorted by name.
func (l *Lab) SharedSets() []*Shared {
	out := make([]*Shared, 0, len(l.Shared))
	for _, n := range slices.Sorted(maps.Keys(l.Shared)) {
		out = append(out, l.Shared[n])
	}
	return out
}

// AllRequires lists the shared sets the experiment names itself, through
// its variants and through its components, sorted and without duplicates
// (not those they require in turn: see Lab.Needs).
func (e *Experiment) AllRequires() []string {
	set := map[string]bool{}
	for _, r := range e.Requires {
		set[r] = true
	}
	for _, u := range e.Units() {
		for _, r := range u.Component.Requires {
			set[r] = true
		}
	}
	for _, v := range e.Variants {
		for _, r := range v.Requires {
			set[r] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Needs lists the shared sets the experiments need, with those the sets
// require in turn, sorted by name; unknown names are left out (load
// refuses them).
func (l *Lab) Needs(exps []*Experiment) []*Shared {
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		s := l.Shared[name]
		if s == nil || seen[name] {
			return
		}
		seen[name] = true
		for _, r := range s.Requires {
			visit(r)
		}
	}
	for _, e := range exps {
		for _, r := range e.AllRequires() {
			visit(r)
		}
	}
	out := make([]*Shared, 0, len(seen))
	for _, n := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, l.Shared[n])
	}
	return out
}

// Conducted lists the experiments switched on for a cluster, in the
// conduct list's order; unknown names are left out (load refuses them).
func (l *Lab) Conducted(cluster string) []*Experiment {
	var out []*Experiment
	for _, n := range l.Conduct[cluster] {
		if e, ok := l.Experiment(n); ok {
			out = append(out, e)
		}
	}
	return out
}

// SharedOn lists the shared sets a cluster runs: those its conducted
// experiments need.
func (l *Lab) SharedOn(cluster string) []*Shared { return l.Needs(l.Conducted(cluster)) }

// unowned are the namespaces every cluster has before the lab deploys
// anything: components may deploy into them, but no experiment renders
// (and so owns, labels or deletes) their Namespace objects.
var unowned = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// OwnsNamespace tells whether the lab renders a namespace's Namespace
// object: not the cluster's own namespaces, nor ArgoCD's, which the
// bootstrap creates.
func (l *Lab) OwnsNamespace(ns string) bool {
	return !unowned[ns] && ns != l.ArgoCDNamespace
}

// OwnedNamespaces lists the namespaces whose Namespace objects the
// experiment renders: Namespaces without the cluster's own and ArgoCD's.
func (l *Lab) OwnedNamespaces(e *Experiment) []string {
	var out []string
	for _, ns := range e.Namespaces() {
		if l.OwnsNamespace(ns) {
			out = append(out, ns)
		}
	}
	return out
}

// Need is one cluster requirement of a unit.
type Need struct {
	Unit Unit
	Req  ClusterRequirement
}

// ClusterNeeds lists the cluster requirements of an experiment's units
// and of the shared sets it needs, in a stable order.
func (l *Lab) ClusterNeeds(e *Experiment) []Need {
	var out []Need
	add := func(u Unit) {
		if r := u.Component.RequiresCluster; r != nil && (r.CNI != "" || r.KubeProxy != nil) {
			out = append(out, Need{Unit: u, Req: *r})
		}
	}
	for _, u := range e.Units() {
		add(u)
	}
	for _, s := range l.Needs([]*Experiment{e}) {
		for _, u := range s.Units() {
			add(u)
		}
	}
	return out
}

// Mismatch says how a cluster fails a requirement ("" when it meets it).
func (r ClusterRequirement) Mismatch(c *Cluster) string {
	var out []string
	if r.CNI != "" && r.CNI != c.CNI {
		out = append(out, fmt.Sprintf("cni %q (cluster %s has %q)", r.CNI, c.Name, c.CNI))
	}
	if r.KubeProxy != nil && *r.KubeProxy != c.KubeProxy {
		out = append(out, fmt.Sprintf("kubeProxy %t (cluster %s has %t)", *r.KubeProxy, c.Name, c.KubeProxy))
	}
	return strings.Join(out, " and ")
}

// String spells the requirement as CUE.
func (r ClusterRequirement) String() string {
	var out []string
	if r.CNI != "" {
		out = append(out, fmt.Sprintf("cni: %q", r.CNI))
	}
	if r.KubeProxy != nil {
		out = append(out, fmt.Sprintf("kubeProxy: %t", *r.KubeProxy))
	}
	return "{" + strings.Join(out, ", ") + "}"
}

// Conflicts tells whether no cluster meets both requirements.
func (r ClusterRequirement) Conflicts(o ClusterRequirement) bool {
	if r.CNI != "" && o.CNI != "" && r.CNI != o.CNI {
		return true
	}
	return r.KubeProxy != nil && o.KubeProxy != nil && *r.KubeProxy != *o.KubeProxy
}

// CanRunTogether tells whether two experiments can be conducted on one
// cluster: no requirement of one conflicts with one of the other. Every
// variant of one experiment runs with the others.
func (l *Lab) CanRunTogether(a, b *Experiment) bool {
	if a == b {
		return true
	}
	for _, na := range l.ClusterNeeds(a) {
		for _, nb := range l.ClusterNeeds(b) {
			if na.Req.Conflicts(nb.Req) {
				return false
			}
		}
	}
	return true
}

// AllUnits lists every unit of the lab: each experiment's, in render
// order, then each shared set's.
func (l *Lab) AllUnits() []Unit {
	var out []Unit
	for _, e := range l.Experiments() {
		out = append(out, e.Units()...)
	}
	for _, s := range l.SharedSets() {
		out = append(out, s.Units()...)
	}
	return out
}
