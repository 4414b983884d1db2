package analyze

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// labIndex holds the names a finding can match: every experiment's name,
// and its components' names and chart names.
type labIndex struct {
	terms   map[string]LabMatch // normalised name -> where
	tokens  map[string]LabMatch // a word of a dashed name -> where
	byPhase map[string][]string
	lab     *model.Lab
}

func newLabIndex(lab *model.Lab) *labIndex {
	idx := &labIndex{terms: map[string]LabMatch{}, tokens: map[string]LabMatch{}, byPhase: map[string][]string{}, lab: lab}
	phases := slices.Sorted(maps.Keys(lab.Phases))
	sort.SliceStable(phases, func(i, j int) bool { return lab.Phases[phases[i]].Number < lab.Phases[phases[j]].Number })
	for _, pn := range phases {
		ph := lab.Phases[pn]
		for _, en := range slices.Sorted(maps.Keys(ph.Experiments)) {
			e := ph.Experiments[en]
			add := func(term string) {
				if term == "" {
					return
				}
				m := LabMatch{Phase: pn, Experiment: en, Term: term}
				if _, ok := idx.terms[norm(term)]; !ok {
					idx.terms[norm(term)] = m
				}
				for _, t := range strings.Fields(words(term)) {
					if _, ok := idx.tokens[t]; !ok && len(t) >= 4 && !generic[t] {
						idx.tokens[t] = m
					}
				}
			}
			comps := map[string]*model.Component{}
			for cn, c := range e.Components {
				comps[cn] = c
			}
			for _, v := range e.Variants {
				for cn, c := range v.Components {
					comps[cn] = c
				}
			}
			for _, cn := range slices.Sorted(maps.Keys(comps)) {
				if cn == "raw" {
					continue // the lab's own manifests, not a technology
				}
				add(cn)
				if ch := comps[cn].Chart; ch != nil {
					add(ch.Name)
				}
				if !contains(idx.byPhase[pn], cn) {
					idx.byPhase[pn] = append(idx.byPhase[pn], cn)
				}
			}
			// After the components: a match names the component first.
			add(en)
		}
		sort.Strings(idx.byPhase[pn])
	}
	return idx
}

// match finds the candidate in the lab: its whole name equals a lab name,
// or its one-word name is a word of one (prometheus in
// kube-prometheus-stack).
func (idx *labIndex) match(c *Candidate) *LabMatch {
	for _, n := range c.names() {
		if m, ok := idx.terms[strings.ReplaceAll(n, " ", "")]; ok {
			return &m
		}
	}
	for _, n := range c.names() {
		if !strings.Contains(n, " ") {
			if m, ok := idx.tokens[n]; ok {
				return &m
			}
		}
	}
	return nil
}

