package load

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// The rules of shared component sets (lab.shared), requires and cluster
// requirements (docs/adr/0013-shared-components.md).

// checkShared checks every shared set, and every requires list of the lab
// names one.
func (s *Source) checkShared(add adder) {
	lab := s.Lab
	known := strings.Join(slices.Sorted(maps.Keys(lab.Shared)), ", ")
	if known == "" {
		known = "none declared"
	}
	checkList := func(names []string, at cue.Path, self string) {
		seen := map[string]bool{}
		for i, n := range names {
			p := at.Append(cue.Index(i))
			switch {
			case n == self:
				add(p, "shared set %q requires itself", n)
			case lab.Shared[n] == nil:
				add(p, "no shared component set %q in the lab (lab.shared: %s)", n, known)
			case seen[n]:
				add(p, "%q is listed twice", n)
			}
			seen[n] = true
		}
	}
	namespaces := map[string]string{}
	for _, sn := range slices.Sorted(maps.Keys(lab.Shared)) {
		sh := lab.Shared[sn]
		sp := func(more ...string) cue.Path { return sel(append([]string{"shared", sn}, more...)...) }
		checkList(sh.Requires, sp("requires"), sn)
		// All sets of a cluster sync from one ApplicationSet whose
		// RollingSync steps are the sync waves: a set that syncs before
		// a set it requires fails, and its step never turns Healthy, so
		// the required set's step is never reached.
		for i, rn := range sh.Requires {
			if r := lab.Shared[rn]; r != nil && rn != sn {
				lo, _ := waveRange(sh.Components)
				if _, hi := waveRange(r.Components); lo <= hi {
					add(sp("requires").Append(cue.Index(i)), "shared set %q requires %q, but syncs from wave %d, not after %q's last wave %d: RollingSync would wait on %q forever; give its components later sync waves", sn, rn, lo, rn, hi, sn)
				}
			}
		}
		if !lab.OwnsNamespace(sh.Namespace) {
			add(sp("namespace"), "namespace %q belongs to the cluster or to ArgoCD, not to the lab: a shared set needs a namespace of its own", sh.Namespace)
		}
		if other, ok := namespaces[sh.Namespace]; ok {
			add(sp("namespace"), "namespace %q is also the namespace of shared set %q: each set owns its namespace", sh.Namespace, other)
		} else {
			namespaces[sh.Namespace] = sn
		}
		if len(sh.Components) == 0 {
			add(sp("components"), "shared set %q deploys no components", sn)
		}
		if _, ok := sh.Components[model.NamespacesComponent]; ok {
			add(sp("components", model.NamespacesComponent), "component name %q is reserved for the set's namespace", model.NamespacesComponent)
		}
		for _, cn := range slices.Sorted(maps.Keys(sh.Components)) {
			c := sh.Components[cn]
			cp := sp("components", cn)
			if c.Namespace != "" {
				add(cp.Append(cue.Str("namespace")), "the components of a shared set run in its namespace (%s); namespace cannot be set here", sh.Namespace)
			}
			if len(c.Requires) > 0 {
				add(cp.Append(cue.Str("requires")), "a shared set's components name what they need in the set's requires")
			}
			s.checkComponent(c, cp, add)
			checkValues(c.Values, maxReplicas(c), cp.Append(cue.Str("values")), add)
		}
	}
	for _, e := range lab.Experiments() {
		ep := func(more ...string) cue.Path {
			return sel(append([]string{"phases", e.Phase, "experiments", e.Name}, more...)...)
		}
		checkList(e.Requires, ep("requires"), "")
		for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
			checkList(e.Variants[vn].Requires, ep("variants", vn, "requires"), "")
		}
		for _, u := range e.Units() {
			cp := sel(u.Fields()...)
			checkList(u.Component.Requires, cp.Append(cue.Str("requires")), "")
			if ns := u.Component.Namespace; ns != "" {
				if other, ok := namespaces[ns]; ok {
					add(cp.Append(cue.Str("namespace")), "namespace %q belongs to shared set %q: add the component to that set, or deploy it in the experiment's namespace", ns, other)
				}
			}
		}
	}
}

// checkOverrides checks a unit's overrides once load knows which paths
// hold charts: they replace a chart's objects, in the unit's namespace,
// each kind and name once.
func (s *Source) checkOverrides(u model.Unit, add adder) {
	c := u.Component
	if len(c.Overrides) == 0 {
		return
	}
	at := sel(u.Fields()...).Append(cue.Str("overrides"))
	if c.Chart == nil && !c.LocalChart {
		add(at, "overrides replace objects of a chart, and component %q deploys %s, which holds no Chart.yaml: put the objects there", c.Name, c.Path)
		return
	}
	seen := map[string]bool{}
	for i, o := range c.Overrides {
		p := at.Append(cue.Index(i))
		kind, _ := o["kind"].(string)
		md, _ := o["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		if ns, _ := md["namespace"].(string); ns != "" && ns != u.Namespace {
			add(p.Append(cue.Str("metadata"), cue.Str("namespace")), "namespace %q: an override replaces an object of the chart's release, in namespace %q", ns, u.Namespace)
		}
		key := kind + "/" + name
		if seen[key] {
			add(p, "%s %s is overridden twice", kind, name)
		}
		seen[key] = true
	}
}

