package collect

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// InstanceTypeLabel is the well-known node label naming the machine type.
const InstanceTypeLabel = "node.kubernetes.io/instance-type"

// defaultContainerAnnotation names the container kubectl logs reads; the
// k6 Jobs set it to the load container (the warm-up is an init container).
const defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// maxLogBytes bounds one pod log read into memory.
const maxLogBytes = 256 << 20

// LogSource reads a container's log. The API server serves logs through
// the kubelet; tests without one provide the bytes themselves.
type LogSource interface {
	Logs(ctx context.Context, namespace, pod, container string) (io.ReadCloser, error)
}

// KubeLogs reads logs through the API server.
type KubeLogs struct{ Client kubernetes.Interface }

// Logs streams the container's log.
func (k KubeLogs) Logs(ctx context.Context, ns, pod, container string) (io.ReadCloser, error) {
	return k.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).Stream(ctx)
}

// RunSelector is the label selector of one run's load pods.
func RunSelector(experiment, variantLabel, run string) string {
	return k8slabels.SelectorFromSet(k8slabels.Set{
		labels.Experiment: experiment,
		labels.Variant:    variantLabel,
		labels.Run:        run,
	}).String()
}

// RunPods lists the load pods of one run, sorted by name. Every pod must
// have succeeded: a run with a failed or unfinished load generator is
// incomplete and is refused.
func RunPods(ctx context.Context, c kubernetes.Interface, ns, selector string) ([]corev1.Pod, error) {
	list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s in namespace %s: %w", selector, ns, err)
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("no pods match %s in namespace %s (the Jobs were replaced by a changed benchmark or pruned by down, or the run never started)", selector, ns)
	}
	pods := list.Items
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	var bad []string
	for _, p := range pods {
		if p.Status.Phase != corev1.PodSucceeded {
			bad = append(bad, fmt.Sprintf("%s is %s", p.Name, orUnknown(string(p.Status.Phase))))
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("run incomplete: every load pod must have succeeded: %s", strings.Join(bad, ", "))
	}
	return pods, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}

// LoadContainer is the container of the pod that ran the measured k6 test.
func LoadContainer(p *corev1.Pod) (string, error) {
	if n := p.Annotations[defaultContainerAnnotation]; n != "" {
		for _, c := range p.Spec.Containers {
			if c.Name == n {
				return n, nil
			}
		}
		return "", fmt.Errorf("pod %s: annotation %s names container %q, which the pod lacks", p.Name, defaultContainerAnnotation, n)
	}
	if len(p.Spec.Containers) == 1 {
		return p.Spec.Containers[0].Name, nil
	}
	return "", fmt.Errorf("pod %s: %d containers and no %s annotation: cannot tell the load container", p.Name, len(p.Spec.Containers), defaultContainerAnnotation)
}

// RunWindow is the span from the first load container's start to the last
// one's finish, from the pods' container statuses.
func RunWindow(pods []corev1.Pod) (Window, error) {
	var w Window
	for i := range pods {
		p := &pods[i]
		name, err := LoadContainer(p)
		if err != nil {
			return Window{}, err
		}
		var st *corev1.ContainerStatus
		for j := range p.Status.ContainerStatuses {
			if p.Status.ContainerStatuses[j].Name == name {
				st = &p.Status.ContainerStatuses[j]
			}
		}
		if st == nil || st.State.Terminated == nil {
			return Window{}, fmt.Errorf("pod %s: container %s has not terminated: no run window", p.Name, name)
		}
		t := st.State.Terminated
		if t.ExitCode != 0 {
			return Window{}, fmt.Errorf("pod %s: container %s exited with code %d", p.Name, name, t.ExitCode)
		}
		if t.StartedAt.IsZero() || t.FinishedAt.IsZero() {
			return Window{}, fmt.Errorf("pod %s: container %s lacks start or finish time", p.Name, name)
		}
		if w.Start.IsZero() || t.StartedAt.Time.Before(w.Start) {
			w.Start = t.StartedAt.Time
		}
		if t.FinishedAt.Time.After(w.End) {
			w.End = t.FinishedAt.Time
		}
	}
	return w, w.check()
}

// Namespace is what the collector reads of the variant's namespace: the
// pods' resource requests, images and nodes.
type Namespace struct {
	Requests map[string]Request // by namespace/pod/container
	Images   []results.ImageRef
	// Nodes ran any pod of the run; SUTNodes ran the system under test
	// (what node-hour pricing charges: not the load generator's node).
	Nodes, SUTNodes []results.NodeRef
}

// Request is one container's resource requests.
type Request struct {
	CPUCores, MemoryBytes *float64
}

// ReadNamespace lists the pods of ns (the run's load pods included: their
// image is part of the run's provenance; other runs' load pods left out)
// and the nodes they ran on.
func ReadNamespace(ctx context.Context, c kubernetes.Interface, ns, run string) (*Namespace, error) {
	list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list pods in namespace %s: %w", ns, err)
	}
	out := &Namespace{Requests: map[string]Request{}}
	nodes := map[string]bool{}
	for _, p := range list.Items {
		if r, ok := p.Labels[labels.Run]; ok && r != run {
			continue
		}
		for _, ctr := range p.Spec.Containers {
			var r Request
			if q, ok := ctr.Resources.Requests[corev1.ResourceCPU]; ok {
				v := q.AsApproximateFloat64()
				r.CPUCores = &v
			}
			if q, ok := ctr.Resources.Requests[corev1.ResourceMemory]; ok {
				v := q.AsApproximateFloat64()
				r.MemoryBytes = &v
			}
			out.Requests[ns+"/"+p.Name+"/"+ctr.Name] = r
		}
		for _, st := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			out.Images = append(out.Images, results.ImageRef{Container: ns + "/" + p.Name + "/" + st.Name, Image: st.Image, ImageID: st.ImageID})
		}
		if p.Spec.NodeName != "" {
			_, load := p.Labels[labels.Run]
			nodes[p.Spec.NodeName] = nodes[p.Spec.NodeName] || !load
		}
	}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		node, err := c.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n, err)
		}
		ref := results.NodeRef{Name: n, InstanceType: node.Labels[InstanceTypeLabel]}
		out.Nodes = append(out.Nodes, ref)
		if nodes[n] {
			out.SUTNodes = append(out.SUTNodes, ref)
		}
	}
	sort.Slice(out.Images, func(i, j int) bool { return out.Images[i].Container < out.Images[j].Container })
	return out, nil
}

// formatTime renders t as RFC 3339 UTC, to the second like the API server.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
