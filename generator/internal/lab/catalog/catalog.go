// Package catalog is the lab as something to browse: one row per
// experiment, progress per phase, and the four questions (deploy,
// measure, cost, compare) of one experiment. It reads the loaded model
// and never renders or writes anything.
package catalog

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Row is one experiment in the catalogue.
type Row struct {
	Phase       string `json:"phase"`
	PhaseNumber int    `json:"phaseNumber"`
	Experiment  string `json:"experiment"`
	Title       string `json:"title"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	// Components counts everything deployed: shared components plus every
	// variant's.
	Components int      `json:"components"`
	Variants   []string `json:"variants"`
	Benchmark  bool     `json:"benchmark"`
	// Tools are the load tools of its benchmark, sorted (k6, pgbench...).
	Tools []string `json:"tools"`
}

// Progress is how many experiments of a phase are validated.
type Progress struct {
	Phase       string `json:"phase"`
	PhaseNumber int    `json:"phaseNumber"`
	Title       string `json:"title"`
	Validated   int    `json:"validated"`
	Total       int    `json:"total"`
	// Benchmarks counts the experiments with a benchmark.
	Benchmarks int `json:"benchmarks"`
	// Complete is true when every experiment of the phase is validated.
	Complete bool `json:"complete"`
}

// Catalogue is the browsable lab.
type Catalogue struct {
	Experiments []Row      `json:"experiments"`
	Progress    []Progress `json:"progress"`
	// Validated and Total sum Progress over every phase.
	Validated  int `json:"validated"`
	Total      int `json:"total"`
	Benchmarks int `json:"benchmarks"`
}

// Filter selects experiments; empty fields match everything.
type Filter struct {
	Phase  string // phase key or number
	Kind   string
	Status string
}

func (f Filter) match(p *model.Phase, e *model.Experiment) bool {
	if f.Phase != "" && f.Phase != p.Name && f.Phase != fmt.Sprint(p.Number) {
		return false
	}
	return (f.Kind == "" || f.Kind == e.Kind) && (f.Status == "" || f.Status == e.Status)
}

// Build lists the experiments f selects, ordered by phase number then
// name, with the progress of the phases they belong to.
func Build(lab *model.Lab, f Filter) (*Catalogue, error) {
	if f.Phase != "" && phaseOf(lab, f.Phase) == nil {
		return nil, fmt.Errorf("no phase %q in the lab (phases: %s)", f.Phase, strings.Join(phaseNames(lab), ", "))
	}
	c := &Catalogue{Experiments: []Row{}, Progress: []Progress{}}
	for _, p := range phases(lab) {
		pr := Progress{Phase: p.Name, PhaseNumber: p.Number, Title: p.Title}
		for _, en := range slices.Sorted(maps.Keys(p.Experiments)) {
			e := p.Experiments[en]
			if !f.match(p, e) {
				continue
			}
			c.Experiments = append(c.Experiments, row(p, e))
			pr.Total++
			if e.Benchmark != nil {
				pr.Benchmarks++
			}
			if e.Status == "validated" {
				pr.Validated++
			}
		}
		if pr.Total == 0 && (f.Kind != "" || f.Status != "" || f.Phase != "") {
			continue
		}
		pr.Complete = pr.Total > 0 && pr.Validated == pr.Total
		c.Progress = append(c.Progress, pr)
		c.Validated += pr.Validated
		c.Total += pr.Total
		c.Benchmarks += pr.Benchmarks
	}
	return c, nil
}

func row(p *model.Phase, e *model.Experiment) Row {
	r := Row{
		Phase:       p.Name,
		PhaseNumber: p.Number,
		Experiment:  e.Name,
		Title:       e.Title,
		Kind:        e.Kind,
		Status:      e.Status,
		Components:  len(e.Components),
		Variants:    append([]string{}, slices.Sorted(maps.Keys(e.Variants))...), // [] not null in JSON
		Benchmark:   e.Benchmark != nil,
		Tools:       []string{},
	}
	for _, v := range e.Variants {
		r.Components += len(v.Components)
	}
	if e.Benchmark != nil {
		seen := map[string]bool{}
		for _, v := range e.BenchmarkVariants() {
			seen[e.Benchmark.ToolOf(v)] = true
		}
		r.Tools = slices.Sorted(maps.Keys(seen))
	}
	return r
}

// phases are the lab's phases by number.
func phases(lab *model.Lab) []*model.Phase {
	ps := make([]*model.Phase, 0, len(lab.Phases))
	for _, p := range lab.Phases {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Number < ps[j].Number })
	return ps
}

func phaseOf(lab *model.Lab, key string) *model.Phase {
	for _, p := range lab.Phases {
		if p.Name == key || fmt.Sprint(p.Number) == key {
			return p
		}
	}
	return nil
}

func phaseNames(lab *model.Lab) []string {
	var out []string
	for _, p := range phases(lab) {
		out = append(out, p.Name)
	}
	return out
}
