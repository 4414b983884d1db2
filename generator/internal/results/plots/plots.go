// Package plots draws the pictures of a benchmark report as SVG with
// gonum.org/v1/plot: the latency distribution of every variant, p99 latency
// against monthly cost with the Pareto frontier, and a metric's trend over
// the stored runs with its change points. Each drawing is a pure function
// of its input: the same input gives the same bytes (vgsvg writes no
// timestamps or ids, fonts are named, not embedded), so plots are
// committed beside the results they show and diff like text.
package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/tradeoff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/history"
)

// Dir is the folder beside an experiment's variant folders holding its
// plots (benchmarks/results/<experiment>/plots); the readers of stored
// results skip it.
const Dir = "plots"

// File names of the plots in Dir.
const (
	LatencyFile  = "latency.svg"
	TradeoffFile = "tradeoff.svg"
)

// TrendFile is the file of a variant's trend of a metric: trend-<variant>-<metric>.svg,
// the metric's name lower-cased with every character outside [a-z0-9._-]
// replaced by '-' (variant names are already safe: results.CheckName).
func TrendFile(variant, metric string) string {
	return "trend-" + variant + "-" + slug(metric) + ".svg"
}

// HistoryFile is the file of a variant's trend of a metric drawn by
// results history (every stored run of the working tree):
// history-<variant>-<metric>.svg, named apart from the report's trends,
// which are drawn over the base branch's runs and the new ones.
func HistoryFile(variant, metric string) string {
	return "history-" + variant + "-" + slug(metric) + ".svg"
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// Plot is one drawn picture.
type Plot struct {
	// File is its name in the experiment's plots folder.
	File string
	// Title is its alternative text.
	Title string
	SVG   []byte
}

// Size of every plot: 6 × 4 in, readable in a pull-request comment.
const (
	Width  = 6 * vg.Inch
	Height = 4 * vg.Inch
)

// FrontierColor strokes the Pareto frontier; ChangeColor the change points.
var (
	FrontierColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	ChangeColor   = color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}
	segmentColor  = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
)

// palette colours variants by their position (the tab10 colours without
// the frontier's red and the change points' purple).
var palette = []color.RGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff},
	{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff},
	{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	{R: 0x1a, G: 0x1a, B: 0x1a, A: 0xff},
}

// VariantColor is the colour of the i-th variant.
func VariantColor(i int) color.RGBA { return palette[i%len(palette)] }

// render draws p as SVG.
func render(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(Width, Height)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("write svg: %w", err)
	}
	return b.Bytes(), nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// headroom raises the top of the y axis so that the legend, drawn in the
// top right corner, holds its entries above the data.
func headroom(p *plot.Plot, entries int) {
	span := p.Y.Max - p.Y.Min
	if span <= 0 {
		span = math.Max(math.Abs(p.Y.Max), 1)
	}
	p.Y.Max += span * 0.08 * float64(entries+1)
}

// percentiles are the stored latency percentiles, in order.
var percentiles = []struct {
	name string
	get  func(results.Latency) *float64
}{
	{"p50", func(l results.Latency) *float64 { return l.Med }},
	{"p90", func(l results.Latency) *float64 { return l.P90 }},
	{"p95", func(l results.Latency) *float64 { return l.P95 }},
	{"p99", func(l results.Latency) *float64 { return l.P99 }},
	{"p99.9", func(l results.Latency) *float64 { return l.P999 }},
}

func finite(p *float64) bool { return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) }

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// latencySeries is one variant's runs at each charted percentile.
type latencySeries struct {
	name string
	// runs[i] are the runs' values at percentile i of the chart.
	runs [][]float64
}

