package load

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/nearest"
)

// check runs the cross-field rules CUE cannot say cheaply: names unique
// across phases, references that resolve, paths that stay in the repo.
// adder records a problem at a field path under lab.
type adder func(p cue.Path, format string, args ...any)

// adder records problems into errs, each at the user's declaration of
// its path.
func (s *Source) adder(errs *Errors) adder {
	return func(p cue.Path, format string, args ...any) {
		pos := s.pos(p)
		e := Error{Path: "lab." + p.String(), Msg: fmt.Sprintf(format, args...), File: Package}
		if pos.IsValid() {
			e.File, e.Line, e.Col = s.rel(pos.Filename()), pos.Line(), pos.Column()
		}
		*errs = append(*errs, e)
	}
}

func (s *Source) check() Errors {
	var errs Errors
	add := s.adder(&errs)
	lab := s.Lab

	// Experiment names are global: they name namespaces and Applications.
	owners := map[string][]string{}
	for _, pn := range slices.Sorted(maps.Keys(lab.Phases)) {
		for en := range lab.Phases[pn].Experiments {
			owners[en] = append(owners[en], pn)
		}
	}
	numbers := map[int]string{}
	for _, pn := range slices.Sorted(maps.Keys(lab.Phases)) {
		ph := lab.Phases[pn]
		if pn == model.SharedPhase {
			add(sel("phases", pn), "phase name %q is reserved for the shared component sets (lab.shared), rendered under apps/%s/", pn, pn)
		}
		if other, ok := numbers[ph.Number]; ok {
			add(sel("phases", pn, "number"), "phase number %d is also used by phase %q", ph.Number, other)
		} else {
			numbers[ph.Number] = pn
		}
		for _, en := range slices.Sorted(maps.Keys(ph.Experiments)) {
			e := ph.Experiments[en]
			ep := []string{"phases", pn, "experiments", en}
			if ps := owners[en]; len(ps) > 1 && ps[0] != pn {
				add(sel(ep...), "duplicate experiment name %q: also declared in phase %q (%s)", en, ps[0], s.fileOf(sel("phases", ps[0], "experiments", en)))
			}
			s.checkExperiment(e, ep, add)
		}
	}

	s.checkDerivedNames(add)
	s.checkShared(add)
	s.checkClusters(add)

	for _, cn := range slices.Sorted(maps.Keys(lab.Conduct)) {
		if _, ok := lab.Clusters[cn]; !ok {
			add(sel("conduct", cn), "experiments switched on for cluster %q, which does not exist%s (clusters: %s)", cn, nearest.Hint(cn, slices.Collect(maps.Keys(lab.Clusters))), strings.Join(slices.Sorted(maps.Keys(lab.Clusters)), ", "))
			continue
		}
		seen := map[string]bool{}
		// Components deployed outside their experiment's own namespaces
		// (platform operators) must not be deployed twice on one cluster:
		// two Applications would fight over the same objects. Namespaces
		// have one owner each (checkClusters); this also covers the
		// cluster's own namespaces, which nobody owns.
		claimed := map[string]string{} // namespace/component -> experiment
		for i, en := range lab.Conduct[cn] {
			p := sel("conduct", cn).Append(cue.Index(i))
			switch {
			case seen[en]:
				add(p, "experiment %q is switched on twice for cluster %q", en, cn)
			case len(owners[en]) == 0:
				add(p, "unknown experiment %q switched on for cluster %q%s", en, cn, nearest.Hint(en, slices.Collect(maps.Keys(owners))))
			default:
				e := lab.Phases[owners[en][0]].Experiments[en]
				for _, c := range slices.Sorted(maps.Keys(e.Components)) {
					ns := e.Components[c].Namespace
					if ns == "" {
						continue
					}
					key := ns + "/" + c
					if other, ok := claimed[key]; ok {
						add(p, "experiments %q and %q both deploy component %q into namespace %q on cluster %q: their Applications would fight over the same objects; switch one off, or make the component a shared set (lab.shared) both require", other, en, c, ns, cn)
						continue
					}
					claimed[key] = en
				}
			}
			seen[en] = true
		}
	}
	if f := lab.FinOps; f != nil {
		for _, n := range slices.Sorted(maps.Keys(f.Resources)) {
			for _, msg := range QueryProblems(f.Resources[n].Query) {
				add(sel("finops", "resources", n, "query"), "%s", msg)
			}
		}
		for _, tn := range slices.Sorted(maps.Keys(f.TCO)) {
			for _, un := range slices.Sorted(maps.Keys(f.TCO[tn].Managed.Usage)) {
				for _, msg := range QueryProblems(f.TCO[tn].Managed.Usage[un].PerSecond) {
					add(sel("finops", "tco", tn, "managed", "usage", un, "perSecond"), "%s", msg)
				}
			}
		}
	}
	if d := lab.Discovery; d != nil {
		if _, ok := lab.Clusters[d.Cluster]; !ok {
			add(sel("discovery", "cluster"), "no cluster %q in the lab (clusters: %s)", d.Cluster, strings.Join(slices.Sorted(maps.Keys(lab.Clusters)), ", "))
		}
	}
	for _, cn := range slices.Sorted(maps.Keys(lab.Clusters)) {
		c := lab.Clusters[cn]
		if _, ok := lab.CostModel.NodeHour[c.Nodes.Type]; !ok {
			add(sel("clusters", cn, "nodes", "type"), "node type %q has no price in costModel.nodeHour", c.Nodes.Type)
		}
	}
	errs.sort()
	return errs
}

