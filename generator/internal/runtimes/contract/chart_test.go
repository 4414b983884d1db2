package contract

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"sigs.k8s.io/yaml"
)

const chartDir = "apps/runtimes/chart"

var costKeys = []string{"lab.illm.dev/phase", "lab.illm.dev/experiment", "lab.illm.dev/variant", "lab.illm.dev/component", "lab.illm.dev/cost-center"}

// helmBinary is the pinned Helm CLI that scripts/tools.sh builds.
func helmBinary(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "tools.sh"), "--print", "helm").Output()
	path := strings.TrimSpace(string(out))
	if err != nil || path == "" {
		missing(t, "helm: scripts/tools.sh --print helm failed: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		missing(t, "helm CLI not built: run scripts/tools.sh helm (%v)", err)
	}
	return path
}

func helmTemplate(t *testing.T, helm, root string, args ...string) ([]byte, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helm, append([]string{"template", "app", filepath.Join(root, chartDir), "--namespace", "lab-test"}, args...)...)
	// Keep Helm away from the user's config and caches.
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return out, nil
}

type object = map[string]any

func splitDocs(t *testing.T, manifest []byte) []object {
	t.Helper()
	var docs []object
	for _, d := range bytes.Split(manifest, []byte("\n---")) {
		var o object
		if err := yaml.Unmarshal(d, &o); err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, d)
		}
		if len(o) > 0 {
			docs = append(docs, o)
		}
	}
	return docs
}

// get walks a path of map keys and list indexes.
func get(o any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := o.(map[string]any)
			o = m[k]
		case int:
			l, _ := o.([]any)
			if k >= len(l) {
				return nil
			}
			o = l[k]
		}
	}
	return o
}

func TestChartRenders(t *testing.T) {
	root := repoRoot(t)
	helm := helmBinary(t, root)
	wantSchema, err := os.ReadFile(filepath.Join(root, "apps/runtimes/contract/schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range []string{"", "go", "rust", "dotnet", "node", "bun"} {
		name := rt
		var args []string
		if rt == "" {
			name, rt = "default", "go"
		} else {
			args = []string{"--set", "runtime=" + rt}
		}
		t.Run(name, func(t *testing.T) {
			out, err := helmTemplate(t, helm, root, args...)
			if err != nil {
				t.Fatal(err)
			}
			golden.File(t, filepath.Join("testdata", "chart", name+".yaml"), out)
			checkRendered(t, splitDocs(t, out), rt, wantSchema)
		})
	}
}

func checkRendered(t *testing.T, docs []object, runtime string, wantSchema []byte) {
	byKind := map[string]object{}
	for _, d := range docs {
		kind, _ := d["kind"].(string)
		name, _ := get(d, "metadata", "name").(string)
		if _, dup := byKind[kind]; dup {
			t.Errorf("two %s objects", kind)
		}
		byKind[kind] = d
		if ns := get(d, "metadata", "namespace"); ns != nil {
			t.Errorf("%s/%s: hard-coded namespace %v", kind, name, ns)
		}
		checkCostLabels(t, kind+"/"+name, get(d, "metadata", "labels"), runtime)
	}
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "Cluster"} {
		if byKind[kind] == nil {
			t.Fatalf("no %s rendered", kind)
		}
	}

	dep := byKind["Deployment"]
	pod := get(dep, "spec", "template")
	checkCostLabels(t, "Deployment pod template", get(pod, "metadata", "labels"), runtime)
	c := get(pod, "spec", "containers", 0)
	if img, want := get(c, "image"), "ghcr.io/illm-k8s-ai-lab/runtime-"+runtime+":1.0.0"; img != want {
		t.Errorf("image %v, want %s", img, want)
	}
	for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
		if p := get(c, probe, "httpGet", "path"); p != "/health" {
			t.Errorf("%s path %v, want /health", probe, p)
		}
	}
	if get(pod, "spec", "securityContext", "runAsNonRoot") != true || get(c, "securityContext", "readOnlyRootFilesystem") != true ||
		get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("container must run non-root, read-only, without privilege escalation: %v", get(c, "securityContext"))
	}
	var dbSecret any
	for _, e := range get(c, "env").([]any) {
		if get(e, "name") == "DATABASE_URL" {
			dbSecret = get(e, "valueFrom", "secretKeyRef", "name")
		}
	}
	cluster := byKind["Cluster"]
	if cluster["apiVersion"] != "postgresql.cnpg.io/v1" || get(cluster, "spec", "instances") != float64(1) {
		t.Errorf("Cluster: apiVersion %v instances %v, want postgresql.cnpg.io/v1 and 1", cluster["apiVersion"], get(cluster, "spec", "instances"))
	}
	if want := fmt.Sprint(get(cluster, "metadata", "name")) + "-app"; dbSecret != want {
		t.Errorf("DATABASE_URL from secret %v, want CloudNativePG's %s", dbSecret, want)
	}
	checkCostLabels(t, "Cluster inheritedMetadata", get(cluster, "spec", "inheritedMetadata", "labels"), runtime)
	if got := get(byKind["ConfigMap"], "data", "schema.sql"); got != string(wantSchema) {
		t.Errorf("ConfigMap schema.sql differs from apps/runtimes/contract/schema.sql (copy it to %s/files/schema.sql)", chartDir)
	}

	svc := byKind["Service"]
	if fmt.Sprint(get(svc, "spec", "selector")) != fmt.Sprint(get(dep, "spec", "selector", "matchLabels")) {
		t.Errorf("Service selector %v does not match the Deployment's %v", get(svc, "spec", "selector"), get(dep, "spec", "selector", "matchLabels"))
	}
	// Benchmarks address the API as http://runtime-api.<namespace>.svc:8080.
	if get(svc, "metadata", "name") != "runtime-api" || get(svc, "spec", "ports", 0, "port") != float64(8080) {
		t.Errorf("Service %v port %v, want runtime-api:8080", get(svc, "metadata", "name"), get(svc, "spec", "ports", 0, "port"))
	}
}

