//go:build linux

package scaleup

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/collect"
)

// loadPod creates the run's load pod, Pending (no scheduler runs: the
// test plays its kubelet).
func loadPod(ctx context.Context, t *testing.T, c kubernetes.Interface, run string) *corev1.Pod {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "load-" + run, Namespace: ns, Labels: map[string]string{
			"lab.illm.dev/experiment": "scale-up-time", "lab.illm.dev/variant": "shared", "lab.illm.dev/run": run}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "k6", Image: "grafana/k6:1.8.1"}}},
	}
	p, err := c.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// finish marks the load pod finished over [start, end] (or failed).
func finish(ctx context.Context, t *testing.T, c kubernetes.Interface, p *corev1.Pod, start, end time.Time, phase corev1.PodPhase) {
	t.Helper()
	code := int32(0)
	if phase == corev1.PodFailed {
		code = 1
	}
	p.Status = corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{{Name: "k6", Image: "grafana/k6:1.8.1",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, StartedAt: metav1.NewTime(start), FinishedAt: metav1.NewTime(end)}}}}}
	if _, err := c.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestMeasureRealScaleUp is what `results scaleup` does, on the real
// kube-apiserver, kube-controller-manager and kwok: Measure watches from
// before the load, the run's load pod (the test as its kubelet) runs
// while the Deployment goes 1 -> 4 -> 1 (the test as its autoscaler),
// and the load window comes from the pod's container times. A failed load
// pod is refused.
func TestMeasureRealScaleUp(t *testing.T) {
	c, ctx := startScaleCluster(t)
	o := MeasureOptions{Experiment: "scale-up-time", Variant: "shared", RunID: "r1", Namespace: ns, Deployment: name,
		Selector: collect.RunSelector("scale-up-time", "shared", "r1"), Settle: 3 * time.Second, Poll: 100 * time.Millisecond, Target: 4}
	type out struct {
		r   *Result
		err error
	}
	res := make(chan out, 1)
	go func() {
		r, err := Measure(ctx, c, o)
		res <- out{r, err}
	}()
	pod := loadPod(ctx, t, c, "r1")
	// The API server keeps container times to the second: the load starts
	// on a whole second, after the watch's first sample.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1500 * time.Millisecond)))
	loadStart := time.Now().Truncate(time.Second)
	scale(ctx, t, c, ns, name, 4)
	waitReady(ctx, t, c, ns, name, 4)
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	loadEnd := time.Now().Truncate(time.Second)
	finish(ctx, t, c, pod, loadStart, loadEnd, corev1.PodSucceeded)
	scale(ctx, t, c, ns, name, 1)
	waitReady(ctx, t, c, ns, name, 1)
	got := <-res
	if got.err != nil {
		t.Fatal(got.err)
	}
	r := got.r
	if !r.LoadStart.Equal(loadStart) || !r.LoadEnd.Equal(loadEnd) {
		t.Errorf("load window %s..%s, want the pod's %s..%s", r.LoadStart, r.LoadEnd, loadStart, loadEnd)
	}
	if r.BaselineReplicas != 1 || r.TargetReplicas != 4 || r.MaxReady != 4 || r.TimeToTargetSeconds == nil || r.TimeToBaselineSeconds == nil {
		t.Fatalf("result %+v", r)
	}
	if up, back := *r.TimeToTargetSeconds, *r.TimeToBaselineSeconds; up <= 0 || up > 30 || back < 0 || back > 30 {
		t.Errorf("time to 4 ready %.3fs, back to 1 %.3fs: outside (0, 30s]", up, back)
	}
	if r.Target != (Target{Kind: "Deployment", Namespace: ns, Name: name}) || r.RunID != "r1" {
		t.Errorf("identity %+v %s", r.Target, r.RunID)
	}
	p, err := Store(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("measured live: 1 to 4 ready in %.3fs, back to 1 in %.3fs after the load; stored %s", *r.TimeToTargetSeconds, *r.TimeToBaselineSeconds, p)

	// A failed load pod: the run is incomplete, nothing measured.
	o.RunID, o.Selector = "r2", collect.RunSelector("scale-up-time", "shared", "r2")
	res2 := make(chan out, 1)
	go func() {
		r, err := Measure(ctx, c, o)
		res2 <- out{r, err}
	}()
	bad := loadPod(ctx, t, c, "r2")
	time.Sleep(300 * time.Millisecond)
	finish(ctx, t, c, bad, time.Now().Add(-time.Second), time.Now(), corev1.PodFailed)
	if got := <-res2; got.err == nil || !strings.Contains(got.err.Error(), "load pod(s) load-r2 failed") {
		t.Errorf("failed load pod: %+v, %v", got.r, got.err)
	}
	// Flags that cannot measure anything are refused at once.
	if _, err := Measure(ctx, c, MeasureOptions{Namespace: ns, Deployment: name, Selector: "a=b"}); err == nil || !strings.Contains(err.Error(), "settle 0s must be positive") {
		t.Errorf("no settle: %v", err)
	}
	if _, err := Measure(ctx, c, MeasureOptions{Namespace: ns, Deployment: "nope", Selector: "a=b", Settle: time.Second}); err == nil || !strings.Contains(err.Error(), "deployment scale-up-time/nope") {
		t.Errorf("no deployment: %v", err)
	}
}
