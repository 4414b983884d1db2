// Package history builds the series of an experiment's stored results over
// time, per variant and metric, and finds where each series changed
// (change points: Pettitt's test with binary segmentation, each confirmed
// by a Mann-Whitney U test between the segments it separates). It is a
// pure function of the runs; reading them from the repository is Load's.
package history

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/envdiff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/stats"
)

// Commit is the Git commit that stored a result file.
type Commit struct {
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
}

// Run is one stored result and where it is kept.
type Run struct {
	Result *results.Result
	// File is the result's path, relative to the repository root.
	File string
	// Stored is the commit that added the file; nil when it is not
	// committed (the working tree only).
	Stored *Commit
}

// Where a point's time comes from.
const (
	TimeRunWindow = "run window"    // run.window_start (collect)
	TimeStartedAt = "started_at"    // the load tool's first sample
	TimeStored    = "stored commit" // the commit that added the file
	TimeNone      = "none"
)

// Where a point's commit comes from.
const (
	CommitMeasured = "measured" // run.git_commit: the lab's HEAD when collected
	CommitStored   = "stored"   // the commit that added the result file
)

// Point is one run in a variant's series.
type Point struct {
	Index int    `json:"index"`
	RunID string `json:"run_id"`
	File  string `json:"file"`
	// At is when the run was measured (RFC 3339, UTC), from AtFrom.
	At     string `json:"at"`
	AtFrom string `json:"at_from"`
	// Commit is the lab's commit the run belongs to, from CommitFrom.
	Commit          string `json:"commit"`
	CommitFrom      string `json:"commit_from"`
	ManifestsDigest string `json:"manifests_digest,omitempty"`
	Tool            string `json:"tool"`
	// Values are the run's figures by metric name (absent when the run
	// does not have the figure).
	Values map[string]float64 `json:"values"`

	result *results.Result
	at     time.Time
}

// Segment is a stretch of a series between change points: points From to
// To (indices into the variant's points, inclusive) and the median of the
// metric over them with its 95% confidence interval (null bounds when
// there are too few points for that confidence).
type Segment struct {
	From   int      `json:"from"`
	To     int      `json:"to"`
	N      int      `json:"n"`
	Median float64  `json:"median"`
	Lo     *float64 `json:"lo"`
	Hi     *float64 `json:"hi"`
}

// ChangePoint is where a metric's level changed: Index is the first point
// of the new segment.
type ChangePoint struct {
	Metric string `json:"metric"`
	Index  int    `json:"index"`
	RunID  string `json:"run_id"`
	At     string `json:"at"`
	Commit string `json:"commit"`
	// Before and After are the medians of the adjacent segments.
	Before   float64  `json:"before"`
	After    float64  `json:"after"`
	DeltaPct *float64 `json:"delta_pct"`
	// P is the Mann-Whitney U p-value between the adjacent segments.
	P float64 `json:"p"`
	// Better is true for a change in the metric's good direction, false
	// for a regression, nil for a metric without a direction.
	Better *bool `json:"better"`
	// Changed is what differs between the run before the change and the
	// run at it: the commit and the recorded environment.
	Changed []envdiff.Field `json:"changed"`
}

// Series is one metric of one variant over time.
type Series struct {
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// N is the number of points that have the metric.
	N            int           `json:"n"`
	Segments     []Segment     `json:"segments"`
	ChangePoints []ChangePoint `json:"change_points"`
}

// Variant is one variant's history.
type Variant struct {
	Name   string   `json:"name"`
	Unit   string   `json:"unit"`
	Points []Point  `json:"points"`
	Series []Series `json:"series"`
}

// History is an experiment's history.
type History struct {
	Experiment string    `json:"experiment"`
	MinSegment int       `json:"min_segment"`
	Alpha      float64   `json:"alpha"`
	Variants   []Variant `json:"variants"`
	Warnings   []string  `json:"warnings"`
}

// metric is a figure tracked over time.
type metric struct {
	stats.Metric
	direction bool // HigherIsBetter is meaningful
}

