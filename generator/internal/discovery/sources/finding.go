// Package discover fetches what the lab's discovery sources publish (the
// CNCF landscape, GitHub, tech blogs' feeds, Hacker News) through one
// polite, bounded HTTP client with an on-disk cache, and returns it as
// projects and mentions for the analyze package. A source that fails is
// reported and skipped; the others go on.
package sources

import "time"

// Project is a technology a source lists: a landscape item or a GitHub
// repository. Zero values mean "not known from this source".
type Project struct {
	Source string  `json:"source"`
	Kind   string  `json:"kind"`
	Weight float64 `json:"weight"`
	Name   string  `json:"name"`
	// Repo is owner/name on GitHub, lower-cased, when known.
	Repo        string   `json:"repo,omitempty"`
	URL         string   `json:"url,omitempty"`
	Description string   `json:"description,omitempty"`
	Topics      []string `json:"topics,omitempty"`
	// Category and Subcategory are the landscape's.
	Category    string `json:"category,omitempty"`
	Subcategory string `json:"subcategory,omitempty"`
	// Maturity is the CNCF maturity: graduated, incubating, sandbox, archived.
	Maturity string `json:"maturity,omitempty"`
	Archived bool   `json:"archived,omitempty"`

	Stars int `json:"stars,omitempty"`
	// PrevStars and PrevDays are the previous snapshot's stars and its age
	// in days, when there is one (HasPrev).
	HasPrev   bool    `json:"hasPrev,omitempty"`
	PrevStars int     `json:"prevStars,omitempty"`
	PrevDays  float64 `json:"prevDays,omitempty"`
	// Contributors and Commits30d are -1 when unknown.
	Contributors  int       `json:"contributors"`
	Commits30d    int       `json:"commits30d"`
	LatestRelease string    `json:"latestRelease,omitempty"`
	ReleasedAt    time.Time `json:"releasedAt,omitzero"`
}

// Mention is a post about technology: a feed entry or a Hacker News story.
type Mention struct {
	Source    string    `json:"source"`
	Kind      string    `json:"kind"`
	Weight    float64   `json:"weight"`
	Title     string    `json:"title"`
	URL       string    `json:"url,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	Points    int       `json:"points,omitempty"`
	Comments  int       `json:"comments,omitempty"`
	Published time.Time `json:"published,omitzero"`
}

// Failure is a source that could not be read, or a part of one.
type Failure struct {
	Source string `json:"source"`
	Error  string `json:"error"`
	// Partial is true when the source still gave findings.
	Partial bool `json:"partial,omitempty"`
}

// Result is one discovery run's raw findings.
type Result struct {
	Projects []Project `json:"projects"`
	Mentions []Mention `json:"mentions"`
	Failures []Failure `json:"failures"`
	// Read lists the sources that gave findings, sorted.
	Read  []string `json:"read"`
	Stats Stats    `json:"stats"`
}
