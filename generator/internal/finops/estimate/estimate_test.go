package estimate

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

const hdr = "# generated from phases/x.cue by `go run ./generator render`; do not edit\n"

// prices are round numbers so that expected figures are easy to check:
// 1 per core-hour, 0.5 per GiB-hour, 0.1 per GiB-month, 100 h a month.
var prices = Prices{Model: cost.Model{CPUCoreHour: 1, RAMGiBHour: 0.5, StorageGiBMonth: 0.1, Currency: "USD"}, HoursPerMonth: 100}

func labTree() Files {
	f := Files{
		"apps/mesh/web/namespaces.yaml": []byte(hdr + `apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: v1
kind: Namespace
metadata:
  labels:
    istio.io/rev: web
  name: web-mesh
---
apiVersion: v1
kind: Namespace
metadata:
  name: web-plain
`),
		// A rendered local chart: 3 replicas of (1 core, 1 GiB) with a bigger init container.
		"apps/mesh/web/values/mesh/app.yaml":         []byte(hdr + "replicaCount: 3\n"),
		"apps/mesh/web/mesh/app/kustomization.yaml":  []byte(hdr + "commonAnnotations:\n  lab.illm.dev/chart: app-1.0.0\nresources:\n- deployment.yaml\n- statefulset.yaml\n"),
		"apps/mesh/web/mesh/app/deployment.yaml":     []byte(hdr + deployment),
		"apps/mesh/web/mesh/app/statefulset.yaml":    []byte(hdr + statefulset),
		"apps/mesh/web/values/plain/app.yaml":        []byte(hdr + "replicaCount: 1\n"),
		"apps/mesh/web/plain/app/kustomization.yaml": []byte(hdr + "resources:\n- job.yaml\n"),
		"apps/mesh/web/plain/app/job.yaml":           []byte(hdr + "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\n"),
		// A remote chart: two workloads priced from values, one disabled, one storage.
		"apps/mesh/web/values/mesh/istiod.yaml": []byte(hdr + `global:
  proxy:
    resources:
      requests: {cpu: 500m, memory: 512Mi}
      limits: {cpu: "1", memory: 1Gi}
pilot:
  replicaCount: 2
  resources:
    requests: {cpu: "1", memory: 2Gi}
  persistence:
    size: 10Gi
    storageClass: standard
grafana:
  enabled: false
  resources:
    requests: {cpu: "8", memory: 8Gi}
cert:
  privateKey: {size: 256}
extra:
  container:
    resources:
      limits: {cpu: 250m, memory: 256Mi}
`),
		// A remote chart whose values set nothing to price.
		"apps/mesh/web/values/routes.yaml":  []byte(hdr + "routes: [a, b]\n"),
		"benchmarks/web/mesh/job-r1.yaml":   []byte(hdr + benchJob),
		"benchmarks/web/mesh/job-r2.yaml":   []byte(hdr + benchJob),
		"clusters/hub/root.yaml":            []byte(hdr + "kind: Application\n"),
		"clusters/hub/experiments/web.yaml": []byte(hdr + "kind: ApplicationSet\n"),
		"clusters/edge/root.yaml":           []byte(hdr + "kind: Application\n"),
	}
	return f
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  template:
    spec:
      initContainers:
      - name: migrate
        resources:
          requests: {cpu: "2", memory: 512Mi}
      containers:
      - name: api
        resources:
          requests: {cpu: 500m, memory: 1Gi}
          limits: {cpu: "1", memory: 2Gi}
      - name: log
        resources:
          requests: {cpu: 500m}
`

const statefulset = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: db
        resources:
          requests: {cpu: 250m, memory: 1Gi}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      resources:
        requests:
          storage: 5Gi
`

const benchJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: web-mesh-k6
spec:
  activeDeadlineSeconds: 7200
  template:
    metadata:
      annotations:
        lab.illm.dev/expected-duration: 1h0m0s
    spec:
      containers:
      - name: k6
        resources:
          requests: {cpu: "1", memory: 1Gi}
`

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func find(t *testing.T, r *Report, variant, comp string) Component {
	t.Helper()
	for _, e := range r.Experiments {
		for _, c := range e.Components {
			if c.Variant == variant && c.Name == comp {
				return c
			}
		}
	}
	t.Fatalf("no component %s/%s", variant, comp)
	return Component{}
}

func hasReason(r *Report, variant, comp, substr string) bool {
	for _, u := range r.NotPriced {
		if u.Variant == variant && u.Component == comp && strings.Contains(u.Reason, substr) {
			return true
		}
	}
	return false
}

func TestEstimateFigures(t *testing.T) {
	r, err := Estimate(labTree(), Options{Prices: prices})
	if err != nil {
		t.Fatal(err)
	}
	// Deployment: per pod max(init 2 cores, containers 1 core) = 2 cores,
	// memory max(0.5, 1) = 1 GiB; the second container's memory is unknown.
	// StatefulSet: 2 × (0.25 core, 1 GiB) and 2 × 5 GiB.
	app := find(t, r, "mesh", "app")
	near(t, "mesh/app cpu", app.CPURequestCores, 3*2+2*0.25)
	near(t, "mesh/app memory", app.MemoryRequestBytes, (3*1+2*1)*cost.GiB)
	near(t, "mesh/app storage", app.StorageBytes, 10*cost.GiB)
	// 6.5 cores × 1 × 100 h + 5 GiB × 0.5 × 100 h + 10 GiB × 0.1.
	near(t, "mesh/app monthly", app.Monthly, 650+250+1)
	if app.Chart != "app-1.0.0" || app.Source != "rendered" {
		t.Errorf("chart %q source %q", app.Chart, app.Source)
	}
	if !hasReason(r, "mesh", "app", "Deployment/api container log: no memory request") {
		t.Errorf("missing memory request of container log not listed: %+v", r.NotPriced)
	}

	// istiod: pilot 2 × (1 core, 2 GiB) + the sidecar 3 app pods × (0.5, 0.5 GiB)
	// (the namespace is injected; the StatefulSet's 2 pods too: 5 pods);
	// extra's container limits stand for its requests (1 replica, assumed);
	// grafana is disabled; privateKey.size is no volume; persistence is
	// per replica.
	ist := find(t, r, "mesh", "istiod")
	near(t, "istiod cpu", ist.CPURequestCores, 2*1+5*0.5+0.25)
	near(t, "istiod memory", ist.MemoryRequestBytes, (2*2+5*0.5+0.25)*cost.GiB)
	near(t, "istiod storage", ist.StorageBytes, 2*10*cost.GiB)
	if !hasReason(r, "mesh", "istiod", "values extra.container: replicas not set") {
		t.Errorf("assumed replica count not listed: %+v", r.NotPriced)
	}
	if !hasReason(r, "mesh", "istiod", "objects left to the chart's defaults are not priced") {
		t.Errorf("remote chart defaults not listed")
	}

	routes := find(t, r, "", "routes")
	if routes.Priced() || routes.Monthly != 0 {
		t.Errorf("routes priced: %+v", routes)
	}
	if !hasReason(r, "", "routes", "not priced") {
		t.Errorf("unpriced remote chart not listed")
	}
	if !hasReason(r, "plain", "app", "Job/once: runs to completion") {
		t.Errorf("one-off Job not listed")
	}

	// Benchmark: 2 Jobs × 1 h × (1 core + 1 GiB × 0.5) = 3; deadline 2 h: 6.
	e := r.Experiments[0]
	if e.Benchmark == nil {
		t.Fatal("no benchmark")
	}
	near(t, "benchmark", e.Benchmark.Cost, 3)
	near(t, "benchmark max", e.Benchmark.MaxCost, 6)
	near(t, "experiment total", e.Monthly, app.Monthly+ist.Monthly+find(t, r, "plain", "app").Monthly)
	near(t, "lab total", r.Monthly, e.Monthly)
	if r.MonthlyAtLimits < r.Monthly {
		t.Errorf("limits %v below requests %v", r.MonthlyAtLimits, r.Monthly)
	}
}

// TestEstimateSharedMesh: a namespace injected by a mesh whose proxy
// resources are a shared set's values (Linkerd's control plane) prices no
// sidecar, and says so on the components with pods there, not on the
// others.
func TestEstimateSharedMesh(t *testing.T) {
	f := labTree()
	f["apps/mesh/web/namespaces.yaml"] = []byte(hdr + `apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: v1
kind: Namespace
metadata:
  labels:
    istio.io/rev: web
  name: web-mesh
---
apiVersion: v1
kind: Namespace
metadata:
  annotations:
    linkerd.io/inject: enabled
  name: web-plain
---
apiVersion: v1
kind: Namespace
metadata:
  annotations:
    linkerd.io/inject: enabled
  name: web-linkerd
`)
	f["apps/mesh/web/values/linkerd/app.yaml"] = []byte(hdr + "replicaCount: 3\n")
	f["apps/mesh/web/linkerd/app/kustomization.yaml"] = []byte(hdr + "resources:\n- deployment.yaml\n")
	f["apps/mesh/web/linkerd/app/deployment.yaml"] = []byte(hdr + deployment)
	r, err := Estimate(f, Options{Prices: prices})
	if err != nil {
		t.Fatal(err)
	}
	app := find(t, r, "linkerd", "app")
	near(t, "linkerd/app cpu", app.CPURequestCores, 3*2)
	for _, w := range app.Workloads {
		if w.Kind == "sidecar" {
			t.Errorf("a sidecar priced without a proxy template: %+v", w)
		}
	}
	if !hasReason(r, "linkerd", "app", "sidecars of its pods in web-linkerd (linkerd.io/inject=enabled) are not priced: the proxy's resources are the values of a shared control plane") {
		t.Errorf("shared mesh's sidecars not listed: %+v", r.NotPriced)
	}
	// The plain variant's Job has no workload to mesh; the Istio variant
	// has its own template, priced as before.
	if ist := find(t, r, "mesh", "istiod"); ist.CPURequestCores != 2*1+5*0.5+0.25 {
		t.Errorf("istiod's sidecars: %v cores", ist.CPURequestCores)
	}
	if hasReason(r, "plain", "app", "shared control plane") || hasReason(r, "mesh", "app", "shared control plane") {
		t.Errorf("listed where no pod is meshed by a shared control plane: %+v", r.NotPriced)
	}
}

// TestEstimateJobToACount: a Job that runs to a count of operations has no
// declared load time: its run is left out of the cost, its deadline kept
// in the most it can cost, and it is counted.
func TestEstimateJobToACount(t *testing.T) {
	f := labTree()
	f["benchmarks/web/mesh/job-r2.yaml"] = []byte(hdr + strings.Replace(benchJob, "lab.illm.dev/expected-duration: 1h0m0s", `lab.illm.dev/expected-operations: "1000000"`, 1))
	r, err := Estimate(f, Options{Prices: prices})
	if err != nil {
		t.Fatal(err)
	}
	b := r.Experiments[0].Benchmark
	if b == nil || b.Jobs != 2 || b.ToCount != 1 {
		t.Fatalf("benchmark %+v: want 2 Jobs, 1 to a count", b)
	}
	near(t, "benchmark", b.Cost, 1.5)
	near(t, "benchmark max", b.MaxCost, 6)
	var out strings.Builder
	if err := r.Text(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 run to a count of operations, priced at their deadline only") {
		t.Errorf("text lacks the Job run to a count:\n%s", out.String())
	}
}

func TestEstimateSelect(t *testing.T) {
	r, err := Estimate(labTree(), Options{Prices: prices, Cluster: "edge"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Experiments) != 0 || r.Monthly != 0 {
		t.Errorf("edge conducts nothing, got %+v", r.Experiments)
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Prices: prices, Cluster: "nope"}, `cluster "nope": no clusters/nope/ in the tree (clusters: edge, hub)`},
		{Options{Prices: prices, Experiment: "nope"}, `experiment "nope": no apps/<phase>/nope/`},
		{Options{Prices: prices, Cluster: "edge", Experiment: "web"}, `experiment "web" is not conducted on cluster edge`},
		{Options{Prices: Prices{Model: cost.Model{CPUCoreHour: -1, Currency: "USD"}, HoursPerMonth: 1}}, "cpuCoreHour must be a finite non-negative number"},
		{Options{Prices: Prices{Model: prices.Model}}, "hoursPerMonth must be positive"},
	} {
		if _, err := Estimate(labTree(), tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestEstimateRefusesBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, file, body, want string
	}{
		{"no duration", "benchmarks/web/mesh/job-r1.yaml", strings.Replace(benchJob, "1h0m0s", "soon", 1),
			`benchmarks/web/mesh/job-r1.yaml: spec.template.metadata.annotations[lab.illm.dev/expected-duration]: "soon" is not a positive duration`},
		{"neither duration nor operations", "benchmarks/web/mesh/job-r1.yaml", strings.Replace(benchJob, "lab.illm.dev/expected-duration: 1h0m0s", "other: x", 1),
			"benchmarks/web/mesh/job-r1.yaml: spec.template.metadata.annotations: neither lab.illm.dev/expected-duration nor lab.illm.dev/expected-operations"},
		{"no deadline", "benchmarks/web/mesh/job-r1.yaml", strings.Replace(benchJob, "activeDeadlineSeconds: 7200", "backoffLimit: 0", 1),
			"benchmarks/web/mesh/job-r1.yaml: spec.activeDeadlineSeconds"},
		{"bad yaml", "apps/mesh/web/mesh/app/deployment.yaml", "kind: Deployment\nspec: {replicas: [}\n", "apps/mesh/web/mesh/app/deployment.yaml: document 1"},
		{"missing resource", "apps/mesh/web/mesh/app/kustomization.yaml", "resources:\n- gone.yaml\n", "resource gone.yaml is not in the tree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := labTree()
			f[tc.file] = []byte(tc.body)
			_, err := Estimate(f, Options{Prices: prices})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	base, err := Estimate(labTree(), Options{Prices: prices})
	if err != nil {
		t.Fatal(err)
	}
	f := labTree()
	// The change: one more pilot replica, routes gone, a new variant.
	f["apps/mesh/web/values/mesh/istiod.yaml"] = bytes.Replace(f["apps/mesh/web/values/mesh/istiod.yaml"], []byte("replicaCount: 2"), []byte("replicaCount: 3"), 1)
	delete(f, "apps/mesh/web/values/routes.yaml")
	f["apps/mesh/web/values/plain/cache.yaml"] = []byte(hdr + "resources:\n  requests: {cpu: 100m, memory: 128Mi}\nreplicas: 1\n")
	cur, err := Estimate(f, Options{Prices: prices})
	if err != nil {
		t.Fatal(err)
	}
	d := Compare("main", base, cur)
	// +1 pilot: 1 core × 100 + 2 GiB × 0.5 × 100 + 10 GiB × 0.1 = 201;
	// cache: 0.1 × 100 + 0.125 × 0.5 × 100 = 16.25.
	near(t, "delta", d.Monthly, 201+16.25)
	if got, want := d.Headline(), "+$217.2/month: +$201 web/mesh, +$16.25 web/plain, web (removed, not priced)"; got != want {
		t.Errorf("headline %q, want %q", got, want)
	}
	var md bytes.Buffer
	if err := d.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(md.String(), Marker+"\n") {
		t.Errorf("comment does not start with its marker")
	}
	golden.File(t, "testdata/diff.golden.md", md.Bytes())
	var txt bytes.Buffer
	if err := cur.Text(&txt); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/report.golden.txt", txt.Bytes())
	j, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(j) {
		t.Fatal("invalid JSON")
	}
	same := Compare("main", base, base)
	if got := same.Headline(); !strings.HasPrefix(got, "No change in what the tree asks for: $") {
		t.Errorf("no-change headline %q", got)
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		cur  string
		v    float64
		want string
	}{{"USD", 12.345, "$12.35"}, {"USD", -3, "-$3"}, {"EUR", 1234.5, "1234 EUR"}, {"USD", 0, "$0"}} {
		if got := Money(tc.cur, tc.v); got != tc.want {
			t.Errorf("Money(%s, %v) = %q, want %q", tc.cur, tc.v, got, tc.want)
		}
	}
	if got := Signed("USD", 2); got != "+$2" {
		t.Errorf("Signed = %q", got)
	}
}
