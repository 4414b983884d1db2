package benchjobs

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/markers"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunMain(m)) }

const repoRoot = "../../../.."

// newLab writes a lab root in a temporary folder: the repository's
// cue.mod and schema, and the given phases files; it returns its path.
func newLab(t *testing.T, phases map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"cue.mod", "schema"} {
		files, err := filepath.Glob(filepath.Join(repoRoot, sub, "*.cue"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s/*.cue in the repository: %v", sub, err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "phases"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range phases {
		if err := os.WriteFile(filepath.Join(dir, "phases", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testdataPhases(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("testdata/lab/phases/*.cue")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata lab: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func render(t *testing.T, root string) (*load.Source, *tree.Tree) {
	t.Helper()
	src, err := load.Load(root)
	if err != nil {
		t.Fatalf("load %s:\n%v", root, err)
	}
	tr := tree.New()
	var exps []*model.Experiment
	for _, pn := range slices.Sorted(maps.Keys(src.Lab.Phases)) {
		for _, en := range slices.Sorted(maps.Keys(src.Lab.Phases[pn].Experiments)) {
			exps = append(exps, src.Lab.Phases[pn].Experiments[en])
		}
	}
	if err := Render(src.Lab, exps, tr); err != nil {
		t.Fatalf("render: %v", err)
	}
	return src, tr
}

// TestGolden compares the rendered benchmark of the testdata lab with
// testdata/golden (go test -run TestGolden -update rewrites it).
func TestGolden(t *testing.T) {
	_, tr := render(t, newLab(t, testdataPhases(t)))
	golden.Tree(t, "testdata/golden", tr)
	want := []string{
		"benchmarks/web-comparison/alpha/configmap.yaml",
		"benchmarks/web-comparison/alpha/job-r1.yaml",
		"benchmarks/web-comparison/alpha/job-r2.yaml",
		"benchmarks/web-comparison/beta/configmap.yaml",
		"benchmarks/web-comparison/beta/job-r1.yaml",
		"benchmarks/web-comparison/beta/job-r2.yaml",
		"benchmarks/web-comparison/kustomization.yaml",
	}
	if ps := tr.Paths(); strings.Join(ps, "\n") != strings.Join(want, "\n") {
		t.Errorf("rendered paths:\n%s\nwant:\n%s", strings.Join(ps, "\n"), strings.Join(want, "\n"))
	}
}

// scripts renders every benchmark of a lab and returns its scripts by
// experiment, with the experiments.
func scripts(t *testing.T, root string) map[string]*model.Experiment {
	t.Helper()
	src, _ := render(t, root)
	out := map[string]*model.Experiment{}
	for _, p := range src.Lab.Phases {
		for _, e := range p.Experiments {
			if e.Benchmark != nil {
				out[e.Name] = e
			}
		}
	}
	return out
}

// needNode finds Node.js: on PATH, else the pinned one that
// scripts/runtimes.sh installs into the cache.
func needNode(t *testing.T) string {
	t.Helper()
	if node, err := exec.LookPath("node"); err == nil {
		return node
	}
	if cache, err := cachedir.Dir(os.Getenv); err == nil {
		if m, _ := filepath.Glob(filepath.Join(cache, "tools", "node-*", "node_modules", "node-linux-*", "bin", "node")); len(m) > 0 {
			return m[len(m)-1]
		}
	}
	const msg = "node is not installed: install Node.js 20 or later, or run: bash scripts/runtimes.sh build node"
	if testenv.RequireTools() {
		t.Fatal(msg + " (LAB_REQUIRE_TOOLS=1)")
	}
	t.Skip(msg)
	return ""
}

// TestScriptsParse runs `node --check` on every script the lab renders
// (the repository's own and the testdata lab's) and checks that each holds
// its declared scenarios and thresholds.
func TestScriptsParse(t *testing.T) {
	node := needNode(t)
	labs := map[string]string{"repository": repoRoot, "testdata": newLab(t, testdataPhases(t))}
	n := 0
	for _, ln := range slices.Sorted(maps.Keys(labs)) {
		exps := scripts(t, labs[ln])
		for _, en := range slices.Sorted(maps.Keys(exps)) {
			e := exps[en]
			n++
			t.Run(ln+"/"+en, func(t *testing.T) {
				script, err := Script(e, "test.cue")
				if err != nil {
					t.Fatal(err)
				}
				f := filepath.Join(t.TempDir(), en+".mjs")
				if err := os.WriteFile(f, script, 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
					t.Fatalf("node --check %s: %v\n%s", f, err, out)
				}
				s := string(script)
				for sn := range e.Benchmark.Scenarios {
					if !strings.Contains(s, js(sn)+": { executor: "+js(e.Benchmark.Scenarios[sn].Executor)) {
						t.Errorf("scenario %s (%s) missing from the script", sn, e.Benchmark.Scenarios[sn].Executor)
					}
				}
				for m, exprs := range e.Benchmark.Thresholds {
					if !strings.Contains(s, js(m)+": "+js(exprs)) {
						t.Errorf("threshold %s %v missing from the script", m, exprs)
					}
				}
				for _, m := range []string{markers.Begin, markers.End, "export function handleSummary", "export const options"} {
					if !strings.Contains(s, m) {
						t.Errorf("script lacks %q", m)
					}
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no benchmark rendered: the test checked nothing")
	}
}

// Node ESM hooks that stand in for k6's modules, so the generated script
// runs as it is: the stubs record each request and check.
const hooks = `
const stubs = {
  'k6': 'export function check(res, checks) { for (const [name, fn] of Object.entries(checks)) { globalThis.__checks.push([name, fn(res)]); } return true; }',
  'k6/http': 'export default { request(method, url, body, params) { globalThis.__calls.push({ method, url, body, params }); return globalThis.__respond(method, url, params); } };',
  'k6/execution': 'export default globalThis.__exec;',
};
export async function resolve(specifier, context, next) {
  if (specifier in stubs) {
    return { url: 'data:text/javascript,' + encodeURIComponent(stubs[specifier]), shortCircuit: true };
  }
  return next(specifier, context);
}
`

const driver = `
import { register } from 'node:module';
const [script, scenario, iterations, warmup] = process.argv.slice(2);
globalThis.__ENV = { LAB_TARGET: 'http://target.ns.svc:8080', LAB_NAMESPACE: 'ns', LAB_VARIANT: 'alpha', LAB_EXPERIMENT: 'exp', LAB_RUN: 'r1' };
if (warmup === '1') globalThis.__ENV.LAB_WARMUP = '1';
globalThis.__calls = [];
globalThis.__checks = [];
globalThis.__exec = { scenario: { name: scenario, iterationInTest: 0 } };
globalThis.__respond = (method, url, params) => ({ status: method === 'POST' ? 201 : 200, body: params.responseType === 'text' ? '{"id":1}' : null });
register('./hooks.mjs', import.meta.url);
const m = await import(script);
for (let i = 0; i < Number(iterations); i++) {
  globalThis.__exec.scenario.iterationInTest = i;
  m.iterate();
}
const summary = m.handleSummary({ metrics: { iterations: { type: 'counter', values: { count: Number(iterations) } } } });
process.stdout.write(JSON.stringify({ options: m.options, calls: globalThis.__calls, checks: globalThis.__checks, summary }));
`

type run struct {
	Options struct {
		Scenarios  map[string]map[string]any `json:"scenarios"`
		Thresholds map[string][]string       `json:"thresholds"`
		TrendStats []string                  `json:"summaryTrendStats"`
	} `json:"options"`
	Calls []struct {
		Method string         `json:"method"`
		URL    string         `json:"url"`
		Body   *string        `json:"body"`
		Params map[string]any `json:"params"`
	} `json:"calls"`
	Checks  [][2]any          `json:"checks"`
	Summary map[string]string `json:"summary"`
}

func runScript(t *testing.T, node string, script []byte, scenario string, iterations int, warmup bool) run {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string][]byte{"hooks.mjs": []byte(hooks), "driver.mjs": []byte(driver), "script.mjs": script} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := "0"
	if warmup {
		w = "1"
	}
	cmd := exec.Command(node, "driver.mjs", "./script.mjs", scenario, strings.TrimSpace(js(iterations)), w)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node driver: %v\n%s", err, stderr.String())
	}
	var r run
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("driver output: %v\n%s", err, out)
	}
	return r
}

// TestScriptRuns executes the testdata lab's script under Node with k6's
// modules stubbed: the weighted mix is exact, URLs and checks are right,
// and handleSummary prints what the results collector extracts.
func TestScriptRuns(t *testing.T) {
	node := needNode(t)
	exps := scripts(t, newLab(t, testdataPhases(t)))
	e := exps["web-comparison"]
	script, err := Script(e, "test.cue")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("measured", func(t *testing.T) {
		// weights: external 1, read 3, write 1 (sorted by name): 5 a cycle.
		r := runScript(t, node, script, "steady", 50, false)
		count := map[string]int{}
		for i, c := range r.Calls {
			name, _ := c.Params["tags"].(map[string]any)["name"].(string)
			count[name]++
			// The order within a cycle is fixed: external, read x3, write.
			want := []string{"external", "read", "read", "read", "write"}[i%5]
			if name != want {
				t.Fatalf("iteration %d ran %s, want %s", i, name, want)
			}
			switch name {
			case "external":
				if c.URL != "http://stub.ns.svc/ping" || c.Method != "GET" {
					t.Errorf("external: %s %s", c.Method, c.URL)
				}
			case "read":
				if c.URL != "http://target.ns.svc:8080/items?id=1" || c.Params["responseType"] != "text" {
					t.Errorf("read: %s params %v", c.URL, c.Params)
				}
			case "write":
				if c.Method != "POST" || c.Body == nil || *c.Body != `{"name":"x"}` {
					t.Errorf("write: %s body %v", c.Method, c.Body)
				}
			}
		}
		if count["external"] != 10 || count["read"] != 30 || count["write"] != 10 {
			t.Errorf("mix over 50 iterations = %v, want external 10, read 30, write 10", count)
		}
		for _, c := range r.Checks {
			if c[1] != true {
				t.Errorf("check %v failed on a matching response", c)
			}
		}
		if len(r.Checks) != 50+30 { // a status check each, a body check on reads
			t.Errorf("%d checks, want 80", len(r.Checks))
		}
		if got := slices.Sorted(maps.Keys(r.Options.Scenarios)); strings.Join(got, ",") != "ramp,steady" {
			t.Errorf("scenarios %v", got)
		}
		if s := r.Options.Scenarios["steady"]; s["executor"] != "constant-arrival-rate" || s["rate"] != 50.0 || s["timeUnit"] != "1s" || s["exec"] != "iterate" {
			t.Errorf("steady = %v", s)
		}
		if got := r.Options.Thresholds["http_req_duration{scenario:steady}"]; strings.Join(got, ",") != "p(95)<250,avg<100" {
			t.Errorf("thresholds = %v", r.Options.Thresholds)
		}
		if strings.Join(r.Options.TrendStats, ",") != "avg,min,med,max,p(90),p(95),p(99),count" {
			t.Errorf("summaryTrendStats = %v", r.Options.TrendStats)
		}
		out, err := markers.Extract(strings.NewReader("k6 log line\n" + r.Summary["stdout"] + "more log\n"))
		if err != nil {
			t.Fatalf("the collector cannot extract the printed summary: %v\n%q", err, r.Summary["stdout"])
		}
		var data map[string]any
		if err := json.Unmarshal(out, &data); err != nil {
			t.Fatalf("summary between markers is not JSON: %v", err)
		}
		if r.Summary[ResultsDir+"/summary.json"] != strings.TrimSpace(string(out)) {
			t.Errorf("summary.json differs from the printed summary")
		}
	})

	t.Run("ramp uses its own requests", func(t *testing.T) {
		r := runScript(t, node, script, "ramp", 7, false)
		for _, c := range r.Calls {
			if name := c.Params["tags"].(map[string]any)["name"]; name != "read" {
				t.Errorf("ramp ran %v, declared only read", name)
			}
		}
	})

	t.Run("warmup", func(t *testing.T) {
		r := runScript(t, node, script, "warmup", 5, true)
		if got := slices.Sorted(maps.Keys(r.Options.Scenarios)); strings.Join(got, ",") != "warmup" {
			t.Errorf("warm-up scenarios %v", got)
		}
		if len(r.Options.Thresholds) != 0 {
			t.Errorf("warm-up has thresholds %v", r.Options.Thresholds)
		}
		if len(r.Summary) != 0 {
			t.Errorf("warm-up prints a summary: %v", r.Summary)
		}
		if len(r.Calls) != 5 {
			t.Errorf("warm-up made %d calls, want 5", len(r.Calls))
		}
	})
}

// TestJobs checks the Jobs' contract with ArgoCD, the cluster's policies
// and the results collector.
func TestJobs(t *testing.T) {
	_, tr := render(t, newLab(t, testdataPhases(t)))
	waves := map[string]string{}
	for _, p := range tr.Paths() {
		if !strings.Contains(p, "/job-") {
			continue
		}
		body, _ := tr.File(p)
		var j struct {
			Metadata struct {
				Name        string            `json:"name"`
				Namespace   string            `json:"namespace"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec map[string]any `json:"spec"`
		}
		if err := yaml.Unmarshal(body, &j); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		variant := strings.Split(p, "/")[2]
		rep := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "job-"), ".yaml")
		if want := regexp.MustCompile(`^web-comparison-` + variant + `-k6-` + rep + `-[0-9a-f]{8}$`); !want.MatchString(j.Metadata.Name) {
			t.Errorf("%s: name %s, want %s", p, j.Metadata.Name, want)
		}
		if want := "web-comparison-" + variant; j.Metadata.Namespace != want {
			t.Errorf("%s: namespace %s, want %s", p, j.Metadata.Namespace, want)
		}
		for k, v := range map[string]string{
			"lab.illm.dev/experiment": "web-comparison", "lab.illm.dev/variant": variant,
			"lab.illm.dev/run": rep, "lab.illm.dev/component": "k6", "lab.illm.dev/cost-center": "lab",
		} {
			if j.Metadata.Labels[k] != v {
				t.Errorf("%s: label %s=%q, want %q", p, k, j.Metadata.Labels[k], v)
			}
		}
		// Ordinary resources in sync waves, not hooks: a second sync of
		// an unchanged benchmark must not run it again (docs/adr/0004).
		if h, ok := j.Metadata.Annotations["argocd.argoproj.io/hook"]; ok {
			t.Errorf("%s: a %s hook; the Jobs are ordinary resources", p, h)
		}
		if _, ok := j.Spec["ttlSecondsAfterFinished"]; ok {
			t.Errorf("%s: ttlSecondsAfterFinished set: a Job deleted by its TTL would be recreated, and rerun, by the next sync", p)
		}
		waves[variant+"/"+rep] = j.Metadata.Annotations["argocd.argoproj.io/sync-wave"]
		if j.Spec["backoffLimit"] != 0.0 {
			t.Errorf("%s: backoffLimit %v", p, j.Spec["backoffLimit"])
		}
		s := string(body)
		for _, want := range []string{"image: grafana/k6:1.8.1", "restartPolicy: Never", "readOnlyRootFilesystem: true",
			"runAsUser: 12345", "type: RuntimeDefault", "- ALL", "mountPath: /results", "mountPath: /tmp"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q", p, want)
			}
		}
	}
	// Repetitions interleave: r1 of every variant before any r2.
	want := map[string]string{"alpha/r1": "1", "beta/r1": "2", "alpha/r2": "3", "beta/r2": "4"}
	for k, v := range want {
		if waves[k] != v {
			t.Errorf("sync waves = %v, want %v", waves, want)
			break
		}
	}
	body, _ := tr.File("benchmarks/web-comparison/beta/job-r1.yaml")
	// ramp ends last: startTime 1m + stages 30s + 30s = 2m declared; the
	// deadline adds its graceful stop (30s), the warm-up (10s + 30s) and
	// five minutes to start: 490s.
	for _, want := range []string{"lab.illm.dev/expected-duration: 2m0s", "activeDeadlineSeconds: 490"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("beta/job-r1 lacks %q", want)
		}
	}
	if !strings.Contains(string(body), "value: http://beta-server.web-comparison-beta.svc:9090/api") {
		t.Errorf("beta's target override not applied:\n%s", body)
	}
}

// TestBadInput: bad benchmarks fail to load or render, with an error that
// names the field (and, from CUE, the file and line).
func TestBadInput(t *testing.T) {
	base := testdataPhases(t)
	cases := []struct {
		name, edit string // edit is CUE unified with _benchmark
		want       []string
	}{
		{"unknown executor", `scenarios: steady: executor: "per-vu-iterations"`, []string{"benchmark.cue:", "scenarios.steady.executor", "per-vu-iterations"}},
		{"zero duration", `scenarios: steady: duration: "0s"`, []string{"scenarios.steady.duration", `"0s"`}},
		{"bad duration unit", `warmup: duration: "10 seconds"`, []string{"warmup.duration"}},
		{"malformed threshold", `thresholds: "http_req_duration": ["p95 < 250"]`, []string{"thresholds.http_req_duration", "p95 < 250"}},
		{"threshold metric with a space", `thresholds: "http req": ["avg<1"]`, []string{"http req"}},
		{"zero weight", `requests: read: weight: 0`, []string{"requests.read.weight"}},
		{"negative weight", `requests: read: weight: -2`, []string{"requests.read.weight"}},
		{"missing executor parameter", `scenarios: more: {executor: "constant-vus", vus: 2}`, []string{"scenarios.more.duration", "required"}},
		{"unknown field", `scenarios: steady: iterations: 10`, []string{"scenarios.steady.iterations", "not allowed"}},
		{"status out of range", `requests: read: checks: status: 42`, []string{"requests.read.checks.status"}},
		{"no repetitions", `repetitions: 0`, []string{"repetitions"}},
		{"executor takes no vus", `scenarios: steady: vus: 3`, []string{"benchmark.scenarios.steady.vus: executor constant-arrival-rate does not take vus"}},
		{"path and url", `requests: read: url: "http://x.svc/"`, []string{"benchmark.requests.read: path and url are both set"}},
		{"neither path nor url", `requests: nothing: weight: 1`, []string{"benchmark.requests.nothing: set path"}},
		{"unknown scenario request", `scenarios: more: {executor: "constant-vus", vus: 1, duration: "1m", requests: ["read", "delete"]}`, []string{`benchmark.scenarios.more.requests[1]: no request "delete"`}},
		{"unknown variant target", `targets: gamma: "http://g.svc"`, []string{`benchmark.targets.gamma: no variant "gamma"`}},
		{"threshold on unknown scenario", `thresholds: "http_req_duration{scenario:spike}": ["p(99)<1"]`, []string{`no scenario "spike"`}},
		{"threshold on unknown request", `thresholds: "http_req_duration{name:reed}": ["p(99)<1"]`, []string{`no request "reed"`}},
		{"scenario named warmup", `scenarios: warmup: {executor: "constant-vus", vus: 1, duration: "1m"}`, []string{`benchmark.scenarios.warmup: the name "warmup" is the warm-up's`}},
		{"maxVUs below preAllocatedVUs", `scenarios: more: {executor: "constant-arrival-rate", rate: 1, duration: "1m", preAllocatedVUs: 5, maxVUs: 2}`, []string{"benchmark.scenarios.more.maxVUs: maxVUs 2 is below preAllocatedVUs 5"}},
		{"a run of hours", `scenarios: more: {executor: "constant-vus", vus: 1, duration: "7h"}`, []string{"benchmark.scenarios: one run, warm-up included, lasts up to 7h0m40s, above the 6h a run may last"}},
		{"body on GET", `requests: read: body: "x"`, []string{"benchmark.requests.read.body: a GET request has no body"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			phases := map[string]string{}
			for k, v := range base {
				phases[k] = v
			}
			phases["edit.cue"] = "package phases\n\n_benchmark: {\n" + c.edit + "\n}\n"
			root := newLab(t, phases)
			var err error
			src, lerr := load.Load(root)
			if lerr != nil {
				err = lerr
			} else {
				var exps []*model.Experiment
				for _, p := range src.Lab.Phases {
					for _, e := range p.Experiments {
						exps = append(exps, e)
					}
				}
				err = Render(src.Lab, exps, tree.New())
			}
			if err == nil {
				t.Fatalf("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestDeterministic renders the same lab twice: byte-identical output.
func TestDeterministic(t *testing.T) {
	root := newLab(t, testdataPhases(t))
	_, a := render(t, root)
	_, b := render(t, root)
	if strings.Join(a.Paths(), ",") != strings.Join(b.Paths(), ",") {
		t.Fatal("paths differ between renders")
	}
	for _, p := range a.Paths() {
		x, _ := a.File(p)
		y, _ := b.File(p)
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between renders", p)
		}
	}
}

// TestDryRunJobs: a real kube-apiserver admits every ConfigMap and Job the
// repository's lab and the testdata lab render (server-side dry run), and
// refuses a broken Job, so the check is not vacuous.
func TestDryRunJobs(t *testing.T) {
	s := testenv.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var objs []*unstructured.Unstructured
	for _, root := range []string{repoRoot, newLab(t, testdataPhases(t))} {
		_, tr := render(t, root)
		for _, p := range tr.Paths() {
			if strings.HasSuffix(p, "/kustomization.yaml") {
				continue
			}
			body, _ := tr.File(p)
			docs, err := testenv.DecodeObjects(body)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			objs = append(objs, docs...)
		}
	}
	if len(objs) == 0 {
		t.Fatal("nothing rendered")
	}
	for _, err := range testenv.DryRunApply(ctx, s.Config, objs) {
		t.Error(err)
	}
	var bad *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Job" {
			bad = o.DeepCopy()
			break
		}
	}
	if err := unstructured.SetNestedField(bad.Object, "Always", "spec", "template", "spec", "restartPolicy"); err != nil {
		t.Fatal(err)
	}
	if errs := testenv.DryRunApply(ctx, s.Config, []*unstructured.Unstructured{bad}); len(errs) == 0 {
		t.Error("the server admitted a Job with restartPolicy Always")
	}
}
