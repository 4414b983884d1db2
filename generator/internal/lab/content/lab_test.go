package content

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
)

// repoRoot is the repository holding the real lab.
const repoRoot = "../../../.."

var (
	labOnce sync.Once
	labSrc  *load.Source
	labErr  error
)

// realLab loads phases/ once for every test.
func realLab(t testing.TB) *load.Source {
	t.Helper()
	labOnce.Do(func() { labSrc, labErr = load.Load(repoRoot) })
	if labErr != nil {
		t.Fatalf("the lab does not load:\n%v", labErr)
	}
	return labSrc
}

// unit is one component of one experiment, shared or of a variant.
type unit struct {
	e       *model.Experiment
	variant string
	c       *model.Component
}

func (u unit) String() string {
	where := u.e.Name
	if u.variant != "" {
		where += " variant " + u.variant
	}
	return where + " component " + u.c.Name + " (" + u.e.Source + ")"
}

func experiments(lab *model.Lab) []*model.Experiment {
	var out []*model.Experiment
	for _, p := range lab.Phases {
		for _, e := range p.Experiments {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func units(lab *model.Lab) []unit {
	var out []unit
	for _, e := range experiments(lab) {
		for _, u := range e.Units() {
			out = append(out, unit{e, u.Variant, u.Component})
		}
	}
	return out
}

func TestEveryExperimentRenders(t *testing.T) {
	src := realLab(t)
	tree, err := render.Lab(src, render.Options{})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	for _, e := range experiments(src.Lab) {
		for _, f := range []string{e.Dir() + "/namespaces.yaml", e.Dir() + "/kustomization.yaml"} {
			if _, ok := tree.File(f); !ok {
				t.Errorf("%s: %s not rendered", e.Name, f)
			}
		}
		us := e.Units()
		if len(us) == 0 {
			t.Errorf("%s (%s) deploys nothing", e.Name, e.Source)
		}
		for _, u := range us {
			if _, ok := tree.File(u.ValuesFile()); !ok {
				t.Errorf("%s: values of %s not rendered", e.Name, u.Component.Name)
			}
		}
	}
	for cn, names := range src.Lab.Conduct {
		for _, en := range names {
			if _, ok := tree.File("clusters/" + cn + "/experiments/" + en + ".yaml"); !ok {
				t.Errorf("%s is switched on for %s but has no ApplicationSet", en, cn)
			}
		}
	}
}

func TestEveryPhaseHasExperiments(t *testing.T) {
	lab := realLab(t).Lab
	if len(lab.Phases) != 10 {
		t.Errorf("%d phases, the roadmap has 10", len(lab.Phases))
	}
	numbers := map[int]bool{}
	for pn, p := range lab.Phases {
		numbers[p.Number] = true
		if len(p.Experiments) == 0 {
			t.Errorf("phase %s has no experiment", pn)
		}
	}
	for n := 1; n <= len(lab.Phases); n++ {
		if !numbers[n] {
			t.Errorf("no phase numbered %d: phases must be numbered 1..%d", n, len(lab.Phases))
		}
	}
}

// TestNamesOthersDependOn: benchmarks, policies and the runtimes refer to
// these phases and experiments by name.
func TestNamesOthersDependOn(t *testing.T) {
	want := map[string][]string{
		"platform":      {"platform", "http-baseline"},
		"supply-chain":  {"image-signing", "sbom", "admission-verification", "image-updater"},
		"observability": {"prometheus-tutorial", "tsdb-comparison", "seaweedfs-tutorial", "loki-tutorial", "elk-tutorial", "logging-comparison", "otel-tutorial", "tempo-tutorial", "jaeger-tutorial", "tracing-comparison", "slo-tutorial", "observability-cost"},
		"traffic":       {"gateway-tutorial", "gateway-comparison"},
		"data":          {"cloudnative-pg", "redis", "backup-dr", "database-benchmark"},
		"security":      {"cert-manager-tls", "secrets-eso-openbao", "rbac", "kyverno-policy", "network-policy"},
		"mesh":          {"mesh-comparison", "mesh-benchmark"},
		"messaging":     {"messaging-comparison", "messaging-benchmark"},
		"autoscaling":   {"hpa", "keda", "vpa", "cluster-autoscaling"},
		"performance":   {"runtime-comparison", "full-stack"},
	}
	lab := realLab(t).Lab
	for pn, names := range want {
		p, ok := lab.Phases[pn]
		if !ok {
			t.Errorf("no phase %s", pn)
			continue
		}
		for _, en := range names {
			if _, ok := p.Experiments[en]; !ok {
				t.Errorf("phase %s has no experiment %s", pn, en)
			}
		}
	}
	rc := lab.Phases["performance"].Experiments["runtime-comparison"]
	if got := strings.Join(slices.Sorted(maps.Keys(rc.Variants)), ","); got != "bun,dotnet,go,node,rust" {
		t.Errorf("runtime-comparison variants = %s, want bun,dotnet,go,node,rust", got)
	}
}

// TestStatusMatchesRoadmap: what the roadmap reports validated (phases
// 1-2; Prometheus, VictoriaMetrics and SeaweedFS in phase 3) stays so;
// more may be validated as the lab progresses.
func TestStatusMatchesRoadmap(t *testing.T) {
	// The experiments the roadmap reports (experiments added since, such
	// as argocd-sync-time in phase 1, start planned like any other).
	validated := map[string]bool{
		"platform": true, "http-baseline": true,
		"image-signing": true, "sbom": true, "admission-verification": true, "image-updater": true,
		"prometheus-tutorial": true, "tsdb-comparison": true, "seaweedfs-tutorial": true,
	}
	for _, e := range experiments(realLab(t).Lab) {
		want := validated[e.Name]
		if want && e.Status != "validated" {
			t.Errorf("%s (%s): status %s, the roadmap reports it validated", e.Name, e.Source, e.Status)
		}
	}
}

func TestNamesUnique(t *testing.T) {
	lab := realLab(t).Lab
	seen := map[string]string{}
	titles := map[string]string{}
	for _, e := range experiments(lab) {
		if other, ok := seen[e.Name]; ok {
			t.Errorf("experiment %s in phases %s and %s", e.Name, other, e.Phase)
		}
		seen[e.Name] = e.Phase
		if other, ok := titles[e.Title]; ok {
			t.Errorf("title %q used by %s and %s", e.Title, other, e.Name)
		}
		titles[e.Title] = e.Name
		// Application names are <experiment>-<variant>-<component>: two
		// units must not collide, and each must be a valid name.
		apps := map[string]bool{}
		for _, u := range e.Units() {
			n := u.Name()
			if apps[n] {
				t.Errorf("%s: two components make the Application %s", e.Name, n)
			}
			apps[n] = true
			if len(n) > 63 {
				t.Errorf("%s: Application name %s is longer than 63 characters", e.Name, n)
			}
		}
	}
}

var semverRe = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

func TestChartVersionsExact(t *testing.T) {
	versions := map[string]string{}
	for _, u := range units(realLab(t).Lab) {
		ch := u.c.Chart
		if ch == nil {
			if !strings.HasPrefix(u.c.Path, "apps/") {
				t.Errorf("%s: neither a chart nor a path under apps/", u)
			}
			continue
		}
		if !semverRe.MatchString(ch.Version) {
			t.Errorf("%s: chart %s version %q is not one exact semantic version", u, ch.Name, ch.Version)
		}
		// One version per chart across the lab: a comparison of two
		// experiments must not silently compare two releases.
		key := ch.Repository + " " + ch.Name
		if v, ok := versions[key]; ok && v != ch.Version {
			t.Errorf("%s: chart %s at %s, elsewhere at %s", u, ch.Name, ch.Version, v)
		}
		versions[key] = ch.Version
	}
}

// exceptions are the findings an experiment needs to measure what it
// measures, by check and experiment/component, with the reason.
var exceptions = map[string]map[string]string{
	"more than one replica": {
		"deployment-strategies/rollout": "a replica-weighted canary's steps (20%, 50%) are shares of its 5 replicas",
		"chaos-resilience/app":          "a killed pod is survived only by the other replicas: the hypothesis needs 3",
	},
}

func TestValues(t *testing.T) {
	checks := []struct {
		name  string
		check func(map[string]any) []Finding
	}{
		{"unpinned image", UnpinnedImages},
		{"webhook fails closed", FailClosedWebhooks},
		{"more than one replica", OversizedReplicas},
		{"bad resources", BadResources},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			for _, u := range units(realLab(t).Lab) {
				for _, f := range ch.check(u.c.Values) {
					if why, ok := exceptions[ch.name][u.e.Name+"/"+u.c.Name]; ok {
						t.Logf("%s: %s (allowed: %s)", u, f, why)
						continue
					}
					t.Errorf("%s: %s", u, f)
				}
			}
		})
	}
}

// TestAppChartLabels: every copy of the runtime chart carries the cost
// labels of where it sits.
func TestAppChartLabels(t *testing.T) {
	for _, u := range units(realLab(t).Lab) {
		if u.c.Path != "apps/runtimes/chart" {
			continue
		}
		cl, _ := u.c.Values["costLabels"].(map[string]any)
		want := map[string]string{"phase": u.e.Phase, "experiment": u.e.Name, "component": u.c.Name, "variant": u.variant}
		if u.variant == "" {
			want["variant"] = "shared"
		}
		for k, v := range want {
			if got, _ := cl[k].(string); got != v {
				t.Errorf("%s: costLabels.%s = %q, want %q", u, k, got, v)
			}
		}
	}
}

func TestMetrics(t *testing.T) {
	for _, e := range experiments(realLab(t).Lab) {
		if len(e.Measure.Metrics) == 0 {
			t.Errorf("%s (%s) measures nothing", e.Name, e.Source)
		}
		for _, mn := range slices.Sorted(maps.Keys(e.Measure.Metrics)) {
			m := e.Measure.Metrics[mn]
			for _, p := range QueryProblems(m.Query) {
				t.Errorf("%s metric %s: %s", e.Name, mn, p)
			}
		}
	}
}

// TestComparisons: a comparison's variants are measured by the same
// metrics, so every metric must follow the variant's namespace.
func TestComparisons(t *testing.T) {
	n := 0
	for _, e := range experiments(realLab(t).Lab) {
		if len(e.Variants) == 0 {
			if e.Kind == "comparison" {
				t.Errorf("comparison %s has no variants", e.Name)
			}
			continue
		}
		if e.Kind == "comparison" {
			n++
			if len(e.Variants) < 2 {
				t.Errorf("comparison %s has %d variant(s), needs 2", e.Name, len(e.Variants))
			}
		}
		for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
			if len(e.Variants[vn].Components) == 0 {
				t.Errorf("%s variant %s deploys nothing", e.Name, vn)
			}
		}
		for _, mn := range slices.Sorted(maps.Keys(e.Measure.Metrics)) {
			q := e.Measure.Metrics[mn].Query
			if FixedNamespace(q) {
				t.Errorf("%s metric %s selects a fixed namespace: it would measure the same thing for every variant", e.Name, mn)
			}
			if !strings.Contains(q, "$namespace") {
				t.Errorf("%s metric %s does not use $namespace: it cannot tell variants apart", e.Name, mn)
			}
		}
	}
	if n == 0 {
		t.Error("the lab has no comparison")
	}
}

