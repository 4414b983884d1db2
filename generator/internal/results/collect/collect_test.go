package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

func TestReduce(t *testing.T) {
	vals := []float64{3, 1, 4, 1, 5}
	for _, c := range []struct {
		agg  string
		want float64
		err  string
	}{
		{"max", 5, ""}, {"min", 1, ""}, {"avg", 2.8, ""}, {"last", 5, ""},
		{"p99", 0, `unknown aggregation "p99"`},
	} {
		got, err := Reduce(c.agg, vals)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.agg, err, c.err)
			}
			continue
		}
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: got %v, %v; want %v", c.agg, got, err, c.want)
		}
	}
	if _, err := Reduce("max", nil); !errors.Is(err, ErrNoData) {
		t.Errorf("empty: %v", err)
	}
}

func TestQueries(t *testing.T) {
	w := Window{Start: time.Unix(1000, 0), End: time.Unix(1210, 500e6)}
	if got := w.PromDuration(); got != "211s" {
		t.Errorf("PromDuration %q", got)
	}
	cpu, mem := ResourceQueries("exp-a", []string{"exp-a-k6-r1-x.y"}, w)
	for _, want := range []string{`namespace="exp-a"`, `container!="POD"`, `pod!~"exp-a-k6-r1-x\\.y"`, `[211s]`, `increase(container_cpu_usage_seconds_total`} {
		if !strings.Contains(cpu, want) {
			t.Errorf("cpu query %s lacks %s", cpu, want)
		}
	}
	if !strings.Contains(mem, "max_over_time(container_memory_working_set_bytes{") {
		t.Errorf("memory query %s", mem)
	}
	if got := Substitute(`sum(rate(x{namespace="$namespace"}[$window]))`, "ns1", w); got != `sum(rate(x{namespace="ns1"}[211s]))` {
		t.Errorf("Substitute: %s", got)
	}
}

// exporter serves cAdvisor-like series with known values on loopback:
// api's CPU counter grows at 0.5 cores and db's at 0.25, api's working set
// cycles through 100..104 MiB, db's stays at 50 MiB, and the load pod
// (which the collector must leave out) burns 1 core.
type exporter struct {
	t0     time.Time
	scrape atomic.Int64
}

const (
	apiRate, dbRate = 0.5, 0.25
	mib             = 1 << 20
)

func (e *exporter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	n := e.scrape.Add(1)
	s := time.Since(e.t0).Seconds()
	fmt.Fprintf(w, "# TYPE container_cpu_usage_seconds_total counter\n")
	fmt.Fprintf(w, "container_cpu_usage_seconds_total{namespace=%q,pod=%q,container=%q} %g\n", "lab-demo", "api-0", "api", apiRate*s)
	fmt.Fprintf(w, "container_cpu_usage_seconds_total{namespace=%q,pod=%q,container=%q} %g\n", "lab-demo", "db-0", "db", dbRate*s)
	fmt.Fprintf(w, "container_cpu_usage_seconds_total{namespace=%q,pod=%q,container=%q} %g\n", "lab-demo", "lab-demo-k6-r1-abcde", "k6", 1.0*s)
	fmt.Fprintf(w, "container_cpu_usage_seconds_total{namespace=%q,pod=%q,container=%q} %g\n", "lab-demo", "api-0", "POD", 0.01*s)
	fmt.Fprintf(w, "# TYPE container_memory_working_set_bytes gauge\n")
	fmt.Fprintf(w, "container_memory_working_set_bytes{namespace=%q,pod=%q,container=%q} %d\n", "lab-demo", "api-0", "api", (100+n%5)*mib)
	fmt.Fprintf(w, "container_memory_working_set_bytes{namespace=%q,pod=%q,container=%q} %d\n", "lab-demo", "db-0", "db", 50*mib)
	fmt.Fprintf(w, "container_memory_working_set_bytes{namespace=%q,pod=%q,container=%q} %d\n", "lab-demo", "lab-demo-k6-r1-abcde", "k6", 400*mib)
	fmt.Fprintf(w, "# TYPE lab_test_queue_depth gauge\n")
	fmt.Fprintf(w, "lab_test_queue_depth{namespace=%q} 42\n", "lab-demo")
	fmt.Fprintf(w, "lab_test_queue_depth{namespace=%q} 7\n", "other")
}

