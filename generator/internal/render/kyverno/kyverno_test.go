package kyverno_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/kyverno"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunMain(m)) }

const repoRoot = "../../../.."

// renderRepo renders the repository's lab, whole (policies and the
// workloads they must admit), into a temporary folder.
func renderRepo(t *testing.T) (string, *tree.Tree) {
	t.Helper()
	src, err := load.Load(repoRoot)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	tr, err := render.Lab(src, render.Options{})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	dir := t.TempDir()
	for _, p := range tr.Paths() {
		body, _ := tr.File(p)
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, tr
}

func policyFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, kyverno.Dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rendered policies in %s: %v", dir, err)
	}
	return files
}

// TestPoliciesRendered: every policy is a CEL policy kind of
// policies.kyverno.io/v1 with its annotations and a CLI test beside it;
// no ClusterPolicy anywhere.
func TestPoliciesRendered(t *testing.T) {
	dir, tr := renderRepo(t)
	files := policyFiles(t, dir)
	if len(files) < 5 {
		t.Errorf("%d policies rendered, want the 5 of the baseline", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		s := string(b)
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if !strings.Contains(s, "apiVersion: "+kyverno.APIVersion+"\n") {
			t.Errorf("%s: not %s", f, kyverno.APIVersion)
		}
		if !regexp.MustCompile(`(?m)^kind: (ValidatingPolicy|ImageValidatingPolicy)$`).MatchString(s) {
			t.Errorf("%s: not a ValidatingPolicy or ImageValidatingPolicy", f)
		}
		for _, a := range []string{"policies.kyverno.io/title", "policies.kyverno.io/category", "policies.kyverno.io/severity", "policies.kyverno.io/description"} {
			if !strings.Contains(s, a+": ") {
				t.Errorf("%s lacks annotation %s", f, a)
			}
		}
		if !strings.Contains(s, "validationActions:\n  - Audit\n") {
			t.Errorf("%s: the baseline starts in Audit", f)
		}
		if _, ok := tr.File(kyverno.Dir + "/" + name + "/kyverno-test.yaml"); !ok {
			t.Errorf("%s has no kyverno-test.yaml", name)
		}
	}
	for _, p := range tr.Paths() {
		b, _ := tr.File(p)
		if regexp.MustCompile(`(?m)^kind: ClusterPolicy$`).Match(b) {
			t.Errorf("%s is a ClusterPolicy", p)
		}
	}
}

// TestCLITest runs the real Kyverno CLI's `test` on the rendered
// policies/: every expected pass, fail and skip must hold.
func TestCLITest(t *testing.T) {
	cli := testenv.Kyverno(t)
	dir, _ := renderRepo(t)
	out, err := run(t, cli, "test", filepath.Join(dir, kyverno.Dir))
	if err != nil {
		t.Fatalf("kubectl-kyverno test policies/: %v\n%s", err, out)
	}
	n := strings.Count(out, "Loading test")
	if n < 5 {
		t.Errorf("the CLI ran %d tests, want one per policy:\n%s", n, out)
	}
	m := regexp.MustCompile(`Test Summary: (\d+) tests passed and (\d+) tests failed`).FindStringSubmatch(out)
	if m == nil || m[2] != "0" {
		t.Errorf("failures:\n%s", out)
	} else if passed, _ := strconv.Atoi(m[1]); passed < 3*n {
		t.Errorf("only %d expectations checked for %d policies", passed, n)
	}
	t.Logf("%s", lastLines(out, 12))
}

// TestCLITestCatchesWrongExpectation flips one expected result: the CLI
// must then fail, so TestCLITest cannot pass vacuously.
func TestCLITestCatchesWrongExpectation(t *testing.T) {
	cli := testenv.Kyverno(t)
	dir, _ := renderRepo(t)
	f := filepath.Join(dir, kyverno.Dir, "disallow-latest-tag", "kyverno-test.yaml")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	// The first result block expects pass: expect fail instead.
	bad := strings.Replace(string(b), "result: pass", "result: fail", 1)
	if bad == string(b) {
		t.Fatal("no pass expectation to flip")
	}
	if err := os.WriteFile(f, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, cli, "test", filepath.Dir(f))
	if err == nil {
		t.Fatalf("the CLI accepted a wrong expectation:\n%s", out)
	}
}

var summary = regexp.MustCompile(`pass: (\d+), fail: (\d+), warn: (\d+), error: (\d+), skip: (\d+)`)

// workloadKind finds rendered manifests that run pods.
var workloadKind = regexp.MustCompile(`(?m)^kind: (Deployment|StatefulSet|DaemonSet|Job|CronJob|Pod)$`)

// TestWorkloadsPassPolicies applies the policies with the real CLI to
// every workload the lab renders itself, in their namespaces as the lab
// renders them (labels included): the k6 Jobs of benchmarks/ and the
// manifests rendered under apps/ (Helm values files excluded). The
// validating policies must all pass. The image policy must pass on the
// benchmark Jobs of third-party images (k6, pgbench...); on the lab's own
// images it needs the registry and Sigstore, which offline it cannot
// reach, so it is not asserted there.
func TestWorkloadsPassPolicies(t *testing.T) {
	cli := testenv.Kyverno(t)
	dir, tr := renderRepo(t)
	var jobs, apps, thirdParty []string
	var nsDocs [][]byte
	for _, p := range tr.Paths() {
		body, _ := tr.File(p)
		switch {
		case strings.HasPrefix(p, "benchmarks/") && strings.Contains(p, "/job-"):
			jobs = append(jobs, filepath.Join(dir, filepath.FromSlash(p)))
			if !bytes.Contains(body, []byte("image: ghcr.io/illm-k8s-ai-lab/")) {
				thirdParty = append(thirdParty, filepath.Join(dir, filepath.FromSlash(p)))
			}
		case strings.HasPrefix(p, "apps/") && strings.HasSuffix(p, "/namespaces.yaml"):
			nsDocs = append(nsDocs, body)
		case strings.HasPrefix(p, "apps/") && !strings.Contains(p, "/values/") && workloadKind.Match(body):
			apps = append(apps, filepath.Join(dir, filepath.FromSlash(p)))
		}
	}
	if len(jobs) == 0 {
		t.Fatal("the lab renders no k6 Job: nothing to check")
	}
	vf := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(vf, valuesFromNamespaces(t, nsDocs), 0o644); err != nil {
		t.Fatal(err)
	}
	var validating []string
	image := ""
	for _, f := range policyFiles(t, dir) {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "\nkind: ImageValidatingPolicy\n") {
			image = f
		} else {
			validating = append(validating, f)
		}
	}
	if image == "" || len(validating) == 0 {
		t.Fatalf("want validating policies and an image policy, got %v and %q", validating, image)
	}
	apply := func(policies, resources []string) (pass, fail, errs int, out string) {
		t.Helper()
		args := append([]string{"apply"}, policies...)
		for _, r := range resources {
			args = append(args, "--resource", r)
		}
		args = append(args, "--values-file", vf)
		out, err := run(t, cli, args...)
		m := summary.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no result summary from kubectl-kyverno apply (%v):\n%s", err, out)
		}
		pass, _ = strconv.Atoi(m[1])
		fail, _ = strconv.Atoi(m[2])
		errs, _ = strconv.Atoi(m[4])
		return pass, fail, errs, out
	}

	all := append(append([]string{}, jobs...), apps...)
	pass, fail, errs, out := apply(validating, all)
	if fail != 0 || errs != 0 {
		t.Errorf("the lab's workloads against the validating policies: %d fail, %d error\n%s", fail, errs, out)
	}
	// Every validating policy matches every workload (experiment namespaces).
	if want := len(validating) * len(all); pass != want {
		t.Errorf("%d passes for %d workloads and %d policies, want %d: some did not match\n%s", pass, len(all), len(validating), want, out)
	}
	t.Logf("%d k6 Jobs and %d rendered app workloads: %d passes of %d validating policies", len(jobs), len(apps), pass, len(validating))

	// The Jobs of the lab's own tool images (natscli, fio) need the
	// registry, as the rendered apps do.
	pass, fail, errs, out = apply([]string{image}, thirdParty)
	if pass != len(thirdParty) || fail != 0 || errs != 0 {
		t.Errorf("benchmark Jobs against %s: pass %d, fail %d, error %d (want %d passes)\n%s", filepath.Base(image), pass, fail, errs, len(thirdParty), out)
	}
}

