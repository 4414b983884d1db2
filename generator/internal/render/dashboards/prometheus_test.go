package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	pmodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/dashboards"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// tool finds a binary of Debian's prometheus package (scripts/services.sh
// installs it). Missing: the test skips, or fails under LAB_REQUIRE_TOOLS=1.
func tool(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test that needs " + name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		p = "/usr/bin/" + name
	}
	if _, err := os.Stat(p); err != nil {
		msg := fmt.Sprintf("%s not installed (%v): run bash scripts/services.sh install", name, err)
		if os.Getenv("LAB_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// rulesFile extracts the groups of the rendered PrometheusRule as a
// Prometheus rule file.
func rulesFile(t *testing.T, tr []byte) []byte {
	t.Helper()
	var pr struct {
		Kind string `json:"kind"`
		Spec struct {
			Groups []any `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(tr, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Kind != "PrometheusRule" || len(pr.Spec.Groups) == 0 {
		t.Fatalf("not a PrometheusRule with groups: %s", tr)
	}
	b, err := yaml.Marshal(map[string]any{"groups": pr.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRulesPromtool checks the lab's rendered PrometheusRule with
// promtool check rules, then runs promtool test rules on it: a namespace
// whose CPU allocation triples fires LabNamespaceCostSpike and
// LabExperimentCostSpike after the for window and not before; a steady
// one never does; missing node prices fire LabCostPricesMissing.
func TestRulesPromtool(t *testing.T) {
	promtool := tool(t, "promtool")
	root := golden.RepoRoot(t)
	body, err := os.ReadFile(filepath.Join(root, dashboards.Dir, "lab", "cost-anomalies.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rulesFile(t, body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, dir, promtool, "check", "rules", "rules.yaml")
	if !strings.Contains(out, "SUCCESS: 5 rules found") {
		t.Fatalf("promtool check rules: %s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(rulesTest), 0o644); err != nil {
		t.Fatal(err)
	}
	out = run(t, dir, promtool, "test", "rules", "test.yaml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: %s", out)
	}
	// The test can fail: a test expecting the spike alert on the steady
	// namespace is refused by promtool.
	wrong := strings.Replace(rulesTest, "exp_alerts: # steady never fires\n", "exp_alerts: # steady never fires\n          - exp_labels: {severity: warning, lab: illm-lab, namespace: steady}\n", 1)
	if wrong == rulesTest {
		t.Fatal("test fixture lacks its steady case")
	}
	if err := os.WriteFile(filepath.Join(dir, "wrong.yaml"), []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "wrong.yaml")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("promtool accepted a wrong expectation:\n%s", b)
	}
}

// rulesTest: every minute for 70 h, 1 core and 1 GiB in each namespace at
// 0.03 per core-hour and 0.004 per GiB-hour (0.034 an hour); namespace
// spiky triples its cores from hour 30 on.
const rulesTest = `rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'container_cpu_allocation{namespace="spiky",pod="p",container="c",node="n1",instance="i"}'
        values: '1x1800 3x2400'
      - series: 'container_memory_allocation_bytes{namespace="spiky",pod="p",container="c",node="n1",instance="i"}'
        values: '1073741824x4200'
      - series: 'container_cpu_allocation{namespace="steady",pod="p",container="c",node="n1",instance="i"}'
        values: '1x4200'
      - series: 'container_memory_allocation_bytes{namespace="steady",pod="p",container="c",node="n1",instance="i"}'
        values: '1073741824x4200'
      - series: 'node_cpu_hourly_cost{node="n1",instance="oc",instance_type="kind-node"}'
        values: '0.03x4200'
      - series: 'node_ram_hourly_cost{node="n1",instance="oc",instance_type="kind-node"}'
        values: '0.004x4200'
      - series: 'kube_namespace_labels{namespace="spiky",label_lab_illm_dev_experiment="spiky-exp"}'
        values: '1x4200'
      - series: 'kube_namespace_labels{namespace="steady",label_lab_illm_dev_experiment="steady-exp"}'
        values: '1x4200'
    promql_expr_test:
      - expr: lab:namespace_hourly_cost:sum{namespace="steady"}
        eval_time: 1h
        exp_samples:
          - labels: 'lab:namespace_hourly_cost:sum{namespace="steady"}'
            value: 0.034
      - expr: lab:experiment_hourly_cost:sum{label_lab_illm_dev_experiment="spiky-exp"}
        eval_time: 31h
        exp_samples:
          - labels: 'lab:experiment_hourly_cost:sum{label_lab_illm_dev_experiment="spiky-exp"}'
            value: 0.094
    alert_rule_test:
      - alertname: LabNamespaceCostSpike
        eval_time: 30h20m
        exp_alerts: []
      - alertname: LabNamespaceCostSpike
        eval_time: 31h
        exp_alerts:
          - exp_labels: {severity: warning, lab: illm-lab, namespace: spiky}
            exp_annotations:
              summary: The hourly cost of namespace spiky is above 1.5× its 1d average
              description: namespace spiky costs 0.0940 USD an hour (OpenCost allocation), more than 1.5 times its average over 1d, for 30m.
      - alertname: LabNamespaceCostSpike
        eval_time: 35h
        exp_alerts: # steady never fires
          - exp_labels: {severity: warning, lab: illm-lab, namespace: spiky}
            exp_annotations:
              summary: The hourly cost of namespace spiky is above 1.5× its 1d average
              description: namespace spiky costs 0.0940 USD an hour (OpenCost allocation), more than 1.5 times its average over 1d, for 30m.
      # 12 h into the spike it is the new normal of the 1 d average.
      - alertname: LabNamespaceCostSpike
        eval_time: 45h
        exp_alerts: []
      - alertname: LabExperimentCostSpike
        eval_time: 31h
        exp_alerts:
          - exp_labels: {severity: warning, lab: illm-lab, label_lab_illm_dev_experiment: spiky-exp}
            exp_annotations:
              summary: The hourly cost of experiment spiky-exp is above 1.5× its 1d average
              description: experiment spiky-exp costs 0.0940 USD an hour (OpenCost allocation), more than 1.5 times its average over 1d, for 30m.
      - alertname: LabCostPricesMissing
        eval_time: 2h
        exp_alerts: []
  - interval: 1m
    input_series:
      - series: 'container_cpu_allocation{namespace="spiky",pod="p",container="c",node="n1",instance="i"}'
        values: '1x120'
    alert_rule_test:
      - alertname: LabCostPricesMissing
        eval_time: 90m
        exp_alerts:
          - exp_labels: {severity: warning, lab: illm-lab}
            exp_annotations:
              summary: "OpenCost exports no node prices: the lab's costs cannot be computed"
              description: "node_cpu_hourly_cost or node_ram_hourly_cost has been absent for an hour: every cost panel and cost alert reads nothing (not zero). Check the opencost component of the platform experiment."
`

// TestDashboardQueriesReturnData writes, for every series selector of every
// dashboard query of the lab, series that match it (OpenMetrics, turned
// into TSDB blocks by promtool tsdb create-blocks-from openmetrics),
// starts a real Prometheus on them and runs every query: each must return
// data. A query whose selectors or joins cannot all be satisfied by the
// series it names returns nothing and fails.
func TestDashboardQueriesReturnData(t *testing.T) {
	promtool := tool(t, "promtool")
	prom := tool(t, "prometheus")
	qs := labQueries(t)
	var panels []labQuery
	for _, q := range qs {
		// Rules are tested with promtool test rules; absent() returns
		// data only when series are missing.
		if strings.HasSuffix(q.file, "cost-anomalies.yaml") {
			continue
		}
		panels = append(panels, q)
	}
	dir := t.TempDir()
	end := time.Unix(1_750_000_000, 0).UTC()
	om := openMetrics(t, panels, end)
	if err := os.WriteFile(filepath.Join(dir, "series.om"), om, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, promtool, "tsdb", "create-blocks-from", "openmetrics", "series.om", "data")
	base := startPrometheus(t, prom, dir)
	seen := map[string]bool{}
	n := 0
	for _, q := range panels {
		if seen[q.expr] {
			continue
		}
		seen[q.expr] = true
		n++
		res, err := instant(base, q.expr, end)
		if err != nil {
			t.Errorf("%s: %s: %v\n%s", q.file, q.title, err, q.expr)
			continue
		}
		if res == 0 {
			t.Errorf("%s: %s: no data\n%s", q.file, q.title, q.expr)
		}
	}
	// The check can fail: a series nobody wrote returns nothing.
	if res, err := instant(base, `sum(rate(lab_never_written_total[5m]))`, end); err != nil || res != 0 {
		t.Errorf("a query of a series never written returned %d results (%v)", res, err)
	}
	if n < 100 {
		t.Errorf("only %d distinct queries: the lab's dashboards lost their panels?", n)
	}
	t.Logf("%d distinct dashboard queries returned data from a real Prometheus", n)
}

// base labels every synthetic series carries, so that joins on namespace,
// pod, container or node match.
var baseLabels = map[string]string{
	"namespace": "lab-ns", "pod": "lab-pod-0", "container": "app", "node": "node-1",
	"instance": "10.0.0.1:9100", "job": "lab", "persistentvolumeclaim": "data", "persistentvolume": "pv-1",
}

// value satisfying a matcher, preferring the base label's value.
func satisfy(m *labels.Matcher, base string) (string, bool) {
	cands := []string{base}
	if m.Type == labels.MatchEqual {
		return m.Value, true
	}
	if m.Type == labels.MatchRegexp {
		for _, alt := range strings.Split(m.Value, "|") {
			alt = strings.NewReplacer(`\.`, ".", ".*", "x", ".+", "x", "..", "00").Replace(alt)
			cands = append(cands, alt)
		}
	}
	cands = append(cands, "x", "500", "lab-x", "0")
	for _, c := range cands {
		if c != "" && m.Matches(c) {
			return c, true
		}
	}
	return "", m.Matches("")
}

type omSeries struct {
	name   string
	labels map[string]string
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// openMetrics writes two hours of samples, every 15 s up to end, of series
// satisfying every selector of the queries. Buckets get le labels; all
// series increase, so rates are positive.
func openMetrics(t *testing.T, qs []labQuery, end time.Time) []byte {
	t.Helper()
	byKey := map[string]omSeries{}
	for _, q := range qs {
		expr, err := dashboards.Parse(q.expr)
		if err != nil {
			t.Fatalf("%s: %v", q.expr, err)
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			vs, ok := n.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			ls := map[string]string{}
			for k, v := range baseLabels {
				ls[k] = v
			}
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == pmodel.MetricNameLabel {
					if m.Type == labels.MatchEqual {
						name = m.Value
					}
					continue
				}
				v, ok := satisfy(m, ls[m.Name])
				if !ok {
					t.Fatalf("%s: cannot satisfy %s", q.expr, m)
				}
				if v == "" {
					delete(ls, m.Name)
				} else {
					ls[m.Name] = v
				}
			}
			if name == "" {
				t.Fatalf("%s: selector without a metric name", q.expr)
			}
			// OpenCost's label metrics carry the lab's cost labels.
			if name == "kube_pod_labels" || name == "kube_namespace_labels" {
				for _, l := range []string{"label_lab_illm_dev_experiment", "label_lab_illm_dev_component", "label_lab_illm_dev_phase", "label_lab_illm_dev_variant"} {
					if _, ok := ls[l]; !ok {
						ls[l] = "lab-x"
					}
				}
			}
			les := []string{""}
			if strings.HasSuffix(name, "_bucket") {
				les = []string{"0.005", "0.1", "1", "+Inf"}
			}
			for _, le := range les {
				s := omSeries{name: name, labels: map[string]string{}}
				for k, v := range ls {
					s.labels[k] = v
				}
				if le != "" {
					s.labels["le"] = le
				}
				byKey[seriesKey(s)] = s
			}
			return nil
		})
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	const step, points = 15, 480
	for _, k := range keys {
		s := byKey[k]
		var parts []string
		for _, l := range sortedKeys(s.labels) {
			if !labelName.MatchString(l) {
				t.Fatalf("label %q of %s", l, s.name)
			}
			parts = append(parts, fmt.Sprintf("%s=%q", l, s.labels[l]))
		}
		mult := 1.0
		if le, ok := s.labels["le"]; ok {
			mult = map[string]float64{"0.005": 1, "0.1": 5, "1": 9, "+Inf": 10}[le]
		}
		for i := 0; i < points; i++ {
			ts := end.Unix() - int64((points-1-i)*step)
			fmt.Fprintf(&b, "%s{%s} %s %d\n", s.name, strings.Join(parts, ","), strconv.FormatFloat(mult*float64(i+1), 'f', -1, 64), ts)
		}
	}
	b.WriteString("# EOF\n")
	return b.Bytes()
}

func seriesKey(s omSeries) string {
	var b strings.Builder
	b.WriteString(s.name)
	for _, k := range sortedKeys(s.labels) {
		b.WriteString("\x00" + k + "=" + s.labels[k])
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func startPrometheus(t *testing.T, bin, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 15s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--storage.tsdb.retention.time=100y")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus exited:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus not ready after 30s:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// instant runs one instant query and returns how many series or samples
// it returned.
func instant(base, q string, at time.Time) (int, error) {
	resp, err := http.PostForm(base+"/api/v1/query", url.Values{"query": {q}, "time": {strconv.FormatInt(at.Unix(), 10)}})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("%s", r.Error)
	}
	if r.Data.ResultType == "scalar" {
		return 1, nil
	}
	var v []any
	if err := json.Unmarshal(r.Data.Result, &v); err != nil {
		return 0, err
	}
	return len(v), nil
}
