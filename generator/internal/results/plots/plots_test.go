package plots

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/tradeoff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/history"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

func f(v float64) *float64 { return &v }

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// run is a valid k6 result: latency percentiles from p99 (ms), a monthly
// cost (0: not priced), measured at t0 + i hours; i spreads the runs a
// little, deterministically.
func run(variant string, i int, p99, monthly float64) *results.Result {
	j := 1 + float64(i%3)*0.01 + float64(i/3)*0.001
	r := results.New(results.ToolK6, results.UnitRequests)
	r.Experiment, r.Variant, r.RunID = "layers", variant, fmt.Sprintf("r%02d", i)
	r.SourceFormat, r.LoadGenerators = results.FormatSummary, 1
	r.Operations.Count, r.DurationS = 600_000, 600
	r.SetThroughput()
	r.Errors.Rate = f(0)
	at := t0.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
	r.StartedAt = &at
	r.LatencyMs = results.Latency{Source: results.LatencyToolPercentiles, Per: "request",
		Med: f(p99 / 3 * j), P90: f(p99 * 0.7 * j), P95: f(p99 * 0.8 * j), P99: f(p99 * j)}
	if monthly > 0 {
		hours := r.DurationS / 3600
		m := monthly * j
		est := cost.Estimate{Currency: "USD", Method: "workload", Hours: hours, Total: m / cost.HoursPerMonth * hours, MonthlyProjection: m}
		est.CPU = est.Total
		est = est.WithUnits(r.CostUnits())
		r.Cost = &est
	}
	r.Normalize()
	return r
}

func runs(variant string, n int, p99, monthly float64) []*results.Result {
	var out []*results.Result
	for i := 0; i < n; i++ {
		out = append(out, run(variant, i, p99, monthly))
	}
	return out
}

// layered is a composition where baseline and gateway are on the frontier
// (gateway is faster but dearer), mesh is beaten by both and observability
// is not priced.
func layered() map[string][]*results.Result {
	return map[string][]*results.Result{
		"baseline":      runs("baseline", 6, 30, 400),
		"gateway":       runs("gateway", 6, 20, 500),
		"mesh":          runs("mesh", 6, 35, 650),
		"observability": runs("observability", 6, 40, 0),
	}
}

// stepped is a variant's history whose p99 steps from 10 to 20 ms at run 16.
func stepped(t testing.TB) *history.Variant {
	t.Helper()
	var rs []history.Run
	for i := 0; i < 30; i++ {
		p99 := 10.0
		if i >= 15 {
			p99 = 20
		}
		r := run("mesh", i, p99, 500)
		rs = append(rs, history.Run{Result: r, File: "benchmarks/results/layers/mesh/" + r.RunID + ".json"})
	}
	h, err := history.Build("layers", map[string][]history.Run{"mesh": rs}, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &h.Variants[0]
}

// svgPath is one <path> of a drawing: its vertices and its style.
type svgPath struct {
	points []pt
	style  string
	arcs   bool
}

type pt struct{ x, y float64 }

type svgDoc struct {
	paths []svgPath
	texts []string
}

var pathCmd = regexp.MustCompile(`([MLA])([^MLAZ]*)`)

// parse reads the paths and texts of an SVG, failing on XML that does not
// parse.
func parse(t *testing.T, svg []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return doc
			}
			t.Fatalf("svg does not parse: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "path":
			var p svgPath
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "style":
					p.style = a.Value
				case "d":
					for _, m := range pathCmd.FindAllStringSubmatch(a.Value, -1) {
						if m[1] == "A" {
							p.arcs = true
							continue
						}
						xy := strings.Split(m[2], ",")
						x, _ := strconv.ParseFloat(xy[0], 64)
						y, _ := strconv.ParseFloat(xy[1], 64)
						p.points = append(p.points, pt{x, y})
					}
				}
			}
			doc.paths = append(doc.paths, p)
		case "text":
			var s string
			if err := d.DecodeElement(&s, &se); err != nil {
				t.Fatal(err)
			}
			doc.texts = append(doc.texts, s)
		}
	}
}

func hex(c color.RGBA) string { return fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B) }

// stroked and filled are the paths drawn with colour c.
func (d svgDoc) stroked(c color.RGBA) []svgPath { return d.with("stroke:" + hex(c)) }
func (d svgDoc) filled(c color.RGBA) []svgPath  { return d.with("fill:" + hex(c)) }

