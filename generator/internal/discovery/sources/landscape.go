package sources

import (
	"fmt"
	"net/url"
	"strings"

	"sigs.k8s.io/yaml"
)

// landscapeFile is the shape of the CNCF landscape's landscape.yml (the
// fields used here).
type landscapeFile struct {
	Landscape []struct {
		Name          string `json:"name"`
		Subcategories []struct {
			Name  string `json:"name"`
			Items []struct {
				Name        string `json:"name"`
				HomepageURL string `json:"homepage_url"`
				RepoURL     string `json:"repo_url"`
				Project     string `json:"project"`
				Description string `json:"description"`
			} `json:"items"`
		} `json:"subcategories"`
	} `json:"landscape"`
}

// ParseLandscape reads landscape.yml and returns its CNCF projects (items
// with a maturity): the rest of the landscape is products, left out.
func ParseLandscape(b []byte, source string, weight float64, limit int) ([]Project, error) {
	var f landscapeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("landscape.yml: %w", err)
	}
	if len(f.Landscape) == 0 {
		return nil, fmt.Errorf("landscape.yml: no landscape categories")
	}
	var out []Project
	for _, c := range f.Landscape {
		for _, s := range c.Subcategories {
			for _, it := range s.Items {
				m := strings.ToLower(strings.TrimSpace(it.Project))
				if m == "" || strings.TrimSpace(it.Name) == "" {
					continue
				}
				p := Project{
					Source: source, Kind: "landscape", Weight: weight,
					Name: clean(it.Name, 100), Description: clean(it.Description, 300),
					Category: clean(c.Name, 100), Subcategory: clean(s.Name, 100),
					Maturity: m, Archived: m == "archived", URL: httpURL(it.HomepageURL),
					Repo: githubRepo(it.RepoURL), Contributors: -1, Commits30d: -1,
				}
				if p.URL == "" {
					p.URL = httpURL(it.RepoURL)
				}
				out = append(out, p)
				if len(out) >= limit {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

// githubRepo returns owner/name, lower-cased, of a github.com URL.
func githubRepo(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Host != "github.com" && p.Host != "www.github.com") {
		return ""
	}
	parts := strings.Split(strings.Trim(p.Path, "/"), "/")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return strings.ToLower(parts[0] + "/" + strings.TrimSuffix(parts[1], ".git"))
}

// httpURL keeps only absolute http(s) URLs: anything else (javascript:,
// data:) is dropped.
func httpURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	p.User = nil
	return p.String()
}

// clean makes remote text one bounded line of printable characters.
func clean(s string, max int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e' || r == '\u202d' {
			r = ' '
		}
		if r == ' ' {
			if space || n == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		if n >= max {
			b.WriteRune('…')
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