func metrics(unit, currency string) []metric {
	var ms []metric
	for _, m := range stats.Metrics(unit) {
		if m.Money {
			m.Unit = currency
		}
		ms = append(ms, metric{Metric: m, direction: true})
	}
	ms = append(ms, metric{Metric: stats.Metric{Name: "monthly cost", Unit: currency, Money: true,
		Get: stats.CostOf(func(c *cost.Estimate) *float64 { v := c.MonthlyProjection; return &v })}, direction: true})
	return ms
}

// declared are the experiment's PromQL metrics some run holds, by name:
// their direction is not declared, so a change is neither better nor worse.
func declared(rs []*results.Result) []metric {
	units := map[string]string{}
	for _, r := range rs {
		for n, v := range r.Metrics {
			units[n] = v.Unit
		}
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	var ms []metric
	for _, n := range names {
		ms = append(ms, metric{Metric: stats.Metric{Name: n, Unit: units[n], Get: func(r *results.Result) *float64 {
			if v, ok := r.Metrics[n]; ok {
				return &v.Value
			}
			return nil
		}}})
	}
	return ms
}

// at is when a run was measured and where that time comes from.
func at(r Run) (time.Time, string, error) {
	if r.Result.Run != nil && r.Result.Run.WindowStart != "" {
		t, err := results.CheckTimestamp(r.Result.Run.WindowStart)
		if err != nil {
			return t, "", fmt.Errorf("%s: run.window_start: %w", r.File, err)
		}
		return t.UTC(), TimeRunWindow, nil
	}
	if r.Result.StartedAt != nil {
		t, err := results.CheckTimestamp(*r.Result.StartedAt)
		if err != nil {
			return t, "", fmt.Errorf("%s: started_at: %w", r.File, err)
		}
		return t.UTC(), TimeStartedAt, nil
	}
	if r.Stored != nil {
		return r.Stored.Time.UTC(), TimeStored, nil
	}
	return time.Time{}, TimeNone, nil
}

// Build orders each variant's runs by when they were measured (the run
// window, else the tool's first sample, else the commit that stored the
// file; runs with none of these come last, by run id) and finds the change
// points of every metric some run has.
func Build(experiment string, runs map[string][]Run, o Options) (*History, error) {
	o = o.norm()
	h := &History{Experiment: experiment, MinSegment: o.MinSegment, Alpha: o.Alpha, Variants: []Variant{}, Warnings: []string{}}
	names := make([]string, 0, len(runs))
	for v := range runs {
		names = append(names, v)
	}
	sort.Strings(names)
	for _, name := range names {
		rs := runs[name]
		if len(rs) == 0 {
			continue
		}
		v, warns, err := buildVariant(name, rs, o)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", name, err)
		}
		h.Variants = append(h.Variants, *v)
		h.Warnings = append(h.Warnings, warns...)
	}
	if len(h.Variants) == 0 {
		return nil, fmt.Errorf("history of %s: no stored results", experiment)
	}
	return h, nil
}

