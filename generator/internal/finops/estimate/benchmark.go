package estimate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// ExpectedDurationAnnotation is the pod annotation of a benchmark Job
// holding its measured load time (render/benchjobs).
const ExpectedDurationAnnotation = "lab.illm.dev/expected-duration"

// benchmark prices one run of every benchmark Job of an experiment: each
// Job's pod requests for its measured load time, and for its active
// deadline as the most it can cost.
func (p *pricer) benchmark(files []string) (*Benchmark, error) {
	b := &Benchmark{ByVariant: []BenchmarkVariant{}}
	byVariant := map[string]*BenchmarkVariant{}
	for _, f := range files {
		var j batchv1.Job
		if err := yaml.Unmarshal(p.files[f], &j); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if j.Kind != "Job" {
			return nil, fmt.Errorf("%s: kind %q, want Job", f, j.Kind)
		}
		ann := j.Spec.Template.Annotations[ExpectedDurationAnnotation]
		d, err := time.ParseDuration(ann)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s: spec.template.metadata.annotations[%s]: %q is not a positive duration", f, ExpectedDurationAnnotation, ann)
		}
		if j.Spec.ActiveDeadlineSeconds == nil || *j.Spec.ActiveDeadlineSeconds <= 0 {
			return nil, fmt.Errorf("%s: spec.activeDeadlineSeconds: a benchmark Job needs a deadline to be priced", f)
		}
		maxD := time.Duration(*j.Spec.ActiveDeadlineSeconds) * time.Second
		c := Component{}
		one := int32(1)
		p.pod(&c, "Job", j.Name, &one, &j.Spec.Template.Spec)
		wl := c.Workloads[0]
		if len(c.NotPriced) > 0 {
			return nil, fmt.Errorf("%s: %s", f, strings.Join(c.NotPriced, "; "))
		}
		price := func(d time.Duration) (float64, error) {
			e, err := cost.Workloads(p.prices.Model, []cost.Workload{{Name: j.Name, CPURequestCores: wl.CPURequestCores, MemRequestBytes: wl.MemoryRequestBytes}}, d.Hours())
			return e.Total, err
		}
		lo, err := price(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		hi, err := price(maxD)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		variant := strings.Split(f, "/")[2]
		v := byVariant[variant]
		if v == nil {
			v = &BenchmarkVariant{Variant: variant}
			byVariant[variant] = v
		}
		v.Jobs++
		v.Seconds += d.Seconds()
		v.Cost += lo
		v.MaxCost += hi
		b.Jobs++
		b.Seconds += d.Seconds()
		b.MaxSeconds += maxD.Seconds()
		b.Cost += lo
		b.MaxCost += hi
	}
	for _, k := range slices.Sorted(maps.Keys(byVariant)) {
		b.ByVariant = append(b.ByVariant, *byVariant[k])
	}
	return b, nil
}