// checkClusters checks what conducting needs of each cluster: the
// namespaces the conducted experiments and their shared sets own (one
// owner each), the cluster requirements of their components, and a CNI
// (and kube-proxy) on every cluster made without one.
func (s *Source) checkClusters(add adder) {
	lab := s.Lab
	for _, cn := range slices.Sorted(maps.Keys(lab.Conduct)) {
		cl := lab.Clusters[cn]
		if cl == nil {
			continue // reported with the conduct list
		}
		owner := map[string]string{} // namespace -> what owns it
		for _, sh := range lab.SharedOn(cn) {
			owner[sh.Namespace] = "shared set " + sh.Name
		}
		var cnis, proxies []model.Need
		seen := map[string]bool{}
		for i, en := range lab.Conduct[cn] {
			e, ok := lab.Experiment(en)
			if !ok || seen[en] {
				continue // reported with the conduct list
			}
			seen[en] = true
			p := sel("conduct", cn).Append(cue.Index(i))
			for _, ns := range lab.OwnedNamespaces(e) {
				if other, ok := owner[ns]; ok {
					add(p, "%s and experiment %q both own namespace %q on cluster %q (each renders its Namespace object): their Applications would fight over it, and removing one deletes what the other runs there; switch one off, or move what both deploy there into a shared component set (lab.shared) both require", other, en, ns, cn)
					continue
				}
				owner[ns] = "experiment " + strconv.Quote(en)
			}
			for _, nd := range lab.ClusterNeeds(e) {
				if msg := nd.Req.Mismatch(cl); msg != "" {
					add(p, "experiment %q cannot run on cluster %q: %s of %s (%s) requires %s: declare a cluster with %s in %s (task hub:bootstrap makes it so) and conduct the experiment there", en, cn, nd.Unit.Where(), nd.Unit.Owner(), nd.Unit.File(), msg, nd.Req, lab.Files.Lab)
				}
				if nd.Req.CNI == "none" {
					cnis = append(cnis, nd)
				}
				if nd.Req.KubeProxy != nil && !*nd.Req.KubeProxy {
					proxies = append(proxies, nd)
				}
			}
		}
		checkProvider := func(what, field string, lacks bool, providers []model.Need) {
			switch {
			case lacks && len(providers) == 0:
				add(sel("clusters", cn, field), "cluster %q is made without %s, and no experiment conducted on it brings one: conduct one whose component requires it (%s), or drop the setting", cn, what, s.providersOf(field))
			case len(providers) > 1:
				a, b := providers[0].Unit, providers[1].Unit
				add(sel("conduct", cn), "cluster %q would get two of %s: %s of %s and %s of %s; conduct one of them", cn, what, a.Where(), a.Owner(), b.Where(), b.Owner())
			}
		}
		checkProvider("a CNI (cni: \"none\")", "cni", cl.CNI == "none", cnis)
		checkProvider("kube-proxy (kubeProxy: false)", "kubeProxy", !cl.KubeProxy, proxies)
		s.checkClusterObjects(cn, add)
		s.checkAPIs(cn, add)
	}
}

// checkAPIs refuses a conduct list where an experiment, or a shared set it
// brings, needs API groups (needsAPIs) that no component conducted on the
// cluster installs (providesAPIs): its objects would wait for CRDs that
// never come. The problem is reported at the conduct entry of the
// experiment, naming who in the lab provides the group.
func (s *Source) checkAPIs(cluster string, add adder) {
	lab := s.Lab
	provided := map[string]bool{}
	for _, u := range unitsOf(lab.Conducted(cluster), lab.SharedOn(cluster)) {
		for _, g := range u.Component.ProvidesAPIs {
			provided[g] = true
		}
	}
	providers := func(g string) string {
		var out []string
		for _, u := range unitsOf(lab.Experiments(), lab.SharedSets()) {
			if slices.Contains(u.Component.ProvidesAPIs, g) {
				out = append(out, u.Where()+" of "+u.Owner())
			}
		}
		if len(out) == 0 {
			return "nothing in the lab provides it"
		}
		return "provided by " + strings.Join(out, ", ")
	}
	for e, p := range s.conductEntries(cluster) {
		en := e.Name
		type need struct{ group, who string }
		var needs []need
		for _, g := range e.NeedsAPIs {
			needs = append(needs, need{g, fmt.Sprintf("experiment %q", en)})
		}
		for _, sh := range lab.Needs([]*model.Experiment{e}) {
			for _, g := range sh.NeedsAPIs {
				needs = append(needs, need{g, fmt.Sprintf("shared set %q, which experiment %q requires,", sh.Name, en)})
			}
		}
		for _, n := range needs {
			if !provided[n.group] {
				add(p, "on cluster %q, %s needs the CRDs of API group %s, and nothing conducted on the cluster installs them (%s): conduct it on %q as well", cluster, n.who, n.group, providers(n.group), cluster)
			}
		}
	}
}

