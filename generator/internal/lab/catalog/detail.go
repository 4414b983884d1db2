package catalog

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/nearest"
)

// Detail is one experiment with its four questions answered.
type Detail struct {
	Row
	Description string `json:"description"`
	PodSecurity string `json:"podSecurity"`
	Source      string `json:"source"`
	// Deploy lists every component in deployment order: shared ones
	// first, then each variant's, each by sync wave then name.
	Deploy   []Component        `json:"deploy"`
	Variants []VariantSummary   `json:"variantDetails"`
	Measure  Measure            `json:"measure"`
	Cost     model.CostQuestion `json:"cost"`
	Compare  model.Compare      `json:"compare"`
	ADRs     []string           `json:"adrs"`
}

// VariantSummary is a variant's name, description and namespace.
type VariantSummary struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Namespace   string `json:"namespace"`
}

// Component is one deployed unit.
type Component struct {
	Variant string `json:"variant,omitempty"` // "" for shared
	// Set names the shared component set (lab.shared) it comes from, for
	// the sets the experiment requires.
	Set       string `json:"set,omitempty"`
	Name      string `json:"name"`
	Source    string `json:"source"` // chart@version or the local path
	Repo      string `json:"repository,omitempty"`
	Namespace string `json:"namespace"`
	SyncWave  int    `json:"syncWave"`
}

// Measure is the measurement plan, metrics sorted by name.
type Measure struct {
	Summary string         `json:"summary"`
	Metrics []model.Metric `json:"metrics"`
}

// NotFoundError is an unknown experiment name, with the closest names.
type NotFoundError struct {
	Name        string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no experiment %q in the lab", e.Name)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg + " (list shows every experiment)"
}

// Find returns the experiment called name.
func Find(lab *model.Lab, name string) (*Detail, error) {
	for _, p := range lab.Phases {
		if e, ok := p.Experiments[name]; ok {
			return detail(lab, p, e), nil
		}
	}
	return nil, &NotFoundError{Name: name, Suggestions: suggest(lab, name)}
}

func detail(lab *model.Lab, p *model.Phase, e *model.Experiment) *Detail {
	d := &Detail{
		Row:         row(p, e),
		Description: e.Description,
		PodSecurity: e.PodSecurity,
		Source:      e.Source,
		Cost:        e.Cost,
		Compare:     e.Compare,
		ADRs:        e.ADRs,
		Deploy:      []Component{},
		Variants:    []VariantSummary{},
		Measure:     Measure{Summary: e.Measure.Summary, Metrics: []model.Metric{}},
	}
	if d.Compare.Alternatives == nil {
		d.Compare.Alternatives = []string{}
	}
	if d.ADRs == nil {
		d.ADRs = []string{}
	}
	add := func(variant string, cs map[string]*model.Component) {
		names := slices.Sorted(maps.Keys(cs))
		sort.SliceStable(names, func(i, j int) bool { return cs[names[i]].SyncWave < cs[names[j]].SyncWave })
		for _, cn := range names {
			c := cs[cn]
			comp := Component{Variant: variant, Name: cn, Namespace: e.Namespace(variant, c), SyncWave: c.SyncWave}
			if c.Chart != nil {
				comp.Source = c.Chart.Name + "@" + c.Chart.Version
				comp.Repo = c.Chart.Repository
			} else {
				comp.Source = c.Path
			}
			d.Deploy = append(d.Deploy, comp)
		}
	}
	for _, sh := range lab.Needs([]*model.Experiment{e}) {
		for _, u := range sh.Units() {
			c := u.Component
			comp := Component{Set: sh.Name, Name: c.Name, Namespace: sh.Namespace, SyncWave: c.SyncWave, Source: c.Path}
			if c.Chart != nil {
				comp.Source, comp.Repo = c.Chart.Name+"@"+c.Chart.Version, c.Chart.Repository
			}
			d.Deploy = append(d.Deploy, comp)
		}
	}
	add("", e.Components)
	for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
		v := e.Variants[vn]
		d.Variants = append(d.Variants, VariantSummary{Name: vn, Description: v.Description, Namespace: e.VariantNamespace(vn)})
		add(vn, v.Components)
	}
	for _, mn := range slices.Sorted(maps.Keys(e.Measure.Metrics)) {
		d.Measure.Metrics = append(d.Measure.Metrics, *e.Measure.Metrics[mn])
	}
	return d
}

func suggest(lab *model.Lab, name string) []string {
	return nearest.Names(name, lab.ExperimentNames())
}

// Appendix is one optional topic.
type Appendix = model.Appendix

// Appendices lists the lab's appendices by letter.
func Appendices(lab *model.Lab) []Appendix {
	out := make([]Appendix, 0, len(lab.Appendices))
	for _, id := range slices.Sorted(maps.Keys(lab.Appendices)) {
		out = append(out, *lab.Appendices[id])
	}
	return out
}
