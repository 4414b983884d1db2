package suggest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"cuelang.org/go/cue/format"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/analyze"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Chart is a pinned chart for a scaffolded component.
type Chart struct {
	Component string // component (tutorial) or variant (comparison) name
	model.Chart
}

// Spec is an experiment to scaffold.
type Spec struct {
	Name, Phase, Kind     string
	Title, Description    string
	Header                []string // comment lines above the package clause
	Alternatives          []string
	Charts                []Chart
	MeasureWhat, CostWhat string
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Kinds a scaffold may have.
var Kinds = []string{"tutorial", "comparison", "benchmark", "capstone"}

// Check refuses a spec that would not load: unknown phase, taken name,
// a comparison without two pinned variants.
func (s *Spec) Check(lab *model.Lab) error {
	if !nameRE.MatchString(s.Name) || len(s.Name) > 50 {
		return fmt.Errorf("experiment name %q: want a DNS-1123 label of at most 50 characters (lower case, digits, dashes)", s.Name)
	}
	if _, ok := lab.Phases[s.Phase]; !ok {
		return fmt.Errorf("no phase %q in the lab (phases: %s)", s.Phase, strings.Join(sortedPhases(lab), ", "))
	}
	for pn, p := range lab.Phases {
		if _, ok := p.Experiments[s.Name]; ok {
			return fmt.Errorf("experiment %q already exists in phase %q", s.Name, pn)
		}
	}
	if !contains(Kinds, s.Kind) {
		return fmt.Errorf("kind %q: want one of %s", s.Kind, strings.Join(Kinds, ", "))
	}
	if s.Kind == "comparison" && len(s.Charts) < 2 {
		return fmt.Errorf("a comparison needs at least two variants, each a pinned chart: pass --chart VARIANT=REPOSITORY/CHART@VERSION twice")
	}
	seen := map[string]bool{}
	for _, c := range s.Charts {
		if !nameRE.MatchString(c.Component) || seen[c.Component] {
			return fmt.Errorf("chart for %q: want a unique DNS-1123 name", c.Component)
		}
		seen[c.Component] = true
	}
	return nil
}

// ParseChart reads NAME=REPOSITORY/CHART@VERSION (https:// or oci://).
func ParseChart(s string) (Chart, error) {
	name, ref, ok := strings.Cut(s, "=")
	at := strings.LastIndex(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if !ok || at < 0 || slash < 0 || slash > at {
		return Chart{}, fmt.Errorf("--chart %q: want NAME=REPOSITORY/CHART@VERSION, e.g. beyla=https://grafana.github.io/helm-charts/beyla@1.9.2", s)
	}
	c := Chart{Component: name, Chart: model.Chart{Repository: ref[:slash], Name: ref[slash+1 : at], Version: ref[at+1:]}}
	if u, err := url.Parse(c.Repository); err != nil || (u.Scheme != "https" && u.Scheme != "oci") || u.Host == "" {
		return Chart{}, fmt.Errorf("--chart %q: repository %q must be an https:// or oci:// URL", s, c.Repository)
	}
	return c, nil
}

// CUE renders the scaffold as a CUE file of package phases, formatted.
func (s *Spec) CUE() ([]byte, error) {
	var b bytes.Buffer
	for _, h := range s.Header {
		fmt.Fprintf(&b, "// %s\n", oneLine(h))
	}
	b.WriteString("package phases\n\n")
	fmt.Fprintf(&b, "lab: phases: %s: experiments: %s: {\n", label(s.Phase), label(s.Name))
	fmt.Fprintf(&b, "kind: %s\nstatus: \"backlog\"\ntitle: %s\ndescription: %s\n", q(s.Kind), q(s.Title), q(s.Description))
	switch {
	case s.Kind == "comparison":
		b.WriteString("variants: {\n")
		for _, c := range s.Charts {
			fmt.Fprintf(&b, "%s: components: %s: chart: {repository: %s, name: %s, version: %s}\n", label(c.Component), label(c.Name), q(c.Repository), q(c.Name), q(c.Version))
		}
		b.WriteString("}\n")
	case len(s.Charts) > 0:
		b.WriteString("components: {\n")
		for _, c := range s.Charts {
			fmt.Fprintf(&b, "%s: chart: {repository: %s, name: %s, version: %s}\n", label(c.Component), q(c.Repository), q(c.Name), q(c.Version))
		}
		b.WriteString("}\n")
	default:
		b.WriteString("// TODO: add what it deploys, each chart pinned to an exact version, e.g.\n")
		fmt.Fprintf(&b, "// components: %s: chart: {repository: \"https://…\", name: \"…\", version: \"1.2.3\"}\n", s.Name)
	}
	fmt.Fprintf(&b, "measure: summary: %s\n", q("TODO: what to measure of "+s.MeasureWhat+", and the PromQL metrics for it."))
	fmt.Fprintf(&b, "cost: question: %s\n", q("TODO: what does "+s.CostWhat+" cost to run?"))
	alts, _ := json.Marshal(s.Alternatives)
	if s.Alternatives == nil {
		alts = []byte("[]")
	}
	sum := "TODO: how " + s.MeasureWhat + " compares with its alternatives."
	if len(s.Alternatives) > 0 {
		sum = "TODO: compare " + s.MeasureWhat + " with " + strings.Join(s.Alternatives, ", ") + "."
	}
	fmt.Fprintf(&b, "compare: {\nsummary: %s\nalternatives: %s\n}\n}\n", q(sum), alts)
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("scaffold of %s is not valid CUE: %w", s.Name, err)
	}
	return out, nil
}

// FromCandidate is the scaffold for a discovered P0/P1 finding: a backlog
// tutorial with no component (the report gives no pinned chart), in the
// phase it was placed in, to compare with the experiments named.
func FromCandidate(a *analyze.Analysis, x *analyze.Candidate, date, report string) *Spec {
	desc := x.Description
	if desc == "" {
		desc = x.Name + ", found by tech discovery."
	}
	var contrib []string
	for _, c := range x.Contributions {
		if c.Points != 0 {
			contrib = append(contrib, fmt.Sprintf("%s %+.1f", c.Rule, c.Points))
		}
	}
	return &Spec{
		Name: x.Slug, Phase: x.Phase, Kind: "tutorial",
		Title: x.Name, Description: desc, Alternatives: x.CompareWith,
		MeasureWhat: x.Name, CostWhat: x.Name,
		Header: []string{
			fmt.Sprintf("Found by `generator discover` on %s: %s, %s (score %.1f: %s).", date, x.Name, x.Priority, x.Score, strings.Join(contrib, ", ")),
			"See " + report + ". A backlog tutorial with nothing deployed yet: add its",
			"components with exactly pinned charts, metrics and the cost question, then",
			"set its status and switch it on (generator conduct).",
		},
	}
}

// File is where a discovered scaffold goes.
func File(slug string) string { return "phases/discovered-" + slug + ".cue" }

// q quotes a string for CUE (JSON's escapes are CUE's; a backslash-paren
// cannot appear because backslashes are escaped).
func q(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSpace(b.String())
}

var identRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)

// label is a CUE field label: bare when it is an identifier.
func label(s string) string {
	if identRE.MatchString(s) {
		return s
	}
	return q(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func sortedPhases(lab *model.Lab) []string {
	var out []string
	for n := range lab.Phases {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
