package benchjobs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// toolJob is one repetition of a variant's load with a tool other than
// k6: the same Job as k6's (in its sync wave, named by content, restricted pod
// security, requests = limits, out of the mesh, the collector's labels and
// annotations), running the tool's script from its ConfigMap.
func toolJob(lab *model.Lab, e *model.Experiment, variant string, rep, wave int, digest string) (*batchv1.Job, error) {
	b := e.Benchmark
	l := b.LoadOf(variant)
	spec, ok := toolSpecs[l.Tool]
	if !ok {
		return nil, fmt.Errorf("no image for tool %q", l.Tool)
	}
	ns := e.VariantNamespace(variant)
	run := "r" + strconv.Itoa(rep)
	lb := objectLabels(lab, e, variant)
	lb[labels.Run] = run
	podLabels := map[string]string{"sidecar.istio.io/inject": "false"}
	maps.Copy(podLabels, lb)

	rl, err := resources(l.Runner)
	if err != nil {
		return nil, err
	}
	env := []corev1.EnvVar{}
	if t := Endpoint(e, variant); t != "" {
		env = append(env, corev1.EnvVar{Name: EnvTarget, Value: t})
	}
	env = append(env,
		corev1.EnvVar{Name: EnvNamespace, Value: ns},
		corev1.EnvVar{Name: EnvVariant, Value: model.VariantLabel(variant)},
		corev1.EnvVar{Name: EnvExperiment, Value: e.Name},
		corev1.EnvVar{Name: EnvRun, Value: run},
		corev1.EnvVar{Name: EnvConfigDir, Value: configDir},
		corev1.EnvVar{Name: EnvResultsDir, Value: ResultsDir},
		corev1.EnvVar{Name: "HOME", Value: "/tmp"},
	)
	env = append(env, toolEnv(e, variant, l)...)
	mounts := []corev1.VolumeMount{
		{Name: "config", MountPath: configDir, ReadOnly: true},
		{Name: "results", MountPath: ResultsDir},
		{Name: "tmp", MountPath: "/tmp"},
	}
	volumes := []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: e.BenchmarkConfigMap(variant)},
		}}},
		{Name: "results", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	if l.Tool == model.ToolFio {
		vs, ms, err := fioVolumes(lab, e, variant, l.Fio)
		if err != nil {
			return nil, err
		}
		volumes = append(volumes, vs...)
		mounts = append(mounts, ms...)
	}
	f, t := false, true
	uid := spec.uid
	csc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &f,
		ReadOnlyRootFilesystem:   &t,
		RunAsNonRoot:             &t,
		RunAsUser:                &uid,
		RunAsGroup:               &uid,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	main := corev1.Container{
		Name:            l.Tool,
		Image:           spec.image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         []string{"sh", configDir + "/" + RunScript},
		Env:             env,
		Resources:       corev1.ResourceRequirements{Requests: rl, Limits: rl},
		SecurityContext: csc,
		VolumeMounts:    mounts,
	}
	var inits []corev1.Container
	measured := l.Measured()
	deadline := setupMargin
	switch {
	case l.Tool == model.ToolPgbench:
		deadline += measured
		if l.Pgbench.Init {
			to, err := time.ParseDuration(l.Pgbench.InitTimeout)
			if err != nil {
				return nil, fmt.Errorf("benchmark.pgbench.initTimeout: %w", err)
			}
			deadline += to
			init := main
			init.Name = "init"
			init.Command = []string{"sh", configDir + "/" + InitScript}
			inits = append(inits, init)
		}
	case measured > 0 && l.Tool != model.ToolNatsBench:
		// PerfTest, fio: the run lasts its declared time (fio's ramps too).
		deadline += measured + l.Ramp()
	default:
		to, err := time.ParseDuration(toolTimeout(l))
		if err != nil {
			return nil, fmt.Errorf("benchmark timeout: %w", err)
		}
		deadline += to
	}
	podAnn := map[string]string{
		"linkerd.io/inject":                       "disabled",
		"kubectl.kubernetes.io/default-container": main.Name,
		labels.ScriptSHA256:                       digest,
	}
	if measured > 0 {
		podAnn[labels.ExpectedDuration] = measured.String()
	}
	if n := l.ExpectedOperations(); n > 0 {
		podAnn[labels.ExpectedOperations] = strconv.Itoa(n)
	}
	deadlineSec := int64(deadline / time.Second)
	backoff := int32(0)
	return &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      e.BenchmarkJobName(variant, rep),
			Namespace: ns,
			Labels:    lb,
			Annotations: map[string]string{
				labels.ArgoSyncWave: strconv.Itoa(wave),
			},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:          &backoff,
			ActiveDeadlineSeconds: &deadlineSec,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: podAnn},
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
					Containers:     []corev1.Container{main},
					Volumes:        volumes,
				},
			},
		},
	}, nil
}

