package sources

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Source is one declared source (schema #DiscoverySource).
type Source = model.DiscoverySource

// Options configure a run.
type Options struct {
	Client *Client
	Cache  *Cache
	// GitHubToken authenticates GitHub requests (optional; without it
	// GitHub allows 60 requests an hour).
	GitHubToken string
	Now         time.Time
	// Only restricts the run to these sources (all when empty).
	Only []string
}

// Period is how long a source's cached answer is reused.
func Period(schedule string) time.Duration {
	switch schedule {
	case "daily":
		return 24 * time.Hour
	case "monthly":
		return 30 * 24 * time.Hour
	default:
		return 7 * 24 * time.Hour
	}
}

// Run reads every source, in name order, one at a time (politeness over
// speed). The returned snapshot is to be saved once the run's output is
// written (SaveSnapshot), so a failed run leaves the baseline alone.
func Run(ctx context.Context, sources map[string]*Source, o Options) (*Result, Snapshot, error) {
	snap, err := o.Cache.LoadSnapshot()
	if err != nil {
		return nil, nil, fmt.Errorf("star snapshot: %w", err)
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		if len(o.Only) == 0 || contains(o.Only, n) {
			names = append(names, n)
		}
	}
	for _, n := range o.Only {
		if _, ok := sources[n]; !ok {
			return nil, nil, fmt.Errorf("no discovery source %q (sources: %s)", n, strings.Join(sortedNames(sources), ", "))
		}
	}
	sort.Strings(names)
	if err := CheckSources(sources); err != nil {
		return nil, nil, err
	}
	res := &Result{Projects: []Project{}, Mentions: []Mention{}, Failures: []Failure{}, Read: []string{}}
	for _, n := range names {
		s := sources[n]
		sctx := WithMaxAge(ctx, Period(s.Schedule))
		ps, ms, warns, err := fetch(sctx, s, o, snap)
		if err != nil {
			res.Failures = append(res.Failures, Failure{Source: n, Error: err.Error()})
			continue
		}
		for _, w := range warns {
			res.Failures = append(res.Failures, Failure{Source: n, Error: w, Partial: true})
		}
		res.Projects = append(res.Projects, ps...)
		res.Mentions = append(res.Mentions, ms...)
		res.Read = append(res.Read, n)
	}
	res.Stats = o.Client.Stats()
	return res, snap, nil
}

func fetch(ctx context.Context, s *Source, o Options, snap Snapshot) ([]Project, []Mention, []string, error) {
	switch s.Kind {
	case "github":
		g := &GitHub{Source: *s, HTTP: o.Client.HTTP, Now: o.Now, Snap: snap}
		// The token goes to GitHub's API only, whatever a source's URL says.
		if u, err := url.Parse(s.URL); err == nil && u.Host == "api.github.com" {
			g.Token = o.GitHubToken
		}
		ps, warns, err := g.Fetch(ctx)
		return ps, nil, warns, err
	case "landscape":
		b, _, err := o.Client.Get(ctx, s.URL)
		if err != nil {
			return nil, nil, nil, err
		}
		ps, err := ParseLandscape(b, s.Name, s.Weight, s.Limit)
		return ps, nil, nil, err
	case "feed":
		b, _, err := o.Client.Get(ctx, s.URL)
		if err != nil {
			return nil, nil, nil, err
		}
		ms, err := ParseFeed(b, *s)
		return nil, ms, nil, err
	case "hackernews":
		b, _, err := o.Client.Get(ctx, HNURL(*s))
		if err != nil {
			return nil, nil, nil, err
		}
		ms, err := ParseHN(b, *s)
		return nil, ms, nil, err
	}
	return nil, nil, nil, fmt.Errorf("unknown source kind %q", s.Kind)
}

// HNURL is the search request for a hackernews source: stories matching
// its query with at least minPoints points.
func HNURL(s Source) string {
	q := url.Values{}
	q.Set("query", s.Query)
	q.Set("tags", "story")
	q.Set("numericFilters", "points>="+strconv.Itoa(s.MinPoints))
	q.Set("hitsPerPage", strconv.Itoa(s.Limit))
	sep := "?"
	if strings.Contains(s.URL, "?") {
		sep = "&"
	}
	return s.URL + sep + q.Encode()
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func sortedNames(m map[string]*Source) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CheckSources refuses sources that cannot work, before any request: a
// github source without topics, a hackernews source without a query.
func CheckSources(sources map[string]*Source) error {
	var errs []string
	for _, n := range sortedNames(sources) {
		s := sources[n]
		switch {
		case s.Kind == "github" && len(s.Topics) == 0:
			errs = append(errs, fmt.Sprintf("discovery.sources.%s: a github source needs topics", n))
		case s.Kind == "hackernews" && s.Query == "":
			errs = append(errs, fmt.Sprintf("discovery.sources.%s: a hackernews source needs a query", n))
		case s.Kind != "github" && len(s.Topics) > 0:
			errs = append(errs, fmt.Sprintf("discovery.sources.%s: topics are for github sources", n))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}