// TestApplyCatchesBadWorkload: the same apply on a Job stripped of its
// labels and security context reports failures, so a pass above means
// the policies evaluated the Jobs.
func TestApplyCatchesBadWorkload(t *testing.T) {
	cli := testenv.Kyverno(t)
	dir, tr := renderRepo(t)
	var job string
	var nsDocs [][]byte
	for _, p := range tr.Paths() {
		if b, _ := tr.File(p); job == "" && strings.HasPrefix(p, "benchmarks/") && strings.Contains(p, "/job-") && bytes.Contains(b, []byte("image: grafana/k6:")) {
			job = p
		}
		if strings.HasPrefix(p, "apps/") && strings.HasSuffix(p, "/namespaces.yaml") {
			b, _ := tr.File(p)
			nsDocs = append(nsDocs, b)
		}
	}
	if job == "" {
		t.Fatal("no k6 Job rendered")
	}
	b, _ := tr.File(job)
	bad := regexp.MustCompile(`(?m)^(\s+)lab\.illm\.dev/cost-center: .*\n`).ReplaceAll(b, nil)
	bad = bytes.ReplaceAll(bad, []byte("image: grafana/k6:1.8.1"), []byte("image: grafana/k6:latest"))
	bad = bytes.ReplaceAll(bad, []byte("allowPrivilegeEscalation: false"), []byte("allowPrivilegeEscalation: true"))
	jf := filepath.Join(dir, "bad-job.yaml")
	if err := os.WriteFile(jf, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	vf := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(vf, valuesFromNamespaces(t, nsDocs), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"apply"}, policyFiles(t, dir)...)
	args = append(args, "--resource", jf, "--values-file", vf)
	out, _ := run(t, cli, args...)
	m := summary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no result summary:\n%s", out)
	}
	if fails, _ := strconv.Atoi(m[2]); fails < 3 {
		t.Errorf("a Job without cost-center, on :latest, with privilege escalation: %s, want 3 failures\n%s", m[0], out)
	}
}