func (d svgDoc) with(s string) []svgPath {
	var out []svgPath
	for _, p := range d.paths {
		if strings.Contains(p.style, s+";") || strings.HasSuffix(p.style, s) {
			out = append(out, p)
		}
	}
	return out
}

func (d svgDoc) hasText(s string) bool {
	for _, x := range d.texts {
		if x == s {
			return true
		}
	}
	return false
}

// transforms maps data coordinates to the SVG's, as p draws them.
func transforms(p *plot.Plot) func(x, y float64) pt {
	dc := p.DataCanvas(draw.New(vgsvg.New(Width, Height)))
	fx, fy := p.Transforms(&dc)
	return func(x, y float64) pt { return pt{fx(x).Points(), fy(y).Points()} }
}

// near: vgsvg writes 5 significant digits.
func near(a, b pt) bool { return math.Abs(a.x-b.x) < 0.02 && math.Abs(a.y-b.y) < 0.02 }

func center(ps []pt) pt {
	lo, hi := pt{math.Inf(1), math.Inf(1)}, pt{math.Inf(-1), math.Inf(-1)}
	for _, p := range ps {
		lo.x, lo.y = math.Min(lo.x, p.x), math.Min(lo.y, p.y)
		hi.x, hi.y = math.Max(hi.x, p.x), math.Max(hi.y, p.y)
	}
	return pt{(lo.x + hi.x) / 2, (lo.y + hi.y) / 2}
}

