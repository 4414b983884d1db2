package benchjobs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/markers"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// toolsLab is the testdata lab of the other tools: one experiment per tool
// and a comparison of brokers, each variant with its own tool.
func toolsLab(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob("testdata/tools/phases/*.cue")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/tools lab: %v", err)
	}
	phases := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		phases[filepath.Base(f)] = string(b)
	}
	return newLab(t, phases)
}

// TestToolsGolden compares the rendered Jobs and ConfigMaps of every tool
// with testdata/golden-tools (go test -run TestToolsGolden -update).
func TestToolsGolden(t *testing.T) {
	_, tr := render(t, toolsLab(t))
	golden.Tree(t, "testdata/golden-tools", tr)
	// The rendered objects are valid as the API server would check them.
	for _, e := range validate.Tree(tr) {
		t.Error(e)
	}
}

// TestToolJobs checks the other tools' Jobs against the contract they
// share with the k6 Jobs: image, pod security, requests = limits, labels,
// interleaved waves, hooks, and the annotations the collector reads.
func TestToolJobs(t *testing.T) {
	src, tr := render(t, toolsLab(t))
	type want struct {
		tool, image, duration, operations string
		uid                               int64
	}
	wants := map[string]want{
		"pg/tpcb":           {tool: "pgbench", image: PgbenchImage, duration: "2m0s", uid: 999},
		"pg/custom":         {tool: "pgbench", image: PgbenchImage, duration: "1m0s", uid: 999},
		"cache/shared":      {tool: "redis-benchmark", image: RedisBenchmarkImage, operations: "600000", uid: 999},
		"disks/shared":      {tool: "fio", image: FioImage, duration: "2m30s", uid: 65532}, // 30s x 3 + 1m (the 4 x 5s ramps measure nothing)
		"brokers/nats":      {tool: "nats-bench", image: NatsBenchImage, operations: "200000", uid: 65532},
		"brokers/jetstream": {tool: "nats-bench", image: NatsBenchImage, duration: "30s", uid: 65532},
		"brokers/kafka":     {tool: "kafka-perf", image: KafkaPerfImage, operations: "450000", uid: 1001}, // 500000 records, 50000 of them warmup
		"brokers/rabbitmq":  {tool: "perftest", image: PerfTestImage, duration: "1m0s", uid: 2000},
	}
	seen := map[string]bool{}
	waves := map[string]map[string]string{} // experiment -> variant/run -> wave
	for _, p := range tr.Paths() {
		if !strings.Contains(p, "/job-") {
			continue
		}
		body, _ := tr.File(p)
		var j batchv1.Job
		if err := yaml.Unmarshal(body, &j); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		parts := strings.Split(p, "/")
		exp := parts[1]
		e, _ := src.Lab.Experiment(exp)
		variant := ""
		if len(parts) == 4 {
			variant = parts[2]
		}
		key := exp + "/" + model.VariantLabel(variant)
		w, ok := wants[key]
		if !ok {
			t.Fatalf("%s: unexpected Job", p)
		}
		seen[key] = true
		rep := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "job-"), ".yaml")
		if want := regexp.MustCompile(`^` + regexp.QuoteMeta(e.VariantNamespace(variant)+"-"+w.tool+"-"+rep) + `-[0-9a-f]{8}$`); !want.MatchString(j.Name) {
			t.Errorf("%s: name %s, want %s", p, j.Name, want)
		}
		tpl := j.Spec.Template
		for k, v := range map[string]string{
			"lab.illm.dev/experiment": exp, "lab.illm.dev/variant": model.VariantLabel(variant), "lab.illm.dev/run": rep,
			"lab.illm.dev/component": w.tool, "lab.illm.dev/tool": w.tool, "lab.illm.dev/cost-center": "lab",
			"app.kubernetes.io/name": w.tool, "sidecar.istio.io/inject": "false",
		} {
			if tpl.Labels[k] != v {
				t.Errorf("%s: pod label %s=%q, want %q", p, k, tpl.Labels[k], v)
			}
		}
		if _, ok := j.Annotations["argocd.argoproj.io/hook"]; ok || j.Spec.TTLSecondsAfterFinished != nil {
			t.Errorf("%s: a hook or a TTL (%v): the Jobs are ordinary resources kept until their content changes", p, j.Annotations)
		}
		if waves[exp] == nil {
			waves[exp] = map[string]string{}
		}
		waves[exp][model.VariantLabel(variant)+"/"+rep] = j.Annotations["argocd.argoproj.io/sync-wave"]
		if *j.Spec.BackoffLimit != 0 || tpl.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: a failed run must fail the Job", p)
		}
		if ps := tpl.Spec; *ps.AutomountServiceAccountToken || !*ps.SecurityContext.RunAsNonRoot || *ps.SecurityContext.RunAsUser != w.uid ||
			ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod security context %+v", p, ps.SecurityContext)
		}
		all := append(slices.Clone(tpl.Spec.InitContainers), tpl.Spec.Containers...)
		for _, c := range all {
			sc := c.SecurityContext
			if c.Image != w.image || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem || !*sc.RunAsNonRoot ||
				len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				t.Errorf("%s: container %s: image %s, security %+v", p, c.Name, c.Image, sc)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
				if req.IsZero() || req.Cmp(lim) != 0 {
					t.Errorf("%s: container %s: %s request %s, limit %s: want equal", p, c.Name, r, req.String(), lim.String())
				}
			}
		}
		main := tpl.Spec.Containers[0]
		if len(tpl.Spec.Containers) != 1 || main.Name != w.tool || tpl.Annotations["kubectl.kubernetes.io/default-container"] != w.tool {
			t.Errorf("%s: the load container must be the one named by default-container", p)
		}
		// The digest is the configuration's, from the ConfigMap beside it.
		cmBody, _ := tr.File(strings.TrimSuffix(p, filepath.Base(p)) + "configmap.yaml")
		var cm corev1.ConfigMap
		if err := yaml.Unmarshal(cmBody, &cm); err != nil {
			t.Fatal(err)
		}
		if got := tpl.Annotations["lab.illm.dev/script-sha256"]; got != ConfigDigest(cm.Data) || len(got) != 64 {
			t.Errorf("%s: digest %s, want %s", p, got, ConfigDigest(cm.Data))
		}
		if cm.Name != w.tool+"-config" || cm.Labels["lab.illm.dev/tool"] != w.tool {
			t.Errorf("%s: ConfigMap %s labels %v", p, cm.Name, cm.Labels)
		}
		if got := tpl.Annotations["lab.illm.dev/expected-duration"]; got != w.duration {
			t.Errorf("%s: expected-duration %q, want %q", p, got, w.duration)
		}
		if got := tpl.Annotations["lab.illm.dev/expected-operations"]; got != w.operations {
			t.Errorf("%s: expected-operations %q, want %q", p, got, w.operations)
		}
	}
	for k := range wants {
		if !seen[k] {
			t.Errorf("no Job rendered for %s", k)
		}
	}
	// Repetitions interleave across the variants, whatever their tool.
	wantWaves := map[string]string{
		"jetstream/r1": "1", "kafka/r1": "2", "nats/r1": "3", "rabbitmq/r1": "4",
		"jetstream/r2": "5", "kafka/r2": "6", "nats/r2": "7", "rabbitmq/r2": "8",
	}
	for k, v := range wantWaves {
		if waves["brokers"][k] != v {
			t.Errorf("brokers waves %v, want %v", waves["brokers"], wantWaves)
			break
		}
	}
}