// score applies the rules; each contribution is kept for the report.
func (a *Analysis) score(c *Candidate) {
	add := func(rule, detail string, pts float64) {
		c.Contributions = append(c.Contributions, Contribution{Rule: rule, Detail: detail, Points: score(pts)})
	}
	w := c.Weight
	if c.Stars > 0 {
		add("stars", fmt.Sprintf("%d stars: 10×log10(stars)×weight %.2g, at most 50", c.Stars, w), min(50, 10*math.Log10(float64(c.Stars))*w))
	}
	switch {
	case c.HasPrev && c.PrevStars > 0 && c.PrevDays > 0:
		gained := c.Stars - c.PrevStars
		perWeek := float64(gained) / c.PrevDays * 7
		pct := perWeek / float64(c.PrevStars) * 100
		add("growth", fmt.Sprintf("%+d stars in %.1f days (%+.2f%% a week): 4 points a %%/week, -10..+20", gained, c.PrevDays, pct), max(-10, min(20, 4*pct))*w)
	case c.Stars > 0:
		add("growth", "no earlier snapshot to compare with", 0)
	}
	switch n := c.Contributors; {
	case n >= 200:
		add("contributors", fmt.Sprintf("%d contributors (>= 200)", n), 10*w)
	case n >= 50:
		add("contributors", fmt.Sprintf("%d contributors (>= 50)", n), 6*w)
	case n >= 10:
		add("contributors", fmt.Sprintf("%d contributors (>= 10)", n), 3*w)
	case n >= 0:
		add("contributors", fmt.Sprintf("%d contributors (< 10)", n), 0)
	}
	switch n := c.Commits30d; {
	case n >= 100:
		add("activity", fmt.Sprintf("%d commits in 30 days (>= 100)", n), 10*w)
	case n >= 20:
		add("activity", fmt.Sprintf("%d commits in 30 days (>= 20)", n), 5*w)
	case n > 0:
		add("activity", fmt.Sprintf("%d commits in 30 days", n), 0)
	case n == 0:
		add("activity", "no commit in 30 days: inactive", -15)
	}
	if !c.ReleasedAt.IsZero() {
		days := a.Now.Sub(c.ReleasedAt).Hours() / 24
		switch {
		case days <= 90:
			add("release", fmt.Sprintf("%s released %.0f days ago (<= 90)", c.LatestRelease, days), 5*w)
		case days > 365:
			add("release", fmt.Sprintf("%s released %.0f days ago (> 365)", c.LatestRelease, days), -5)
		}
	}
	switch c.Maturity {
	case "graduated":
		add("adoption", "CNCF graduated: production adoption", 25)
	case "incubating":
		add("adoption", "CNCF incubating", 15)
	case "sandbox":
		add("adoption", "CNCF sandbox", 5)
	case "archived":
		add("adoption", "CNCF archived", -50)
	}
	if c.Archived && c.Maturity != "archived" {
		add("archived", "repository archived", -50)
	}
	if len(c.Mentions) > 0 {
		pts := 0.0
		for _, m := range c.Mentions {
			pts += (3 + math.Min(float64(m.Points), 500)/100) * m.Weight
		}
		add("mentions", fmt.Sprintf("%d post(s): (3 + points/100) × source weight each, at most 20", len(c.Mentions)), min(20, pts))
	}
	if c.Match != nil {
		add("in the lab", fmt.Sprintf("already in the lab: %s in %s/%s, so at most an improvement", c.Match.Term, c.Match.Phase, c.Match.Experiment), -30)
	}
	for _, x := range c.Contributions {
		c.Score += x.Points
	}
	c.Score = score(c.Score)
	s := a.Config.Scoring
	switch {
	case c.Score < s.P2:
		c.Category = Noise
	case c.Match != nil:
		c.Category = Improvement
	default:
		c.Category = New
	}
	if c.Category != Noise {
		switch {
		case c.Score >= s.P0:
			c.Priority = "P0"
		case c.Score >= s.P1:
			c.Priority = "P1"
		default:
			c.Priority = "P2"
		}
	}
}

// place picks the phase: the matched experiment's, else the phase whose
// placement words the finding names most (ties: the earlier phase).
func (a *Analysis) place(c *Candidate, idx *labIndex) {
	if c.Match != nil {
		c.Phase = c.Match.Phase
		c.CompareWith = []string{c.Match.Experiment}
		return
	}
	text := " " + phrase(strings.Join(append([]string{c.Category, c.Subcategory, c.Name, c.Description}, c.Topics...), " ")) + " "
	best, bestN := "", 0
	var bestWords []string
	for _, pn := range a.phasesByNumber() {
		var hit []string
		for _, k := range a.Config.Placement[pn] {
			if strings.Contains(text, " "+phrase(k)+" ") {
				hit = append(hit, k)
			}
		}
		if len(hit) > bestN {
			best, bestN, bestWords = pn, len(hit), hit
		}
	}
	c.Phase, c.PhaseWords = best, bestWords
	if best == "" {
		return
	}
	// Compare with the phase's experiments that speak of the same things.
	type hit struct {
		name string
		n    int
	}
	var hits []hit
	ph := a.Lab.Phases[best]
	for _, en := range slices.Sorted(maps.Keys(ph.Experiments)) {
		e := ph.Experiments[en]
		et := " " + phrase(e.Title+" "+e.Description+" "+e.Name) + " "
		n := 0
		for _, k := range bestWords {
			if strings.Contains(et, " "+phrase(k)+" ") {
				n++
			}
		}
		if n > 0 {
			hits = append(hits, hit{en, n})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].n > hits[j].n })
	for i := 0; i < len(hits) && i < 3; i++ {
		c.CompareWith = append(c.CompareWith, hits[i].name)
	}
}

func (a *Analysis) phasesByNumber() []string {
	ps := slices.Sorted(maps.Keys(a.Lab.Phases))
	sort.SliceStable(ps, func(i, j int) bool { return a.Lab.Phases[ps[i]].Number < a.Lab.Phases[ps[j]].Number })
	return ps
}

// PhaseComponents lists the lab's components in a phase.
func (a *Analysis) PhaseComponents(phase string) []string { return a.byPhase[phase] }

// phrase is words without "and", so that "Scheduling & Orchestration"
// and "scheduling and orchestration" are the same phrase.
func phrase(s string) string {
	ws := strings.Fields(words(s))
	out := ws[:0]
	for _, w := range ws {
		if w != "and" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
