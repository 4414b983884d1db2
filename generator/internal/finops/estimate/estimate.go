// Package estimate prices what the rendered GitOps tree asks for, before
// anything is deployed: per experiment, variant and component the CPU and
// memory requests (and limits) times replicas, the persistent volumes, and
// the benchmark Jobs times their repetitions and duration, at the lab's
// cost model (OpenCost's unit prices).
//
// It reads only the generated files (a rendered tree in memory, or the
// committed files of a Git ref), so the tree of a pull request and the
// tree of its base are priced the same way. Rendered charts are priced
// from their objects; remote charts left to ArgoCD from the values the
// lab sets (resources, replicas, persistence sizes). What cannot be priced
// is listed as not priced: never counted as zero.
package estimate

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// Prices are the unit prices and the month length of the lab's cost model.
type Prices struct {
	Model         cost.Model
	HoursPerMonth float64
}

// Options select and price the experiments of a tree.
type Options struct {
	Prices Prices
	// Cluster keeps only the experiments conducted on that cluster
	// (clusters/<cluster>/experiments/<experiment>.yaml); "" keeps all.
	Cluster string
	// Experiment keeps only that experiment; "" keeps all.
	Experiment string
	// Nodes is the node count DaemonSets are priced for (default 1).
	Nodes int
}

// Report is the priced tree.
type Report struct {
	Currency      string  `json:"currency"`
	HoursPerMonth float64 `json:"hours_per_month"`
	Cluster       string  `json:"cluster,omitempty"`
	// Monthly is every component's requests priced for a month;
	// MonthlyAtLimits the same at their limits (the ceiling).
	Monthly         float64 `json:"monthly"`
	MonthlyAtLimits float64 `json:"monthly_at_limits"`
	// Benchmarks is the price of running every benchmark once: each Job
	// for its measured duration; BenchmarksMax for its active deadline.
	Benchmarks    float64      `json:"benchmarks"`
	BenchmarksMax float64      `json:"benchmarks_max"`
	Experiments   []Experiment `json:"experiments"`
	// NotPriced lists everything that asks for resources this estimate
	// cannot price, across experiments.
	NotPriced []Unpriced `json:"not_priced"`
}

// Experiment is one experiment's share.
type Experiment struct {
	Phase           string      `json:"phase"`
	Name            string      `json:"name"`
	Monthly         float64     `json:"monthly"`
	MonthlyAtLimits float64     `json:"monthly_at_limits"`
	Components      []Component `json:"components"`
	Benchmark       *Benchmark  `json:"benchmark,omitempty"`
}

// Component is one deployed unit: a component of the experiment (variant
// "") or of one of its variants.
type Component struct {
	Variant string `json:"variant,omitempty"`
	Name    string `json:"name"`
	// Source is "rendered" (priced from the rendered objects) or
	// "values" (a remote chart, priced from the values the lab sets).
	Source string `json:"source"`
	// Chart is the chart (name-version) when the tree says.
	Chart     string     `json:"chart,omitempty"`
	Workloads []Workload `json:"workloads"`
	Volumes   []Volume   `json:"volumes"`
	Totals
	// sidecars are per-pod proxy templates (a mesh's proxy resources),
	// priced once per pod of an injected namespace.
	sidecars  []Workload
	NotPriced []string `json:"not_priced"`
}

// Totals are requested resources and their monthly price.
type Totals struct {
	CPURequestCores    float64 `json:"cpu_request_cores"`
	CPULimitCores      float64 `json:"cpu_limit_cores"`
	MemoryRequestBytes float64 `json:"memory_request_bytes"`
	MemoryLimitBytes   float64 `json:"memory_limit_bytes"`
	StorageBytes       float64 `json:"storage_bytes"`
	Monthly            float64 `json:"monthly"`
	MonthlyAtLimits    float64 `json:"monthly_at_limits"`
}