// promFixture is one Prometheus scraping the exporter, with a window of
// whole seconds fully covered by samples.
type promFixture struct {
	prom *Prometheus
	w    Window
	url  string
}

func startPromFixture(t *testing.T) *promFixture {
	t.Helper()
	begin := time.Now()
	exp := &exporter{t0: time.Now()}
	srv := httptest.NewServer(exp)
	t.Cleanup(srv.Close)
	url := startPrometheus(t, strings.TrimPrefix(srv.URL, "http://"))
	p, err := NewPrometheus(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Step = time.Second
	waitForSamples(t, p, `container_memory_working_set_bytes`, 30*time.Second)
	// The window starts after the first sample and is 6 s long: six or
	// more scrapes, so the memory cycle reaches its 104 MiB peak.
	start := time.Now().Add(time.Second).Truncate(time.Second)
	end := start.Add(6 * time.Second)
	time.Sleep(time.Until(end.Add(1500 * time.Millisecond)))
	t.Logf("prometheus up and 6 s of samples in %s", time.Since(begin).Round(time.Millisecond))
	return &promFixture{prom: p, w: Window{Start: start, End: end}, url: url}
}

func TestPrometheus(t *testing.T) {
	f := startPromFixture(t)
	ctx := context.Background()

	t.Run("resources", func(t *testing.T) {
		got, err := f.prom.Resources(ctx, "lab-demo", []string{"lab-demo-k6-r1-abcde"}, f.w)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Name != "lab-demo/api-0/api" || got[1].Name != "lab-demo/db-0/db" {
			t.Fatalf("containers %+v: want api and db only (no load pod, no pause container)", got)
		}
		secs := f.w.Seconds()
		for i, rate := range []float64{apiRate, dbRate} {
			cs := *got[i].CPUCoreSeconds
			if math.Abs(cs-rate*secs)/(rate*secs) > 0.03 {
				t.Errorf("%s: %.4f core-seconds, want %.4f (%.2f cores over %.0f s)", got[i].Name, cs, rate*secs, rate, secs)
			}
			if avg := cs / secs; math.Abs(avg-rate) > 0.03*rate {
				t.Errorf("%s: average %.4f cores, want %.2f", got[i].Name, avg, rate)
			}
		}
		if m := *got[0].MemoryPeakBytes; m != 104*mib {
			t.Errorf("api memory peak %v, want %d", m, 104*mib)
		}
		if m := *got[1].MemoryPeakBytes; m != 50*mib {
			t.Errorf("db memory peak %v, want %d", m, 50*mib)
		}
	})

	t.Run("resources no data", func(t *testing.T) {
		_, err := f.prom.Resources(ctx, "no-such-namespace", nil, f.w)
		if !errors.Is(err, ErrNoData) {
			t.Fatalf("err %v, want ErrNoData", err)
		}
	})

	t.Run("declared metrics", func(t *testing.T) {
		ms := map[string]*labmodel.Metric{
			"depth":    {Query: `sum(lab_test_queue_depth{namespace="$namespace"})`, Unit: "count", Aggregation: "max"},
			"depth_av": {Query: `sum(lab_test_queue_depth{namespace="$namespace"})`, Unit: "count", Aggregation: "avg"},
			"api_cpu":  {Query: `sum(rate(container_cpu_usage_seconds_total{namespace="$namespace",pod="api-0",container="api"}[$window]))`, Unit: "cores", Aggregation: "last"},
		}
		got, err := f.prom.Metrics(ctx, ms, "lab-demo", f.w)
		if err != nil {
			t.Fatal(err)
		}
		if got["depth"].Value != 42 || got["depth_av"].Value != 42 {
			t.Errorf("depth %+v %+v, want 42", got["depth"], got["depth_av"])
		}
		if v := got["api_cpu"].Value; math.Abs(v-apiRate) > 0.02 {
			t.Errorf("api_cpu %v, want %v", v, apiRate)
		}
		if q := got["api_cpu"].Query; !strings.Contains(q, `namespace="lab-demo"`) || !strings.Contains(q, "[6s]") {
			t.Errorf("query not substituted: %s", q)
		}
	})

	t.Run("declared metrics refused", func(t *testing.T) {
		for _, c := range []struct{ name, query, want string }{
			{"no data", `sum(lab_missing_metric{namespace="$namespace"})`, "no data"},
			{"two series", `lab_test_queue_depth`, "returned 2 series, want one"},
			{"NaN", `sum(lab_test_queue_depth{namespace="$namespace"}) * 0 / 0`, "is NaN"},
			{"negative", `-sum(lab_test_queue_depth{namespace="$namespace"})`, "is negative"},
			{"bad PromQL", `sum(`, "query sum("},
		} {
			ms := map[string]*labmodel.Metric{"m": {Query: c.query, Unit: "count", Aggregation: "max"}}
			got, err := f.prom.Metrics(ctx, ms, "lab-demo", f.w)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "metric m") {
				t.Errorf("%s: got %v, err %v; want an error naming metric m and %q", c.name, got, err, c.want)
			}
		}
	})

	t.Run("collect end to end", func(t *testing.T) {
		testCollectEndToEnd(t, f)
	})
}