// TestScriptsSyntax runs `sh -n` (Debian's dash, a strict POSIX shell) on
// every script the tools render, the repository's and the testdata's.
func TestScriptsSyntax(t *testing.T) {
	sh, err := exec.LookPath("dash")
	if err != nil {
		sh = "sh"
	}
	n := 0
	for _, root := range []string{repoRoot, toolsLab(t)} {
		_, tr := render(t, root)
		for _, p := range tr.Paths() {
			if !strings.HasSuffix(p, "/configmap.yaml") {
				continue
			}
			body, _ := tr.File(p)
			var cm corev1.ConfigMap
			if err := yaml.Unmarshal(body, &cm); err != nil {
				t.Fatal(err)
			}
			for k, v := range cm.Data {
				if !strings.HasSuffix(k, ".sh") {
					continue
				}
				n++
				cmd := exec.Command(sh, "-n")
				cmd.Stdin = strings.NewReader(v)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s %s: %v\n%s", p, k, err, out)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no tool script rendered: the test checked nothing")
	}
}

// runConfig writes a tool's configuration to a folder and runs its script
// (and pgbench's init script first) the way the Job does, with env; it
// returns the combined output, what the pod log would hold.
func runConfig(t *testing.T, data map[string]string, env []string) string {
	t.Helper()
	cfg, res := t.TempDir(), t.TempDir()
	for k, v := range data {
		if err := os.WriteFile(filepath.Join(cfg, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env = append(os.Environ(), append(env, EnvConfigDir+"="+cfg, EnvResultsDir+"="+res, "LAB_NAMESPACE=ns", "LAB_VARIANT=shared", "LAB_EXPERIMENT=exp", "LAB_RUN=r1")...)
	var log bytes.Buffer
	for _, s := range []string{InitScript, RunScript} {
		if _, ok := data[s]; !ok {
			continue
		}
		cmd := exec.Command("sh", filepath.Join(cfg, s))
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", s, err, log.String())
		}
	}
	return log.String()
}

// report is the block between the results markers of a pod log, cut out
// by the collector's own function.
func report(t *testing.T, log string) string {
	t.Helper()
	b, err := markers.Extract(strings.NewReader(log))
	if err != nil {
		t.Fatalf("%v in:\n%s", err, log)
	}
	return string(b)
}

func toolExperiment(b *model.Benchmark) *model.Experiment {
	b.Repetitions, b.Runner = 1, model.Runner{CPU: "1", Memory: "512Mi"}
	return &model.Experiment{Name: "exp", Phase: "data", Benchmark: b}
}

func need(t *testing.T, bins ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs a real load tool")
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("LAB_REQUIRE_TOOLS") == "1" {
				t.Fatalf("%s is not installed (LAB_REQUIRE_TOOLS=1)", b)
			}
			t.Skipf("%s is not installed", b)
		}
	}
}

// TestK6ConnectionOptions: the connection options reach both the measured
// and the warm-up options, and only when set (the other scripts stay as
// they were).
func TestK6ConnectionOptions(t *testing.T) {
	exps := scripts(t, newLab(t, testdataPhases(t)))
	e := exps["web-comparison"]
	plain, err := Script(e, "test.cue")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "noConnectionReuse") || strings.Contains(string(plain), "insecureSkipTLSVerify") {
		t.Fatal("options rendered without being set")
	}
	e.Benchmark.NoConnectionReuse, e.Benchmark.InsecureSkipTLSVerify = true, true
	s, err := Script(e, "test.cue")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"noConnectionReuse: true,", "insecureSkipTLSVerify: true,"} {
		if n := strings.Count(string(s), o); n != 2 {
			t.Errorf("%q %d times, want in the warm-up's and the measured options", o, n)
		}
	}
}
