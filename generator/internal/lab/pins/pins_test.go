package pins

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/benchjobs"
)

// repoRoot is the repository holding the real lab.
const repoRoot = "../../../.."

var (
	once    sync.Once
	allPins []Pin
	loadErr error
)

// realPins lists the pins of the real lab once for every test.
func realPins(t testing.TB) []Pin {
	t.Helper()
	once.Do(func() {
		var src *load.Source
		if src, loadErr = load.Load(repoRoot); loadErr == nil {
			allPins, loadErr = All(src)
		}
	})
	if loadErr != nil {
		t.Fatalf("listing the lab's pins: %v", loadErr)
	}
	return allPins
}

func find(ps []Pin, kind, name, version string) *Pin {
	for i := range ps {
		if ps[i].Kind == kind && ps[i].Name == name && ps[i].Version == version {
			return &ps[i]
		}
	}
	return nil
}

// The listing sees every kind of pin the lab has, from each place it can be.
func TestAllFindsEachKindOfPin(t *testing.T) {
	ps := realPins(t)
	name, tag, _ := SplitImage(benchjobs.Image)
	want := []struct{ kind, name, version string }{
		{Chart, "kube-prometheus-stack", ""},                // a _charts table
		{Chart, "gateway-helm", ""},                         // an OCI chart
		{Image, "busybox", ""},                              // an image string in values
		{Image, "otel/opentelemetry-collector-contrib", ""}, // an image map in values
		{Image, name, tag},                                  // the Go constant
		{Image, "ghcr.io/cloudnative-pg/postgresql", ""},    // the app chart's values.yaml
		{Image, "ghcr.io/illm-k8s-ai-lab/generator", ""},    // discovery's image
		{Image, "ghcr.io/illm-k8s-ai-lab/runtime-go", ""},   // the app chart's default image
		{Image, "golang", ""},                               // a Dockerfile
		{Module, "k8s.io/kubernetes", ""},                   // tools.tsv
		{Manifest, "argoproj/argo-cd manifests/install.yaml", ""},
		{CRDs, "github.com/kyverno/kyverno", ""},
	}
	for _, w := range want {
		ok := slices.ContainsFunc(ps, func(p Pin) bool {
			return p.Kind == w.kind && p.Name == w.name && (w.version == "" || p.Version == w.version)
		})
		if !ok {
			t.Errorf("no %s pin %s %s", w.kind, w.name, w.version)
		}
	}
	for _, p := range ps {
		if p.Version == "" {
			t.Errorf("%s %s pins no version (used by %s)", p.Kind, p.Name, strings.Join(p.Uses, ", "))
		}
		if (p.Manager == "") != (p.Untracked != "") {
			t.Errorf("%s %s: a pin is either kept fresh by a manager or says why not (manager %q, untracked %q)", p.Kind, p.Name, p.Manager, p.Untracked)
		}
	}
	if p := find(ps, Chart, "gateway-helm", "v1.9.0"); p != nil && (p.Datasource != "docker" || p.PackageName != "docker.io/envoyproxy/gateway-helm") {
		t.Errorf("OCI chart looked up as %s %s, want docker docker.io/envoyproxy/gateway-helm", p.Datasource, p.PackageName)
	}
}

func TestSplitImage(t *testing.T) {
	for _, tc := range []struct{ ref, name, tag, digest string }{
		{"busybox:1.37.0", "busybox", "1.37.0", ""},
		{"registry.local:5000/app:2.0.0", "registry.local:5000/app", "2.0.0", ""},
		{"registry.local:5000/app", "registry.local:5000/app", "", ""},
		{"gcr.io/distroless/static-debian12:nonroot@sha256:abc", "gcr.io/distroless/static-debian12", "nonroot", "sha256:abc"},
		{"ghcr.io/example/app@sha256:abc", "ghcr.io/example/app", "", "sha256:abc"},
	} {
		n, tag, d := SplitImage(tc.ref)
		if n != tc.name || tag != tc.tag || d != tc.digest {
			t.Errorf("SplitImage(%q) = %q %q %q, want %q %q %q", tc.ref, n, tag, d, tc.name, tc.tag, tc.digest)
		}
	}
}

func TestImagesIn(t *testing.T) {
	values := map[string]any{
		"image":      "busybox:1.37.0",
		"controller": map[string]any{"image": map[string]any{"repository": "example/ctl", "tag": "1.2.3"}},
		"database":   map[string]any{"imageName": "ghcr.io/cloudnative-pg/postgresql:17.5"},
		"items":      []any{map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": "rabbitmq:4.1.8"}}}}},
		"chart":      map[string]any{"repository": "https://charts.example", "tag": "x"}, // not an image map
		"app":        map[string]any{"image": map[string]any{"repository": "", "tag": ""}},
	}
	got := imagesIn(values)
	slices.Sort(got)
	want := []string{"busybox:1.37.0", "example/ctl:1.2.3", "ghcr.io/cloudnative-pg/postgresql:17.5", "rabbitmq:4.1.8"}
	if !slices.Equal(got, want) {
		t.Errorf("imagesIn = %q, want %q", got, want)
	}
}
