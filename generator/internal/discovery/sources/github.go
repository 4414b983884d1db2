package sources

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v93/github"
)

// StarSnap is what a repository's stars were at the last two distinct
// fetches: growth is Cur-Prev over CurAt-PrevAt.
type StarSnap struct {
	Cur    int       `json:"cur"`
	CurAt  time.Time `json:"curAt"`
	Prev   int       `json:"prev,omitempty"`
	PrevAt time.Time `json:"prevAt,omitzero"`
}

// Snapshot is the stars per repository (owner/name), kept between runs.
type Snapshot map[string]StarSnap

const snapshotKind, snapshotKey = "snapshot", "github-stars"

// LoadSnapshot reads the previous run's snapshot (empty when none).
func (c *Cache) LoadSnapshot() (Snapshot, error) {
	s := Snapshot{}
	if _, err := c.Get(snapshotKind, snapshotKey, &s); err != nil {
		return nil, err
	}
	return s, nil
}

// SaveSnapshot stores the snapshot for the next run.
func (c *Cache) SaveSnapshot(s Snapshot) error { return c.Put(snapshotKind, snapshotKey, s) }

// observe records stars fetched at 'at' and returns the snapshot to
// compare with: a re-read of the same fetch (a cached answer) keeps the
// earlier baseline.
func (s Snapshot) observe(repo string, stars int, at time.Time) StarSnap {
	old, ok := s[repo]
	switch {
	case !ok:
		s[repo] = StarSnap{Cur: stars, CurAt: at}
	case at.After(old.CurAt):
		s[repo] = StarSnap{Cur: stars, CurAt: at, Prev: old.Cur, PrevAt: old.CurAt}
	}
	return s[repo]
}

// GitHub searches repositories by topic and reads, for each, its
// contributors, commits of the last 30 days and latest release.
type GitHub struct {
	Source Source
	HTTP   *http.Client
	Token  string
	Now    time.Time
	Snap   Snapshot
}

func (g *GitHub) client() (*github.Client, error) {
	base := g.Source.URL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	opts := []github.ClientOptionsFunc{github.WithURLs(&base, &base), github.WithHTTPClient(g.HTTP)}
	if g.Token != "" {
		opts = append(opts, github.WithAuthToken(g.Token))
	}
	return github.NewClient(opts...)
}