func TestTradeoffPlot(t *testing.T) {
	tr, err := tradeoff.Build("layers", layered(), []string{"baseline", "gateway", "mesh", "observability"})
	if err != nil {
		t.Fatal(err)
	}
	var onFrontier []string
	for _, v := range tr.Variants {
		if v.OnFrontier {
			onFrontier = append(onFrontier, v.Name)
		}
	}
	if strings.Join(onFrontier, ",") != "baseline,gateway" {
		t.Fatalf("the data's frontier is %v, want baseline and gateway", onFrontier)
	}
	p, err := tradeoffPlot(tr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Tradeoff(tr)
	if err != nil {
		t.Fatal(err)
	}
	if got.File != "tradeoff.svg" {
		t.Errorf("file %q", got.File)
	}
	doc, at := parse(t, got.SVG), transforms(p)

	// The frontier: one line through its variants' medians from the
	// cheapest, besides its legend sample.
	var want []pt
	for _, v := range Frontier(tr) {
		want = append(want, at(v.Monthly.Median, v.P99Ms.Median))
	}
	if names := []string{Frontier(tr)[0].Name, Frontier(tr)[1].Name}; names[0] != "gateway" && names[0] != "baseline" {
		t.Fatalf("frontier order %v", names)
	}
	if c := Frontier(tr); c[0].Monthly.Median > c[1].Monthly.Median {
		t.Errorf("frontier not ordered by cost: %v", c)
	}
	lines := doc.stroked(FrontierColor)
	if len(lines) != 2 {
		t.Fatalf("%d frontier-coloured paths, want the line and its legend sample", len(lines))
	}
	found := 0
	for _, l := range lines {
		if len(l.points) == len(want) && near(l.points[0], want[0]) && near(l.points[1], want[1]) {
			found++
			if !strings.Contains(l.style, "stroke-dasharray") {
				t.Errorf("frontier is not dashed: %s", l.style)
			}
		}
	}
	if found != 1 {
		t.Errorf("no frontier line through %v: %+v", want, lines)
	}

	// One square per priced variant, at its medians, in its colour; the
	// unpriced one is not drawn.
	for i, v := range Charted(tr) {
		sq := doc.filled(VariantColor(i))
		if len(sq) != 1 {
			t.Errorf("%s: %d markers, want 1", v.Name, len(sq))
			continue
		}
		if c, w := center(sq[0].points), at(v.Monthly.Median, v.P99Ms.Median); !near(c, w) {
			t.Errorf("%s: marker at %v, want %v", v.Name, c, w)
		}
		if !doc.hasText(v.Name) {
			t.Errorf("%s is not named", v.Name)
		}
	}
	if len(Charted(tr)) != 3 || doc.hasText("observability") {
		t.Errorf("an unpriced variant is charted: %v", Charted(tr))
	}
	for _, s := range []string{"monthly cost ($/month)", "p99 latency (ms)", "layers: p99 latency against cost", "Pareto frontier (2 of 3 variants)"} {
		if !doc.hasText(s) {
			t.Errorf("no text %q in %v", s, doc.texts)
		}
	}
	golden.File(t, "testdata/tradeoff.golden.svg", got.SVG)
}

func TestLatencyPlot(t *testing.T) {
	rs := layered()
	p, err := latencyPlot("layers", rs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Latency("layers", rs)
	if err != nil {
		t.Fatal(err)
	}
	doc, at := parse(t, got.SVG), transforms(p)
	// p99.9 is stored by no run: four percentiles on the axis.
	for _, s := range []string{"p50", "p90", "p95", "p99", "latency (ms)", "layers: latency by percentile", "mesh (6 runs)", "percentile (dots: runs, lines: their medians)"} {
		if !doc.hasText(s) {
			t.Errorf("no text %q", s)
		}
	}
	if doc.hasText("p99.9") {
		t.Error("a percentile no run has is on the axis")
	}
	for i, name := range []string{"baseline", "gateway", "mesh", "observability"} {
		var p99s []float64
		for _, r := range rs[name] {
			p99s = append(p99s, *r.LatencyMs.P99)
		}
		// The median line passes through the runs' median p99 at x = 3
		// (p99), spread as the variant's dots are.
		w := at(3+Spread(i, 4), median(p99s))
		ok := false
		for _, l := range doc.stroked(VariantColor(i)) {
			if len(l.points) == 4 && near(l.points[3], w) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no median line through %v", name, w)
		}
	}
	// A translucent dot per run and percentile: four colours of 6 × 4.
	dots := map[string]int{}
	for _, p := range doc.paths {
		if p.arcs && strings.Contains(p.style, "fill-opacity:0.50196") {
			dots[strings.SplitN(p.style, ";", 2)[0]]++
		}
	}
	if len(dots) != 4 {
		t.Errorf("dots in %d colours, want 4: %v", len(dots), dots)
	}
	for c, n := range dots {
		if n != 24 {
			t.Errorf("%s: %d dots, want 24", c, n)
		}
	}
	golden.File(t, "testdata/latency.golden.svg", got.SVG)
}

func TestTrendPlot(t *testing.T) {
	v := stepped(t)
	const metric = "p99 latency"
	var s history.Series
	for _, x := range v.Series {
		if x.Metric == metric {
			s = x
		}
	}
	if len(s.ChangePoints) != 1 || s.ChangePoints[0].Index != 15 {
		t.Fatalf("the data's change points: %+v", s.ChangePoints)
	}
	p, err := trendPlot("layers", v, metric)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Trend("layers", v, metric)
	if err != nil {
		t.Fatal(err)
	}
	if got.File != "trend-mesh-p99-latency.svg" {
		t.Errorf("file %q", got.File)
	}
	doc, at := parse(t, got.SVG), transforms(p)
	// The change point: a vertical line between runs 15 and 16, besides the
	// legend sample.
	var vertical []svgPath
	for _, l := range doc.stroked(ChangeColor) {
		if len(l.points) == 2 && l.points[0].x == l.points[1].x && l.points[0].y != l.points[1].y {
			vertical = append(vertical, l)
		}
	}
	if len(vertical) != 1 {
		t.Fatalf("%d vertical change-point lines, want 1", len(vertical))
	}
	if x := vertical[0].points[0].x; math.Abs(x-at(15.5, 0).x) > 0.02 {
		t.Errorf("change point at x %v, want %v (between runs 15 and 16)", x, at(15.5, 0).x)
	}
	// Each segment's median over its runs.
	for _, seg := range s.Segments {
		a, b := at(float64(seg.From+1), seg.Median), at(float64(seg.To+1), seg.Median)
		ok := false
		for _, l := range doc.stroked(segmentColor) {
			if len(l.points) == 2 && near(l.points[0], a) && near(l.points[1], b) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no segment line from %v to %v", a, b)
		}
	}
	// Every run's value on the series' line.
	var line *svgPath
	for _, l := range doc.stroked(VariantColor(0)) {
		if len(l.points) == 30 {
			line = &l
		}
	}
	if line == nil {
		t.Fatal("no line through the 30 runs")
	}
	for i, pnt := range v.Points {
		if w := at(float64(i+1), pnt.Values[metric]); !near(line.points[i], w) {
			t.Errorf("run %d at %v, want %v", i+1, line.points[i], w)
		}
	}
	for _, s := range []string{"layers/mesh: p99 latency", "p99 latency (ms)", "run (in measured order)", "run 16", "change point", "segment median"} {
		if !doc.hasText(s) {
			t.Errorf("no text %q", s)
		}
	}
	golden.File(t, "testdata/trend.golden.svg", got.SVG)
}

// Twice the same input, twice the same bytes; the files stay small (no
// embedded fonts).
func TestDeterministic(t *testing.T) {
	tr, err := tradeoff.Build("layers", layered(), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := stepped(t)
	for _, c := range []struct {
		name string
		draw func() (Plot, error)
	}{
		{"latency", func() (Plot, error) { return Latency("layers", layered()) }},
		{"tradeoff", func() (Plot, error) { return Tradeoff(tr) }},
		{"trend", func() (Plot, error) { return Trend("layers", v, "p99 latency") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := c.draw()
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				b, err := c.draw()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.SVG, b.SVG) {
					t.Fatal("two drawings of the same input differ")
				}
			}
			if len(a.SVG) > 64<<10 || bytes.Contains(a.SVG, []byte("@font-face")) {
				t.Errorf("%d bytes, fonts embedded: %v", len(a.SVG), bytes.Contains(a.SVG, []byte("@font-face")))
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	unpriced := map[string][]*results.Result{"a": runs("a", 3, 10, 0)}
	trUnpriced, err := tradeoff.Build("e", unpriced, nil)
	if err != nil {
		t.Fatal(err)
	}
	noLatency := runs("a", 2, 10, 100)
	for _, r := range noLatency {
		r.LatencyMs = results.Latency{Source: results.LatencyNone}
	}
	v := stepped(t)
	for _, c := range []struct {
		name string
		draw func() (Plot, error)
		want string
	}{
		{"latency of nothing", func() (Plot, error) { return Latency("e", nil) }, "plots: latency of e: no run has a latency percentile"},
		{"latency without percentiles", func() (Plot, error) { return Latency("e", map[string][]*results.Result{"a": noLatency}) }, "plots: latency of e: no run has a latency percentile"},
		{"tradeoff of nothing", func() (Plot, error) { return Tradeoff(nil) }, "plots: tradeoff: no analysis"},
		{"tradeoff unpriced", func() (Plot, error) { return Tradeoff(trUnpriced) }, "plots: tradeoff of e: no variant has both a p99 latency and a monthly cost"},
		{"trend of no variant", func() (Plot, error) { return Trend("e", nil, "p99 latency") }, "plots: trend of e: no variant"},
		{"trend of an unknown metric", func() (Plot, error) { return Trend("layers", v, "p99.9 latency") }, "plots: trend of layers/mesh: no run has p99.9 latency"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.draw()
			if err == nil || err.Error() != c.want {
				t.Errorf("error %v, want %q", err, c.want)
			}
			if p.SVG != nil {
				t.Error("a plot with the error")
			}
		})
	}
}

func TestTrendFile(t *testing.T) {
	for _, c := range []struct{ variant, metric, want string }{
		{"mesh", "p99 latency", "trend-mesh-p99-latency.svg"},
		{"v1.2", "cost per 1M requests", "trend-v1.2-cost-per-1m-requests.svg"},
		{"a", "cpu_cores/s", "trend-a-cpu_cores-s.svg"},
	} {
		if got := TrendFile(c.variant, c.metric); got != c.want {
			t.Errorf("TrendFile(%q, %q) = %q, want %q", c.variant, c.metric, got, c.want)
		}
		if got, want := HistoryFile(c.variant, c.metric), "history-"+strings.TrimPrefix(c.want, "trend-"); got != want {
			t.Errorf("HistoryFile(%q, %q) = %q, want %q", c.variant, c.metric, got, want)
		}
	}
}

func BenchmarkLatency(b *testing.B) {
	rs := layered()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Latency("layers", rs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTradeoff(b *testing.B) {
	tr, err := tradeoff.Build("layers", layered(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Tradeoff(tr); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrend(b *testing.B) {
	v := stepped(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Trend("layers", v, "p99 latency"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRunTicks(t *testing.T) {
	for _, c := range []struct {
		runs int
		want string
	}{
		{2, "1 2"},
		{8, "1 2 3 4 5 6 7 8"},
		{12, "1 2 4 6 8 10 12"},
		{30, "1 5 10 15 20 25 30"},
		{100, "1 20 40 60 80 100"},
		{10000, "1 2000 4000 6000 8000 10000"},
	} {
		var got []string
		for _, tk := range (runTicks{}).Ticks(0.5, float64(c.runs)+0.5) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%d runs: ticks %v, want %s", c.runs, got, c.want)
		}
	}
}
