// Package analyze turns raw discovery findings into scored, categorised
// candidates: each project is matched against the lab's components,
// charts and experiments, scored by deterministic rules whose every
// contribution is kept for the report, given a priority (P0 disruptive,
// P1 interesting, P2 watch) and placed in a phase. An optional LLM
// categorizer may revise the category and phase, never the score.
package analyze

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Categories.
const (
	New         = "new"
	Improvement = "improvement"
	Noise       = "noise"
)

// Contribution is one rule's part of a score.
type Contribution struct {
	Rule   string  `json:"rule"`
	Detail string  `json:"detail"`
	Points float64 `json:"points"`
}

// LabMatch is what a candidate matched in the lab.
type LabMatch struct {
	Phase      string `json:"phase"`
	Experiment string `json:"experiment"`
	// Term is the component, chart or experiment name matched.
	Term string `json:"term"`
}

// Candidate is one technology, merged across sources by repository.
type Candidate struct {
	sources.Project
	Sources       []string          `json:"sources"`
	Mentions      []sources.Mention `json:"mentions,omitempty"`
	Match         *LabMatch         `json:"match,omitempty"`
	Category      string            `json:"category"`
	Priority      string            `json:"priority,omitempty"`
	Score         float64           `json:"score"`
	Contributions []Contribution    `json:"contributions"`
	Phase         string            `json:"phase,omitempty"`
	PhaseWords    []string          `json:"phaseWords,omitempty"`
	CompareWith   []string          `json:"compareWith,omitempty"`
	LLM           *Verdict          `json:"llm,omitempty"`
	// Slug is the candidate's DNS-1123 name (scaffold file and experiment).
	Slug string `json:"slug"`
}

// Analysis is the outcome of one run.
type Analysis struct {
	Candidates []*Candidate        `json:"candidates"`
	Unmatched  []sources.Mention   `json:"unmatched"`
	Failures   []sources.Failure   `json:"failures"`
	Read       []string            `json:"read"`
	LLMErrors  []string            `json:"llmErrors,omitempty"`
	Counts     map[string]int      `json:"counts"`
	Stats      sources.Stats       `json:"stats"`
	Sources    map[string]float64  `json:"-"`
	Lab        *model.Lab          `json:"-"`
	Config     *model.Discovery    `json:"-"`
	Now        time.Time           `json:"-"`
	byPhase    map[string][]string // lab components per phase
}

// Analyze scores the findings against the lab. now dates the release and
// activity rules.
func Analyze(lab *model.Lab, cfg *model.Discovery, res *sources.Result, now time.Time) (*Analysis, error) {
	for p := range cfg.Placement {
		if _, ok := lab.Phases[p]; !ok {
			return nil, fmt.Errorf("discovery.placement.%s: no phase %q in the lab (phases: %s)", p, p, strings.Join(slices.Sorted(maps.Keys(lab.Phases)), ", "))
		}
	}
	idx := newLabIndex(lab)
	a := &Analysis{Failures: res.Failures, Read: res.Read, Stats: res.Stats, Lab: lab, Config: cfg, Now: now, Counts: map[string]int{}, Unmatched: []sources.Mention{}}
	cands := merge(res.Projects)
	for _, c := range cands {
		c.Match = idx.match(c)
	}
	// Mentions: each counts for every candidate it names as whole words
	// (names of 3 letters or more), looked up by the post's word runs.
	byName := map[string][]*Candidate{}
	longest := 1
	for _, c := range cands {
		for _, n := range c.names() {
			if len(n) >= 3 {
				byName[n] = append(byName[n], c)
				longest = max(longest, len(strings.Fields(n)))
			}
		}
	}
	for _, m := range res.Mentions {
		ws := strings.Fields(words(m.Title + " " + m.Summary))
		seen := map[*Candidate]bool{}
		for i := range ws {
			for n := 1; n <= longest && i+n <= len(ws); n++ {
				for _, c := range byName[strings.Join(ws[i:i+n], " ")] {
					if !seen[c] {
						seen[c] = true
						c.Mentions = append(c.Mentions, m)
					}
				}
			}
		}
		if len(seen) == 0 {
			a.Unmatched = append(a.Unmatched, m)
		}
	}
	for _, c := range cands {
		a.score(c)
		a.place(c, idx)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Score != cands[j].Score {
			return cands[i].Score > cands[j].Score
		}
		return cands[i].Slug < cands[j].Slug
	})
	a.Candidates = cands
	a.byPhase = idx.byPhase
	a.count()
	return a, nil
}

