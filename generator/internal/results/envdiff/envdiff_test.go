package envdiff

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

type spec struct {
	k6, chart, image, digest, node, manifests string
	pod                                       int
	noRun                                     bool
}

func res(s spec) *results.Result {
	r := results.New(results.ToolK6, results.UnitRequests)
	if s.k6 != "" {
		v := s.k6
		r.Tool.Version = &v
	}
	r.ManifestsDigest = s.manifests
	if s.noRun {
		return r
	}
	r.Run = &results.RunInfo{Namespace: "ns", ScriptSHA256: strings.Repeat("5", 64)}
	if s.chart != "" {
		r.Run.Charts = []results.ChartRef{{Component: "gw", Repository: "oci://charts.example.test", Chart: "envoy", Version: s.chart}}
	}
	if s.image != "" {
		r.Run.Images = []results.ImageRef{{Container: fmt.Sprintf("ns/envoy-%d/envoy", s.pod), Image: s.image, ImageID: "docker.io/envoyproxy/envoy@sha256:" + strings.Repeat(s.digest, 64)}}
	}
	if s.node != "" {
		r.Run.Nodes = []results.NodeRef{{Name: "a", InstanceType: s.node}, {Name: "b", InstanceType: s.node}}
	}
	return r
}

func names(fs []Field) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name+"="+strings.Join(f.Base, ";")+">"+strings.Join(f.Current, ";"))
	}
	return strings.Join(out, " ")
}

func TestDiff(t *testing.T) {
	same := spec{k6: "1.3.0", chart: "1.0.0", image: "envoy:v1.35", digest: "a", node: "e2-standard-4"}
	with := func(f func(*spec)) spec { s := same; f(&s); return s }
	for _, tc := range []struct {
		name      string
		base, cur []spec
		want      string
	}{
		{"same environment", []spec{same, same}, []spec{same}, ""},
		{"pod names change from run to run", []spec{with(func(s *spec) { s.pod = 1 })}, []spec{with(func(s *spec) { s.pod = 2 })}, ""},
		{"tool version", []spec{same}, []spec{with(func(s *spec) { s.k6 = "1.4.0" })}, "tool=k6 1.3.0>k6 1.4.0"},
		{"chart version", []spec{same}, []spec{with(func(s *spec) { s.chart = "1.1.0" })}, "chart gw=envoy 1.0.0 from oci://charts.example.test>envoy 1.1.0 from oci://charts.example.test"},
		{"same tag, new digest", []spec{same}, []spec{with(func(s *spec) { s.digest = "b" })}, "image ns/envoy=envoy:v1.35 (sha256:aaaaaaaaaaaa)>envoy:v1.35 (sha256:bbbbbbbbbbbb)"},
		{"node type", []spec{same}, []spec{with(func(s *spec) { s.node = "n2-standard-4" })}, "node types=e2-standard-4 ×2>n2-standard-4 ×2"},
		{"mixed baseline", []spec{same, with(func(s *spec) { s.k6 = "1.2.0" })}, []spec{same}, "tool=k6 1.2.0;k6 1.3.0>k6 1.3.0"},
		{"unknown tool version", []spec{with(func(s *spec) { s.k6 = "" })}, []spec{same}, "tool=k6 (version not recorded)>k6 1.3.0"},
		{"manifests digest on one side only", []spec{same}, []spec{with(func(s *spec) { s.manifests = "sha256:" + strings.Repeat("c", 64) })},
			"manifests digest=not recorded>sha256:" + strings.Repeat("c", 64)},
		{"no provenance in the baseline", []spec{{k6: "1.3.0", noRun: true}}, []spec{same},
			"chart gw=not recorded>envoy 1.0.0 from oci://charts.example.test image ns/envoy=not recorded>envoy:v1.35 (sha256:aaaaaaaaaaaa) load script sha256=not recorded>" + strings.Repeat("5", 64) + " namespace=not recorded>ns node types=not recorded>e2-standard-4 ×2"},
		{"no provenance on either side", []spec{{k6: "1.3.0", noRun: true}}, []spec{{k6: "1.3.0", noRun: true}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b, c []*results.Result
			for _, s := range tc.base {
				b = append(b, res(s))
			}
			for _, s := range tc.cur {
				c = append(c, res(s))
			}
			if got := names(Diff(b, c)); got != tc.want {
				t.Errorf("Diff:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, []Variant{{Name: "a"}}, "baseline"); err != nil || b.Len() != 0 {
		t.Errorf("no difference wrote %q (%v)", b.String(), err)
	}
	vs := []Variant{{Name: "a"}, {Name: "b", Fields: []Field{{Name: "tool", Base: []string{"k6 1|2"}, Current: []string{"k6 1.3.0", "k6 1.4.0"}}}}}
	if err := Markdown(&b, vs, "main"); err != nil {
		t.Fatal(err)
	}
	want := "\n### Environment\n\nThe baseline and the current runs were not measured in the same environment: differences in latency or cost may come from it as well as from the change.\n\nb:\n\n| what | main | current |\n|---|---|---|\n| tool | k6 1\\|2 | k6 1.3.0; k6 1.4.0 |\n"
	if b.String() != want {
		t.Errorf("Markdown:\n%s\nwant\n%s", b.String(), want)
	}
}