// Workload is one set of identical pods.
type Workload struct {
	// Kind is the object kind (Deployment...) or "values" for a remote chart.
	Kind string `json:"kind"`
	// Name is the object's name, or the values path priced.
	Name     string `json:"name"`
	Replicas int    `json:"replicas"`
	// ReplicasAssumed is true when neither the object nor the values say,
	// and one replica was priced.
	ReplicasAssumed bool `json:"replicas_assumed,omitempty"`
	// Per pod.
	CPURequestCores    float64 `json:"cpu_request_cores"`
	CPULimitCores      float64 `json:"cpu_limit_cores"`
	MemoryRequestBytes float64 `json:"memory_request_bytes"`
	MemoryLimitBytes   float64 `json:"memory_limit_bytes"`
}

// Volume is persistent storage a component claims.
type Volume struct {
	Name     string  `json:"name"`
	Bytes    float64 `json:"bytes"`
	Replicas int     `json:"replicas"`
}

// Benchmark is the price of one run of an experiment's benchmark.
type Benchmark struct {
	Jobs int `json:"jobs"`
	// Seconds is the measured load time of every Job added up;
	// MaxSeconds their active deadlines.
	Seconds    float64            `json:"seconds"`
	MaxSeconds float64            `json:"max_seconds"`
	Cost       float64            `json:"cost"`
	MaxCost    float64            `json:"max_cost"`
	ByVariant  []BenchmarkVariant `json:"by_variant"`
}

// BenchmarkVariant is one variant's Jobs.
type BenchmarkVariant struct {
	Variant string  `json:"variant"`
	Jobs    int     `json:"jobs"`
	Seconds float64 `json:"seconds"`
	Cost    float64 `json:"cost"`
	MaxCost float64 `json:"max_cost"`
}

// Unpriced is something the estimate could not price, and why.
type Unpriced struct {
	Experiment string `json:"experiment"`
	Variant    string `json:"variant,omitempty"`
	Component  string `json:"component"`
	Reason     string `json:"reason"`
}

// Files is a set of generated files by repo-relative path.
type Files map[string][]byte

