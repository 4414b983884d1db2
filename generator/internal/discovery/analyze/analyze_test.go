package analyze

import (
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

func testLab() (*model.Lab, *model.Discovery) {
	chart := func(n string) *model.Component {
		return &model.Component{Name: n, Chart: &model.Chart{Repository: "https://charts.example.test", Name: n, Version: "1.0.0"}}
	}
	lab := &model.Lab{Phases: map[string]*model.Phase{
		"observability": {Name: "observability", Number: 3, Experiments: map[string]*model.Experiment{
			"prometheus-tutorial": {Name: "prometheus-tutorial", Title: "Prometheus metrics", Components: map[string]*model.Component{"kube-prometheus-stack": chart("kube-prometheus-stack")}},
			"tracing-comparison": {Name: "tracing-comparison", Title: "Tracing compared", Variants: map[string]*model.Variant{
				"tempo":  {Components: map[string]*model.Component{"tempo": chart("tempo")}},
				"jaeger": {Components: map[string]*model.Component{"jaeger": chart("jaeger")}},
			}},
		}},
		"mesh": {Name: "mesh", Number: 7, Experiments: map[string]*model.Experiment{
			"mesh-comparison": {Name: "mesh-comparison", Title: "Service mesh compared", Variants: map[string]*model.Variant{
				"istio": {Components: map[string]*model.Component{"istiod": chart("istiod")}},
			}},
		}},
	}}
	cfg := &model.Discovery{
		Scoring:   model.DiscoveryScoring{P0: 80, P1: 50, P2: 25},
		Placement: map[string][]string{"observability": {"observability", "tracing", "ebpf"}, "mesh": {"service mesh", "ebpf"}},
	}
	return lab, cfg
}

func TestMatch(t *testing.T) {
	lab, _ := testLab()
	idx := newLabIndex(lab)
	tests := []struct {
		name, repo, want string
	}{
		{"Prometheus", "prometheus/prometheus", "kube-prometheus-stack"}, // a word of a chart name
		{"Jaeger", "", "jaeger"}, // a variant's component
		{"tempo", "grafana/tempo", "tempo"},
		{"grafana/beyla", "grafana/beyla", ""}, // "grafana" alone is not the name
		{"Istio", "istio/istio", ""},           // istiod is another word
		{"mesh", "", ""},                       // generic words never match
		{"Tracing Comparison", "", "tracing-comparison"},
	}
	for _, tc := range tests {
		c := &Candidate{Project: sources.Project{Name: tc.name, Repo: tc.repo}}
		m := idx.match(c)
		got := ""
		if m != nil {
			got = m.Term
		}
		if got != tc.want {
			t.Errorf("%s: matched %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestScoreAndPlace(t *testing.T) {
	lab, cfg := testLab()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	res := &sources.Result{
		Projects: []sources.Project{
			{Source: "gh", Kind: "github", Weight: 1, Name: "grafana/beyla", Repo: "grafana/beyla", Description: "eBPF auto-instrumentation, tracing", Topics: []string{"ebpf", "observability"},
				Stars: 10000, HasPrev: true, PrevStars: 9000, PrevDays: 7, Contributors: 250, Commits30d: 150, LatestRelease: "v2.0.0", ReleasedAt: now.AddDate(0, 0, -10)},
			{Source: "ls", Kind: "landscape", Weight: 1, Name: "Grafana Beyla", Repo: "grafana/beyla", Maturity: "sandbox", Category: "Observability and Analysis", Subcategory: "Observability", Contributors: -1, Commits30d: -1},
			{Source: "gh", Kind: "github", Weight: 0.5, Name: "x/stale", Repo: "x/stale", Stars: 100, Contributors: 2, Commits30d: 0, ReleasedAt: now.AddDate(-2, 0, 0), LatestRelease: "v0.1"},
			{Source: "ls", Kind: "landscape", Weight: 1, Name: "OldThing", Maturity: "archived", Contributors: -1, Commits30d: -1},
			{Source: "gh", Kind: "github", Weight: 1, Name: "prometheus/prometheus", Repo: "prometheus/prometheus", Stars: 60000, Contributors: 1000, Commits30d: 120, Topics: []string{"monitoring"}},
		},
		Mentions: []sources.Mention{
			{Source: "hn", Weight: 0.5, Title: "Beyla is great", Points: 300},
			{Source: "blog", Weight: 1, Title: "Nothing about any of them"},
		},
	}
	a, err := Analyze(lab, cfg, res, now)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*Candidate{}
	for _, c := range a.Candidates {
		by[c.Slug] = c
	}
	b := by["beyla"]
	if b == nil {
		t.Fatalf("no beyla: %+v", a.Candidates)
	}
	rules := map[string]float64{}
	for _, c := range b.Contributions {
		rules[c.Rule] = c.Points
	}
	// 10×log10(10000)=40; +1000 in 7 days on 9000 = 11.1%/week → capped 20;
	// 250 contributors 10; 150 commits 10; release 10 days 5; sandbox 5;
	// one HN mention (3+3)×0.5 = 3.
	want := map[string]float64{"stars": 40, "growth": 20, "contributors": 10, "activity": 10, "release": 5, "adoption": 5, "mentions": 3}
	for r, p := range want {
		if rules[r] != p {
			t.Errorf("beyla rule %s = %v, want %v (all: %+v)", r, rules[r], p, b.Contributions)
		}
	}
	if b.Score != 93 || b.Priority != "P0" || b.Category != New || b.Name != "Grafana Beyla" || b.Phase != "observability" {
		t.Errorf("beyla: score %v %s %s %q phase %q", b.Score, b.Priority, b.Category, b.Name, b.Phase)
	}
	// Ties in placement go to the earlier phase; the words are listed.
	if strings.Join(b.PhaseWords, ",") != "observability,tracing,ebpf" || strings.Join(b.CompareWith, ",") != "tracing-comparison" {
		t.Errorf("placement words %v, compare %v", b.PhaseWords, b.CompareWith)
	}
	if s := by["stale"]; s.Category != Noise || s.Priority != "" {
		t.Errorf("stale: %+v", s)
	}
	if o := by["oldthing"]; o.Score != -50 || o.Category != Noise {
		t.Errorf("archived: %+v", o)
	}
	p := by["prometheus"]
	if p.Category != Improvement || p.Match.Experiment != "prometheus-tutorial" || p.Phase != "observability" || p.Priority != "P2" {
		t.Errorf("prometheus: %s %s %+v %s", p.Category, p.Priority, p.Match, p.Phase)
	}
	if len(a.Unmatched) != 1 || a.Counts["P0"] != 1 || a.Counts[Noise] != 2 {
		t.Errorf("unmatched %d, counts %v", len(a.Unmatched), a.Counts)
	}
	// Sorted by score, best first.
	for i := 1; i < len(a.Candidates); i++ {
		if a.Candidates[i].Score > a.Candidates[i-1].Score {
			t.Errorf("not sorted at %d", i)
		}
	}

	cfg.Placement["nope"] = []string{"x"}
	if _, err := Analyze(lab, cfg, res, now); err == nil || !strings.Contains(err.Error(), `discovery.placement.nope: no phase "nope"`) {
		t.Errorf("unknown placement phase: %v", err)
	}
}

func TestParseVerdict(t *testing.T) {
	phases := []string{"observability", "mesh"}
	tests := []struct {
		text, want, err string
	}{
		{`{"category":"new","phase":"mesh","reason":"r"}`, "new/mesh", ""},
		{"Here you go:\n```json\n{\"category\": \"noise\", \"phase\": \"\", \"reason\": \"hype\"}\n```", "noise/", ""},
		{`{"category":"great","phase":"mesh"}`, "", `category "great" is not new, improvement or noise`},
		{`{"category":"new","phase":"kitchen"}`, "", `phase "kitchen" is not a phase of the lab`},
		{`I cannot help with that.`, "", "holds no JSON object"},
		{`{"category": new}`, "", "not the JSON asked for"},
	}
	for _, tc := range tests {
		v, err := ParseVerdict(tc.text, phases)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.text, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if got := v.Category + "/" + v.Phase; got != tc.want {
			t.Errorf("%q: %s, want %s", tc.text, got, tc.want)
		}
	}
}

func TestPhrase(t *testing.T) {
	for in, want := range map[string]string{
		"Scheduling & Orchestration":   "scheduling orchestration",
		"scheduling and orchestration": "scheduling orchestration",
		"Band-aid AND stuff":           "band aid stuff",
	} {
		if got := phrase(in); got != want {
			t.Errorf("phrase(%q) = %q, want %q", in, got, want)
		}
	}
}