// Fetch returns the repositories; warnings are per-repository details
// that could not be read (the repository is kept).
func (g *GitHub) Fetch(ctx context.Context) (out []Project, warnings []string, err error) {
	if len(g.Source.Topics) == 0 {
		return nil, nil, errors.New("a github source needs topics")
	}
	c, err := g.client()
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]*github.Repository{}
	fetched := map[string]time.Time{}
	for _, topic := range g.Source.Topics {
		q := fmt.Sprintf("topic:%s stars:>=%d archived:false", topic, g.Source.MinStars)
		res, resp, err := c.Search.Repositories(ctx, q, &github.SearchOptions{Sort: "stars", Order: "desc", ListOptions: github.ListOptions{PerPage: min(g.Source.Limit, 100)}})
		if err != nil {
			return nil, nil, fmt.Errorf("search %q: %w", q, err)
		}
		at := fetchedAt(resp, g.Now)
		for _, r := range res.Repositories {
			name := strings.ToLower(r.GetFullName())
			if name == "" || r.GetStargazersCount() < g.Source.MinStars {
				continue
			}
			if _, ok := seen[name]; !ok {
				seen[name] = r
				fetched[name] = at
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	// Most starred first, then by name: a stable order to cut at limit.
	sort.Slice(names, func(i, j int) bool {
		si, sj := seen[names[i]].GetStargazersCount(), seen[names[j]].GetStargazersCount()
		if si != sj {
			return si > sj
		}
		return names[i] < names[j]
	})
	if len(names) > g.Source.Limit {
		names = names[:g.Source.Limit]
	}
	for _, n := range names {
		r := seen[n]
		p := Project{
			Source: g.Source.Name, Kind: "github", Weight: g.Source.Weight,
			Name: clean(r.GetFullName(), 100), Repo: n, URL: httpURL(r.GetHTMLURL()),
			Description: clean(r.GetDescription(), 300), Stars: r.GetStargazersCount(),
			Archived: r.GetArchived(), Contributors: -1, Commits30d: -1,
		}
		for _, t := range r.Topics {
			p.Topics = append(p.Topics, clean(strings.ToLower(t), 50))
		}
		sort.Strings(p.Topics)
		if g.Snap != nil {
			s := g.Snap.observe(n, p.Stars, fetched[n])
			if !s.PrevAt.IsZero() {
				p.HasPrev, p.PrevStars, p.PrevDays = true, s.Prev, s.CurAt.Sub(s.PrevAt).Hours()/24
			}
		}
		owner, repo, _ := strings.Cut(r.GetFullName(), "/")
		if err := g.details(ctx, c, owner, repo, &p); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v", n, err))
			var rl *github.RateLimitError
			if errors.As(err, &rl) || ctx.Err() != nil {
				out = append(out, p)
				warnings = append(warnings, "rate limited: details of the remaining repositories skipped")
				for _, rest := range names[len(out):] {
					out = append(out, g.bare(seen[rest], rest, fetched[rest]))
				}
				return out, warnings, nil
			}
		}
		out = append(out, p)
	}
	return out, warnings, nil
}

func (g *GitHub) bare(r *github.Repository, n string, at time.Time) Project {
	p := Project{Source: g.Source.Name, Kind: "github", Weight: g.Source.Weight, Name: clean(r.GetFullName(), 100), Repo: n,
		URL: httpURL(r.GetHTMLURL()), Description: clean(r.GetDescription(), 300), Stars: r.GetStargazersCount(), Contributors: -1, Commits30d: -1}
	if g.Snap != nil {
		if s := g.Snap.observe(n, p.Stars, at); !s.PrevAt.IsZero() {
			p.HasPrev, p.PrevStars, p.PrevDays = true, s.Prev, s.CurAt.Sub(s.PrevAt).Hours()/24
		}
	}
	return p
}

// details reads contributors, recent commits and the latest release. A
// count comes from the last page number at one item a page.
func (g *GitHub) details(ctx context.Context, c *github.Client, owner, repo string, p *Project) error {
	cs, resp, err := c.Repositories.ListContributors(ctx, owner, repo, &github.ListContributorsOptions{Anon: "true", ListOptions: github.ListOptions{PerPage: 1}})
	if err != nil {
		return fmt.Errorf("contributors: %w", err)
	}
	p.Contributors = count(len(cs), resp)
	since := g.Now.AddDate(0, 0, -30).UTC().Truncate(24 * time.Hour)
	cm, resp, err := c.Repositories.ListCommits(ctx, owner, repo, &github.CommitsListOptions{Since: since, ListOptions: github.ListOptions{PerPage: 1}})
	if err != nil {
		return fmt.Errorf("commits: %w", err)
	}
	p.Commits30d = count(len(cm), resp)
	rel, resp, err := c.Repositories.GetLatestRelease(ctx, owner, repo)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil // no release yet
		}
		return fmt.Errorf("latest release: %w", err)
	}
	p.LatestRelease = clean(rel.GetTagName(), 60)
	p.ReleasedAt = rel.GetPublishedAt().Time.UTC()
	return nil
}

func count(n int, resp *github.Response) int {
	if resp != nil && resp.LastPage > 0 {
		return resp.LastPage
	}
	return n
}

func fetchedAt(resp *github.Response, now time.Time) time.Time {
	if resp != nil && resp.Response != nil {
		if t, err := time.Parse(time.RFC3339, resp.Header.Get(FetchedHeader)); err == nil {
			return t
		}
	}
	return now.UTC()
}
