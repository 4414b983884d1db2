// Package benchjobs renders an experiment's benchmark: the load tool's
// script in a ConfigMap and one batch/v1 Job per repetition, ordinary
// resources in sync waves of the benchmark Application, which RollingSync
// syncs once the experiment's stack is healthy (docs/adr/0004-*).
package benchjobs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

// Image is the pinned k6 image the Jobs run.
const Image = "grafana/k6:1.8.1"

// UID is the k6 image's own non-root user.
const UID = 12345

// ScriptConfigMap is the name of the ConfigMap holding the script, in each
// namespace a benchmark runs in; ScriptKey is its key.
const (
	ScriptConfigMap = "k6-script"
	ScriptKey       = "script.js"
	scriptDir       = "/scripts"
)

// setupMargin covers image pull and pod start in activeDeadlineSeconds.
const setupMargin = 5 * time.Minute

// Target is a variant's base URL with its placeholders expanded.
func Target(e *model.Experiment, variant string) string {
	t := e.Benchmark.Target
	if o, ok := e.Benchmark.Targets[variant]; ok {
		t = o
	}
	return strings.NewReplacer(
		"$namespace", e.VariantNamespace(variant),
		"$variant", model.VariantLabel(variant),
		"$experiment", e.Name,
	).Replace(t)
}

// Render adds the benchmark files of every experiment that declares one.
func Render(lab *model.Lab, exps []*model.Experiment, t *tree.Tree) error {
	for _, e := range exps {
		if e.Benchmark == nil {
			continue
		}
		if err := renderOne(lab, e, e.Benchmark.Source, t); err != nil {
			return fmt.Errorf("experiment %s (%s): %w", e.Name, e.Benchmark.Source, err)
		}
	}
	return nil
}

func renderOne(lab *model.Lab, e *model.Experiment, source string, t *tree.Tree) error {
	var script []byte
	for _, v := range e.BenchmarkVariants() {
		if e.Benchmark.ToolOf(v) == model.ToolK6 {
			s, err := Script(e, source)
			if err != nil {
				return err
			}
			script = s
			break
		}
	}
	objs, err := Objects(lab, e, script)
	if err != nil {
		return err
	}
	dir := e.BenchmarkDir()
	var files []string
	for _, o := range objs {
		body, err := encode(o.Object)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Path, err)
		}
		if err := t.Add(dir+"/"+o.Path, source, body); err != nil {
			return err
		}
		files = append(files, o.Path)
	}
	kust := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  files,
	}
	body, err := yaml.Marshal(kust)
	if err != nil {
		return err
	}
	return t.Add(dir+"/kustomization.yaml", source, body)
}

// Object is one rendered object and its path under benchmarks/<experiment>/.
type Object struct {
	Path   string
	Object any
}

// Objects builds a benchmark's ConfigMaps and Jobs: per variant, the k6
// script (script, used by the variants that run k6) or the tool's
// configuration, and one Job per repetition. Repetitions are interleaved
// across variants (r1 of every variant, then r2...) by sync wave, so a
// drift over time (a noisy neighbour, a warming node) spreads over all
// variants instead of biasing one.
func Objects(lab *model.Lab, e *model.Experiment, script []byte) ([]Object, error) {
	b := e.Benchmark
	vs := e.BenchmarkVariants()
	digests := map[string]string{}
	var out []Object
	for _, v := range vs {
		if b.ToolOf(v) == model.ToolK6 {
			if script == nil {
				return nil, fmt.Errorf("variant %q runs k6, and no k6 script was given", model.VariantLabel(v))
			}
			sum := sha256.Sum256(script)
			digests[v] = hex.EncodeToString(sum[:])
			out = append(out, Object{Path: sub(v) + "configmap.yaml", Object: configMap(lab, e, v, map[string]string{ScriptKey: string(script)})})
			continue
		}
		data, err := Config(e, v, b.Source)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", model.VariantLabel(v), err)
		}
		digests[v] = ConfigDigest(data)
		out = append(out, Object{Path: sub(v) + "configmap.yaml", Object: configMap(lab, e, v, data)})
	}
	for vi, v := range vs {
		for rep := 1; rep <= b.Repetitions; rep++ {
			wave := (rep-1)*len(vs) + vi + 1
			var j *batchv1.Job
			var err error
			if b.ToolOf(v) == model.ToolK6 {
				j, err = job(lab, e, v, rep, wave, digests[v])
			} else {
				j, err = toolJob(lab, e, v, rep, wave, digests[v])
			}
			if err != nil {
				return nil, err
			}
			if err := nameByContent(j); err != nil {
				return nil, err
			}
			out = append(out, Object{Path: sub(v) + "job-r" + strconv.Itoa(rep) + ".yaml", Object: j})
		}
	}
	return out, nil
}

func sub(variant string) string {
	if variant == "" {
		return ""
	}
	return variant + "/"
}

