package sources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
)

// ParseFeed reads an RSS or Atom feed into mentions, newest first.
func ParseFeed(b []byte, src Source) ([]Mention, error) {
	f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	var out []Mention
	for _, it := range f.Items {
		m := Mention{Source: src.Name, Kind: "feed", Weight: src.Weight, Title: clean(stripTags(it.Title), 200), URL: httpURL(it.Link), Summary: clean(stripTags(it.Description), 300)}
		switch {
		case it.PublishedParsed != nil:
			m.Published = it.PublishedParsed.UTC()
		case it.UpdatedParsed != nil:
			m.Published = it.UpdatedParsed.UTC()
		}
		if m.Title == "" {
			continue
		}
		out = append(out, m)
	}
	sortMentions(out)
	if len(out) > src.Limit {
		out = out[:src.Limit]
	}
	return out, nil
}

var tagRE = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)

// stripTags turns feed HTML into text: tags (and script and style
// bodies) go, entities are decoded. What remains is still escaped when
// written to Markdown.
func stripTags(s string) string {
	return html.UnescapeString(tagRE.ReplaceAllString(s, " "))
}

// hnResponse is the shape of the Hacker News Algolia search API.
type hnResponse struct {
	Hits []struct {
		ObjectID    string `json:"objectID"`
		Title       string `json:"title"`
		URL         string `json:"url"`
		Points      *int   `json:"points"`
		NumComments *int   `json:"num_comments"`
		CreatedAtI  int64  `json:"created_at_i"`
	} `json:"hits"`
	NbHits *int `json:"nbHits"`
}

// ParseHN reads a Hacker News search answer into mentions.
func ParseHN(b []byte, src Source) ([]Mention, error) {
	var r hnResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("hacker news: %w", err)
	}
	if r.NbHits == nil {
		return nil, fmt.Errorf("hacker news: not a search answer (no nbHits)")
	}
	var out []Mention
	for _, h := range r.Hits {
		m := Mention{Source: src.Name, Kind: "hackernews", Weight: src.Weight, Title: clean(stripTags(h.Title), 200), URL: httpURL(h.URL)}
		if m.URL == "" && h.ObjectID != "" && isDigits(h.ObjectID) {
			m.URL = "https://news.ycombinator.com/item?id=" + h.ObjectID
		}
		if h.Points != nil {
			m.Points = *h.Points
		}
		if h.NumComments != nil {
			m.Comments = *h.NumComments
		}
		if h.CreatedAtI > 0 {
			m.Published = time.Unix(h.CreatedAtI, 0).UTC()
		}
		if m.Title == "" || m.Points < src.MinPoints {
			continue
		}
		out = append(out, m)
	}
	sortMentions(out)
	if len(out) > src.Limit {
		out = out[:src.Limit]
	}
	return out, nil
}

func isDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

func sortMentions(ms []Mention) {
	sort.SliceStable(ms, func(i, j int) bool {
		if !ms[i].Published.Equal(ms[j].Published) {
			return ms[i].Published.After(ms[j].Published)
		}
		return ms[i].Title < ms[j].Title
	})
}