func (s *Source) checkExperiment(e *model.Experiment, ep []string, add adder) {
	p := func(more ...string) cue.Path { return sel(append(append([]string{}, ep...), more...)...) }
	if e.Kind == "comparison" && len(e.Variants) < 2 {
		add(p("variants"), "a comparison needs at least two variants, has %d", len(e.Variants))
	}
	shared := map[string]bool{}
	if _, ok := e.Components["namespaces"]; ok {
		add(p("components", "namespaces"), "component name %q is reserved for the experiment's namespaces", "namespaces")
	}
	if _, ok := e.Components["benchmark"]; ok && e.Benchmark != nil {
		add(p("components", "benchmark"), "component name %q is reserved for the experiment's benchmark Application", "benchmark")
	}
	if _, ok := e.Variants["shared"]; ok {
		add(p("variants", "shared"), "variant name %q is reserved for components every variant shares", "shared")
	}
	for _, cn := range slices.Sorted(maps.Keys(e.Components)) {
		shared[cn] = true
		s.checkComponent(e.Components[cn], p("components", cn), add)
		checkValues(e.Components[cn].Values, maxReplicas(e.Components[cn]), p("components", cn, "values"), add)
	}
	for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
		v := e.Variants[vn]
		if ns := e.VariantNamespace(vn); len(ns) > 63 {
			add(p("variants", vn), "namespace %q is longer than 63 characters: shorten the experiment or variant name", ns)
		}
		if len(v.Components) == 0 {
			add(p("variants", vn, "components"), "variant %q deploys no components", vn)
		}
		for _, cn := range slices.Sorted(maps.Keys(v.Components)) {
			if shared[cn] {
				add(p("variants", vn, "components", cn), "duplicate component name %q: already a shared component of experiment %q", cn, e.Name)
			}
			c := v.Components[cn]
			if c.Namespace != "" {
				add(p("variants", vn, "components", cn, "namespace"), "a variant's components run in the variant's namespace; namespace cannot be set here")
			}
			s.checkComponent(c, p("variants", vn, "components", cn), add)
			checkValues(c.Values, maxReplicas(c), p("variants", vn, "components", cn, "values"), add)
		}
	}
	if ls := e.Compare.Layers; len(ls) > 0 {
		seen := map[string]bool{}
		for i, l := range ls {
			lp := p("compare", "layers").Append(cue.Index(i))
			switch {
			case e.Variants[l] == nil:
				add(lp, "layer %q is not a variant of %s", l, e.Name)
			case seen[l]:
				add(lp, "layer %q is listed twice", l)
			}
			seen[l] = true
		}
		for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
			if !seen[vn] {
				add(p("compare", "layers"), "variant %q is missing from layers: layers must order every variant", vn)
			}
		}
	}
	s.checkBenchmark(e, p, add)
	checkMetrics(e, p, add)
	for i, a := range e.Compare.Alternatives {
		ap := p("compare", "alternatives").Append(cue.Index(i))
		if a == e.Name {
			add(ap, "an experiment is not its own alternative")
		} else if _, ok := s.Lab.Experiment(a); !ok {
			add(ap, "alternative %q is no experiment of the lab%s", a, nearest.Hint(a, s.Lab.ExperimentNames()))
		}
	}
	for i, adr := range e.ADRs {
		if _, err := os.Stat(filepath.Join(s.Root, filepath.FromSlash(adr))); err != nil {
			add(p("adrs").Append(cue.Index(i)), "ADR %s does not exist", adr)
		}
	}
}

func (s *Source) checkComponent(c *model.Component, cp cue.Path, add adder) {
	switch {
	case c.Chart == nil && c.Path == "":
		add(cp, "component %q needs a chart or a path", c.Name)
	case c.Chart != nil && c.Path != "":
		add(cp, "component %q sets both chart and path: choose one", c.Name)
	case c.Path != "":
		clean := path.Clean(c.Path)
		if clean != c.Path || !strings.HasPrefix(clean, "apps/") || strings.Contains(c.Path, "..") {
			add(cp.Append(cue.Str("path")), "path %q must be a clean path under apps/ that stays in the repository", c.Path)
			return
		}
		full := filepath.Join(s.Root, filepath.FromSlash(clean))
		if fi, err := os.Stat(full); err != nil || !fi.IsDir() {
			add(cp.Append(cue.Str("path")), "path %q is not a directory in the repository", c.Path)
			return
		}
		for _, l := range linksLeaving(s.Root, full) {
			add(cp.Append(cue.Str("path")), "path %q holds a symbolic link out of the repository: %s", c.Path, l)
		}
	}
}