// Log sources for tests: the real API server serves logs only through a
// kubelet, which the test environment does not run.
type mapLogs map[string][]byte

func (m mapLogs) Logs(_ context.Context, ns, pod, container string) (io.ReadCloser, error) {
	b, ok := m[ns+"/"+pod+"/"+container]
	if !ok {
		return nil, fmt.Errorf("no log for %s/%s/%s", ns, pod, container)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// demoLab is an experiment "lab" with variant "demo" (namespace lab-demo).
func demoLab() (*labmodel.Lab, *labmodel.Experiment) {
	e := &labmodel.Experiment{
		Name: "lab",
		Components: map[string]*labmodel.Component{
			"prometheus": {Name: "prometheus", Chart: &labmodel.Chart{Repository: "https://prometheus-community.github.io/helm-charts", Name: "prometheus", Version: "27.1.0"}},
		},
		Variants: map[string]*labmodel.Variant{
			"demo": {Name: "demo", Components: map[string]*labmodel.Component{
				"api": {Name: "api", Chart: &labmodel.Chart{Repository: "oci://ghcr.io/example/charts", Name: "api", Version: "1.2.3"}},
				"raw": {Name: "raw", Path: "apps/raw"},
			}},
			"other": {Name: "other"},
		},
		Measure: labmodel.Measure{Metrics: map[string]*labmodel.Metric{
			"queue_depth": {Name: "queue_depth", Query: `sum(lab_test_queue_depth{namespace="$namespace"})`, Unit: "count", Aggregation: "max"},
		}},
		Cost: labmodel.CostQuestion{Pricing: "resources"},
	}
	lab := &labmodel.Lab{CostModel: labmodel.CostModel{Currency: "USD", CPUCoreHour: 0.031611, RAMGiBHour: 0.004237, StorageGiBMonth: 0.04, HoursPerMonth: 730}}
	return lab, e
}

// k6Pod is a finished load pod of run r1 of lab/demo.
func k6Pod(name string, w Window, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "lab-demo",
			Labels: map[string]string{
				"lab.illm.dev/experiment": "lab", "lab.illm.dev/variant": "demo", "lab.illm.dev/run": "r1",
				"app.kubernetes.io/name": "k6",
			},
			Annotations: map[string]string{
				"kubectl.kubernetes.io/default-container": "k6",
				labels.ExpectedDuration:                   "30s",
				labels.ScriptSHA256:                       strings.Repeat("5", 64),
			},
		},
		Spec: corev1.PodSpec{
			NodeName:       "node-k6",
			InitContainers: []corev1.Container{{Name: "warmup", Image: "grafana/k6:1.8.1"}},
			Containers:     []corev1.Container{{Name: "k6", Image: "grafana/k6:1.8.1"}},
			RestartPolicy:  corev1.RestartPolicyNever,
		},
		Status: corev1.PodStatus{
			Phase: phase,
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "k6", Image: "docker.io/grafana/k6:1.8.1",
				ImageID: "docker.io/grafana/k6@sha256:" + strings.Repeat("1", 64),
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 0, StartedAt: metav1.NewTime(w.Start), FinishedAt: metav1.NewTime(w.End),
				}},
			}},
		},
	}
}

