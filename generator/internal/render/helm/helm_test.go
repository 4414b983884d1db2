package helm_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/helm"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

const runtimesChart = "apps/runtimes/chart"

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestRuntimesChartMatchesHelmCLI renders the lab's own chart with the
// values of every component of the real lab that uses it, in-process, and
// with the pinned helm CLI (`helm template --include-crds`, same release,
// namespace, values and Kubernetes version), and compares the objects:
// both outputs parsed, sorted, Helm's `# Source:` comments gone with the
// parsing.
func TestRuntimesChartMatchesHelmCLI(t *testing.T) {
	helmBin := testenv.Tool(t, "helm")
	root := repoRoot(t)
	src, err := load.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := helm.KubeVersion(src.Lab)
	if err != nil {
		t.Fatal(err)
	}
	caps, err := helm.Capabilities(kv)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{} // distinct values sets
	tmp := t.TempDir()
	compared := 0
	for _, p := range src.Lab.Phases {
		for _, e := range p.Experiments {
			for _, u := range e.Units() {
				c := u.Component
				if c.Path != runtimesChart {
					continue
				}
				vals, err := helm.Values(c.Values)
				if err != nil {
					t.Fatal(err)
				}
				vb, _ := json.Marshal(vals)
				key := string(vb) + "|" + u.Namespace + "|" + c.Name
				if seen[key] {
					continue
				}
				seen[key] = true
				name := u.Name()
				t.Run(name, func(t *testing.T) {
					ch, err := loader.LoadDir(filepath.Join(root, runtimesChart))
					if err != nil {
						t.Fatal(err)
					}
					out, err := helm.Render(ch, vals, helm.Release{Name: c.Name, Namespace: u.Namespace}, caps)
					if err != nil {
						t.Fatal(err)
					}
					sdk, err := out.Objects()
					if err != nil {
						t.Fatal(err)
					}
					vf := filepath.Join(tmp, name+".json") // JSON is YAML to helm -f
					if err := os.WriteFile(vf, vb, 0o644); err != nil {
						t.Fatal(err)
					}
					cmd := exec.Command(helmBin, "template", c.Name, filepath.Join(root, runtimesChart),
						"--namespace", u.Namespace, "-f", vf, "--kube-version", kv, "--include-crds")
					cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+tmp, "HELM_CONFIG_HOME="+tmp, "HELM_DATA_HOME="+tmp)
					cli, err := cmd.Output()
					if err != nil {
						t.Fatalf("helm template: %v\n%s", err, stderr(err))
					}
					want := parseStream(t, string(cli))
					got := canonical(t, sdk)
					if len(got) == 0 {
						t.Fatal("no objects rendered")
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("in-process render differs from helm template:\nsdk:\n%s\ncli:\n%s", strings.Join(got, "---\n"), strings.Join(want, "---\n"))
					}
				})
				compared++
			}
		}
	}
	if compared == 0 {
		t.Fatalf("no component of the lab uses %s", runtimesChart)
	}
	t.Logf("%d distinct values sets compared", compared)
}

func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// parseStream parses a multi-document YAML stream into canonical JSON
// objects, sorted.
func parseStream(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	for _, doc := range strings.Split(s, "\n---") {
		var m map[string]any
		if err := sigsyaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if len(m) == 0 {
			continue
		}
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

func canonical(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var out []string
	for _, o := range objs {
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// TestValuesSchemaErrorNamesTheValue: values that break the chart's
// values.schema.json fail the render with the value's path and the rule.
func TestValuesSchemaErrorNamesTheValue(t *testing.T) {
	root := repoRoot(t)
	caps, err := helm.Capabilities("1.37.0")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"enum", map[string]any{"runtime": "cobol"}, []string{"runtime-api", "/runtime", "cobol"}},
		{"unknown key", map[string]any{"replicas": 2}, []string{"runtime-api", "replicas"}},
		{"nested pattern", map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "lots"}}}, []string{"/resources/requests/cpu"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := loader.LoadDir(filepath.Join(root, runtimesChart))
			if err != nil {
				t.Fatal(err)
			}
			vals, err := helm.Values(tc.values)
			if err != nil {
				t.Fatal(err)
			}
			_, err = helm.Render(ch, vals, helm.Release{Name: "app", Namespace: "ns"}, caps)
			if err == nil {
				t.Fatal("render succeeded; want a schema error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	// And the kubeVersion constraint of Chart.yaml (>=1.30.0-0).
	ch, err := loader.LoadDir(filepath.Join(root, runtimesChart))
	if err != nil {
		t.Fatal(err)
	}
	old, _ := helm.Capabilities("1.29.4")
	if _, err := helm.Render(ch, nil, helm.Release{Name: "app", Namespace: "ns"}, old); err == nil || !strings.Contains(err.Error(), "1.29.4") {
		t.Errorf("kubeVersion constraint: %v", err)
	}
}

// TestRenderDeterministicAcrossConcurrency renders the real lab with one
// worker and with eight: the trees are byte-identical.
func TestRenderDeterministicAcrossConcurrency(t *testing.T) {
	root := repoRoot(t)
	var trees [][]string
	for _, n := range []int{1, 8, 1} {
		src, err := load.Load(root)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := render.Lab(src, render.Options{Concurrency: n})
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		rendered := 0
		for _, p := range tr.Paths() {
			b, _ := tr.File(p)
			files = append(files, p+"\n"+string(b))
			if strings.Contains(string(b), labels.Chart) {
				rendered++
			}
		}
		if rendered == 0 {
			t.Fatal("the lab rendered no chart")
		}
		trees = append(trees, files)
	}
	for i := 1; i < len(trees); i++ {
		if !reflect.DeepEqual(trees[0], trees[i]) {
			t.Fatalf("render %d differs from render 0 (%d vs %d files)", i, len(trees[i]), len(trees[0]))
		}
	}
}

// BenchmarkRenderLab measures load plus render of the real lab as it is
// (its local charts rendered here) and with every chart left to ArgoCD
// (rendered: false everywhere): the difference is what rendering costs.
func BenchmarkRenderLab(b *testing.B) {
	root := repoRoot(b)
	for _, tc := range []struct {
		name     string
		rendered bool
	}{{"charts-rendered", true}, {"charts-to-argocd", false}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			files := 0
			for i := 0; i < b.N; i++ {
				src, err := load.Load(root)
				if err != nil {
					b.Fatal(err)
				}
				if !tc.rendered {
					for _, p := range src.Lab.Phases {
						for _, e := range p.Experiments {
							for _, u := range e.Units() {
								u.Component.Rendered = new(false)
							}
						}
					}
				}
				t, err := render.Lab(src, render.Options{})
				if err != nil {
					b.Fatal(err)
				}
				files = t.Len()
			}
			b.ReportMetric(float64(files), "files")
		})
	}
}
