// Package collect turns one benchmark run in a cluster into a stored
// result: it finds the run's k6 pods by their labels, cuts the summary out
// of their logs, reads the system under test's resource usage and the
// experiment's declared metrics from Prometheus over the run window,
// records the run's provenance and prices it with the lab's cost model.
// A run is refused (nothing stored) when any of it is missing.
package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/k6"
)

// Options name the run to collect.
type Options struct {
	Lab        *labmodel.Lab
	Experiment *labmodel.Experiment
	// Variant is "" for an experiment without variants.
	Variant string
	// Run is the value of the lab.illm.dev/run label of the Job (e.g. r1);
	// RunID names the stored result (defaults to Run).
	Run, RunID string
	Expect     results.Expect
	// RepoRoot is the lab repository whose HEAD is recorded.
	RepoRoot string
}

// Sources are where the run is read from.
type Sources struct {
	Kube kubernetes.Interface
	// Logs defaults to KubeLogs{Kube}.
	Logs LogSource
	Prom *Prometheus
}

// VariantLabel is the lab.illm.dev/variant value of a variant.
func VariantLabel(variant string) string {
	if variant == "" {
		return labels.Shared
	}
	return variant
}

// Collect reads one run and returns its validated, priced result. It
// never returns a result that results.Validate refuses.
func Collect(ctx context.Context, src Sources, o Options) (*results.Result, error) {
	e := o.Experiment
	if e == nil || o.Lab == nil {
		return nil, errors.New("collect: no lab or experiment")
	}
	if o.Variant != "" {
		if _, ok := e.Variants[o.Variant]; !ok {
			return nil, fmt.Errorf("experiment %s has no variant %q (has: %s)", e.Name, o.Variant, strings.Join(variantNames(e), ", "))
		}
	} else if len(e.Variants) > 0 {
		return nil, fmt.Errorf("experiment %s has variants (%s): name one", e.Name, strings.Join(variantNames(e), ", "))
	}
	runID := o.RunID
	if runID == "" {
		runID = o.Run
	}
	for _, f := range []struct{ n, v string }{{"experiment", e.Name}, {"variant", VariantLabel(o.Variant)}, {"run", o.Run}, {"run id", runID}} {
		if err := results.CheckName(f.n, f.v); err != nil {
			return nil, err
		}
	}
	if src.Kube == nil || src.Prom == nil {
		return nil, errors.New("collect: needs a Kubernetes client and a Prometheus")
	}
	logs := src.Logs
	if logs == nil {
		logs = KubeLogs{Client: src.Kube}
	}
	ns := e.VariantNamespace(o.Variant)

	pods, err := RunPods(ctx, src.Kube, ns, RunSelector(e.Name, VariantLabel(o.Variant), o.Run))
	if err != nil {
		return nil, err
	}
	w, err := RunWindow(pods)
	if err != nil {
		return nil, err
	}
	expect := o.Expect
	if expect.Duration == 0 {
		// The Job declares its measured duration: a shorter run is refused.
		if expect.Duration, err = podAnnotationDuration(pods, labels.ExpectedDuration); err != nil {
			return nil, err
		}
	}
	script, err := podAnnotation(pods, labels.ScriptSHA256)
	if err != nil {
		return nil, err
	}
	r, k6v, err := parseLogs(ctx, logs, pods)
	if err != nil {
		return nil, err
	}
	r.Experiment, r.Variant, r.RunID = e.Name, VariantLabel(o.Variant), runID
	// Refuse a broken run before querying anything else.
	if err := results.Validate(r, expect); err != nil {
		return nil, err
	}
	if k6v == "" {
		k6v = imageTag(pods)
	}

	loadPods := make([]string, len(pods))
	for i, p := range pods {
		loadPods[i] = p.Name
	}
	usage, err := src.Prom.Resources(ctx, ns, loadPods, w)
	if err != nil {
		return nil, fmt.Errorf("refusing run: resource usage of namespace %s: %w", ns, err)
	}
	nsInfo, err := ReadNamespace(ctx, src.Kube, ns, o.Run)
	if err != nil {
		return nil, err
	}
	for i := range usage {
		if req, ok := nsInfo.Requests[usage[i].Name]; ok {
			usage[i].CPURequestCores, usage[i].MemoryRequestBytes = req.CPUCores, req.MemoryBytes
		}
	}
	r.Resources = &results.Resources{Containers: usage}
	if len(e.Measure.Metrics) > 0 {
		m, err := src.Prom.Metrics(ctx, e.Measure.Metrics, ns, w)
		if err != nil {
			return nil, fmt.Errorf("refusing run: %w", err)
		}
		r.Metrics = m
	}

	commit, err := GitCommit(o.RepoRoot)
	if err != nil {
		return nil, err
	}
	if k6v != "" {
		r.Tool.Version = &k6v
	}
	r.Run = &results.RunInfo{
		Namespace:    ns,
		WindowStart:  formatTime(w.Start),
		WindowEnd:    formatTime(w.End),
		GitCommit:    commit,
		ScriptSHA256: script,
		Charts:       Charts(e, o.Variant),
		Images:       nsInfo.Images,
		Nodes:        nsInfo.Nodes,
	}
	if err := Price(r, o.Lab.CostModel, e.Cost.Pricing, nsInfo.SUTNodes); err != nil {
		return nil, fmt.Errorf("refusing run: price: %w", err)
	}
	if err := results.Validate(r, expect); err != nil {
		return nil, err
	}
	r.Normalize()
	return r, nil
}

