package collect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// ErrNoData is wrapped when a query returns nothing: a run whose resource
// usage or declared metrics are unknown is refused, never stored.
var ErrNoData = errors.New("query returned no data")

// Window is the run's time range.
type Window struct {
	Start, End time.Time
}

// Seconds is the window's length.
func (w Window) Seconds() float64 { return w.End.Sub(w.Start).Seconds() }

// PromDuration is the window as a PromQL range ($window), whole seconds
// rounded up so the range covers the run.
func (w Window) PromDuration() string {
	return strconv.FormatInt(int64(math.Ceil(w.Seconds())), 10) + "s"
}

func (w Window) check() error {
	if w.Start.IsZero() || w.End.IsZero() || !w.End.After(w.Start) {
		return fmt.Errorf("run window %s .. %s is empty", w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339))
	}
	return nil
}

// Prometheus queries the Prometheus HTTP API.
type Prometheus struct {
	api promv1.API
	// Step is the resolution of range queries (declared metrics).
	Step time.Duration
}

// NewPrometheus returns a client for the Prometheus at url (e.g.
// http://127.0.0.1:9090). rt may be nil (http.DefaultTransport).
func NewPrometheus(url string, rt http.RoundTripper) (*Prometheus, error) {
	c, err := promapi.NewClient(promapi.Config{Address: url, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", url, err)
	}
	return &Prometheus{api: promv1.NewAPI(c), Step: 15 * time.Second}, nil
}

// containerSelector matches the variant's containers, leaving out the
// pause container and the load generator's own pods: the load they put on
// the cluster is not the system under test's cost.
func containerSelector(ns string, exclude []string) string {
	sel := fmt.Sprintf(`namespace=%q,container!="",container!="POD"`, ns)
	if len(exclude) > 0 {
		q := make([]string, len(exclude))
		for i, p := range exclude {
			q[i] = regexpQuote(p)
		}
		sort.Strings(q)
		sel += fmt.Sprintf(`,pod!~%q`, strings.Join(q, "|"))
	}
	return sel
}

// regexpQuote escapes RE2 metacharacters (pod names hold only [a-z0-9.-],
// but the dot must not match anything).
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ResourceQueries are the PromQL the collector sends for container usage.
func ResourceQueries(ns string, exclude []string, w Window) (cpu, mem string) {
	sel := containerSelector(ns, exclude)
	d := w.PromDuration()
	cpu = fmt.Sprintf(`sum by (namespace, pod, container) (increase(container_cpu_usage_seconds_total{%s}[%s]))`, sel, d)
	mem = fmt.Sprintf(`max by (namespace, pod, container) (max_over_time(container_memory_working_set_bytes{%s}[%s]))`, sel, d)
	return cpu, mem
}

// Resources returns each container's CPU core-seconds and peak working set
// in namespace ns over w, leaving out the pods in exclude. Requests are not
// filled (they come from the pod specs).
func (p *Prometheus) Resources(ctx context.Context, ns string, exclude []string, w Window) ([]results.ContainerUsage, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	cpuQ, memQ := ResourceQueries(ns, exclude, w)
	cpu, err := p.instant(ctx, cpuQ, w.End)
	if err != nil {
		return nil, fmt.Errorf("container CPU: %w", err)
	}
	mem, err := p.instant(ctx, memQ, w.End)
	if err != nil {
		return nil, fmt.Errorf("container memory: %w", err)
	}
	byName := map[string]*results.ContainerUsage{}
	get := func(s *model.Sample) *results.ContainerUsage {
		name := string(s.Metric["namespace"]) + "/" + string(s.Metric["pod"]) + "/" + string(s.Metric["container"])
		c := byName[name]
		if c == nil {
			c = &results.ContainerUsage{Name: name}
			byName[name] = c
		}
		return c
	}
	for _, s := range cpu {
		v, err := finite("container CPU of "+sampleName(s), float64(s.Value))
		if err != nil {
			return nil, err
		}
		get(s).CPUCoreSeconds = &v
	}
	for _, s := range mem {
		v, err := finite("container memory of "+sampleName(s), float64(s.Value))
		if err != nil {
			return nil, err
		}
		get(s).MemoryPeakBytes = &v
	}
	out := make([]results.ContainerUsage, 0, len(byName))
	for _, c := range byName {
		if c.CPUCoreSeconds == nil {
			return nil, fmt.Errorf("container %s: no CPU samples in the window (%w)", c.Name, ErrNoData)
		}
		if c.MemoryPeakBytes == nil {
			return nil, fmt.Errorf("container %s: no memory samples in the window (%w)", c.Name, ErrNoData)
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func sampleName(s *model.Sample) string {
	return string(s.Metric["namespace"]) + "/" + string(s.Metric["pod"]) + "/" + string(s.Metric["container"])
}

func finite(what string, v float64) (float64, error) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%s is %v", what, v)
	case v < 0:
		return 0, fmt.Errorf("%s is negative (%v)", what, v)
	}
	return v, nil
}

func (p *Prometheus) instant(ctx context.Context, q string, at time.Time) (model.Vector, error) {
	v, _, err := p.api.Query(ctx, q, at)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", q, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s: got a %s, want an instant vector", q, v.Type())
	}
	if len(vec) == 0 {
		return nil, fmt.Errorf("query %s at %s: %w", q, at.UTC().Format(time.RFC3339), ErrNoData)
	}
	return vec, nil
}

