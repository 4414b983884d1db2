package catalog

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the catalogue as a table, then the progress per phase.
func WriteTable(w io.Writer, c *Catalogue) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tEXPERIMENT\tKIND\tSTATUS\tCOMPONENTS\tVARIANTS\tBENCHMARK")
	for _, r := range c.Experiments {
		fmt.Fprintf(tw, "%d %s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			r.PhaseNumber, r.Phase, r.Experiment, r.Kind, r.Status, r.Components, orDash(strings.Join(r.Variants, ",")), tools(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return WriteProgress(w, c)
}

// tools is the BENCHMARK column: the load tools, or "no".
func tools(r Row) string {
	if !r.Benchmark {
		return "no"
	}
	return strings.Join(r.Tools, ",")
}

// WriteProgress prints per phase and overall the experiments, how many
// have a benchmark, and validated / total, like the roadmap's success
// metrics.
func WriteProgress(w io.Writer, c *Catalogue) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRESS\tEXPERIMENTS\tBENCHMARKS\tVALIDATED")
	complete := 0
	for _, p := range c.Progress {
		mark := ""
		if p.Complete {
			mark = "complete"
			complete++
		}
		fmt.Fprintf(tw, "%d %s\t%d\t%d\t%d/%d", p.PhaseNumber, p.Phase, p.Total, p.Benchmarks, p.Validated, p.Total)
		if mark != "" {
			fmt.Fprintf(tw, "\t%s", mark)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d/%d\t%d of %d phases complete\n", c.Total, c.Benchmarks, c.Validated, c.Total, complete, len(c.Progress))
	return tw.Flush()
}

// WriteDetail prints one experiment: what it is, then how to deploy it,
// how it is measured, what it costs and what it is compared with.
func WriteDetail(w io.Writer, d *Detail) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s: %s\n", d.Experiment, d.Title)
	fmt.Fprintf(b, "phase %d %s, %s, %s, pod security %s, benchmark %s\n", d.PhaseNumber, d.Phase, d.Kind, d.Status, d.PodSecurity, yesNo(d.Benchmark))
	fmt.Fprintf(b, "source %s\n\n", d.Source)
	wrap(b, d.Description, "", 78)

	fmt.Fprintf(b, "\nDEPLOY\n")
	for _, v := range d.Variants {
		fmt.Fprintf(b, "  variant %s (namespace %s)", v.Name, v.Namespace)
		if v.Description != "" {
			fmt.Fprintf(b, ": %s", v.Description)
		}
		b.WriteString("\n")
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  VARIANT\tCOMPONENT\tCHART OR PATH\tNAMESPACE\tWAVE")
	for _, c := range d.Deploy {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\n", orShared(c.Variant), c.Name, c.Source, c.Namespace, c.SyncWave)
	}
	tw.Flush()

	fmt.Fprintf(b, "\nMEASURE\n")
	wrap(b, d.Measure.Summary, "  ", 78)
	for _, m := range d.Measure.Metrics {
		fmt.Fprintf(b, "  %s (%s, %s)\n", m.Name, m.Unit, m.Aggregation)
		if m.Description != "" {
			wrap(b, m.Description, "      ", 78)
		}
		fmt.Fprintf(b, "      %s\n", m.Query)
	}

	fmt.Fprintf(b, "\nCOST\n")
	wrap(b, d.Cost.Question, "  ", 78)
	fmt.Fprintf(b, "  priced by %s\n", d.Cost.Pricing)

	fmt.Fprintf(b, "\nCOMPARE\n")
	wrap(b, d.Compare.Summary, "  ", 78)
	if len(d.Compare.Alternatives) > 0 {
		fmt.Fprintf(b, "  alternatives: %s\n", strings.Join(d.Compare.Alternatives, ", "))
	}
	if len(d.ADRs) > 0 {
		fmt.Fprintf(b, "\nDECISIONS\n")
		for _, a := range d.ADRs {
			fmt.Fprintf(b, "  %s\n", a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteAppendices prints the optional topics by letter.
func WriteAppendices(w io.Writer, as []Appendix) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "APPENDIX\tTITLE\tCATEGORY")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Title, a.Category)
	}
	return tw.Flush()
}

// wrap writes s as lines of at most width runes (longer words stay
// whole), each starting with indent.
func wrap(b *strings.Builder, s, indent string, width int) {
	line := indent
	for _, word := range strings.Fields(s) {
		if line != indent && len([]rune(line))+1+len([]rune(word)) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	if line != indent {
		b.WriteString(line + "\n")
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orShared(v string) string {
	if v == "" {
		return "shared"
	}
	return v
}
