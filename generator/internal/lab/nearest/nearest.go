// Package nearest finds the names a mistyped name was probably meant to be,
// for the "did you mean" hints of every refusal that names an unknown
// experiment, cluster or field.
package nearest

import (
	"fmt"
	"sort"
	"strings"
)

// Names returns up to three candidates close to name, closest first: those
// containing name (or contained in it), then those within an edit distance
// of max(2, len(name)/3). Ties sort by name, so hints are deterministic.
func Names(name string, candidates []string) []string {
	type cand struct {
		name string
		dist int
	}
	var cs []cand
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := Distance(name, c)
		switch {
		case name != "" && (strings.Contains(c, name) || strings.Contains(name, c)):
			cs = append(cs, cand{c, 0})
		case d <= max(2, len(name)/3):
			cs = append(cs, cand{c, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].dist != cs[j].dist {
			return cs[i].dist < cs[j].dist
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// Hint is Names as a message suffix: ` (did you mean "a" or "b"?)`, or ""
// when nothing is close.
func Hint(name string, candidates []string) string {
	ns := Names(name, candidates)
	if len(ns) == 0 {
		return ""
	}
	q := make([]string, len(ns))
	for i, n := range ns {
		q[i] = fmt.Sprintf("%q", n)
	}
	return " (did you mean " + strings.Join(q, " or ") + "?)"
}

// Distance is the Levenshtein distance between a and b, in bytes (names
// here are DNS labels and CUE identifiers: ASCII).
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