func sutPod(name, container, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab-demo"},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{{
				Name: container, Image: "example/" + container + ":1.0",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("64Mi"),
				}},
			}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: container, Image: "docker.io/example/" + container + ":1.0",
				ImageID: "docker.io/example/" + container + "@sha256:" + strings.Repeat("2", 64),
			}},
		},
	}
}

func node(name, typ string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{InstanceTypeLabel: typ}}}
}

// checkCollected asserts what a collection of lab/demo r1 must hold.
func checkCollected(t *testing.T, r *results.Result, f *promFixture, pods int) {
	t.Helper()
	if r.Experiment != "lab" || r.Variant != "demo" || r.RunID != "r1" {
		t.Errorf("identity %s/%s/%s", r.Experiment, r.Variant, r.RunID)
	}
	if r.LoadGenerators != pods || r.Operations.Count != int64(3000*pods) {
		t.Errorf("%d load generators, %d requests; want %d pods merged", r.LoadGenerators, r.Operations.Count, pods)
	}
	if r.Resources == nil || len(r.Resources.Containers) != 2 {
		t.Fatalf("resources %+v", r.Resources)
	}
	api := r.Resources.Containers[0]
	if api.Name != "lab-demo/api-0/api" || api.CPURequestCores == nil || *api.CPURequestCores != 1 || *api.MemoryRequestBytes != 64*mib {
		t.Errorf("api container %+v: want requests from the pod spec", api)
	}
	if r.Metrics["queue_depth"].Value != 42 {
		t.Errorf("metrics %+v", r.Metrics)
	}
	ri := r.Run
	if ri == nil || ri.Namespace != "lab-demo" || ri.WindowStart != f.w.Start.UTC().Format(time.RFC3339) || ri.WindowEnd != f.w.End.UTC().Format(time.RFC3339) {
		t.Fatalf("run info %+v", ri)
	}
	if len(ri.GitCommit) != 40 {
		t.Errorf("git commit %q", ri.GitCommit)
	}
	if ri.ScriptSHA256 != strings.Repeat("5", 64) {
		t.Errorf("script digest %q", ri.ScriptSHA256)
	}
	if r.Tool.Version == nil || *r.Tool.Version != "v1.8.1" {
		t.Errorf("k6 version %v, want the image tag v1.8.1", r.Tool.Version)
	}
	if len(ri.Charts) != 2 || ri.Charts[0].Component != "demo/api" || ri.Charts[0].Version != "1.2.3" || ri.Charts[1].Component != "prometheus" {
		t.Errorf("charts %+v", ri.Charts)
	}
	if len(ri.Nodes) != 3 || ri.Nodes[0] != (results.NodeRef{Name: "node-a", InstanceType: "m6i.large"}) || ri.Nodes[2].Name != "node-k6" {
		t.Errorf("nodes %+v", ri.Nodes)
	}
	var digests int
	for _, im := range ri.Images {
		if strings.Contains(im.ImageID, "@sha256:") {
			digests++
		}
	}
	if digests != pods+2 {
		t.Errorf("images %+v: want %d digests", ri.Images, pods+2)
	}
	c := r.Cost
	if c == nil || c.Method != "workload" || c.PerMillionOperations == nil || c.Total <= 0 {
		t.Fatalf("cost %+v", c)
	}
	// max(request, usage): api requests 1 core and uses 0.5, so CPU is
	// charged at 1 core for api and 1 core for db.
	hours := r.DurationS / 3600
	if want := 2 * 0.031611 * hours; math.Abs(c.CPU-want) > 1e-9 {
		t.Errorf("cpu cost %v, want %v", c.CPU, want)
	}
	if want := c.Total / float64(r.Operations.Count) * 1e6; math.Abs(*c.PerMillionOperations-want) > 1e-12 {
		t.Errorf("per 1M requests %v, want %v", *c.PerMillionOperations, want)
	}
	if want := c.Total / hours * 730; math.Abs(c.MonthlyProjection-want) > 1e-9 {
		t.Errorf("monthly %v, want %v", c.MonthlyProjection, want)
	}
	if err := results.Validate(r, results.Expect{}); err != nil {
		t.Error(err)
	}
}

