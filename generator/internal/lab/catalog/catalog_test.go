package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// testLab is a small lab: two phases, a tutorial, a comparison with
// variants and a benchmark, statuses mixed.
func testLab() *model.Lab {
	chart := func(name, version string) *model.Chart {
		return &model.Chart{Repository: "https://charts.example.org", Name: name, Version: version}
	}
	exp := func(name, phase, kind, status string) *model.Experiment {
		return &model.Experiment{
			Name: name, Phase: phase, Kind: kind, Status: status, Title: strings.ToUpper(name[:1]) + name[1:],
			Description: "The " + name + " experiment, described at enough length that the text wraps onto a second line when printed.",
			PodSecurity: "baseline", Source: "phases/" + phase + ".cue",
			Components: map[string]*model.Component{},
			Variants:   map[string]*model.Variant{},
			Measure: model.Measure{Summary: "CPU of the namespace.", Metrics: map[string]*model.Metric{
				"cpu_cores":    {Name: "cpu_cores", Query: `sum(rate(container_cpu_usage_seconds_total{namespace="$namespace"}[$window]))`, Unit: "cores", Aggregation: "avg", Description: "CPU used"},
				"memory_bytes": {Name: "memory_bytes", Query: `sum(container_memory_working_set_bytes{namespace="$namespace"})`, Unit: "bytes", Aggregation: "max"},
			}},
			Cost:    model.CostQuestion{Question: "What does " + name + " cost?", Pricing: "resources"},
			Compare: model.Compare{Summary: "Against the others."},
		}
	}
	platform := exp("platform", "platform", "tutorial", "validated")
	platform.Components["operator"] = &model.Component{Name: "operator", Chart: chart("operator", "v1.2.3"), Namespace: "operators", SyncWave: -10}
	platform.Components["app"] = &model.Component{Name: "app", Path: "apps/app/chart"}
	baseline := exp("baseline", "platform", "tutorial", "backlog")
	baseline.Components["app"] = &model.Component{Name: "app", Path: "apps/app/chart"}
	baseline.Benchmark = &model.Benchmark{}

	cmp := exp("gateways", "traffic", "comparison", "validated")
	cmp.Compare.Alternatives = []string{"baseline"}
	cmp.ADRs = []string{"docs/adr/0001-gateways.md"}
	cmp.Variants["nginx"] = &model.Variant{Name: "nginx", Description: "nginx", Components: map[string]*model.Component{
		"nginx": {Name: "nginx", Chart: chart("ingress-nginx", "4.15.1"), SyncWave: -10},
		"app":   {Name: "app", Path: "apps/app/chart"},
	}}
	cmp.Variants["envoy"] = &model.Variant{Name: "envoy", Components: map[string]*model.Component{
		"envoy": {Name: "envoy", Chart: chart("gateway-helm", "v1.9.2")},
	}}
	bench := exp("gateway-bench", "traffic", "benchmark", "planned")
	bench.Components["app"] = &model.Component{Name: "app", Path: "apps/app/chart"}
	bench.Benchmark = &model.Benchmark{}

	return &model.Lab{
		Name: "test-lab",
		Phases: map[string]*model.Phase{
			"platform": {Name: "platform", Number: 1, Title: "Platform", Experiments: map[string]*model.Experiment{"platform": platform, "baseline": baseline}},
			"traffic":  {Name: "traffic", Number: 2, Title: "Traffic", Experiments: map[string]*model.Experiment{"gateways": cmp, "gateway-bench": bench}},
		},
		Appendices: map[string]*model.Appendix{
			"B": {ID: "B", Title: "Identity", Category: "Security"},
			"A": {ID: "A", Title: "MLOps", Category: "Platform", Summary: "Models."},
		},
	}
}

func names(c *Catalogue) []string {
	var out []string
	for _, r := range c.Experiments {
		out = append(out, r.Experiment)
	}
	return out
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name      string
		filter    Filter
		want      []string
		progress  []Progress
		validated int
		total     int
	}{
		{
			name: "all, by phase number then name",
			want: []string{"baseline", "platform", "gateway-bench", "gateways"},
			progress: []Progress{
				{Phase: "platform", PhaseNumber: 1, Title: "Platform", Validated: 1, Total: 2, Benchmarks: 1},
				{Phase: "traffic", PhaseNumber: 2, Title: "Traffic", Validated: 1, Total: 2, Benchmarks: 1},
			},
			validated: 2, total: 4,
		},
		{
			name:   "phase by key",
			filter: Filter{Phase: "traffic"},
			want:   []string{"gateway-bench", "gateways"},
			progress: []Progress{
				{Phase: "traffic", PhaseNumber: 2, Title: "Traffic", Validated: 1, Total: 2, Benchmarks: 1},
			},
			validated: 1, total: 2,
		},
		{
			name:   "phase by number",
			filter: Filter{Phase: "1"},
			want:   []string{"baseline", "platform"},
			progress: []Progress{
				{Phase: "platform", PhaseNumber: 1, Title: "Platform", Validated: 1, Total: 2, Benchmarks: 1},
			},
			validated: 1, total: 2,
		},
		{
			name:   "status validated: every listed phase complete",
			filter: Filter{Status: "validated"},
			want:   []string{"platform", "gateways"},
			progress: []Progress{
				{Phase: "platform", PhaseNumber: 1, Title: "Platform", Validated: 1, Total: 1, Complete: true},
				{Phase: "traffic", PhaseNumber: 2, Title: "Traffic", Validated: 1, Total: 1, Complete: true},
			},
			validated: 2, total: 2,
		},
		{
			name:   "kind with no match in one phase drops that phase",
			filter: Filter{Kind: "benchmark"},
			want:   []string{"gateway-bench"},
			progress: []Progress{
				{Phase: "traffic", PhaseNumber: 2, Title: "Traffic", Validated: 0, Total: 1, Benchmarks: 1},
			},
			validated: 0, total: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Build(testLab(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("experiments = %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(c.Progress, tt.progress) {
				t.Errorf("progress = %+v, want %+v", c.Progress, tt.progress)
			}
			if c.Validated != tt.validated || c.Total != tt.total {
				t.Errorf("totals = %d/%d, want %d/%d", c.Validated, c.Total, tt.validated, tt.total)
			}
		})
	}
}

