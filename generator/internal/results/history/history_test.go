package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

func f(v float64) *float64 { return &v }

// env is what a synthetic run records about where it ran.
type env struct {
	commit, k6, chart, prices string
}

// result is a valid k6 result of one run: p99 in ms, a monthly cost, and
// the environment; at is its run window's start (zero: none recorded).
func result(variant string, i int, p99, monthly float64, e env, at time.Time) *results.Result {
	r := results.New(results.ToolK6, results.UnitRequests)
	r.Experiment, r.Variant, r.RunID = "mesh-benchmark", variant, fmt.Sprintf("r%02d", i)
	r.SourceFormat, r.LoadGenerators = results.FormatSummary, 1
	r.Operations.Count, r.DurationS = 600_000, 600
	r.SetThroughput()
	v := e.k6
	r.Tool.Version = &v
	r.Errors.Rate = f(0)
	r.LatencyMs = results.Latency{Source: results.LatencyToolPercentiles, Per: "request", Med: f(p99 / 3), P95: f(p99 * 0.8), P99: f(p99)}
	hours := r.DurationS / 3600
	est := cost.Estimate{Currency: "USD", Method: "workload", Hours: hours, Total: monthly / cost.HoursPerMonth * hours, MonthlyProjection: monthly}
	est.CPU = est.Total
	est = est.WithUnits(r.CostUnits())
	r.Cost = &est
	r.PriceSheetDigest = e.prices
	if !at.IsZero() {
		r.Run = &results.RunInfo{
			Namespace:   "mesh-benchmark-" + variant,
			WindowStart: at.Format(time.RFC3339), WindowEnd: at.Add(10 * time.Minute).Format(time.RFC3339),
			GitCommit: e.commit,
			Charts:    []results.ChartRef{{Component: "mesh", Repository: "https://charts.example.test", Chart: variant, Version: e.chart}},
			Nodes:     []results.NodeRef{{Name: "node-1", InstanceType: "e2-standard-4"}},
		}
	}
	r.Normalize()
	return r
}