// testCollectEndToEnd discovers the run's pods on a real kube-apiserver,
// reads usage from the real Prometheus, and logs from files.
func testCollectEndToEnd(t *testing.T, f *promFixture) {
	kube := apiserverClient(t)
	ctx := context.Background()
	mustCreate(t, kube, f.w)
	lab, e := demoLab()
	logs := mapLogs{
		"lab-demo/lab-demo-k6-r1-abcde/k6": readTestdata(t, "k6-pod.log"),
		// Two pods never print the same bytes (their own start lines):
		// identical logs would be one pod's log given twice.
		"lab-demo/lab-demo-k6-r1-fghij/k6": bytes.Replace(readTestdata(t, "k6-pod.log"), []byte(`msg="starting"`), []byte(`msg="starting the second pod"`), 1),
	}
	o := Options{Lab: lab, Experiment: e, Variant: "demo", Run: "r1", RepoRoot: "."}
	r, err := Collect(ctx, Sources{Kube: kube, Logs: logs, Prom: f.prom}, o)
	if err != nil {
		t.Fatal(err)
	}
	checkCollected(t, r, f, 2)
	validateSchema(t, r)

	dir := t.TempDir()
	path, err := CollectAndStore(ctx, Sources{Kube: kube, Logs: logs, Prom: f.prom}, o, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "lab", "demo", "r1.json"); path != want {
		t.Errorf("stored at %s, want %s", path, want)
	}
	if _, err := CollectAndStore(ctx, Sources{Kube: kube, Logs: logs, Prom: f.prom}, o, dir); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("second store: %v", err)
	}

	// Node-hour pricing charges the system under test's nodes, not the
	// load generator's.
	e.Cost.Pricing = "nodes"
	lab.CostModel.NodeHour = map[string]float64{"m6i.large": 0.096, "c6i.xlarge": 0.17, "c6i.2xlarge": 0.34}
	rn, err := Collect(ctx, Sources{Kube: kube, Logs: logs, Prom: f.prom}, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := (0.096 + 0.17) * rn.DurationS / 3600; rn.Cost.Method != "node" || math.Abs(rn.Cost.Total-want) > 1e-12 {
		t.Errorf("node cost %+v, want total %v", rn.Cost, want)
	}
	e.Cost.Pricing = "resources"

	// A declared metric without data refuses the run: nothing is stored.
	e.Measure.Metrics["missing"] = &labmodel.Metric{Name: "missing", Query: `sum(lab_missing{namespace="$namespace"})`, Unit: "count", Aggregation: "last"}
	o.RunID = "r1-again"
	_, err = CollectAndStore(ctx, Sources{Kube: kube, Logs: logs, Prom: f.prom}, o, dir)
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "metric missing") {
		t.Errorf("missing metric: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "lab", "demo", "r1-again.json")); !os.IsNotExist(err) {
		t.Errorf("a refused run was stored (%v)", err)
	}
}

