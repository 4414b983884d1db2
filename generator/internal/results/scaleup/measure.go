package scaleup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/collect"
)

// MeasureOptions name the run to measure live.
type MeasureOptions struct {
	Experiment, Variant, RunID string
	// Namespace holds the Deployment and the run's load pods; Selector
	// selects the load pods (collect.RunSelector).
	Namespace, Deployment, Selector string
	// Settle is how long the Deployment is watched after the load ends,
	// for its way back (the scale-down); it must be positive.
	Settle time.Duration
	// Poll is how often the load pods are listed (default 2 s).
	Poll time.Duration
	// Target and Baseline as in Options.
	Target   int32
	Baseline *int32
}

// Measure watches the Deployment through the API server while the run's
// load pods run: it starts watching at once (so it must start before the
// load does), waits until every load pod has succeeded, watches Settle
// longer, and measures the samples over the load window of the pods'
// containers (collect.RunWindow). A failed load pod ends it with an error.
func Measure(ctx context.Context, c kubernetes.Interface, o MeasureOptions) (*Result, error) {
	if o.Namespace == "" || o.Deployment == "" || o.Selector == "" {
		return nil, errors.New("scale-up: namespace, deployment and load pod selector are required")
	}
	if o.Settle <= 0 {
		return nil, fmt.Errorf("scale-up: settle %s must be positive: the way back is measured after the load", o.Settle)
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	// The Deployment must exist before anything waits on it.
	if _, err := c.AppsV1().Deployments(o.Namespace).Get(ctx, o.Deployment, metav1.GetOptions{}); err != nil {
		return nil, fmt.Errorf("scale-up: deployment %s/%s: %w", o.Namespace, o.Deployment, err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	type watched struct {
		s   []Sample
		err error
	}
	done := make(chan watched, 1)
	go func() {
		s, err := Watch(wctx, c, o.Namespace, o.Deployment)
		done <- watched{s, err}
	}()
	w, err := waitRun(ctx, c, o)
	if err != nil {
		stop()
		<-done
		return nil, err
	}
	select {
	case <-time.After(time.Until(w.End.Add(o.Settle))):
	case <-ctx.Done():
		stop()
		<-done
		return nil, fmt.Errorf("scale-up: stopped while watching the way back: %w", ctx.Err())
	case got := <-done:
		// The watch ended early (the Deployment was deleted).
		if got.err != nil {
			return nil, got.err
		}
	}
	stop()
	got := <-done
	if got.err != nil {
		return nil, got.err
	}
	r, err := Analyze(got.s, Options{LoadStart: w.Start, LoadEnd: w.End, Target: o.Target, Baseline: o.Baseline})
	if err != nil {
		return nil, err
	}
	r.Experiment, r.Variant, r.RunID = o.Experiment, o.Variant, o.RunID
	r.Target = Target{Kind: "Deployment", Namespace: o.Namespace, Name: o.Deployment}
	return r, nil
}

// waitRun polls the load pods until all succeeded, and returns their
// window; a failed pod is an error.
func waitRun(ctx context.Context, c kubernetes.Interface, o MeasureOptions) (collect.Window, error) {
	t := time.NewTicker(o.Poll)
	defer t.Stop()
	for {
		list, err := c.CoreV1().Pods(o.Namespace).List(ctx, metav1.ListOptions{LabelSelector: o.Selector})
		if err != nil {
			return collect.Window{}, fmt.Errorf("scale-up: list load pods %s in %s: %w", o.Selector, o.Namespace, err)
		}
		all := len(list.Items) > 0
		var failed []string
		for _, p := range list.Items {
			switch p.Status.Phase {
			case corev1.PodFailed:
				failed = append(failed, p.Name)
			case corev1.PodSucceeded:
			default:
				all = false
			}
		}
		if len(failed) > 0 {
			return collect.Window{}, fmt.Errorf("scale-up: load pod(s) %s failed: the run is incomplete", strings.Join(failed, ", "))
		}
		if all {
			pods, err := collect.RunPods(ctx, c, o.Namespace, o.Selector)
			if err != nil {
				return collect.Window{}, err
			}
			return collect.RunWindow(pods)
		}
		select {
		case <-ctx.Done():
			return collect.Window{}, fmt.Errorf("scale-up: the run's load pods (%s in %s) did not finish: %w", o.Selector, o.Namespace, ctx.Err())
		case <-t.C:
		}
	}
}