func objectLabels(lab *model.Lab, e *model.Experiment, variant string) map[string]string {
	tool := e.Benchmark.ToolOf(variant)
	l := lab.CostLabels(e, model.VariantLabel(variant), tool)
	l[labels.Name] = tool
	l[labels.ManagedBy] = "argocd"
	if tool != model.ToolK6 {
		// k6 Jobs carry no tool label: its absence means k6, as on the
		// Jobs rendered before the other tools existed.
		l[labels.Tool] = tool
	}
	return l
}

func configMap(lab *model.Lab, e *model.Experiment, variant string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      e.BenchmarkConfigMap(variant),
			Namespace: e.VariantNamespace(variant),
			Labels:    objectLabels(lab, e, variant),
		},
		Data: data,
	}
}

// runCommand runs the measured test. k6 exits 99 when a threshold is
// crossed: that is a result (recorded in the summary), not a failed run,
// so it must not fail the Job and stop the later repetitions.
const runCommand = `k6 run --quiet --no-color ` + scriptDir + `/` + ScriptKey + `
rc=$?
if [ "$rc" -eq 99 ]; then
  echo "k6: thresholds crossed (exit 99); recorded in the summary"
  exit 0
fi
exit "$rc"
`

func job(lab *model.Lab, e *model.Experiment, variant string, rep, wave int, digest string) (*batchv1.Job, error) {
	b := e.Benchmark
	ns := e.VariantNamespace(variant)
	run := "r" + strconv.Itoa(rep)
	l := objectLabels(lab, e, variant)
	l[labels.Run] = run
	// The load generator stays out of any service mesh: a sidecar would
	// keep the pod running after k6 exits (the Job never completes) and
	// would add its own latency to every measurement.
	podLabels := map[string]string{"sidecar.istio.io/inject": "false"}
	for k, v := range l {
		podLabels[k] = v
	}

	qty := func(s string) (resource.Quantity, error) {
		q, err := resource.ParseQuantity(s)
		if err != nil {
			return q, fmt.Errorf("benchmark.runner: %q: %w", s, err)
		}
		return q, nil
	}
	cpu, err := qty(b.Runner.CPU)
	if err != nil {
		return nil, err
	}
	mem, err := qty(b.Runner.Memory)
	if err != nil {
		return nil, err
	}
	rl := corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}

	env := []corev1.EnvVar{
		{Name: EnvTarget, Value: Target(e, variant)},
		{Name: EnvNamespace, Value: ns},
		{Name: EnvVariant, Value: model.VariantLabel(variant)},
		{Name: EnvExperiment, Value: e.Name},
		{Name: EnvRun, Value: run},
		// No usage report: the lab's runs stay inside the cluster.
		{Name: "K6_NO_USAGE_REPORT", Value: "true"},
		{Name: "HOME", Value: "/tmp"},
	}
	mounts := []corev1.VolumeMount{
		{Name: "script", MountPath: scriptDir, ReadOnly: true},
		{Name: "results", MountPath: ResultsDir},
		{Name: "tmp", MountPath: "/tmp"},
	}
	f, t := false, true
	uid := int64(UID)
	csc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &f,
		ReadOnlyRootFilesystem:   &t,
		RunAsNonRoot:             &t,
		RunAsUser:                &uid,
		RunAsGroup:               &uid,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	k6c := corev1.Container{
		Name:            "k6",
		Image:           Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         []string{"sh", "-c", runCommand},
		Env:             env,
		Resources:       corev1.ResourceRequirements{Requests: rl, Limits: rl},
		SecurityContext: csc,
		VolumeMounts:    mounts,
	}
	var inits []corev1.Container
	measured := b.TestDuration()
	deadline := b.MaxRunDuration() + setupMargin
	if b.Warmup != nil {
		wd, err := time.ParseDuration(b.Warmup.Duration)
		if err != nil {
			return nil, fmt.Errorf("benchmark.warmup.duration: %w", err)
		}
		deadline += wd + model.GracefulStop
		w := k6c
		w.Name = "warmup"
		w.Command = []string{"k6", "run", "--quiet", "--no-color", scriptDir + "/" + ScriptKey}
		w.Env = append(append([]corev1.EnvVar{}, env...), corev1.EnvVar{Name: EnvWarmup, Value: "1"})
		inits = append(inits, w)
	}
	deadlineSec := int64(deadline / time.Second)
	backoff := int32(0)
	return &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      e.BenchmarkJobName(variant, rep),
			Namespace: ns,
			Labels:    l,
			Annotations: map[string]string{
				labels.ArgoSyncWave: strconv.Itoa(wave),
			},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:          &backoff,
			ActiveDeadlineSeconds: &deadlineSec,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: podLabels,
					Annotations: map[string]string{
						"linkerd.io/inject":                       "disabled",
						"kubectl.kubernetes.io/default-container": "k6",
						labels.ScriptSHA256:                       digest,
						labels.ExpectedDuration:                   measured.String(),
					},
				},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: &f,
					EnableServiceLinks:           &f,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   &t,
						RunAsUser:      &uid,
						RunAsGroup:     &uid,
						FSGroup:        &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					InitContainers: inits,
					Containers:     []corev1.Container{k6c},
					Volumes: []corev1.Volume{
						{Name: "script", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: ScriptConfigMap},
						}}},
						{Name: "results", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}, nil
}