func mustCreate(t *testing.T, kube kubernetes.Interface, w Window) {
	t.Helper()
	ctx := context.Background()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lab-demo"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No controller manager creates the default service account.
	if _, err := kube.CoreV1().ServiceAccounts("lab-demo").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*corev1.Node{node("node-a", "m6i.large"), node("node-b", "c6i.xlarge"), node("node-k6", "c6i.2xlarge")} {
		if _, err := kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pods := []*corev1.Pod{
		k6Pod("lab-demo-k6-r1-abcde", w, corev1.PodSucceeded),
		k6Pod("lab-demo-k6-r1-fghij", w, corev1.PodSucceeded),
		sutPod("api-0", "api", "node-a"),
		sutPod("db-0", "db", "node-b"),
	}
	// Another run's pod must not be picked up.
	other := k6Pod("lab-demo-k6-r2-zzzzz", w, corev1.PodFailed)
	other.Labels["lab.illm.dev/run"] = "r2"
	pods = append(pods, other)
	for _, p := range pods {
		status := p.Status
		created, err := kube.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The API server drops status on create; the kubelet's update is
		// what a real run leaves behind.
		created.Status = status
		if _, err := kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// The log path through client-go: the fake clientset's log stream carries
// the pod log (one pod: the fake cannot tell pods apart in log requests).
func TestLogsThroughClientGo(t *testing.T) {
	w := Window{Start: time.Unix(1_800_000_000, 0), End: time.Unix(1_800_000_030, 0)}
	cs := fake.NewClientset(k6Pod("lab-demo-k6-r1-abcde", w, corev1.PodSucceeded))
	log := readTestdata(t, "k6-pod.log")
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		if o, ok := a.(k8stesting.GenericAction).GetValue().(*corev1.PodLogOptions); !ok || o.Container != "k6" {
			return true, nil, fmt.Errorf("log of the wrong container: %+v", a)
		}
		return true, &runtime.Unknown{Raw: log}, nil
	})
	pods, err := RunPods(context.Background(), cs, "lab-demo", RunSelector("lab", "demo", "r1"))
	if err != nil {
		t.Fatal(err)
	}
	r, k6v, err := parseLogs(context.Background(), KubeLogs{Client: cs}, pods)
	if err != nil {
		t.Fatal(err)
	}
	if r.Operations.Count != 3000 || r.SourceFormat != results.FormatSummary || k6v != "" {
		t.Errorf("requests %d, format %s, version %q", r.Operations.Count, r.SourceFormat, k6v)
	}
	// k6 prints its version (k6 version) before the run: it wins over the tag.
	withVersion := append([]byte("k6 v1.9.0-rc.1 (commit/0123abc, go1.26.8, linux/amd64)\n"), log...)
	_, k6v, err = parseLogs(context.Background(), mapLogs{"lab-demo/lab-demo-k6-r1-abcde/k6": withVersion}, pods)
	if err != nil || k6v != "v1.9.0-rc.1" {
		t.Errorf("version from the log: %q, %v", k6v, err)
	}
	got, err := RunWindow(pods)
	if err != nil || !got.Start.Equal(w.Start) || !got.End.Equal(w.End) {
		t.Errorf("window %v, %v", got, err)
	}
}

// Broken runs and hostile logs are refused with a clear error before
// anything is stored.
func TestCollectRefuses(t *testing.T) {
	w := Window{Start: time.Unix(1_800_000_000, 0), End: time.Unix(1_800_000_030, 0)}
	good := readTestdata(t, "k6-pod.log")
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("testdata lacks %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	summaryEnd := bytes.Index(good, []byte("K6_SUMMARY_END"))
	for _, c := range []struct {
		name string
		log  []byte
		pod  func(*corev1.Pod)
		want string
	}{
		{"truncated log", good[:summaryEnd-200], nil, "K6_SUMMARY_END"},
		{"corrupt JSON", replace(`"http_reqs":{`, `"http_reqs":{{`), nil, "pod log lab-demo-k6-r1-abcde.log (summary between markers): line 1 (byte offset 554): invalid character"},
		{"NaN", replace(`"testRunDurationMs":30012.5`, `"testRunDurationMs":NaN`), nil, "pod log lab-demo-k6-r1-abcde.log (summary between markers): line 1 (byte offset 521): invalid character 'N'"},
		{"negative count", replace(`"count":3000,"rate"`, `"count":-3000,"rate"`), nil, `metric "http_reqs": count is -3000`},
		{"unknown metric type", replace(`"type":"counter"`, `"type":"histogram"`), nil, "histogram"},
		{"no summary", []byte("k6 crashed\n"), nil, "K6_SUMMARY_BEGIN"},
		{"pod failed", good, func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }, "is Failed"},
		{"still running", good, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
		}, "has not terminated"},
		{"shorter than declared", good, func(p *corev1.Pod) { p.Annotations[labels.ExpectedDuration] = "45s" }, "shorter than the declared 45s"},
		{"bad declared duration", good, func(p *corev1.Pod) { p.Annotations[labels.ExpectedDuration] = "soon" }, `annotation lab.illm.dev/expected-duration: time: invalid duration "soon"`},
		{"non-zero exit", good, func(p *corev1.Pod) { p.Status.ContainerStatuses[0].State.Terminated.ExitCode = 107 }, "exited with code 107"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := k6Pod("lab-demo-k6-r1-abcde", w, corev1.PodSucceeded)
			if c.pod != nil {
				c.pod(p)
			}
			cs := fake.NewClientset(p)
			lab, e := demoLab()
			// Collection fails before Prometheus is asked: a closed port.
			prom, err := NewPrometheus("http://127.0.0.1:1", nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			_, err = CollectAndStore(context.Background(), Sources{Kube: cs, Prom: prom, Logs: mapLogs{"lab-demo/lab-demo-k6-r1-abcde/k6": c.log}},
				Options{Lab: lab, Experiment: e, Variant: "demo", Run: "r1", RepoRoot: "."}, dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want it to mention %q", err, c.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("something was stored: %v", ents)
			}
		})
	}
}