func TestBuildRow(t *testing.T) {
	c, err := Build(testLab(), Filter{Phase: "traffic"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Experiments[1]
	want := Row{Phase: "traffic", PhaseNumber: 2, Experiment: "gateways", Title: "Gateways", Kind: "comparison", Status: "validated",
		Components: 3, Variants: []string{"envoy", "nginx"}, Benchmark: false, Tools: []string{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("row = %+v, want %+v", got, want)
	}
	if r := c.Experiments[0]; !r.Benchmark || !reflect.DeepEqual(r.Tools, []string{"k6"}) {
		t.Errorf("gateway-bench has a k6 benchmark, row says %v %v", r.Benchmark, r.Tools)
	}
}

func TestBuildUnknownPhase(t *testing.T) {
	_, err := Build(testLab(), Filter{Phase: "mesh"})
	if err == nil || !strings.Contains(err.Error(), `no phase "mesh"`) || !strings.Contains(err.Error(), "platform, traffic") {
		t.Fatalf("err = %v, want the unknown phase and the phases there are", err)
	}
}

func TestFind(t *testing.T) {
	d, err := Find(testLab(), "gateways")
	if err != nil {
		t.Fatal(err)
	}
	var deploy []string
	for _, c := range d.Deploy {
		deploy = append(deploy, c.Variant+"/"+c.Name+"="+c.Source+"@"+c.Namespace)
	}
	// Variants by name, each in sync-wave order.
	want := []string{
		"envoy/envoy=gateway-helm@v1.9.2@gateways-envoy",
		"nginx/nginx=ingress-nginx@4.15.1@gateways-nginx",
		"nginx/app=apps/app/chart@gateways-nginx",
	}
	if !reflect.DeepEqual(deploy, want) {
		t.Errorf("deploy = %v, want %v", deploy, want)
	}
	if got := []string{d.Measure.Metrics[0].Name, d.Measure.Metrics[1].Name}; !reflect.DeepEqual(got, []string{"cpu_cores", "memory_bytes"}) {
		t.Errorf("metrics = %v, want sorted by name", got)
	}

	p, err := Find(testLab(), "platform")
	if err != nil {
		t.Fatal(err)
	}
	if p.Deploy[0].Name != "operator" || p.Deploy[0].Namespace != "operators" || p.Deploy[1].Namespace != "platform" {
		t.Errorf("platform deploy = %+v: want the operator first in its own namespace, the app in the experiment's", p.Deploy)
	}
}

func TestFindSuggests(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"gateway", []string{"gateway-bench", "gateways"}},
		{"platfrom", []string{"platform"}},
		{"gatways", []string{"gateways"}},
		{"kafka", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Find(testLab(), tt.name)
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("err = %v, want a NotFoundError", err)
			}
			if !reflect.DeepEqual(nf.Suggestions, tt.want) {
				t.Errorf("suggestions = %v, want %v", nf.Suggestions, tt.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in, indent string
		width      int
		want       string
	}{
		{"", "  ", 10, ""},
		{"one two three", "", 7, "one two\nthree\n"},
		{"a verylongwordindeed b", "> ", 8, "> a\n> verylongwordindeed\n> b\n"},
	}
	for _, tt := range tests {
		b := &strings.Builder{}
		wrap(b, tt.in, tt.indent, tt.width)
		if b.String() != tt.want {
			t.Errorf("wrap(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

// TestGolden checks every printed form against testdata/*.golden.
func TestGolden(t *testing.T) {
	lab := testLab()
	cat, err := Build(lab, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Find(lab, "gateways")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"list.golden", func(b *bytes.Buffer) error { return WriteTable(b, cat) }},
		{"list.json.golden", func(b *bytes.Buffer) error { return jsonTo(b, cat) }},
		{"show.golden", func(b *bytes.Buffer) error { return WriteDetail(b, d) }},
		{"show.json.golden", func(b *bytes.Buffer) error { return jsonTo(b, d) }},
		{"appendices.golden", func(b *bytes.Buffer) error { return WriteAppendices(b, Appendices(lab)) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden.File(t, filepath.Join("testdata", tt.file), b.Bytes())
			for i, line := range strings.Split(b.String(), "\n") {
				if strings.HasSuffix(line, " ") {
					t.Errorf("line %d has trailing spaces: %q", i+1, line)
				}
			}
		})
	}
}

func jsonTo(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
