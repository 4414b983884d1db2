package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// provenance records where runs ran: k6's version, the mesh chart, the
// proxy image and the nodes.
func provenance(rs []*results.Result, k6, chart, digest, node string) []*results.Result {
	for i, r := range rs {
		v := k6
		r.Tool.Version = &v
		r.Run = &results.RunInfo{
			Namespace:   "layers-" + r.Variant,
			WindowStart: "2026-11-02T09:00:00Z", WindowEnd: "2026-11-02T09:10:00Z",
			GitCommit: "0123456789abcdef0123456789abcdef01234567",
			Charts:    []results.ChartRef{{Component: "mesh", Repository: "https://charts.example.test", Chart: "istiod", Version: chart}},
			Images: []results.ImageRef{{
				Container: fmt.Sprintf("layers-%s/app-%d/istio-proxy", r.Variant, i), // pod names differ run to run
				Image:     "docker.io/istio/proxyv2:1.27.0", ImageID: "docker.io/istio/proxyv2@sha256:" + strings.Repeat(digest, 64),
			}},
			Nodes: []results.NodeRef{{Name: fmt.Sprintf("node-%d", i), InstanceType: node}},
		}
	}
	return rs
}

func TestReportEnvironment(t *testing.T) {
	in := Input{
		Experiment: "layers",
		BaseRef:    "main",
		Base: map[string][]*results.Result{
			"mesh":    provenance(runs("mesh", 6, 15, 33, 0.15), "1.2.0", "1.27.0", "a", "e2-standard-4"),
			"gateway": provenance(runs("gateway", 6, 12, 25, 0.12), "1.3.0", "1.27.0", "a", "e2-standard-4"),
		},
		Current: map[string][]*results.Result{
			// mesh: new k6, chart, proxy image digest (same tag) and node type.
			"mesh": provenance(current(runs("mesh", 6, 16, 35, 0.16)), "1.3.0", "1.28.0", "b", "e2-standard-8"),
			// gateway: the same environment: no section for it.
			"gateway": provenance(current(runs("gateway", 6, 12, 25, 0.12)), "1.3.0", "1.27.0", "a", "e2-standard-4"),
		},
	}
	rep, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/report-environment.golden.md", buf.Bytes())
	out := buf.String()
	for _, s := range []string{
		"### Environment\n",
		"\nmesh:\n",
		"| tool | k6 1.2.0 | k6 1.3.0 |",
		"| chart mesh | istiod 1.27.0 from https://charts.example.test | istiod 1.28.0 from https://charts.example.test |",
		"| image layers-mesh/istio-proxy | docker.io/istio/proxyv2:1.27.0 (sha256:aaaaaaaaaaaa) | docker.io/istio/proxyv2:1.27.0 (sha256:bbbbbbbbbbbb) |",
		"| node types | e2-standard-4 ×1 | e2-standard-8 ×1 |",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if strings.Contains(out, "\ngateway:\n") {
		t.Error("gateway ran in the same environment on both sides but has an environment table")
	}

	// The same environment on both sides: no section at all.
	in.Current["mesh"] = provenance(current(runs("mesh", 6, 16, 35, 0.16)), "1.2.0", "1.27.0", "a", "e2-standard-4")
	rep, err = Build(in)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := rep.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "### Environment") {
		t.Error("an environment section for identical environments")
	}
}
