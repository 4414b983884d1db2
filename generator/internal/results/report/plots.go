package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/tradeoff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/history"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/plots"
)

// TrendMetric is the metric whose trend the report draws per variant.
const TrendMetric = "p99 latency"

// drawPlots draws the report's pictures (results/plots): the current
// runs' latency by percentile, their p99 against monthly cost with the
// Pareto frontier, and per variant the p99 trend over the baseline and
// current runs in measured order (as results history orders them: runs
// recording no time by run id, last) with its change points. A plot that
// cannot be drawn is left out and a note says why; nothing is guessed.
func drawPlots(in Input, t *tradeoff.Tradeoff) (out []plots.Plot, notes []string) {
	if p, err := plots.Latency(in.Experiment, in.Current); err == nil {
		out = append(out, p)
	} else {
		notes = append(notes, "latency plot omitted: "+trimPlots(err))
	}
	if t == nil {
		notes = append(notes, "latency against cost plot omitted: no trade-off analysis")
	} else if p, err := plots.Tradeoff(t); err == nil {
		out = append(out, p)
	} else {
		notes = append(notes, "latency against cost plot omitted: "+trimPlots(err))
	}
	runs := map[string][]history.Run{}
	for _, side := range []map[string][]*results.Result{in.Base, in.Current} {
		for v, rs := range side {
			for _, r := range rs {
				runs[v] = append(runs[v], history.Run{Result: r, File: v + "/" + r.RunID + ".json"})
			}
		}
	}
	h, err := history.Build(in.Experiment, runs, history.Options{})
	if err != nil {
		return out, append(notes, "trend plots omitted: "+err.Error())
	}
	names := make([]string, 0, len(in.Current))
	for v := range in.Current {
		names = append(names, v)
	}
	sort.Strings(names)
	for _, name := range names {
		for i := range h.Variants {
			v := &h.Variants[i]
			if v.Name != name {
				continue
			}
			// One run is a point, not a trend.
			if n := seriesLen(v, TrendMetric); n < 2 {
				notes = append(notes, fmt.Sprintf("%s trend of %s omitted: %d run(s) with it", TrendMetric, name, n))
				continue
			}
			p, err := plots.Trend(in.Experiment, v, TrendMetric)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s trend of %s omitted: %s", TrendMetric, name, trimPlots(err)))
				continue
			}
			out = append(out, p)
		}
	}
	return out, notes
}

func seriesLen(v *history.Variant, metric string) int {
	for _, s := range v.Series {
		if s.Metric == metric {
			return s.N
		}
	}
	return 0
}

// trimPlots drops the package and subject prefix of a plots error: the
// note already names the plot.
func trimPlots(err error) string {
	s := err.Error()
	if _, rest, ok := strings.Cut(s, ": "); ok && strings.HasPrefix(s, "plots: ") {
		if _, r, ok := strings.Cut(rest, ": "); ok {
			return r
		}
		return rest
	}
	return s
}

// PlotPath is where a plot of the report is kept, relative to the
// experiment's results folder.
func PlotPath(file string) string { return plots.Dir + "/" + file }

// plotsSection embeds the drawn plots as images, linked through
// rep.PlotLink (relative to the experiment's folder when unset).
func (rep *Report) plotsSection(b *strings.Builder) {
	if len(rep.Plots) == 0 && len(rep.PlotNotes) == 0 {
		return
	}
	link := rep.PlotLink
	if link == nil {
		link = PlotPath
	}
	b.WriteString("\n### Plots\n\n")
	if len(rep.Plots) > 0 {
		b.WriteString("Drawn from the runs above (SVG, committed beside the results in `" + plots.Dir + "/`).\n\n")
		for i, p := range rep.Plots {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(b, "![%s](%s)\n", p.Title, link(p.File))
		}
	}
	if len(rep.PlotNotes) > 0 {
		if len(rep.Plots) > 0 {
			b.WriteString("\n")
		}
		for _, n := range rep.PlotNotes {
			fmt.Fprintf(b, "- %s.\n", n)
		}
	}
}