func checkCostLabels(t *testing.T, what string, labels any, runtime string) {
	t.Helper()
	m, _ := labels.(map[string]any)
	for _, k := range costKeys {
		if v, _ := m[k].(string); v == "" {
			t.Errorf("%s: cost label %s missing", what, k)
		}
	}
	if v := m["lab.illm.dev/variant"]; v != runtime {
		t.Errorf("%s: variant label %v, want the runtime %s", what, v, runtime)
	}
}

func TestChartRejectsBadValues(t *testing.T) {
	root := repoRoot(t)
	helm := helmBinary(t, root)
	tests := []struct {
		name string
		args []string
	}{
		{"unknown runtime", []string{"--set", "runtime=java"}},
		{"latest tag", []string{"--set", "image.tag=latest"}},
		{"negative replicas", []string{"--set", "replicaCount=-1"}},
		{"bad label value", []string{"--set", "costLabels.variant=not a label"}},
		{"empty phase", []string{"--set", "costLabels.phase="}},
		{"env overrides DATABASE_URL", []string{"--set", "env.DATABASE_URL=x"}},
		{"unknown value", []string{"--set", "replicas=2"}},
		{"latest database image", []string{"--set", "database.imageName=ghcr.io/cloudnative-pg/postgresql:latest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := helmTemplate(t, helm, root, tt.args...)
			if err == nil {
				t.Fatalf("rendered, want a values.schema.json error:\n%.300s", out)
			}
			if !strings.Contains(err.Error(), "schema") {
				t.Errorf("error does not come from the values schema: %v", err)
			}
		})
	}
}

func TestChartOptions(t *testing.T) {
	root := repoRoot(t)
	helm := helmBinary(t, root)
	out, err := helmTemplate(t, helm, root, "--set", "database.enabled=false", "--set", "serviceMonitor.enabled=true",
		"--set-string", "env.GOMAXPROCS=2", "--set", "costLabels.variant=go-pgo", "--set", "replicaCount=3")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]object{}
	for _, d := range splitDocs(t, out) {
		kinds[d["kind"].(string)] = d
	}
	if kinds["Cluster"] != nil || kinds["ConfigMap"] != nil {
		t.Error("database.enabled=false still renders the database")
	}
	if kinds["ServiceMonitor"] == nil {
		t.Error("serviceMonitor.enabled=true renders no ServiceMonitor")
	}
	dep := kinds["Deployment"]
	if get(dep, "spec", "replicas") != float64(3) {
		t.Errorf("replicas %v, want 3", get(dep, "spec", "replicas"))
	}
	if v := get(dep, "spec", "template", "metadata", "labels", "lab.illm.dev/variant"); v != "go-pgo" {
		t.Errorf("variant label %v, want go-pgo", v)
	}
	env := fmt.Sprint(get(dep, "spec", "template", "spec", "containers", 0, "env"))
	if !strings.Contains(env, "GOMAXPROCS") || strings.Contains(env, "DATABASE_URL") {
		t.Errorf("env %s: want GOMAXPROCS and no DATABASE_URL", env)
	}
}

// TestChartRendersLabValues renders the chart with every values file the
// generator wrote for it (apps/<phase>/<experiment>/values/.../*.yaml with a
// runtime key): what ArgoCD will render must pass the chart's schema.
func TestChartRendersLabValues(t *testing.T) {
	root := repoRoot(t)
	helm := helmBinary(t, root)
	var files []string
	for _, pattern := range []string{"apps/*/*/values/*.yaml", "apps/*/*/values/*/*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var vals map[string]any
		if err := yaml.Unmarshal(data, &vals); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		runtime, ok := vals["runtime"].(string)
		if !ok {
			continue
		}
		n++
		rel, _ := filepath.Rel(root, f)
		t.Run(rel, func(t *testing.T) {
			out, err := helmTemplate(t, helm, root, "-f", f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range splitDocs(t, out) {
				labels, _ := get(d, "metadata", "labels").(map[string]any)
				want := get(vals, "costLabels", "variant")
				if want == nil || want == "" {
					want = runtime
				}
				if labels["lab.illm.dev/variant"] != want {
					t.Errorf("%v/%v: variant label %v, want %v", d["kind"], get(d, "metadata", "name"), labels["lab.illm.dev/variant"], want)
				}
			}
		})
	}
	t.Logf("rendered %d values files", n)
}