// latencyData keeps the percentiles some run of some variant has and each
// variant's values at them (variants by name).
func latencyData(runs map[string][]*results.Result) (names []string, series []latencySeries) {
	var vs []string
	for v := range runs {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	for _, pc := range percentiles {
		for _, v := range vs {
			for _, r := range runs[v] {
				if finite(pc.get(r.LatencyMs)) {
					names = append(names, pc.name)
					goto next
				}
			}
		}
	next:
	}
	for _, v := range vs {
		s := latencySeries{name: v}
		have := false
		for _, pc := range percentiles {
			if !contains(names, pc.name) {
				continue
			}
			var xs []float64
			for _, r := range runs[v] {
				if p := pc.get(r.LatencyMs); finite(p) {
					xs = append(xs, *p)
				}
			}
			have = have || len(xs) > 0
			s.runs = append(s.runs, xs)
		}
		if have {
			series = append(series, s)
		}
	}
	return names, series
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Spread is how far right of its percentile the i-th of n variants is
// drawn, so that equal values of several variants stay visible.
func Spread(i, n int) float64 { return (float64(i) - float64(n-1)/2) * 0.06 }

// Latency draws each variant's latency at every stored percentile: a dot
// per run, and a line through the runs' medians. Variants without any
// percentile are left out; none at all is an error.
func Latency(experiment string, runs map[string][]*results.Result) (Plot, error) {
	p, err := latencyPlot(experiment, runs)
	if err != nil {
		return Plot{}, err
	}
	svg, err := render(p)
	if err != nil {
		return Plot{}, fmt.Errorf("plots: latency of %s: %w", experiment, err)
	}
	return Plot{File: LatencyFile, Title: experiment + ": latency by percentile", SVG: svg}, nil
}

func latencyPlot(experiment string, runs map[string][]*results.Result) (*plot.Plot, error) {
	names, series := latencyData(runs)
	if len(series) == 0 {
		return nil, fmt.Errorf("plots: latency of %s: no run has a latency percentile", experiment)
	}
	p := newPlot(experiment+": latency by percentile", "percentile (dots: runs, lines: their medians)", "latency (ms)")
	p.NominalX(names...)
	p.Y.Min = 0
	for i, s := range series {
		col := VariantColor(i)
		var dots, meds plotter.XYs
		for j, xs := range s.runs {
			x := float64(j) + Spread(i, len(series))
			for _, y := range xs {
				dots = append(dots, plotter.XY{X: x, Y: y})
			}
			if len(xs) > 0 {
				meds = append(meds, plotter.XY{X: x, Y: median(xs)})
			}
		}
		sc, err := plotter.NewScatter(dots)
		if err != nil {
			return nil, fmt.Errorf("plots: latency of %s, variant %s: %w", experiment, s.name, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.NRGBA{R: col.R, G: col.G, B: col.B, A: 0x80}, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
		ln, err := plotter.NewLine(meds)
		if err != nil {
			return nil, fmt.Errorf("plots: latency of %s, variant %s: %w", experiment, s.name, err)
		}
		ln.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.5)}
		p.Add(sc, ln)
		p.Legend.Add(fmt.Sprintf("%s (%d runs)", s.name, len(runs[s.name])), ln)
	}
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	headroom(p, len(series))
	return p, nil
}

// Tradeoff draws p99 latency against monthly cost: one square per variant
// at its medians (named beside it, 95% intervals as bars when finite) and
// the Pareto frontier as a line through its variants from the cheapest.
// Variants missing either figure are left out; none with both is an error.
func Tradeoff(t *tradeoff.Tradeoff) (Plot, error) {
	p, err := tradeoffPlot(t)
	if err != nil {
		return Plot{}, err
	}
	svg, err := render(p)
	if err != nil {
		return Plot{}, fmt.Errorf("plots: tradeoff of %s: %w", t.Experiment, err)
	}
	return Plot{File: TradeoffFile, Title: t.Experiment + ": p99 latency against monthly cost, Pareto frontier", SVG: svg}, nil
}

// Charted are the variants of t a tradeoff plot shows (both figures
// known), in t's order; the i-th is drawn in VariantColor(i).
func Charted(t *tradeoff.Tradeoff) []tradeoff.Variant {
	var out []tradeoff.Variant
	for _, v := range t.Variants {
		if v.P99Ms != nil && v.Monthly != nil {
			out = append(out, v)
		}
	}
	return out
}

// Frontier is the frontier's variants in the order the line joins them:
// by cost, then latency.
func Frontier(t *tradeoff.Tradeoff) []tradeoff.Variant {
	var f []tradeoff.Variant
	for _, v := range Charted(t) {
		if v.OnFrontier {
			f = append(f, v)
		}
	}
	sort.SliceStable(f, func(i, j int) bool {
		if f[i].Monthly.Median != f[j].Monthly.Median {
			return f[i].Monthly.Median < f[j].Monthly.Median
		}
		return f[i].P99Ms.Median < f[j].P99Ms.Median
	})
	return f
}

// errPoints are medians with their interval as error bars.
type errPoints struct {
	plotter.XYs
	plotter.XErrors
	plotter.YErrors
}

func bounded(f *tradeoff.Figure) bool {
	return !math.IsInf(f.Lo, 0) && !math.IsInf(f.Hi, 0) && !math.IsNaN(f.Lo) && !math.IsNaN(f.Hi)
}

func currencyLabel(cur string) string {
	if cur == "" || cur == "USD" {
		return "$"
	}
	return cur
}

func tradeoffPlot(t *tradeoff.Tradeoff) (*plot.Plot, error) {
	if t == nil {
		return nil, fmt.Errorf("plots: tradeoff: no analysis")
	}
	vs := Charted(t)
	if len(vs) == 0 {
		return nil, fmt.Errorf("plots: tradeoff of %s: no variant has both a p99 latency and a monthly cost", t.Experiment)
	}
	p := newPlot(t.Experiment+": p99 latency against cost", fmt.Sprintf("monthly cost (%s/month)", currencyLabel(t.Currency)), "p99 latency (ms)")
	p.Y.Min = 0
	for i, v := range vs {
		col := VariantColor(i)
		pt := plotter.XYs{{X: v.Monthly.Median, Y: v.P99Ms.Median}}
		if bounded(v.P99Ms) {
			e := errPoints{XYs: pt, YErrors: plotter.YErrors{{Low: v.P99Ms.Median - v.P99Ms.Lo, High: v.P99Ms.Hi - v.P99Ms.Median}}}
			bars, err := plotter.NewYErrorBars(e)
			if err != nil {
				return nil, fmt.Errorf("plots: tradeoff of %s, variant %s: %w", t.Experiment, v.Name, err)
			}
			bars.LineStyle.Color = col
			p.Add(bars)
		}
		if bounded(v.Monthly) {
			e := errPoints{XYs: pt, XErrors: plotter.XErrors{{Low: v.Monthly.Median - v.Monthly.Lo, High: v.Monthly.Hi - v.Monthly.Median}}}
			bars, err := plotter.NewXErrorBars(e)
			if err != nil {
				return nil, fmt.Errorf("plots: tradeoff of %s, variant %s: %w", t.Experiment, v.Name, err)
			}
			bars.LineStyle.Color = col
			p.Add(bars)
		}
		sc, err := plotter.NewScatter(pt)
		if err != nil {
			return nil, fmt.Errorf("plots: tradeoff of %s, variant %s: %w", t.Experiment, v.Name, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
		p.Add(sc)
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: pt, Labels: []string{v.Name}})
		if err != nil {
			return nil, fmt.Errorf("plots: tradeoff of %s, variant %s: %w", t.Experiment, v.Name, err)
		}
		lbl.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(4)}
		p.Add(lbl)
	}
	var line plotter.XYs
	for _, v := range Frontier(t) {
		line = append(line, plotter.XY{X: v.Monthly.Median, Y: v.P99Ms.Median})
	}
	if len(line) > 0 {
		fl, err := plotter.NewLine(line)
		if err != nil {
			return nil, fmt.Errorf("plots: tradeoff of %s: frontier: %w", t.Experiment, err)
		}
		fl.LineStyle = draw.LineStyle{Color: FrontierColor, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
		p.Add(fl)
		p.Legend.Add(fmt.Sprintf("Pareto frontier (%d of %d variants)", len(line), len(vs)), fl)
	}
	// Room for the names right of the rightmost squares.
	p.X.Max += (p.X.Max - p.X.Min) * 0.15
	if p.X.Max == p.X.Min {
		p.X.Min, p.X.Max = p.X.Min*0.9, p.X.Max*1.1+1
	}
	headroom(p, 1)
	return p, nil
}

// Trend draws one metric of a variant's history: the value of every run
// that has it in measured order, each segment's median as a grey line
// over its runs and each change point as a dashed vertical line between
// the last run before it and the first run after. A metric the variant's
// history lacks is an error.
func Trend(experiment string, v *history.Variant, metric string) (Plot, error) {
	p, err := trendPlot(experiment, v, metric)
	if err != nil {
		return Plot{}, err
	}
	svg, err := render(p)
	if err != nil {
		return Plot{}, fmt.Errorf("plots: trend of %s/%s %s: %w", experiment, v.Name, metric, err)
	}
	return Plot{File: TrendFile(v.Name, metric), Title: fmt.Sprintf("%s/%s: %s over the stored runs, change points marked", experiment, v.Name, metric), SVG: svg}, nil
}

// runTicks labels run numbers: the first run and every multiple of a step
// of 1, 2 or 5 times a power of ten, at most eight of them (gonum's
// default ticks fall on 4, 16, 28, which no one counts runs by).
type runTicks struct{}

func (runTicks) Ticks(min, max float64) []plot.Tick {
	step := runStep(max - min)
	ts := []plot.Tick{{Value: 1, Label: "1"}}
	for x := step; x <= max; x += step {
		if x > 1 {
			ts = append(ts, plot.Tick{Value: x, Label: strconv.Itoa(int(x))})
		}
	}
	return ts
}

func runStep(n float64) float64 {
	for mag := 1.0; ; mag *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if n/(m*mag) <= 8 {
				return m * mag
			}
		}
	}
}

