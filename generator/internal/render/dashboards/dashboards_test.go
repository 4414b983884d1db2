package dashboards_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/dashboards"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/synth"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// labDir copies testdata/lab beside the schema and applies edits (file ->
// content) to it.
func labDir(t *testing.T, edits map[string]string) string {
	t.Helper()
	root := t.TempDir()
	if err := synth.CopySchema(golden.RepoRoot(t), root); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(root, os.DirFS("testdata/lab")); err != nil {
		t.Fatal(err)
	}
	for f, body := range edits {
		if err := os.WriteFile(filepath.Join(root, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func renderLab(t *testing.T, root string) *tree.Tree {
	t.Helper()
	src, err := load.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Lab(src, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// dashboardFiles are the files this package adds to a tree.
func dashboardFiles(tr *tree.Tree) map[string][]byte {
	out := map[string][]byte{}
	for _, p := range tr.Paths() {
		if strings.HasPrefix(p, dashboards.Dir+"/") || strings.HasSuffix(p, "/dashboards.yaml") {
			b, _ := tr.File(p)
			out[p] = b
		}
	}
	return out
}

// TestGolden renders the test lab's dashboards, rules and Applications,
// compares them with testdata/golden, checks that a second render gives
// the same bytes and that every object validates as the API server would.
func TestGolden(t *testing.T) {
	root := labDir(t, nil)
	tr := renderLab(t, root)
	files := dashboardFiles(tr)
	golden.Dir(t, "testdata/golden", files)
	again := dashboardFiles(renderLab(t, root))
	for p, b := range files {
		if string(again[p]) != string(b) {
			t.Errorf("%s differs between two renders", p)
		}
	}
	if rep := validate.Default().Tree(tr); len(rep.Errors) > 0 {
		t.Fatalf("rendered objects do not validate: %v", rep.Errors)
	}
	// Only the hub conducts the platform, where Grafana runs.
	if _, ok := files["clusters/edge/dashboards.yaml"]; ok {
		t.Error("edge has no Grafana, but got a dashboards Application")
	}
	app := string(files["clusters/hub/dashboards.yaml"])
	for _, want := range []string{"include: '{lab/*.yaml,experiments/platform.yaml,experiments/web.yaml}'", "project: platform", "namespace: monitoring"} {
		if !strings.Contains(app, want) {
			t.Errorf("hub Application lacks %q:\n%s", want, app)
		}
	}
	cm := string(files["apps/dashboards/experiments/web.yaml"])
	for _, want := range []string{"grafana_dashboard: \"1\"", "namespace: monitoring", `\"web-alpha\"`} {
		if !strings.Contains(cm, strings.ReplaceAll(want, `\"`, `"`)) {
			t.Errorf("web dashboard lacks %q", want)
		}
	}
}

// TestNoGrafanaNoDashboards: a lab without kube-prometheus-stack (or with
// its Grafana off) renders no dashboards.
func TestNoGrafanaNoDashboards(t *testing.T) {
	b, err := os.ReadFile("testdata/lab/phases/lab.cue")
	if err != nil {
		t.Fatal(err)
	}
	off := strings.Replace(string(b), "values: grafana: enabled: true", "values: grafana: enabled: false", 1)
	tr := renderLab(t, labDir(t, map[string]string{"phases/lab.cue": off}))
	if f := dashboardFiles(tr); len(f) != 0 {
		t.Errorf("rendered %d dashboard files without Grafana", len(f))
	}
}

// TestEveryQueryParses: every expression of every dashboard and rule of
// the lab parses after substituting each namespace of its experiment.
func TestEveryQueryParses(t *testing.T) {
	for _, q := range labQueries(t) {
		if _, err := dashboards.Parse(q.expr); err != nil {
			t.Errorf("%s: %s: %v\n%s", q.file, q.title, err, q.expr)
		}
	}
}

type labQuery struct {
	file, title, expr string
}

// labQueries are the real lab's dashboard and rule expressions with
// $namespace and $window substituted as the dashboard opens.
func labQueries(t *testing.T) []labQuery {
	t.Helper()
	src, err := load.Load(golden.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	files, err := dashboards.Panels(src.Lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the lab renders no dashboards")
	}
	var out []labQuery
	for _, f := range slicesSorted(files) {
		for _, p := range files[f] {
			out = append(out, labQuery{f, p.Title, dashboards.Substitute(p.Expr, p.Namespace, dashboards.DefaultWindow)})
		}
	}
	return out
}

func slicesSorted(m dashboards.Files) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