var (
	prices1 = "sha256:" + strings.Repeat("1", 64)
	prices2 = "sha256:" + strings.Repeat("2", 64)
	t0      = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

// story is a synthetic history with known change points: istio's p99 steps
// from 12 to 15 ms at run 13 (a new commit and chart version), its monthly
// cost from $100 to $120 at run 19 (new prices); linkerd's series have none,
// and one run recorded neither a time nor a commit.
func story(t *testing.T) map[string][]Run {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var istio, linkerd []Run
	for i := 0; i < 24; i++ {
		e := env{commit: strings.Repeat("a", 40), k6: "1.3.0", chart: "1.27.0", prices: prices1}
		p99, monthly := 12.0, 100.0
		if i >= 12 {
			e.commit, e.chart, p99 = strings.Repeat("b", 40), "1.28.0", 15
		}
		if i >= 18 {
			e.prices, monthly = prices2, 120
		}
		r := result("istio", i+1, p99+0.3*rng.NormFloat64(), monthly, e, t0.Add(time.Duration(i)*time.Hour))
		if i >= 6 {
			c := 0.5
			if i >= 15 {
				c = 1
			}
			r.Metrics = map[string]results.MetricValue{"proxy_cpu_cores": {Value: c + 0.01*float64(i%3), Unit: "cores", Aggregation: "avg", Query: "sum(rate(container_cpu_usage_seconds_total[5m]))"}}
		}
		istio = append(istio, Run{Result: r, File: "benchmarks/results/mesh-benchmark/istio/" + r.RunID + ".json"})
	}
	for i := 0; i < 10; i++ {
		e := env{commit: strings.Repeat("c", 40), k6: "1.3.0", chart: "2.1.0", prices: prices1}
		at := t0.Add(time.Duration(i) * time.Hour)
		if i == 9 {
			at = time.Time{}
		}
		r := result("linkerd", i+1, 9+0.3*rng.NormFloat64(), 80, e, at)
		linkerd = append(linkerd, Run{Result: r, File: "benchmarks/results/mesh-benchmark/linkerd/" + r.RunID + ".json"})
	}
	// Input order must not matter: reverse istio's.
	for i, j := 0, len(istio)-1; i < j; i, j = i+1, j-1 {
		istio[i], istio[j] = istio[j], istio[i]
	}
	return map[string][]Run{"istio": istio, "linkerd": linkerd}
}

func seriesOf(t *testing.T, v Variant, metric string) Series {
	t.Helper()
	for _, s := range v.Series {
		if s.Metric == metric {
			return s
		}
	}
	t.Fatalf("variant %s has no %s series", v.Name, metric)
	return Series{}
}

func TestBuildFindsTheInjectedChanges(t *testing.T) {
	h, err := Build("mesh-benchmark", story(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Variants) != 2 || h.Variants[0].Name != "istio" || h.Variants[1].Name != "linkerd" {
		t.Fatalf("variants %+v", h.Variants)
	}
	istio := h.Variants[0]
	for i, p := range istio.Points {
		if want := fmt.Sprintf("r%02d", i+1); p.RunID != want || p.Index != i || p.AtFrom != TimeRunWindow {
			t.Fatalf("point %d = %s (index %d, time from %s), want %s in measured order", i, p.RunID, p.Index, p.AtFrom, want)
		}
	}
	p99 := seriesOf(t, istio, "p99 latency")
	if len(p99.ChangePoints) != 1 || p99.ChangePoints[0].Index != 12 {
		t.Fatalf("p99 change points %+v, want one at run 13 (index 12)", p99.ChangePoints)
	}
	cp := p99.ChangePoints[0]
	if cp.Better == nil || *cp.Better || cp.P >= 0.05 || cp.After-cp.Before < 2.5 || cp.After-cp.Before > 3.5 {
		t.Errorf("p99 change %+v: want a significant regression of about 3 ms", cp)
	}
	var names []string
	for _, c := range cp.Changed {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "commit,chart mesh" {
		t.Errorf("changed with the p99 step: %s, want commit and chart mesh", got)
	}
	monthly := seriesOf(t, istio, "monthly cost")
	if len(monthly.ChangePoints) != 1 || monthly.ChangePoints[0].Index != 18 || monthly.ChangePoints[0].Changed[0].Name != "price sheet digest" {
		t.Errorf("monthly cost change points %+v, want one at index 18 with the price sheet", monthly.ChangePoints)
	}
	// A declared metric (istio's proxy CPU, from run 7 on, doubling at
	// run 16) is tracked too, without a direction.
	cpu := seriesOf(t, istio, "proxy_cpu_cores")
	if cpu.N != 18 || cpu.Unit != "cores" || len(cpu.ChangePoints) != 1 || cpu.ChangePoints[0].Index != 15 || cpu.ChangePoints[0].Better != nil {
		t.Errorf("proxy_cpu_cores: %+v, want 18 points and one change at index 15 without direction", cpu)
	}
	if s := seriesOf(t, istio, "throughput"); len(s.ChangePoints) != 0 || len(s.Segments) != 1 {
		t.Errorf("throughput is constant, got %+v", s)
	}
	for _, s := range h.Variants[1].Series {
		if len(s.ChangePoints) != 0 {
			t.Errorf("linkerd %s: change points %+v, want none", s.Metric, s.ChangePoints)
		}
	}
	if last := h.Variants[1].Points[9]; last.RunID != "r10" || last.AtFrom != TimeNone {
		t.Errorf("untimed run not last: %+v", last)
	}
	if len(h.Warnings) != 1 || !strings.Contains(h.Warnings[0], "linkerd: 1 run(s) record no time") {
		t.Errorf("warnings %q", h.Warnings)
	}
}

func TestGolden(t *testing.T) {
	h, err := Build("mesh-benchmark", story(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := h.Markdown(&md, MarkdownOptions{Runs: true}); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/history.golden.md", md.Bytes())
	js, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/history.golden.json", append(js, '\n'))
	// Deterministic: the same runs in another order give the same bytes.
	again, err := Build("mesh-benchmark", story(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var md2 bytes.Buffer
	if err := again.Markdown(&md2, MarkdownOptions{Runs: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md.Bytes(), md2.Bytes()) {
		t.Error("two builds of one history differ")
	}
}

func TestBuildErrors(t *testing.T) {
	e := env{commit: "x", k6: "1.3.0", chart: "1", prices: prices1}
	a := result("v", 1, 10, 1, e, t0)
	b := result("v", 1, 11, 1, e, t0.Add(time.Hour))
	tx := results.New(results.ToolPgbench, results.UnitTransactions)
	*tx = *a
	tx.Operations.Unit, tx.RunID = results.UnitTransactions, "r09"
	bad := result("v", 3, 10, 1, e, t0)
	bad.Run.WindowStart = "yesterday"
	for _, tc := range []struct {
		name string
		runs map[string][]Run
		want string
	}{
		{"nothing stored", map[string][]Run{}, "history of mesh-benchmark: no stored results"},
		{"one run id twice", map[string][]Run{"v": {{Result: a, File: "a.json"}, {Result: b, File: "b.json"}}}, "variant v: run id r01 stored twice (a.json and b.json)"},
		{"two units", map[string][]Run{"v": {{Result: a, File: "a.json"}, {Result: tx, File: "t.json"}}}, "counts requests but mesh-benchmark/v/r09 counts transactions"},
		{"bad time", map[string][]Run{"v": {{Result: bad, File: "bad.json"}}}, "bad.json: run.window_start: parsing time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build("mesh-benchmark", tc.runs, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestLoadFromGit stores results in two commits of a real repository: runs
// that record no time are ordered by the commit that stored them.
func TestLoadFromGit(t *testing.T) {
	root := t.TempDir()
	repo, err := git.PlainInit(root, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "benchmarks", "results", "mesh-benchmark", "istio")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := env{k6: "1.3.0"}
	var hashes []string
	// Commit 1 stores z1 and z2; commit 2, a day later, stores a3: file
	// names sort against the commit order, which must win.
	for c, ids := range [][]string{{"z1", "z2"}, {"a3"}} {
		for _, id := range ids {
			r := result("istio", 0, 10, 1, e, time.Time{})
			r.RunID = id
			if _, err := results.Store(filepath.Join(root, "benchmarks", "results"), r, results.Expect{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := wt.Add("benchmarks"); err != nil {
			t.Fatal(err)
		}
		when := t0.Add(time.Duration(c) * 24 * time.Hour)
		h, err := wt.Commit(fmt.Sprintf("results %d", c), &git.CommitOptions{Author: &object.Signature{Name: "lab", Email: "lab@example.test", When: when}})
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h.String())
	}
	// An uncommitted run without a time comes last.
	r := result("istio", 0, 10, 1, e, time.Time{})
	r.RunID = "b4"
	if _, err := results.Store(filepath.Join(root, "benchmarks", "results"), r, results.Expect{}); err != nil {
		t.Fatal(err)
	}
	runs, err := Load(root, "benchmarks/results", "mesh-benchmark")
	if err != nil {
		t.Fatal(err)
	}
	h, err := Build("mesh-benchmark", runs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range h.Variants[0].Points {
		got = append(got, p.RunID+"@"+p.AtFrom+"@"+p.Commit)
	}
	want := []string{"z1@stored commit@" + hashes[0], "z2@stored commit@" + hashes[0], "a3@stored commit@" + hashes[1], "b4@none@"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("points\n got %v\nwant %v", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	base := filepath.Join(root, "benchmarks", "results")
	r := result("istio", 1, 10, 1, env{k6: "1.3.0"}, time.Time{})
	if _, err := results.Store(base, r, results.Expect{}); err != nil {
		t.Fatal(err)
	}
	// The same result copied under another variant's folder.
	data, err := os.ReadFile(filepath.Join(base, "mesh-benchmark", "istio", "r01.json"))
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(base, "mesh-benchmark", "linkerd")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "r01.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(root, "benchmarks/results", "mesh-benchmark")
	if err == nil || !strings.Contains(err.Error(), "benchmarks/results/mesh-benchmark/linkerd/r01.json: field experiment/variant is mesh-benchmark/istio") {
		t.Errorf("misplaced result: %v", err)
	}
	// A broken file is named with its line.
	if err := os.WriteFile(filepath.Join(other, "r01.json"), []byte("{\n  \"schema_version\": 2,\n  \"experiment\": ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(root, "benchmarks/results", "mesh-benchmark")
	if err == nil || !strings.Contains(err.Error(), "linkerd/r01.json: line 3") {
		t.Errorf("broken result: %v", err)
	}
	for _, tc := range []struct{ exp, want string }{
		{"../x", "experiment \"../x\": must match"},
		{"absent", "results of absent:"},
	} {
		if _, err := Load(root, "benchmarks/results", tc.exp); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s): %v, want %q", tc.exp, err, tc.want)
		}
	}
}

// Markdown embeds the plots its caller drew, under each variant, and no
// others.
func TestMarkdownPlots(t *testing.T) {
	h, err := Build("mesh-benchmark", story(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	plot := func(variant, metric string) (string, bool) {
		return "plots/" + variant + "-" + strings.ReplaceAll(metric, " ", "-") + ".svg", variant == "istio" && metric == "p99 latency"
	}
	if err := h.Markdown(&md, MarkdownOptions{Plot: plot}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	want := "\nTrends (SVG, change points dashed):\n\n![mesh-benchmark/istio: p99 latency over the stored runs, change points marked](plots/istio-p99-latency.svg)\n"
	if strings.Count(out, "![") != 1 || !strings.Contains(out, want) {
		t.Errorf("markdown:\n%s", out)
	}
	if i, j := strings.Index(out, "### istio"), strings.Index(out, "### linkerd"); !(i < strings.Index(out, want) && strings.Index(out, want) < j) {
		t.Errorf("the plot is not under its variant:\n%s", out)
	}
}