// ChangeX is where a change point starting at point index i is drawn: run
// numbers are index + 1, and the line falls between runs i and i + 1.
func ChangeX(index int) float64 { return float64(index) + 0.5 }

func trendPlot(experiment string, v *history.Variant, metric string) (*plot.Plot, error) {
	if v == nil {
		return nil, fmt.Errorf("plots: trend of %s: no variant", experiment)
	}
	var s *history.Series
	for i := range v.Series {
		if v.Series[i].Metric == metric {
			s = &v.Series[i]
		}
	}
	if s == nil || s.N == 0 {
		return nil, fmt.Errorf("plots: trend of %s/%s: no run has %s", experiment, v.Name, metric)
	}
	ylabel := metric
	if s.Unit != "" {
		ylabel += " (" + s.Unit + ")"
	}
	p := newPlot(fmt.Sprintf("%s/%s: %s", experiment, v.Name, metric), "run (in measured order)", ylabel)
	var xys plotter.XYs
	for _, pt := range v.Points {
		if x, ok := pt.Values[metric]; ok {
			xys = append(xys, plotter.XY{X: float64(pt.Index + 1), Y: x})
		}
	}
	ln, sc, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, fmt.Errorf("plots: trend of %s/%s %s: %w", experiment, v.Name, metric, err)
	}
	col := VariantColor(0)
	ln.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1)}
	sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
	p.Add(ln, sc)
	p.Legend.Add(fmt.Sprintf("%s (%d runs)", metric, s.N), ln, sc)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xy := range xys {
		lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
	}
	for i, seg := range s.Segments {
		sl, err := plotter.NewLine(plotter.XYs{{X: float64(seg.From + 1), Y: seg.Median}, {X: float64(seg.To + 1), Y: seg.Median}})
		if err != nil {
			return nil, fmt.Errorf("plots: trend of %s/%s %s: segment: %w", experiment, v.Name, metric, err)
		}
		sl.LineStyle = draw.LineStyle{Color: segmentColor, Width: vg.Points(2)}
		p.Add(sl)
		if i == 0 {
			p.Legend.Add("segment median", sl)
		}
	}
	// The vertical lines span the data's range, padded as the axis is.
	pad := (hi - lo) * 0.05
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.05, 1)
	}
	for i, cp := range s.ChangePoints {
		cl, err := plotter.NewLine(plotter.XYs{{X: ChangeX(cp.Index), Y: lo - pad}, {X: ChangeX(cp.Index), Y: hi + pad}})
		if err != nil {
			return nil, fmt.Errorf("plots: trend of %s/%s %s: change point: %w", experiment, v.Name, metric, err)
		}
		cl.LineStyle = draw.LineStyle{Color: ChangeColor, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		p.Add(cl)
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: ChangeX(cp.Index), Y: hi + pad}}, Labels: []string{fmt.Sprintf("run %d", cp.Index+1)}})
		if err != nil {
			return nil, fmt.Errorf("plots: trend of %s/%s %s: change point: %w", experiment, v.Name, metric, err)
		}
		lbl.Offset = vg.Point{X: vg.Points(3), Y: vg.Points(-10)}
		p.Add(lbl)
		if i == 0 {
			p.Legend.Add("change point", cl)
		}
	}
	p.X.Min, p.X.Max = 0.5, float64(len(v.Points))+0.5
	p.X.Tick.Marker = runTicks{}
	entries := 2
	if len(s.ChangePoints) > 0 {
		entries++
	}
	headroom(p, entries)
	return p, nil
}