// podAnnotation is an annotation all load pods agree on ("" when none has it).
func podAnnotation(pods []corev1.Pod, key string) (string, error) {
	v := ""
	for i, p := range pods {
		a := p.Annotations[key]
		if i > 0 && a != v {
			return "", fmt.Errorf("load pods disagree on %s: %s has %q, %s has %q", key, pods[0].Name, v, p.Name, a)
		}
		v = a
	}
	return v, nil
}

func podAnnotationDuration(pods []corev1.Pod, key string) (time.Duration, error) {
	v, err := podAnnotation(pods, key)
	if err != nil || v == "" {
		return 0, err
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("pod %s: annotation %s: %w", pods[0].Name, key, err)
	}
	return d, nil
}

func variantNames(e *labmodel.Experiment) []string {
	n := make([]string, 0, len(e.Variants))
	for k := range e.Variants {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// parseLogs reads each load pod's log into a temp file and parses them as
// one run (several pods are merged by the k6 parser).
func parseLogs(ctx context.Context, src LogSource, pods []corev1.Pod) (*results.Result, string, error) {
	dir, err := os.MkdirTemp("", "lab-collect-*")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	paths := make([]string, 0, len(pods))
	k6v := ""
	for i := range pods {
		p := &pods[i]
		ctr, err := LoadContainer(p)
		if err != nil {
			return nil, "", err
		}
		path := filepath.Join(dir, p.Name+".log")
		v, err := saveLog(ctx, src, p.Namespace, p.Name, ctr, path)
		if err != nil {
			return nil, "", err
		}
		if k6v == "" {
			k6v = v
		}
		paths = append(paths, path)
	}
	r, err := k6.ParseFiles(paths, k6.Options{Format: k6.FormatLog})
	if err != nil {
		// Name the pod's log, not the temp file it was copied to.
		return nil, "", fmt.Errorf("refusing run: pod log %s", strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	return r, k6v, nil
}

var k6VersionRE = regexp.MustCompile(`\bk6 (v[0-9]+\.[0-9]+\.[0-9]+[-+.0-9A-Za-z]*)`)

func saveLog(ctx context.Context, src LogSource, ns, pod, ctr, path string) (string, error) {
	rc, err := src.Logs(ctx, ns, pod, ctr)
	if err != nil {
		return "", fmt.Errorf("log of %s/%s container %s: %w", ns, pod, ctr, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxLogBytes+1))
	if err != nil {
		return "", fmt.Errorf("log of %s/%s container %s: %w", ns, pod, ctr, err)
	}
	if len(data) > maxLogBytes {
		return "", fmt.Errorf("log of %s/%s container %s is larger than %d bytes", ns, pod, ctr, maxLogBytes)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", err
	}
	if m := k6VersionRE.FindSubmatch(data); m != nil {
		return string(m[1]), nil
	}
	return "", nil
}

// imageTag is the tag of the first load container's image (k6's version
// when the output does not say it).
func imageTag(pods []corev1.Pod) string {
	for i := range pods {
		ctr, err := LoadContainer(&pods[i])
		if err != nil {
			continue
		}
		for _, c := range pods[i].Spec.Containers {
			if c.Name != ctr {
				continue
			}
			img := c.Image
			if at := strings.IndexByte(img, '@'); at >= 0 {
				img = img[:at]
			}
			if colon := strings.LastIndexByte(img, ':'); colon > strings.LastIndexByte(img, '/') {
				tag := img[colon+1:]
				// Spelled as k6 prints its version: v1.8.1.
				if tag != "" && tag[0] >= '0' && tag[0] <= '9' {
					tag = "v" + tag
				}
				return tag
			}
		}
	}
	return ""
}

// Charts are the Helm charts the run depended on: the experiment's shared
// components and the variant's own.
func Charts(e *labmodel.Experiment, variant string) []results.ChartRef {
	var out []results.ChartRef
	add := func(prefix string, cs map[string]*labmodel.Component) {
		for name, c := range cs {
			if c.Chart == nil {
				continue
			}
			out = append(out, results.ChartRef{Component: prefix + name, Repository: c.Chart.Repository, Chart: c.Chart.Name, Version: c.Chart.Version})
		}
	}
	add("", e.Components)
	if v, ok := e.Variants[variant]; ok && variant != "" {
		add(variant+"/", v.Components)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Component < out[j].Component })
	if out == nil {
		out = []results.ChartRef{}
	}
	return out
}

// GitCommit is the HEAD commit of the repository holding dir.
func GitCommit(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return "", fmt.Errorf("git repository at %s: %w", dir, err)
	}
	head, err := repo.Head()
	if err != nil {
		return "", fmt.Errorf("git HEAD of %s: %w", dir, err)
	}
	return head.Hash().String(), nil
}

// CollectAndStore collects the run and stores it below dir (append-only);
// a refused run leaves dir untouched.
func CollectAndStore(ctx context.Context, src Sources, o Options, dir string) (string, error) {
	r, err := Collect(ctx, src, o)
	if err != nil {
		return "", err
	}
	// Collect validated against the declared duration already; Store
	// validates again with the caller's expectations.
	return results.Store(dir, r, o.Expect)
}
