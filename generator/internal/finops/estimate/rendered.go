package estimate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// chartAnnotation is the kustomization's common annotation naming the
// rendered chart (render/helm).
const chartAnnotation = "lab.illm.dev/chart"

type kustomization struct {
	Resources         []string          `json:"resources"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
}

// docs splits a generated YAML file into its objects as JSON.
func docs(name string, b []byte) ([]json.RawMessage, error) {
	r := utilyaml.NewYAMLReader(bufioReader(b))
	var out []json.RawMessage
	for i := 1; ; i++ {
		d, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		j, err := yaml.YAMLToJSON(d)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		if len(bytes.TrimSpace(j)) == 0 || string(j) == "null" {
			continue
		}
		out = append(out, j)
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// rendered prices the objects a rendered component's kustomization lists.
func (p *pricer) rendered(c *Component, dir string) error {
	kf := dir + "/kustomization.yaml"
	var k kustomization
	if err := yaml.Unmarshal(p.files[kf], &k); err != nil {
		return fmt.Errorf("%s: %w", kf, err)
	}
	c.Chart = k.CommonAnnotations[chartAnnotation]
	for _, res := range k.Resources {
		f := path.Join(dir, res)
		b, ok := p.files[f]
		if !ok {
			return fmt.Errorf("%s: resource %s is not in the tree", kf, res)
		}
		ds, err := docs(f, b)
		if err != nil {
			return err
		}
		for i, d := range ds {
			if err := p.object(c, f, i+1, d); err != nil {
				return err
			}
		}
	}
	if len(c.Workloads) == 0 && len(c.Volumes) == 0 {
		c.NotPriced = append(c.NotPriced, "rendered objects run no pods and claim no volumes: nothing to price")
	}
	return nil
}

type typeMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

func (p *pricer) object(c *Component, file string, doc int, raw json.RawMessage) error {
	var tm typeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return fmt.Errorf("%s: document %d: %w", file, doc, err)
	}
	where := fmt.Sprintf("%s/%s", tm.Kind, tm.Metadata.Name)
	decode := func(into any) error {
		if err := json.Unmarshal(raw, into); err != nil {
			return fmt.Errorf("%s: document %d (%s): %w", file, doc, where, err)
		}
		return nil
	}
	if _, hook := tm.Metadata.Annotations["helm.sh/hook"]; hook {
		c.NotPriced = append(c.NotPriced, where+": a Helm hook, runs once: not a monthly cost")
		return nil
	}
	switch tm.Kind {
	case "Deployment":
		var o appsv1.Deployment
		if err := decode(&o); err != nil {
			return err
		}
		p.pod(c, tm.Kind, o.Name, o.Spec.Replicas, &o.Spec.Template.Spec)
	case "StatefulSet":
		var o appsv1.StatefulSet
		if err := decode(&o); err != nil {
			return err
		}
		n := p.pod(c, tm.Kind, o.Name, o.Spec.Replicas, &o.Spec.Template.Spec)
		for _, t := range o.Spec.VolumeClaimTemplates {
			q, ok := t.Spec.Resources.Requests[corev1.ResourceStorage]
			if !ok {
				c.NotPriced = append(c.NotPriced, where+": volumeClaimTemplate "+t.Name+" requests no storage")
				continue
			}
			c.Volumes = append(c.Volumes, Volume{Name: o.Name + "/" + t.Name, Bytes: q.AsApproximateFloat64(), Replicas: n})
		}
	case "ReplicaSet":
		var o appsv1.ReplicaSet
		if err := decode(&o); err != nil {
			return err
		}
		p.pod(c, tm.Kind, o.Name, o.Spec.Replicas, &o.Spec.Template.Spec)
	case "DaemonSet":
		var o appsv1.DaemonSet
		if err := decode(&o); err != nil {
			return err
		}
		n := int32(p.nodes)
		p.pod(c, tm.Kind, o.Name, &n, &o.Spec.Template.Spec)
	case "Pod":
		var o corev1.Pod
		if err := decode(&o); err != nil {
			return err
		}
		one := int32(1)
		p.pod(c, tm.Kind, o.Name, &one, &o.Spec)
	case "PersistentVolumeClaim":
		var o corev1.PersistentVolumeClaim
		if err := decode(&o); err != nil {
			return err
		}
		q, ok := o.Spec.Resources.Requests[corev1.ResourceStorage]
		if !ok {
			c.NotPriced = append(c.NotPriced, where+": requests no storage")
			return nil
		}
		c.Volumes = append(c.Volumes, Volume{Name: o.Name, Bytes: q.AsApproximateFloat64(), Replicas: 1})
	case "Job":
		c.NotPriced = append(c.NotPriced, where+": runs to completion, for an unknown time: not a monthly cost")
	case "CronJob":
		var o batchv1.CronJob
		if err := decode(&o); err != nil {
			return err
		}
		c.NotPriced = append(c.NotPriced, where+": runs on schedule "+o.Spec.Schedule+" for an unknown time: not priced")
	}
	return nil
}

// pod adds a workload of replicas pods with spec's effective requests
// (the larger of the init containers' largest and the containers' sum,
// restartable init containers counted with the containers, as the
// scheduler does) and returns the replica count priced.
func (p *pricer) pod(c *Component, kind, name string, replicas *int32, spec *corev1.PodSpec) int {
	w := Workload{Kind: kind, Name: name, Replicas: 1}
	if replicas != nil { // nil: the API server defaults it to 1
		w.Replicas = int(*replicas)
	}
	var sum, initMax [4]float64
	add := func(into *[4]float64, ct corev1.Container, max bool) {
		v := [4]float64{
			ct.Resources.Requests.Cpu().AsApproximateFloat64(),
			ct.Resources.Limits.Cpu().AsApproximateFloat64(),
			ct.Resources.Requests.Memory().AsApproximateFloat64(),
			ct.Resources.Limits.Memory().AsApproximateFloat64(),
		}
		// A limit without a request defaults the request to the limit.
		if _, ok := ct.Resources.Requests[corev1.ResourceCPU]; !ok {
			v[0] = v[1]
		}
		if _, ok := ct.Resources.Requests[corev1.ResourceMemory]; !ok {
			v[2] = v[3]
		}
		// No limit (or one below the request, which the API server
		// refuses) is priced at the request.
		v[1], v[3] = math.Max(v[1], v[0]), math.Max(v[3], v[2])
		for i := range v {
			if max {
				into[i] = math.Max(into[i], v[i])
			} else {
				into[i] += v[i]
			}
		}
		if v[0] == 0 {
			c.NotPriced = append(c.NotPriced, fmt.Sprintf("%s/%s container %s: no CPU request: its CPU is not priced", kind, name, ct.Name))
		}
		if v[2] == 0 {
			c.NotPriced = append(c.NotPriced, fmt.Sprintf("%s/%s container %s: no memory request: its memory is not priced", kind, name, ct.Name))
		}
	}
	for _, ct := range spec.InitContainers {
		if ct.RestartPolicy != nil && *ct.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(&sum, ct, false)
		} else {
			add(&initMax, ct, true)
		}
	}
	for _, ct := range spec.Containers {
		add(&sum, ct, false)
	}
	w.CPURequestCores = math.Max(sum[0], initMax[0])
	w.CPULimitCores = math.Max(sum[1], initMax[1])
	w.MemoryRequestBytes = math.Max(sum[2], initMax[2])
	w.MemoryLimitBytes = math.Max(sum[3], initMax[3])
	for _, v := range spec.Volumes {
		if v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil {
			if q, ok := v.Ephemeral.VolumeClaimTemplate.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
				c.Volumes = append(c.Volumes, Volume{Name: name + "/" + v.Name, Bytes: q.AsApproximateFloat64(), Replicas: w.Replicas})
			}
		}
	}
	c.Workloads = append(c.Workloads, w)
	return w.Replicas
}
