// Package scaleup measures scale-up time (Phase 9): from the start of the
// load to N ready replicas of the scaled workload, and from the end of the
// load back to the replicas it started with. The samples are the
// Deployment's own status as the API server serves it over the run window
// (Watch), or a replica-count series read elsewhere over the same window
// (kube-state-metrics' kube_deployment_status_replicas_ready, FromSeries).
//
// The result has its own small type for now, stored beside a run's
// normalized result; the normalized result's next schema version is to
// absorb it (target replicas, time to N ready, time back, samples).
package scaleup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// SchemaVersion is the version of Result's JSON.
const SchemaVersion = 1

// Sample is the workload's replicas at one instant: how many are wanted
// (spec.replicas, what an autoscaler sets) and how many are ready
// (status.readyReplicas). A series of samples is a step function: each
// holds until the next.
type Sample struct {
	Time     time.Time `json:"time"`
	Desired  int32     `json:"desired"`
	Ready    int32     `json:"ready"`
	Observed string    `json:"observed,omitempty"` // where it came from: "watch", "list", a metric name
}

// Target names the scaled workload.
type Target struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Result is one run's scale-up measurement.
type Result struct {
	SchemaVersion int    `json:"schemaVersion"`
	Experiment    string `json:"experiment"`
	Variant       string `json:"variant"`
	RunID         string `json:"runId"`
	Target        Target `json:"target"`
	// LoadStart and LoadEnd bound the load (the load pod's run window).
	LoadStart time.Time `json:"loadStart"`
	LoadEnd   time.Time `json:"loadEnd"`
	// BaselineReplicas were ready when the load started; TargetReplicas
	// is the N of "time to N ready".
	BaselineReplicas int32 `json:"baselineReplicas"`
	TargetReplicas   int32 `json:"targetReplicas"`
	MaxReady         int32 `json:"maxReady"`
	// TimeToTargetSeconds is from LoadStart to the first sample with
	// TargetReplicas ready; nil when the run never got there.
	TimeToTargetSeconds *float64 `json:"timeToTargetSeconds"`
	// TimeToBaselineSeconds is from LoadEnd (or from reaching the target,
	// when that came later) to the first sample back at BaselineReplicas
	// ready or fewer; nil when the window ended first.
	TimeToBaselineSeconds *float64 `json:"timeToBaselineSeconds"`
	Samples               []Sample `json:"samples"`
}

// Options say what to measure from a series of samples.
type Options struct {
	LoadStart, LoadEnd time.Time
	// Target is the N of "time to N ready"; 0 means the most replicas
	// ready during the load.
	Target int32
	// Baseline is the replica count "back" means; nil means the replicas
	// ready when the load started.
	Baseline *int32
}

// Analyze measures a run from its samples (any order; one per change is
// enough, more are harmless).
func Analyze(samples []Sample, o Options) (*Result, error) {
	if len(samples) == 0 {
		return nil, errors.New("scale-up: no samples")
	}
	if o.LoadStart.IsZero() || o.LoadEnd.Before(o.LoadStart) {
		return nil, fmt.Errorf("scale-up: load window %s to %s is not a window", o.LoadStart.Format(time.RFC3339), o.LoadEnd.Format(time.RFC3339))
	}
	ss := append([]Sample{}, samples...)
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].Time.Before(ss[j].Time) })
	if ss[0].Time.After(o.LoadStart) {
		return nil, fmt.Errorf("scale-up: the first sample (%s) is after the load started (%s): the replicas at the start are unknown",
			ss[0].Time.Format(time.RFC3339Nano), o.LoadStart.Format(time.RFC3339Nano))
	}
	r := &Result{SchemaVersion: SchemaVersion, LoadStart: o.LoadStart.UTC(), LoadEnd: o.LoadEnd.UTC(), Samples: ss}
	// The state at the load's start: the last sample at or before it.
	start := ss[0]
	for _, s := range ss {
		if s.Time.After(o.LoadStart) {
			break
		}
		start = s
	}
	r.BaselineReplicas = start.Ready
	if o.Baseline != nil {
		r.BaselineReplicas = *o.Baseline
	}
	for _, s := range ss {
		if !s.Time.Before(o.LoadStart) && s.Ready > r.MaxReady {
			r.MaxReady = s.Ready
		}
	}
	r.TargetReplicas = o.Target
	if r.TargetReplicas == 0 {
		r.TargetReplicas = r.MaxReady
	}
	if r.TargetReplicas <= r.BaselineReplicas {
		return nil, fmt.Errorf("scale-up: target %d replicas is not above the %d ready at the start: nothing scaled up", r.TargetReplicas, r.BaselineReplicas)
	}
	var reached time.Time
	for _, s := range ss {
		if !s.Time.Before(o.LoadStart) && s.Ready >= r.TargetReplicas {
			reached = s.Time
			r.TimeToTargetSeconds = seconds(s.Time.Sub(o.LoadStart))
			break
		}
	}
	if reached.IsZero() {
		return r, nil
	}
	from := o.LoadEnd
	if reached.After(from) {
		from = reached
	}
	for _, s := range ss {
		if s.Time.After(reached) && !s.Time.Before(from) && s.Ready <= r.BaselineReplicas {
			r.TimeToBaselineSeconds = seconds(s.Time.Sub(from))
			break
		}
	}
	return r, nil
}