func (a *Analysis) count() {
	a.Counts = map[string]int{}
	for _, c := range a.Candidates {
		if c.Priority != "" {
			a.Counts[c.Priority]++
		}
		a.Counts[c.Category]++
	}
}

// merge folds projects of the same repository (or, without one, the same
// name) into one candidate: the landscape gives maturity and category,
// GitHub the activity.
func merge(ps []sources.Project) []*Candidate {
	byKey := map[string]*Candidate{}
	var order []string
	for _, p := range ps {
		key := p.Repo
		if key == "" {
			key = "name:" + norm(p.Name)
		}
		c, ok := byKey[key]
		if !ok {
			c = &Candidate{Project: p}
			byKey[key] = c
			order = append(order, key)
		} else {
			mergeInto(&c.Project, p)
		}
		if !contains(c.Sources, p.Source) {
			c.Sources = append(c.Sources, p.Source)
		}
	}
	sort.Strings(order)
	out := make([]*Candidate, 0, len(order))
	used := map[string]bool{}
	for _, k := range order {
		c := byKey[k]
		sort.Strings(c.Sources)
		// The repository's name when known ("beyla" of grafana/beyla).
		if _, r, ok := strings.Cut(c.Repo, "/"); ok && c.Kind == "github" {
			c.Slug = slug(r)
		} else {
			c.Slug = slug(c.Name)
		}
		if c.Slug == "" {
			c.Slug = slug(strings.ReplaceAll(c.Repo, "/", "-"))
		}
		// Two projects of the same name from different owners.
		if used[c.Slug] && c.Repo != "" {
			c.Slug = slug(strings.ReplaceAll(c.Repo, "/", "-"))
		}
		used[c.Slug] = true
		out = append(out, c)
	}
	return out
}

func mergeInto(dst *sources.Project, p sources.Project) {
	if p.Kind == "landscape" {
		// The landscape's name is the project's name ("Grafana Beyla").
		dst.Name = p.Name
		dst.Category, dst.Subcategory, dst.Maturity = p.Category, p.Subcategory, p.Maturity
		dst.Archived = dst.Archived || p.Archived
		if dst.Description == "" {
			dst.Description = p.Description
		}
		return
	}
	// GitHub details.
	dst.Stars, dst.HasPrev, dst.PrevStars, dst.PrevDays = p.Stars, p.HasPrev, p.PrevStars, p.PrevDays
	dst.Contributors, dst.Commits30d, dst.LatestRelease, dst.ReleasedAt = p.Contributors, p.Commits30d, p.LatestRelease, p.ReleasedAt
	dst.Topics = p.Topics
	dst.Archived = dst.Archived || p.Archived
	if p.Description != "" {
		dst.Description = p.Description
	}
	dst.Weight = max(dst.Weight, p.Weight)
	if dst.Kind == "landscape" {
		dst.Kind = "landscape+github"
	}
}

// names are the candidate's names as normalised words.
func (c *Candidate) names() []string {
	ns := []string{words(c.Name)}
	if c.Repo != "" {
		_, r, _ := strings.Cut(c.Repo, "/")
		ns = append(ns, words(r))
	}
	var out []string
	for _, n := range ns {
		if n != "" && !generic[n] && !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// words lower-cases s and keeps letters and digits, single-spaced.
func words(s string) string {
	return strings.TrimSpace(nonWord.ReplaceAllString(strings.ToLower(s), " "))
}

func norm(s string) string { return strings.ReplaceAll(words(s), " ", "") }

// slug is a DNS-1123 label of at most 40 characters.
func slug(s string) string {
	w := strings.ReplaceAll(words(s), " ", "-")
	if len(w) > 40 {
		w = strings.TrimRight(w[:40], "-")
	}
	return w
}

// generic words name no technology: they never match the lab or a post.
var generic = map[string]bool{
	"kubernetes": true, "k8s": true, "cloud": true, "native": true, "cloud native": true, "operator": true, "stack": true,
	"tutorial": true, "comparison": true, "benchmark": true, "chart": true, "kube": true, "the": true, "and": true,
	"server": true, "agent": true, "controller": true, "app": true, "api": true, "go": true, "data": true, "platform": true,
	"gateway": true, "mesh": true, "raw": true, "cost": true, "full": true, "baseline": true, "http": true,
}

func score(x float64) float64 { return math.Round(x*10) / 10 }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
