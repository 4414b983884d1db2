package benchlocal

import (
	"fmt"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// RuntimeInfo is what is measured per runtime rather than per run.
type RuntimeInfo struct {
	Name      string
	Toolchain string
	// ColdStartsMs are the start-to-first-200-on-/health times.
	ColdStartsMs []float64
	// AppBytes is the build output (binary or bundle with its
	// dependencies); RuntimeBytes the interpreter it runs on (0: none).
	AppBytes, RuntimeBytes int64
}

// Settings describe the invocation, printed at the top of the report.
type Settings struct {
	Rate        int
	Duration    time.Duration
	Warmup      time.Duration
	Repetitions int
	ColdStarts  int
	ComputeN    int
	// Machine describes where it ran (CPU, cores, load).
	Machine string
}

// Refusal is a run that was measured but not stored.
type Refusal struct {
	Variant, RunID, Reason string
}

// ReportInput is everything a report shows.
type ReportInput struct {
	Settings Settings
	Model    cost.Model
	Runtimes []RuntimeInfo
	Results  []*results.Result
	Refused  []Refusal
}

// Row aggregates the runs of one runtime on one endpoint: medians over
// the repetitions (a median is robust to one disturbed run on a shared
// machine).
type Row struct {
	Runtime, Endpoint string
	N                 int
	RPS               float64
	P50, P95, P99     *float64
	Max               *float64
	Requests, Failed  int64
	PeakRSSBytes      *float64
	CPUPer1k          *float64
	CostPer1M         *float64
}

// Aggregate groups results by runtime and endpoint, in the order of the
// runtimes given (then by name) and of the endpoints.
func Aggregate(rs []*results.Result, runtimeOrder []string) ([]Row, error) {
	type key struct{ rt, ep string }
	groups := map[key][]*results.Result{}
	for _, r := range rs {
		rt, ep, ok := SplitVariant(r.Variant)
		if !ok {
			return nil, fmt.Errorf("result %s/%s: variant is not <runtime>-<endpoint>", r.Variant, r.RunID)
		}
		groups[key{rt, ep}] = append(groups[key{rt, ep}], r)
	}
	pos := map[string]int{}
	for i, n := range runtimeOrder {
		pos[n] = i
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.ep != b.ep {
			if endpointOrder(a.ep) != endpointOrder(b.ep) {
				return endpointOrder(a.ep) < endpointOrder(b.ep)
			}
			return a.ep < b.ep
		}
		pa, oka := pos[a.rt]
		pb, okb := pos[b.rt]
		switch {
		case oka && okb && pa != pb:
			return pa < pb
		case oka != okb:
			return oka
		}
		return a.rt < b.rt
	})
	rows := make([]Row, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		row := Row{Runtime: k.rt, Endpoint: k.ep, N: len(g)}
		rps := make([]float64, 0, len(g))
		var p50, p95, p99, mx, rss, cpu, c1m []float64
		for _, r := range g {
			rps = append(rps, r.ThroughputPerS)
			row.Requests += r.Operations.Count
			switch {
			case r.Checks != nil: // one check per request; also in migrated version-1 results
				row.Failed += r.Checks.Fails
			case r.Errors.Count != nil:
				row.Failed += *r.Errors.Count
			}
			p50 = appendOpt(p50, r.LatencyMs.Med)
			p95 = appendOpt(p95, r.LatencyMs.P95)
			p99 = appendOpt(p99, r.LatencyMs.P99)
			mx = appendOpt(mx, r.LatencyMs.Max)
			if r.Resources != nil && len(r.Resources.Containers) == 1 {
				c := r.Resources.Containers[0]
				rss = appendOpt(rss, c.MemoryPeakBytes)
				if c.CPUCoreSeconds != nil && r.Operations.Count > 0 {
					cpu = append(cpu, *c.CPUCoreSeconds/float64(r.Operations.Count)*1000)
				}
			}
			if r.Cost != nil {
				c1m = appendOpt(c1m, r.Cost.PerMillionOperations)
			}
		}
		row.RPS = *median(rps)
		row.P50, row.P95, row.P99 = median(p50), median(p95), median(p99)
		if len(mx) > 0 {
			v := mx[0]
			for _, x := range mx {
				v = math.Max(v, x)
			}
			row.Max = &v
		}
		row.PeakRSSBytes, row.CPUPer1k, row.CostPer1M = median(rss), median(cpu), median(c1m)
		rows = append(rows, row)
	}
	return rows, nil
}