// toolTimeout is the declared bound of a count-bound tool's run.
func toolTimeout(l model.Load) string {
	switch l.Tool {
	case model.ToolRedisBenchmark:
		return l.RedisBenchmark.Timeout
	case model.ToolNatsBench:
		return l.NatsBench.Timeout
	case model.ToolKafkaPerf:
		return l.KafkaPerf.Timeout
	}
	return "0s"
}

func resources(r model.Runner) (corev1.ResourceList, error) {
	qty := func(s string) (resource.Quantity, error) {
		q, err := resource.ParseQuantity(s)
		if err != nil {
			return q, fmt.Errorf("benchmark.runner: %q: %w", s, err)
		}
		return q, nil
	}
	cpu, err := qty(r.CPU)
	if err != nil {
		return nil, err
	}
	mem, err := qty(r.Memory)
	if err != nil {
		return nil, err
	}
	return corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}, nil
}

// toolEnv is what a tool reads from its environment besides the script.
func toolEnv(e *model.Experiment, variant string, l model.Load) []corev1.EnvVar {
	x := func(s string) string { return expand(e, variant, s) }
	switch l.Tool {
	case model.ToolPgbench:
		g := l.Pgbench
		env := []corev1.EnvVar{
			{Name: "PGHOST", Value: x(g.Host)},
			{Name: "PGPORT", Value: strconv.Itoa(g.Port)},
			{Name: "PGDATABASE", Value: g.Database},
			{Name: "PGUSER", Value: g.User},
			{Name: "PGAPPNAME", Value: "pgbench"},
			{Name: "PGCONNECT_TIMEOUT", Value: "10"},
		}
		if s := g.PasswordSecret; s != nil {
			env = append(env, corev1.EnvVar{Name: "PGPASSWORD", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: s.Name}, Key: s.Key},
			}})
		}
		return env
	case model.ToolRedisBenchmark:
		return []corev1.EnvVar{
			{Name: EnvHost, Value: x(l.RedisBenchmark.Host)},
			{Name: EnvPort, Value: strconv.Itoa(l.RedisBenchmark.Port)},
		}
	case model.ToolKafkaPerf:
		heap := strconv.Itoa(l.KafkaPerf.HeapMiB) + "m"
		return []corev1.EnvVar{
			{Name: EnvPod, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			// Each JVM's heap; the logs of kafka-run-class.sh go to /tmp
			// (the image's own folder is read-only).
			{Name: "KAFKA_HEAP_OPTS", Value: "-Xms" + heap + " -Xmx" + heap},
			{Name: "LOG_DIR", Value: "/tmp/kafka-logs"},
		}
	case model.ToolFio:
		return []corev1.EnvVar{{Name: EnvDataDir, Value: dataDir}}
	}
	return nil
}

// fioVolumes are fio's volumes, each mounted at /data/<name>: tmpfs, the
// node's disk, or a claim made with the pod (a generic ephemeral volume,
// deleted with it).
func fioVolumes(lab *model.Lab, e *model.Experiment, variant string, f *model.Fio) ([]corev1.Volume, []corev1.VolumeMount, error) {
	var vs []corev1.Volume
	var ms []corev1.VolumeMount
	for _, name := range slices.Sorted(maps.Keys(f.Volumes)) {
		v := f.Volumes[name]
		size, err := resource.ParseQuantity(v.Size)
		if err != nil {
			return nil, nil, fmt.Errorf("benchmark.fio.volumes.%s.size: %w", name, err)
		}
		vol := corev1.Volume{Name: "data-" + name}
		switch v.Medium {
		case model.FioMemory:
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &size}
		case model.FioNodeDisk:
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{SizeLimit: &size}
		case model.FioClaim:
			pvc := corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
			}
			if v.StorageClass != "" {
				sc := v.StorageClass
				pvc.StorageClassName = &sc
			}
			vol.Ephemeral = &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
				ObjectMeta: metav1.ObjectMeta{Labels: lab.CostLabels(e, model.VariantLabel(variant), model.ToolFio)},
				Spec:       pvc,
			}}
		default:
			return nil, nil, fmt.Errorf("benchmark.fio.volumes.%s: unknown medium %q", name, v.Medium)
		}
		vs = append(vs, vol)
		ms = append(ms, corev1.VolumeMount{Name: vol.Name, MountPath: dataDir + "/" + name})
	}
	return vs, ms, nil
}