// Estimate prices the generated files.
func Estimate(files Files, o Options) (*Report, error) {
	if err := o.Prices.Model.Validate(); err != nil {
		return nil, err
	}
	if o.Prices.HoursPerMonth <= 0 || math.IsNaN(o.Prices.HoursPerMonth) || math.IsInf(o.Prices.HoursPerMonth, 0) {
		return nil, fmt.Errorf("cost model: hoursPerMonth must be positive, got %v", o.Prices.HoursPerMonth)
	}
	if o.Nodes <= 0 {
		o.Nodes = 1
	}
	l, err := layout(files)
	if err != nil {
		return nil, err
	}
	keep := func(string) bool { return true }
	if o.Cluster != "" {
		on, ok := l.conducted[o.Cluster]
		if !ok {
			return nil, fmt.Errorf("cluster %q: no clusters/%s/ in the tree (clusters: %s)", o.Cluster, o.Cluster, strings.Join(slices.Sorted(maps.Keys(l.conducted)), ", "))
		}
		keep = func(e string) bool { return on[e] }
	}
	if o.Experiment != "" {
		if _, ok := l.experiments[o.Experiment]; !ok {
			return nil, fmt.Errorf("experiment %q: no apps/<phase>/%s/ in the tree", o.Experiment, o.Experiment)
		}
		if !keep(o.Experiment) {
			return nil, fmt.Errorf("experiment %q is not conducted on cluster %s", o.Experiment, o.Cluster)
		}
		prev := keep
		keep = func(e string) bool { return e == o.Experiment && prev(e) }
	}
	p := &pricer{files: files, prices: o.Prices, nodes: o.Nodes}
	rep := &Report{Currency: o.Prices.Model.Currency, HoursPerMonth: o.Prices.HoursPerMonth, Cluster: o.Cluster, Experiments: []Experiment{}, NotPriced: []Unpriced{}}
	var errs []error
	for _, en := range slices.Sorted(maps.Keys(l.experiments)) {
		if !keep(en) {
			continue
		}
		le := l.experiments[en]
		ex := Experiment{Phase: le.phase, Name: en, Components: []Component{}}
		var comps []Component
		for _, u := range le.units {
			c, err := p.component(le, u)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			comps = append(comps, c)
		}
		injected, err := injectedNamespaces(files, le.dir+"/namespaces.yaml")
		if err != nil {
			errs = append(errs, err)
		}
		sidecars(en, comps, injected)
		for _, c := range comps {
			if err := p.total(&c); err != nil {
				errs = append(errs, err)
				continue
			}
			ex.Monthly += c.Monthly
			ex.MonthlyAtLimits += c.MonthlyAtLimits
			for _, r := range c.NotPriced {
				rep.NotPriced = append(rep.NotPriced, Unpriced{Experiment: en, Variant: c.Variant, Component: c.Name, Reason: r})
			}
			ex.Components = append(ex.Components, c)
		}
		if jobs := l.benchmarks[en]; len(jobs) > 0 {
			b, err := p.benchmark(jobs)
			if err != nil {
				errs = append(errs, err)
			} else {
				ex.Benchmark = b
				rep.Benchmarks += b.Cost
				rep.BenchmarksMax += b.MaxCost
			}
		}
		rep.Monthly += ex.Monthly
		rep.MonthlyAtLimits += ex.MonthlyAtLimits
		rep.Experiments = append(rep.Experiments, ex)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rep, nil
}

// unit is one component's files.
type unit struct {
	variant, component string
	values             string // values file path
	renderedDir        string // "" when not rendered
}

type labExperiment struct {
	phase string
	dir   string
	units []unit
}

type treeLayout struct {
	experiments map[string]*labExperiment
	// benchmarks: experiment -> Job files
	benchmarks map[string][]string
	// conducted: cluster -> experiments
	conducted map[string]map[string]bool
}

// layout finds the experiments, their components and benchmark Jobs from
// the paths of the generated files (see render: apps/<phase>/<experiment>/
// values/[<variant>/]<component>.yaml, a rendered component's
// kustomization beside it, benchmarks/<experiment>/<variant>/job-rN.yaml).
func layout(files Files) (*treeLayout, error) {
	l := &treeLayout{experiments: map[string]*labExperiment{}, benchmarks: map[string][]string{}, conducted: map[string]map[string]bool{}}
	paths := slices.Sorted(maps.Keys(files))
	for _, p := range paths {
		parts := strings.Split(p, "/")
		switch {
		case len(parts) == 4 && parts[0] == "apps" && parts[3] == "namespaces.yaml":
			l.experiments[parts[2]] = &labExperiment{phase: parts[1], dir: path.Join(parts[:3]...)}
		case len(parts) == 4 && parts[0] == "benchmarks" && strings.HasPrefix(parts[3], "job-") && strings.HasSuffix(parts[3], ".yaml"):
			l.benchmarks[parts[1]] = append(l.benchmarks[parts[1]], p)
		case len(parts) >= 2 && parts[0] == "clusters":
			if l.conducted[parts[1]] == nil {
				l.conducted[parts[1]] = map[string]bool{}
			}
			if len(parts) == 4 && parts[2] == "experiments" && strings.HasSuffix(parts[3], ".yaml") {
				l.conducted[parts[1]][strings.TrimSuffix(parts[3], ".yaml")] = true
			}
		}
	}
	for _, p := range paths {
		parts := strings.Split(p, "/")
		if len(parts) < 5 || parts[0] != "apps" || parts[3] != "values" || !strings.HasSuffix(p, ".yaml") {
			continue
		}
		e := l.experiments[parts[2]]
		if e == nil || e.phase != parts[1] {
			return nil, fmt.Errorf("%s: values file of an experiment without %s/%s/%s/namespaces.yaml", p, parts[0], parts[1], parts[2])
		}
		u := unit{values: p}
		switch len(parts) {
		case 5:
			u.component = strings.TrimSuffix(parts[4], ".yaml")
			u.renderedDir = e.dir + "/" + u.component
		case 6:
			u.variant = parts[4]
			u.component = strings.TrimSuffix(parts[5], ".yaml")
			u.renderedDir = e.dir + "/" + u.variant + "/" + u.component
		default:
			return nil, fmt.Errorf("%s: unexpected values file depth", p)
		}
		if _, ok := files[u.renderedDir+"/kustomization.yaml"]; !ok {
			u.renderedDir = ""
		}
		e.units = append(e.units, u)
	}
	for _, e := range l.experiments {
		sort.Slice(e.units, func(i, j int) bool {
			a, b := e.units[i], e.units[j]
			if a.variant != b.variant {
				return a.variant < b.variant
			}
			return a.component < b.component
		})
	}
	return l, nil
}

// pricer prices units under one cost model.
type pricer struct {
	files  Files
	prices Prices
	nodes  int
}

// monthly prices totals for a month at requests and at limits.
func (p *pricer) monthly(t *Totals) error {
	h := p.prices.HoursPerMonth
	req, err := cost.Workloads(p.prices.Model, []cost.Workload{{CPURequestCores: t.CPURequestCores, MemRequestBytes: t.MemoryRequestBytes, StorageBytes: t.StorageBytes}}, h)
	if err != nil {
		return err
	}
	lim, err := cost.Workloads(p.prices.Model, []cost.Workload{{CPURequestCores: math.Max(t.CPULimitCores, t.CPURequestCores), MemRequestBytes: math.Max(t.MemoryLimitBytes, t.MemoryRequestBytes), StorageBytes: t.StorageBytes}}, h)
	if err != nil {
		return err
	}
	// Storage is priced per GiB-month whatever the month's length.
	t.Monthly = req.CPU + req.RAM + t.StorageBytes/cost.GiB*p.prices.Model.StorageGiBMonth
	t.MonthlyAtLimits = lim.CPU + lim.RAM + t.StorageBytes/cost.GiB*p.prices.Model.StorageGiBMonth
	return nil
}

func (p *pricer) component(e *labExperiment, u unit) (Component, error) {
	c := Component{Variant: u.variant, Name: u.component, Workloads: []Workload{}, Volumes: []Volume{}, NotPriced: []string{}}
	var err error
	if u.renderedDir != "" {
		c.Source = "rendered"
		err = p.rendered(&c, u.renderedDir)
	} else {
		c.Source = "values"
		err = p.values(&c, u.values)
	}
	return c, err
}

// total adds up a component's workloads and volumes and prices them.
func (p *pricer) total(c *Component) error {
	for _, w := range c.Workloads {
		n := float64(w.Replicas)
		c.CPURequestCores += n * w.CPURequestCores
		c.CPULimitCores += n * w.CPULimitCores
		c.MemoryRequestBytes += n * w.MemoryRequestBytes
		c.MemoryLimitBytes += n * w.MemoryLimitBytes
	}
	for _, v := range c.Volumes {
		c.StorageBytes += float64(v.Replicas) * v.Bytes
	}
	sort.Strings(c.NotPriced)
	return p.monthly(&c.Totals)
}

// Only is the report of one experiment (empty when the tree lacks it):
// a base that does not have a new experiment yet.
func (r *Report) Only(experiment string) *Report {
	out := &Report{Currency: r.Currency, HoursPerMonth: r.HoursPerMonth, Cluster: r.Cluster, Experiments: []Experiment{}, NotPriced: []Unpriced{}}
	for _, e := range r.Experiments {
		if e.Name != experiment {
			continue
		}
		out.Experiments = append(out.Experiments, e)
		out.Monthly += e.Monthly
		out.MonthlyAtLimits += e.MonthlyAtLimits
		if e.Benchmark != nil {
			out.Benchmarks += e.Benchmark.Cost
			out.BenchmarksMax += e.Benchmark.MaxCost
		}
	}
	for _, u := range r.NotPriced {
		if u.Experiment == experiment {
			out.NotPriced = append(out.NotPriced, u)
		}
	}
	return out
}

// Priced tells whether anything of the component was priced: one with
// neither workloads nor volumes is unknown, not free.
func (c *Component) Priced() bool { return len(c.Workloads) > 0 || len(c.Volumes) > 0 }