// valuesFromNamespaces turns rendered Namespace documents into the CLI's
// values file.
func valuesFromNamespaces(t *testing.T, docs [][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("apiVersion: cli.kyverno.io/v1alpha1\nkind: Value\nmetadata:\n  name: values\nnamespaces:\n")
	n := 0
	for _, d := range docs {
		objs, err := testenv.DecodeObjects(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.GetKind() != "Namespace" {
				continue
			}
			n++
			b.WriteString("- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: " + strconv.Quote(o.GetName()) + "\n    labels:\n")
			for k, v := range o.GetLabels() {
				b.WriteString("      " + strconv.Quote(k) + ": " + strconv.Quote(v) + "\n")
			}
		}
	}
	if n == 0 {
		t.Fatal("the lab renders no namespaces")
	}
	return b.Bytes()
}

// TestDryRunAgainstCRDs: a real kube-apiserver with Kyverno's v1.19.1
// CRDs accepts every rendered policy (schema, enums, required fields).
func TestDryRunAgainstCRDs(t *testing.T) {
	s := testenv.Shared(t)
	all, err := crds.All()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := testenv.InstallCRDs(ctx, s.Config, all); err != nil {
		t.Fatal(err)
	}
	dir, _ := renderRepo(t)
	var objs = policyObjects(t, policyFiles(t, dir))
	for _, err := range testenv.DryRunApply(ctx, s.Config, objs) {
		t.Error(err)
	}
	// A policy the CRD must refuse: the test is not vacuous.
	bad := policyObjects(t, policyFiles(t, dir)[:1])
	bad[0].Object["spec"].(map[string]any)["validationActions"] = []any{"Enforce"}
	if errs := testenv.DryRunApply(ctx, s.Config, bad); len(errs) == 0 {
		t.Error("the server accepted validationActions [Enforce]")
	}
}

func run(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "KYVERNO_EXPERIMENTAL=false")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func policyObjects(t *testing.T, files []string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := testenv.DecodeObjects(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, objs...)
	}
	return out
}