// checkClusterObjects refuses a conduct list that would put two copies of
// one chart's cluster-scoped objects on a cluster: two units of a chart
// whose objects have fixed names (clusterObjects: "fixed"), or of a chart
// naming them after the release (clusterObjects: "release") with the same
// fullname, or of a chart naming them after its revision (clusterObjects:
// "revision") with the same revision. Every variant of an experiment runs beside the others, and a
// shared set runs once however many experiments require it. The problem
// is reported at the conduct entry of the experiment bringing the second
// copy.
func (s *Source) checkClusterObjects(cluster string, add adder) {
	lab := s.Lab
	first := map[string]model.Unit{} // chart (and fullname) -> its first unit
	claim := func(u model.Unit) (key, what string, ok bool) {
		id := chartID(u.Component)
		if id == "" {
			return "", "", false
		}
		switch u.Component.ClusterObjectsOf() {
		case model.ClusterObjectsFixed:
			return id, "cluster-scoped objects of fixed names (clusterObjects: \"fixed\": CRDs, webhook configurations)", true
		case model.ClusterObjectsRelease:
			return id + " " + u.Component.Fullname(), fmt.Sprintf("cluster-scoped objects named after the fullname %q (clusterObjects: \"release\")", u.Component.Fullname()), true
		case model.ClusterObjectsRevision:
			return id + " revision " + u.Component.Revision(), fmt.Sprintf("cluster-scoped objects named after the revision %q (clusterObjects: \"revision\")", u.Component.Revision()), true
		}
		return "", "", false
	}
	for _, sh := range lab.SharedOn(cluster) {
		for _, u := range sh.Units() {
			if key, _, ok := claim(u); ok {
				if _, dup := first[key]; !dup {
					first[key] = u
				}
			}
		}
	}
	for e, p := range s.conductEntries(cluster) {
		for _, u := range e.Units() {
			key, what, ok := claim(u)
			if !ok {
				continue
			}
			o, dup := first[key]
			if !dup {
				first[key] = u
				continue
			}
			fix := "give one a fullnameOverride of its own"
			switch u.Component.ClusterObjectsOf() {
			case model.ClusterObjectsFixed:
				fix = "move the chart into a shared component set (lab.shared) that both require"
			case model.ClusterObjectsRevision:
				fix = "give one a revision of its own"
			}
			add(p, "cluster %q would get chart %s twice, and it renders %s: %s of %s (%s) and %s of %s (%s) would each own the same objects, and removing one deletes the other's; %s, or conduct them on different clusters",
				cluster, chartName(u.Component), what, o.Where(), o.Owner(), o.File(), u.Where(), u.Owner(), u.File(), fix)
		}
	}
}

// unitsOf lists the units of the experiments and of the shared sets.
func unitsOf(exps []*model.Experiment, sets []*model.Shared) []model.Unit {
	var us []model.Unit
	for _, e := range exps {
		us = append(us, e.Units()...)
	}
	for _, sh := range sets {
		us = append(us, sh.Units()...)
	}
	return us
}

// conductEntries yields each known experiment switched on for cluster,
// once, with the path of its conduct entry (unknown names and repeats are
// reported by check.go).
func (s *Source) conductEntries(cluster string) iter.Seq2[*model.Experiment, cue.Path] {
	return func(yield func(*model.Experiment, cue.Path) bool) {
		seen := map[string]bool{}
		for i, en := range s.Lab.Conduct[cluster] {
			e, ok := s.Lab.Experiment(en)
			if !ok || seen[en] {
				continue
			}
			seen[en] = true
			if !yield(e, sel("conduct", cluster).Append(cue.Index(i))) {
				return
			}
		}
	}
}

// providersOf names the experiments that bring what a cluster setting
// takes away, for a message.
func (s *Source) providersOf(field string) string {
	var out []string
	for _, e := range s.Lab.Experiments() {
		for _, nd := range s.Lab.ClusterNeeds(e) {
			if field == "cni" && nd.Req.CNI == "none" || field == "kubeProxy" && nd.Req.KubeProxy != nil && !*nd.Req.KubeProxy {
				out = append(out, e.Name)
				break
			}
		}
	}
	if len(out) == 0 {
		return "none in the lab"
	}
	return strings.Join(out, ", ")
}

// chartID identifies what a component deploys: a chart's repository and
// name, or its path (a local chart; load checks before it knows which
// paths hold one, and only a claim makes a path count).
func chartID(c *model.Component) string {
	if c.Chart != nil {
		return c.Chart.Repository + "/" + c.Chart.Name
	}
	return c.Path
}

// chartName names a component's chart in a message.
func chartName(c *model.Component) string {
	if c.Chart != nil {
		return c.Chart.Name
	}
	return c.Path
}

// waveRange is the lowest and highest sync wave of components.
func waveRange(cs map[string]*model.Component) (lo, hi int) {
	first := true
	for _, c := range cs {
		if first || c.SyncWave < lo {
			lo = c.SyncWave
		}
		if first || c.SyncWave > hi {
			hi = c.SyncWave
		}
		first = false
	}
	return lo, hi
}