// checkRendered checks what needs to know which paths hold a chart: a
// component rendered by the generator must have a chart to render.
func (s *Source) checkRendered() Errors {
	var errs Errors
	add := s.adder(&errs)
	for _, u := range s.Lab.AllUnits() {
		c := u.Component
		s.checkOverrides(u, add)
		if !c.IsRendered() || c.Chart != nil || c.LocalChart {
			continue
		}
		add(sel(append(u.Fields(), "rendered")...), "rendered needs a chart, and %s holds no Chart.yaml", c.Path)
	}
	errs.sort()
	return errs
}

func sel(names ...string) cue.Path {
	ss := make([]cue.Selector, len(names))
	for i, n := range names {
		ss[i] = cue.Str(n)
	}
	return cue.MakePath(ss...)
}

// linksLeaving lists the symbolic links at or under dir (repo-relative)
// whose targets leave root or do not exist: what render, Helm and ArgoCD
// would read from outside the repository.
func linksLeaving(root, dir string) []string {
	var out []string
	var walk func(p string, depth int)
	walk = func(p string, depth int) {
		fi, err := os.Lstat(p)
		if err != nil {
			return
		}
		rel, _ := filepath.Rel(root, p)
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(p)
			if err != nil || !within(root, target) {
				out = append(out, filepath.ToSlash(rel))
				return
			}
			if fi, err = os.Stat(target); err != nil {
				return
			}
		}
		if !fi.IsDir() || depth > 32 {
			return
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return
		}
		for _, e := range entries {
			walk(filepath.Join(p, e.Name()), depth+1)
		}
	}
	walk(dir, 0)
	return out
}

// checkDerivedNames refuses two experiments whose derived names collide:
// namespaces (experiment "a" with variant "b-c" and experiment "a-b" with
// variant "c" both make a-b-c) and Application names, which share ArgoCD's
// namespace. Namespaces a component names itself (shared operators) are
// checked with conduct.
func (s *Source) checkDerivedNames(add adder) {
	type owner struct {
		file string
		path cue.Path
		what string
	}
	expPath := func(e *model.Experiment, more ...string) cue.Path {
		return sel(append([]string{"phases", e.Phase, "experiments", e.Name}, more...)...)
	}
	namespaces := map[string]owner{}
	apps := map[string]owner{}
	claim := func(m map[string]owner, kind, name string, o owner) {
		if prev, ok := m[name]; ok && prev.what != o.what {
			add(o.path, "%s %q of %s (%s) is also the %s of %s (%s, %s): rename one of them", kind, name, o.what, o.file, kind, prev.what, prev.file, "lab."+prev.path.String())
			return
		}
		if _, ok := m[name]; !ok {
			m[name] = o
		}
	}
	for _, sh := range s.Lab.SharedSets() {
		sp := func(more ...string) cue.Path { return sel(append([]string{"shared", sh.Name}, more...)...) }
		claim(namespaces, "namespace", sh.Namespace, owner{sh.Source, sp("namespace"), "shared set " + sh.Name})
		claim(apps, "Application name", sh.AppName(model.NamespacesComponent), owner{sh.Source, sp(), "the namespace of shared set " + sh.Name})
		for _, u := range sh.Units() {
			claim(apps, "Application name", u.Name(), owner{sh.Source, sel(u.Fields()...), "component " + u.Where() + " of shared set " + sh.Name})
		}
	}
	for _, e := range s.Lab.Experiments() {
		claim(namespaces, "namespace", e.Name, owner{e.Source, expPath(e), "experiment " + e.Name})
		for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
			claim(namespaces, "namespace", e.VariantNamespace(vn), owner{e.Source, expPath(e, "variants", vn), "variant " + vn + " of " + e.Name})
		}
		claim(apps, "Application name", e.AppName("", model.NamespacesComponent), owner{e.Source, expPath(e), "the namespaces of " + e.Name})
		if e.Benchmark != nil {
			claim(apps, "Application name", e.AppName("", model.BenchmarkComponent), owner{e.Source, expPath(e, "benchmark"), "the benchmark of " + e.Name})
		}
		for _, u := range e.Units() {
			claim(apps, "Application name", u.Name(), owner{e.Source, sel(u.Fields()...), "component " + u.Where() + " of " + e.Name})
		}
	}
}