func buildVariant(name string, rs []Run, o Options) (*Variant, []string, error) {
	var warns []string
	set := make([]*results.Result, len(rs))
	for i, r := range rs {
		set[i] = r.Result
	}
	unit, err := stats.Unit(set)
	if err != nil {
		return nil, nil, err
	}
	currency := ""
	pts := make([]Point, len(rs))
	untimed := 0
	seen := map[string]string{}
	for i, r := range rs {
		if prev, ok := seen[r.Result.RunID]; ok {
			return nil, nil, fmt.Errorf("run id %s stored twice (%s and %s)", r.Result.RunID, prev, r.File)
		}
		seen[r.Result.RunID] = r.File
		t, from, err := at(r)
		if err != nil {
			return nil, nil, err
		}
		p := Point{RunID: r.Result.RunID, File: r.File, AtFrom: from, ManifestsDigest: r.Result.ManifestsDigest, Values: map[string]float64{}, result: r.Result, at: t}
		if from == TimeNone {
			untimed++
		} else {
			p.At = t.Format(time.RFC3339)
		}
		switch {
		case r.Result.Run != nil && r.Result.Run.GitCommit != "":
			p.Commit, p.CommitFrom = r.Result.Run.GitCommit, CommitMeasured
		case r.Stored != nil:
			p.Commit, p.CommitFrom = r.Stored.Hash, CommitStored
		}
		p.Tool = r.Result.Tool.Name
		if r.Result.Tool.Version != nil {
			p.Tool += " " + *r.Result.Tool.Version
		}
		if r.Result.Cost != nil && currency == "" {
			currency = r.Result.Cost.Currency
		}
		pts[i] = p
	}
	if untimed > 0 {
		warns = append(warns, fmt.Sprintf("%s: %d run(s) record no time and are not committed: ordered by run id, after the runs that have one", name, untimed))
	}
	sort.SliceStable(pts, func(i, j int) bool {
		a, b := pts[i], pts[j]
		if (a.AtFrom == TimeNone) != (b.AtFrom == TimeNone) {
			return b.AtFrom == TimeNone
		}
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.RunID < b.RunID
	})
	ms := append(metrics(unit, currency), declared(set)...)
	for i := range pts {
		pts[i].Index = i
		for _, m := range ms {
			if v := m.Get(pts[i].result); v != nil && !math.IsNaN(*v) && !math.IsInf(*v, 0) {
				pts[i].Values[m.Name] = *v
			}
		}
	}
	v := &Variant{Name: name, Unit: unit, Points: pts, Series: []Series{}}
	for _, m := range ms {
		s := series(pts, m, o)
		if s.N == 0 {
			continue
		}
		v.Series = append(v.Series, s)
	}
	return v, warns, nil
}

// series finds the change points of one metric over the points that have it.
func series(pts []Point, m metric, o Options) Series {
	var x []float64
	var at []int // point index of each value
	for i, p := range pts {
		if v, ok := p.Values[m.Name]; ok {
			x = append(x, v)
			at = append(at, i)
		}
	}
	s := Series{Metric: m.Name, Unit: m.Unit, N: len(x), Segments: []Segment{}, ChangePoints: []ChangePoint{}}
	if len(x) == 0 {
		return s
	}
	cps := Detect(x, o)
	bounds := append(append([]int{0}, cps...), len(x))
	for i := 0; i+1 < len(bounds); i++ {
		s.Segments = append(s.Segments, segment(x[bounds[i]:bounds[i+1]], at[bounds[i]], at[bounds[i+1]-1]))
	}
	for i, c := range cps {
		before, after := s.Segments[i], s.Segments[i+1]
		cur, prev := pts[at[c]], pts[at[c-1]]
		cp := ChangePoint{Metric: m.Name, Index: cur.Index, RunID: cur.RunID, At: cur.At, Commit: cur.Commit,
			Before: before.Median, After: after.Median,
			P:       MannWhitney(x[bounds[i]:c], x[c:bounds[i+2]]),
			Changed: changed(prev, cur)}
		if before.Median != 0 {
			d := (after.Median - before.Median) / math.Abs(before.Median) * 100
			cp.DeltaPct = &d
		}
		if m.direction && after.Median != before.Median {
			better := (after.Median > before.Median) == m.HigherIsBetter
			cp.Better = &better
		}
		s.ChangePoints = append(s.ChangePoints, cp)
	}
	return s
}

func segment(x []float64, from, to int) Segment {
	th := benchmath.DefaultThresholds
	sum := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(x), &th), stats.Confidence)
	seg := Segment{From: from, To: to, N: len(x), Median: sum.Center}
	if !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) {
		lo, hi := sum.Lo, sum.Hi
		seg.Lo, seg.Hi = &lo, &hi
	}
	return seg
}

// changed is what differs between two consecutive runs: the commit and
// the environment they record.
func changed(prev, cur Point) []envdiff.Field {
	out := []envdiff.Field{}
	if prev.Commit != cur.Commit {
		out = append(out, envdiff.Field{Name: "commit", Base: []string{orNot(prev.Commit)}, Current: []string{orNot(cur.Commit)}})
	}
	return append(out, envdiff.Diff([]*results.Result{prev.result}, []*results.Result{cur.result})...)
}

func orNot(s string) string {
	if s == "" {
		return envdiff.NotRecorded
	}
	return s
}
