package history

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
)

// MarkdownOptions choose what Markdown prints.
type MarkdownOptions struct {
	// Runs adds the table of every run of each variant.
	Runs bool
	// Plot, when set, gives the link of a variant's trend plot of a
	// metric (false: none drawn); each variant's plots are embedded as
	// images after its change points.
	Plot func(variant, metric string) (link string, ok bool)
}

// Method describes the change-point detection, for the report and the docs.
func (h *History) Method() string {
	return fmt.Sprintf("Change points: seeded binary segmentation with Pettitt's rank statistic, Bonferroni-corrected over the intervals searched, each change kept when the Mann-Whitney U test between the segments it separates gives p < %s; at least %d runs a segment.", format.Number(h.Alpha), h.MinSegment)
}

func withUnit(v float64, unit string) string {
	if unit == "" {
		return format.Number(v)
	}
	return format.Number(v) + " " + unit
}

func (s Segment) text(unit string) string {
	ci := "± ∞"
	if s.Lo != nil && s.Hi != nil {
		ci = "[" + format.Number(*s.Lo) + ", " + format.Number(*s.Hi) + "]"
	}
	return fmt.Sprintf("%s %s (runs %d-%d)", withUnit(s.Median, unit), ci, s.From+1, s.To+1)
}

func short(c string) string {
	if len(c) > 12 && !strings.Contains(c, ":") {
		return c[:12]
	}
	if strings.HasPrefix(c, "sha256:") && len(c) > 19 {
		return c[:19]
	}
	return c
}

func (cp ChangePoint) text(unit string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** from run %d (`%s`", cp.Metric, cp.Index+1, cp.RunID)
	if cp.At != "" {
		b.WriteString(", " + cp.At)
	}
	if cp.Commit != "" {
		b.WriteString(", commit " + short(cp.Commit))
	}
	fmt.Fprintf(&b, "): %s → %s", withUnit(cp.Before, unit), withUnit(cp.After, unit))
	var tags []string
	if cp.DeltaPct != nil {
		tags = append(tags, fmt.Sprintf("%+.2f%%", *cp.DeltaPct))
	}
	if cp.Better != nil {
		if *cp.Better {
			tags = append(tags, "better")
		} else {
			tags = append(tags, "worse")
		}
	}
	tags = append(tags, "p = "+pValue(cp.P))
	b.WriteString(" (" + strings.Join(tags, ", ") + ")")
	if len(cp.Changed) == 0 {
		b.WriteString(". Nothing recorded changed with it.")
	} else {
		var ch []string
		for _, f := range cp.Changed {
			ch = append(ch, fmt.Sprintf("%s %s → %s", f.Name, shortAll(f.Base), shortAll(f.Current)))
		}
		b.WriteString(". Changed with it: " + strings.Join(ch, "; ") + ".")
	}
	return b.String()
}

func shortAll(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = short(v)
	}
	return strings.Join(out, ", ")
}

func pValue(p float64) string {
	return fmt.Sprintf("%.2g", p)
}

// Markdown writes the history: per variant, each metric's segments and
// change points, and with o.Runs every run in order. The output depends
// only on h.
func (h *History) Markdown(w io.Writer, o MarkdownOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## History: %s\n\n", h.Experiment)
	b.WriteString("Runs in the order they were measured (the run window, else the load tool's first sample, else the commit that stored the result). ")
	b.WriteString(h.Method())
	b.WriteString(" Segments: median [95% CI].\n")
	for _, v := range h.Variants {
		first, last := "", ""
		for _, p := range v.Points {
			if p.At != "" {
				if first == "" {
					first = p.At
				}
				last = p.At
			}
		}
		fmt.Fprintf(&b, "\n### %s (%d runs", v.Name, len(v.Points))
		if first != "" {
			fmt.Fprintf(&b, ", %s to %s", first, last)
		}
		b.WriteString(")\n\n| metric | runs | segments | change points |\n|---|---|---|---|\n")
		var cps []string
		for _, s := range v.Series {
			segs := make([]string, len(s.Segments))
			for i, g := range s.Segments {
				segs[i] = g.text(s.Unit)
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %d |\n", s.Metric, s.N, strings.Join(segs, " → "), len(s.ChangePoints))
			for _, cp := range s.ChangePoints {
				cps = append(cps, cp.text(s.Unit))
			}
		}
		if len(cps) == 0 {
			b.WriteString("\nNo change point: every metric kept its level.\n")
		} else {
			b.WriteString("\nChange points:\n\n")
			for _, c := range cps {
				b.WriteString("- " + c + "\n")
			}
		}
		if o.Plot != nil {
			first := true
			for _, s := range v.Series {
				link, ok := o.Plot(v.Name, s.Metric)
				if !ok {
					continue
				}
				if first {
					b.WriteString("\nTrends (SVG, change points dashed):\n")
					first = false
				}
				fmt.Fprintf(&b, "\n![%s/%s: %s over the stored runs, change points marked](%s)\n", h.Experiment, v.Name, s.Metric, link)
			}
		}
		if o.Runs {
			writeRuns(&b, v)
		}
	}
	if len(h.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, w := range h.Warnings {
			b.WriteString("- " + w + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRuns(b *strings.Builder, v Variant) {
	// The change points starting at each run, by metric.
	starts := map[int][]string{}
	for _, s := range v.Series {
		for _, cp := range s.ChangePoints {
			starts[cp.Index] = append(starts[cp.Index], s.Metric)
		}
	}
	b.WriteString("\n| # | run | measured | commit | tool |")
	for _, s := range v.Series {
		fmt.Fprintf(b, " %s |", s.Metric)
	}
	b.WriteString(" change |\n|---|---|---|---|---|")
	for range v.Series {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	for _, p := range v.Points {
		at := p.At
		if at == "" {
			at = "—"
		}
		commit := short(p.Commit)
		if commit == "" {
			commit = "—"
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s |", p.Index+1, p.RunID, at, commit, p.Tool)
		for _, s := range v.Series {
			if x, ok := p.Values[s.Metric]; ok {
				fmt.Fprintf(b, " %s |", format.Number(x))
			} else {
				b.WriteString(" — |")
			}
		}
		ch := starts[p.Index]
		sort.Strings(ch)
		fmt.Fprintf(b, " %s |\n", strings.Join(ch, ", "))
	}
}