func seconds(d time.Duration) *float64 {
	x := math.Round(d.Seconds()*1000) / 1000
	return &x
}

// Point is one value of a replica-count series (a Prometheus range query
// of kube-state-metrics, for instance).
type Point struct {
	Time  time.Time
	Value float64
}

// FromSeries turns a ready-replicas series (and optionally a desired one,
// nil when unknown) into samples, one per point of ready.
func FromSeries(ready, desired []Point, source string) []Sample {
	out := make([]Sample, 0, len(ready))
	di := 0
	var last int32
	for _, p := range ready {
		for di < len(desired) && !desired[di].Time.After(p.Time) {
			last = int32(desired[di].Value)
			di++
		}
		out = append(out, Sample{Time: p.Time, Ready: int32(p.Value), Desired: last, Observed: source})
	}
	return out
}

// Watch samples a Deployment from the API server until ctx ends: its state
// when the watch starts, then every change the server sends. It resumes
// after a dropped watch from the last resource version seen.
func Watch(ctx context.Context, c kubernetes.Interface, namespace, name string) ([]Sample, error) {
	d, err := c.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("scale-up: deployment %s/%s: %w", namespace, name, err)
	}
	samples := []Sample{sampleOf(d, time.Now(), "get")}
	rv := d.ResourceVersion
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	for {
		w, err := c.AppsV1().Deployments(namespace).Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			if ctx.Err() != nil {
				return samples, nil
			}
			return samples, fmt.Errorf("scale-up: watch deployment %s/%s: %w", namespace, name, err)
		}
		for ev := range w.ResultChan() {
			now := time.Now()
			switch ev.Type {
			case watch.Added, watch.Modified:
				d, ok := ev.Object.(*appsv1.Deployment)
				if !ok {
					continue
				}
				rv = d.ResourceVersion
				s := sampleOf(d, now, "watch")
				if last := samples[len(samples)-1]; last.Desired != s.Desired || last.Ready != s.Ready {
					samples = append(samples, s)
				}
			case watch.Bookmark:
				if o, ok := ev.Object.(metav1.Object); ok {
					rv = o.GetResourceVersion()
				}
			case watch.Deleted:
				w.Stop()
				return samples, fmt.Errorf("scale-up: deployment %s/%s was deleted during the run", namespace, name)
			case watch.Error:
				// Most often 410 Gone: the version is too old; list again.
				d, err := c.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					w.Stop()
					if ctx.Err() != nil {
						return samples, nil
					}
					return samples, fmt.Errorf("scale-up: deployment %s/%s: %w", namespace, name, err)
				}
				rv = d.ResourceVersion
				samples = append(samples, sampleOf(d, now, "get"))
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return samples, nil
		}
	}
}

func sampleOf(d *appsv1.Deployment, t time.Time, how string) Sample {
	desired := int32(1)
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	return Sample{Time: t.UTC(), Desired: desired, Ready: d.Status.ReadyReplicas, Observed: how}
}

// Path is where Store writes r below dir: beside the run's normalized
// result, <experiment>/<variant>/<run-id>.scaleup.json.
func Path(dir string, r *Result) string {
	return filepath.Join(dir, r.Experiment, r.Variant, r.RunID+".scaleup.json")
}

// Store writes r below dir, append-only like the normalized results: an
// existing file is never replaced.
func Store(dir string, r *Result) (string, error) {
	var errs []error
	for _, f := range []struct{ n, v string }{{"experiment", r.Experiment}, {"variant", r.Variant}, {"run id", r.RunID}} {
		if err := results.CheckName(f.n, f.v); err != nil {
			errs = append(errs, err)
		}
	}
	if len(r.Samples) == 0 || r.TargetReplicas <= r.BaselineReplicas {
		errs = append(errs, errors.New("scale-up: refusing a result without samples or without a scale-up"))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	p := Path(dir, r)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("%s already exists: results are append-only, pick a new run id", p)
		}
		return "", err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(p)
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(p)
		return "", err
	}
	return p, f.Close()
}

// Load reads a stored result.
func Load(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %d, want %d", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