func TestAlternativesResolve(t *testing.T) {
	lab := realLab(t).Lab
	names := map[string]bool{}
	for _, e := range experiments(lab) {
		names[e.Name] = true
	}
	for _, e := range experiments(lab) {
		for _, a := range e.Compare.Alternatives {
			switch {
			case a == e.Name:
				t.Errorf("%s lists itself as an alternative", e.Name)
			case !names[a]:
				t.Errorf("%s: alternative %q is no experiment", e.Name, a)
			}
		}
	}
}

func TestADRsResolve(t *testing.T) {
	for _, e := range experiments(realLab(t).Lab) {
		for _, a := range e.ADRs {
			if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(a))); err != nil {
				t.Errorf("%s: ADR %s: %v", e.Name, a, err)
			}
		}
	}
}

// TestAppendices: the roadmap's letters A to S, each titled and filed.
func TestAppendices(t *testing.T) {
	as := realLab(t).Lab.Appendices
	for c := 'A'; c <= 'S'; c++ {
		a, ok := as[string(c)]
		if !ok {
			t.Errorf("no appendix %c", c)
			continue
		}
		if a.Title == "" || a.Category == "" || a.Summary == "" {
			t.Errorf("appendix %c lacks a title, category or summary", c)
		}
	}
	if len(as) != 19 {
		t.Errorf("%d appendices, the roadmap lists 19 (A to S)", len(as))
	}
}

// BenchmarkLoadAndRender is the cost of `generator render` on the real
// lab, minus writing.
func BenchmarkLoadAndRender(b *testing.B) {
	for b.Loop() {
		src, err := load.Load(repoRoot)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := render.Lab(src, render.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
