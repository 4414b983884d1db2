package load_test

import (
	"maps"
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

// repoRoot is the repository holding the real lab. Loading it runs every
// content rule (values, metrics, comparisons, alternatives, ADRs); these
// tests add what is particular to the lab's own content: the roadmap.
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