func appendOpt(s []float64, v *float64) []float64 {
	if v == nil {
		return s
	}
	return append(s, *v)
}

// median is the sample median (mean of the middle two for an even n);
// nil for no values.
func median(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}

func opt(v *float64, f func(float64) string) string {
	if v == nil {
		return "—"
	}
	return f(*v)
}

func mib(b float64) string { return format.Number(b / (1 << 20)) }

func size(b int64) string {
	switch {
	case b == 0:
		return "—"
	case b >= 1<<20:
		return format.Number(float64(b)/(1<<20)) + " MiB"
	case b >= 1<<10:
		return format.Number(float64(b)/(1<<10)) + " KiB"
	}
	return strconv.FormatInt(b, 10) + " B"
}

func errorsCell(r Row) string {
	if r.Requests == 0 {
		return "—"
	}
	return fmt.Sprintf("%d (%s%%)", r.Failed, format.Number(float64(r.Failed)/float64(r.Requests)*100))
}

// Render writes the Markdown report: the setting, per runtime its cold
// start and artifact size, a cost-per-million matrix, then per endpoint a
// table and mermaid charts of p99 latency and cost. Output depends on the
// input only.
func Render(w io.Writer, in ReportInput) error {
	order := make([]string, len(in.Runtimes))
	for i, rt := range in.Runtimes {
		order[i] = rt.Name
	}
	rows, err := Aggregate(in.Results, order)
	if err != nil {
		return err
	}
	s := in.Settings
	cur := in.Model.Currency
	var b strings.Builder
	b.WriteString("# Runtime comparison on one machine\n\n")
	fmt.Fprintf(&b, "`generator bench local`: each runtime built from `apps/runtimes/<name>`, started alone on 127.0.0.1 with a real PostgreSQL, "+
		"each endpoint driven alone by vegeta %s at a constant %d requests/s (open model) for %s per run, after a %s warm-up per endpoint; "+
		"%d repetitions, interleaved across endpoints. `/compute?n=%d`. Figures are medians over the repetitions (n per row).\n\n",
		VegetaVersion, s.Rate, s.Duration, s.Warmup, s.Repetitions, s.ComputeN)
	if s.Machine != "" {
		fmt.Fprintf(&b, "Machine: %s\n\n", s.Machine)
	}
	fmt.Fprintf(&b, "Cost model (the lab's, `lab.costModel`): %s %s per CPU core-hour, %s %s per GiB-hour of memory. "+
		"A run is charged its server's CPU seconds and peak RSS for the run's length; cost per 1M requests divides that by the requests served. "+
		"It is the marginal cost of the work at this rate, not of an idle reserved instance.\n\n",
		strconv.FormatFloat(in.Model.CPUCoreHour, 'f', -1, 64), cur, strconv.FormatFloat(in.Model.RAMGiBHour, 'f', -1, 64), cur)

	b.WriteString("## Runtimes\n\n")
	b.WriteString("| runtime | toolchain | cold start ms: median [min, max] (n) | artifact | build output | interpreter |\n|---|---|---|---|---|---|\n")
	for _, rt := range in.Runtimes {
		cs := "—"
		if m := median(rt.ColdStartsMs); m != nil {
			lo, hi := rt.ColdStartsMs[0], rt.ColdStartsMs[0]
			for _, v := range rt.ColdStartsMs {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			cs = fmt.Sprintf("%s [%s, %s] (%d)", format.Number(*m), format.Number(lo), format.Number(hi), len(rt.ColdStartsMs))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", rt.Name, rt.Toolchain, cs, size(rt.AppBytes+rt.RuntimeBytes), size(rt.AppBytes), size(rt.RuntimeBytes))
	}
	b.WriteString("\nCold start: process start to the first 200 on `/health`, polled every millisecond. Artifact: what the runtime needs on disk to run (build output plus interpreter); not a container image.\n")

	eps := endpointsOf(rows)
	rts := runtimesOf(rows, order)
	if len(rows) > 0 {
		fmt.Fprintf(&b, "\n## Cost per 1M requests by runtime (%s)\n\n", cur)
		b.WriteString("| runtime |")
		for _, ep := range eps {
			fmt.Fprintf(&b, " %s |", label(ep, s.ComputeN))
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(eps)) + "\n")
		for _, rt := range rts {
			fmt.Fprintf(&b, "| %s |", rt)
			for _, ep := range eps {
				cell := "—"
				for _, r := range rows {
					if r.Runtime == rt && r.Endpoint == ep {
						cell = opt(r.CostPer1M, format.Number)
					}
				}
				fmt.Fprintf(&b, " %s |", cell)
			}
			b.WriteString("\n")
		}
	}
	for _, ep := range eps {
		fmt.Fprintf(&b, "\n## %s\n\n", label(ep, s.ComputeN))
		b.WriteString("| runtime | n | RPS | p50 ms | p95 ms | p99 ms | max ms | errors | peak RSS MiB | CPU s per 1k req | cost per 1M req (" + cur + ") |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
		var names, p99, c1m []string
		chartP99, chartCost := true, true
		for _, r := range rows {
			if r.Endpoint != ep {
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Runtime, r.N, format.Number(r.RPS),
				opt(r.P50, format.Number), opt(r.P95, format.Number), opt(r.P99, format.Number), opt(r.Max, format.Number), errorsCell(r),
				opt(r.PeakRSSBytes, mib), opt(r.CPUPer1k, format.Number), opt(r.CostPer1M, format.Number))
			names = append(names, strconv.Quote(r.Runtime))
			chartP99 = chartP99 && r.P99 != nil
			chartCost = chartCost && r.CostPer1M != nil
			p99 = append(p99, opt(r.P99, format.Plain))
			c1m = append(c1m, opt(r.CostPer1M, format.Plain))
		}
		if chartP99 {
			writeChart(&b, label(ep, s.ComputeN)+": p99 latency (ms)", "ms", names, p99)
		}
		if chartCost {
			writeChart(&b, label(ep, s.ComputeN)+": cost per 1M requests ("+cur+")", cur, names, c1m)
		}
	}
	if len(in.Refused) > 0 {
		b.WriteString("\n## Refused runs (not stored)\n\n| variant | run | reason |\n|---|---|---|\n")
		ref := append([]Refusal(nil), in.Refused...)
		sort.Slice(ref, func(i, j int) bool {
			if ref[i].Variant != ref[j].Variant {
				return ref[i].Variant < ref[j].Variant
			}
			return ref[i].RunID < ref[j].RunID
		})
		for _, f := range ref {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", f.Variant, f.RunID, strings.ReplaceAll(strings.ReplaceAll(f.Reason, "\n", " "), "|", "\\|"))
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func writeChart(b *strings.Builder, title, unit string, names, values []string) {
	fmt.Fprintf(b, "\n```mermaid\nxychart-beta\n    title \"%s\"\n    x-axis [%s]\n    y-axis \"%s\"\n    bar [%s]\n```\n",
		title, strings.Join(names, ", "), unit, strings.Join(values, ", "))
}

func label(ep string, n int) string {
	if e, ok := endpointByName(ep); ok {
		return e.Method + " " + e.path(n)
	}
	return ep
}

func endpointsOf(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1] != r.Endpoint {
			out = append(out, r.Endpoint)
		}
	}
	return out
}

func runtimesOf(rows []Row, order []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range order {
		for _, r := range rows {
			if r.Runtime == n && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	var rest []string
	for _, r := range rows {
		if !seen[r.Runtime] {
			seen[r.Runtime] = true
			rest = append(rest, r.Runtime)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