// Substitute replaces the placeholders a declared metric's query may use.
func Substitute(query, ns string, w Window) string {
	return strings.NewReplacer("$namespace", ns, "$window", w.PromDuration()).Replace(query)
}

// Metrics evaluates every declared metric over w as a range query and
// reduces it with its aggregation. A query must yield one series (sum it in
// PromQL), with finite, non-negative samples.
func (p *Prometheus) Metrics(ctx context.Context, metrics map[string]*labmodel.Metric, ns string, w Window) (map[string]results.MetricValue, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(metrics))
	for n := range metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]results.MetricValue, len(names))
	var errs []error
	for _, n := range names {
		m := metrics[n]
		v, q, err := p.metric(ctx, m, ns, w)
		if err != nil {
			errs = append(errs, fmt.Errorf("metric %s: %w", n, err))
			continue
		}
		out[n] = results.MetricValue{Value: v, Unit: m.Unit, Aggregation: aggregationOf(m), Query: q}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func aggregationOf(m *labmodel.Metric) string {
	if m.Aggregation == "" {
		return "max" // the CUE default
	}
	return m.Aggregation
}

func (p *Prometheus) metric(ctx context.Context, m *labmodel.Metric, ns string, w Window) (float64, string, error) {
	q := Substitute(m.Query, ns, w)
	step := p.Step
	if step <= 0 {
		step = 15 * time.Second
	}
	v, _, err := p.api.QueryRange(ctx, q, promv1.Range{Start: w.Start, End: w.End, Step: step})
	if err != nil {
		return 0, q, fmt.Errorf("query %s: %w", q, err)
	}
	mat, ok := v.(model.Matrix)
	if !ok {
		return 0, q, fmt.Errorf("query %s: got a %s, want a range vector", q, v.Type())
	}
	if len(mat) == 0 || len(mat[0].Values) == 0 && len(mat[0].Histograms) == 0 {
		return 0, q, fmt.Errorf("query %s over %s .. %s: %w", q, w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339), ErrNoData)
	}
	if len(mat) > 1 {
		return 0, q, fmt.Errorf("query %s returned %d series, want one (aggregate it, e.g. sum(...))", q, len(mat))
	}
	if len(mat[0].Histograms) > 0 {
		return 0, q, fmt.Errorf("query %s returned native histograms, want a number", q)
	}
	vals := make([]float64, len(mat[0].Values))
	for i, s := range mat[0].Values {
		f, err := finite(fmt.Sprintf("sample at %s", s.Timestamp.Time().UTC().Format(time.RFC3339)), float64(s.Value))
		if err != nil {
			return 0, q, fmt.Errorf("query %s: %w", q, err)
		}
		vals[i] = f
	}
	r, err := Reduce(aggregationOf(m), vals)
	return r, q, err
}

// Reduce folds a range's samples (in time order) into one number.
func Reduce(aggregation string, vals []float64) (float64, error) {
	if len(vals) == 0 {
		return 0, ErrNoData
	}
	switch aggregation {
	case "max":
		r := vals[0]
		for _, v := range vals[1:] {
			r = math.Max(r, v)
		}
		return r, nil
	case "min":
		r := vals[0]
		for _, v := range vals[1:] {
			r = math.Min(r, v)
		}
		return r, nil
	case "avg":
		var s float64
		for _, v := range vals {
			s += v
		}
		return s / float64(len(vals)), nil
	case "last":
		return vals[len(vals)-1], nil
	}
	return 0, fmt.Errorf("unknown aggregation %q (want max, avg, min or last)", aggregation)
}