func TestCollectRefusesBadNames(t *testing.T) {
	lab, e := demoLab()
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Variant: "nope", Run: "r1"}, `no variant "nope"`},
		{Options{Variant: "", Run: "r1"}, "has variants"},
		{Options{Variant: "demo", Run: "../r1"}, "run"},
	} {
		c.o.Lab, c.o.Experiment = lab, e
		_, err := Collect(context.Background(), Sources{}, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}

func TestPriceNodes(t *testing.T) {
	iters := int64(1000)
	r := &results.Result{Operations: results.Operations{Unit: results.UnitRequests, Count: 2_000_000}, Iterations: &iters, DurationS: 1800}
	cm := labmodel.CostModel{Currency: "EUR", HoursPerMonth: 720, NodeHour: map[string]float64{"m6i.large": 0.1, "c6i.xlarge": 0.2}}
	nodes := []results.NodeRef{{Name: "a", InstanceType: "m6i.large"}, {Name: "b", InstanceType: "m6i.large"}, {Name: "c", InstanceType: "c6i.xlarge"}}
	if err := Price(r, cm, "nodes", nodes); err != nil {
		t.Fatal(err)
	}
	// (2 × 0.1 + 0.2) per hour for half an hour.
	if c := r.Cost; math.Abs(c.Total-0.2) > 1e-12 || math.Abs(*c.PerMillionOperations-0.1) > 1e-12 || math.Abs(c.MonthlyProjection-0.4*720) > 1e-9 || c.Currency != "EUR" {
		t.Errorf("cost %+v", c)
	}
	if err := Price(r, cm, "nodes", []results.NodeRef{{Name: "x"}}); err == nil || !strings.Contains(err.Error(), InstanceTypeLabel) {
		t.Errorf("unlabelled node: %v", err)
	}
	if err := Price(r, cm, "nodes", []results.NodeRef{{Name: "x", InstanceType: "t3.nano"}}); err == nil || !strings.Contains(err.Error(), "t3.nano") {
		t.Errorf("unpriced type: %v", err)
	}
	if err := Price(r, cm, "spot", nodes); err == nil {
		t.Error("unknown pricing accepted")
	}
}

func TestLoadPodsMustAgree(t *testing.T) {
	w := Window{Start: time.Unix(1_800_000_000, 0), End: time.Unix(1_800_000_030, 0)}
	a, b := k6Pod("a", w, corev1.PodSucceeded), k6Pod("b", w, corev1.PodSucceeded)
	b.Annotations[labels.ScriptSHA256] = strings.Repeat("6", 64)
	_, err := podAnnotation([]corev1.Pod{*a, *b}, labels.ScriptSHA256)
	if err == nil || !strings.Contains(err.Error(), "load pods disagree on lab.illm.dev/script-sha256") {
		t.Errorf("different scripts in one run: %v", err)
	}
	if d, err := podAnnotationDuration([]corev1.Pod{*a, *a}, labels.ExpectedDuration); err != nil || d != 30*time.Second {
		t.Errorf("duration %v, %v", d, err)
	}
}
