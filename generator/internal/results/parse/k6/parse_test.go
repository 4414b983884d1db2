package k6

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

func fp(v float64) *float64 { return &v }

func near(a, b, rel float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func mustParse(t *testing.T, files ...string) *results.Result {
	t.Helper()
	r, err := ParseFiles(files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func eqPtr(t *testing.T, name string, got, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", name, got, want)
	case !near(*got, *want, 1e-12):
		t.Errorf("%s = %v, want %v", name, *got, *want)
	}
}

// The real handleSummary sample: every figure comes straight from the file.
func TestParseRealHandleSummary(t *testing.T) {
	r := mustParse(t, "testdata/handlesummary-data.json")
	if r.SourceFormat != results.FormatSummary || r.Operations.Count != 20 || *r.Iterations != 10 || *r.Bytes.In != 37784 || *r.Bytes.Out != 4490 {
		t.Fatalf("figures: %+v", r)
	}
	if !near(r.DurationS, 8.301648, 1e-12) || !near(r.ThroughputPerS, 2.409160205298996, 1e-9) {
		t.Errorf("duration %v rps %v", r.DurationS, r.ThroughputPerS)
	}
	eqPtr(t, "error_rate", r.Errors.Rate, fp(0))
	if r.Clients == nil || *r.Clients != 5 {
		t.Errorf("vus_max %v", r.Clients)
	}
	eqPtr(t, "avg", r.LatencyMs.Avg, fp(260.90964999999994))
	eqPtr(t, "min", r.LatencyMs.Min, fp(255.947))
	eqPtr(t, "med", r.LatencyMs.Med, fp(259.9225))
	eqPtr(t, "max", r.LatencyMs.Max, fp(277.909))
	eqPtr(t, "p90", r.LatencyMs.P90, fp(262.7999))
	eqPtr(t, "p95", r.LatencyMs.P95, fp(265.1961))
	eqPtr(t, "p99", r.LatencyMs.P99, nil) // not in summaryTrendStats: never invented
	want := []results.Threshold{{Metric: "http_req_duration", Expression: "p(95)<500", OK: true}, {Metric: "http_req_failed", Expression: "rate<0.01", OK: true}}
	if !equalThresholds(r.Thresholds, want) {
		t.Errorf("thresholds %+v", r.Thresholds)
	}
	if r.StartedAt != nil || r.EndedAt != nil {
		t.Error("a summary has no timestamps; none may be invented")
	}
	if err := results.Validate(r, results.Expect{Duration: 8 * time.Second, MaxErrorRate: fp(0.01)}); err != nil {
		t.Error(err)
	}
}

func equalThresholds(a, b []results.Threshold) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The legacy export of the same run must give the same figures; its
// thresholds are inverted ("true" = crossed) and its duration derived.
func TestSummaryExportMatchesHandleSummary(t *testing.T) {
	a := mustParse(t, "testdata/handlesummary-data.json")
	b := mustParse(t, "testdata/summary-export.json")
	if b.SourceFormat != results.FormatSummaryExport {
		t.Fatalf("format %s", b.SourceFormat)
	}
	if !near(a.DurationS, b.DurationS, 1e-9) {
		t.Errorf("duration %v vs derived %v", a.DurationS, b.DurationS)
	}
	a.SourceFormat, b.SourceFormat = "", ""
	a.Sources, b.Sources = nil, nil
	a.DurationS, b.DurationS, a.ThroughputPerS, b.ThroughputPerS = 0, 0, 0, 0
	a.Notes, b.Notes = nil, nil
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("handleSummary and export differ:\n%s\n%s", ja, jb)
	}
}

func TestParseSummaryFull(t *testing.T) {
	r := mustParse(t, "testdata/summary-full.json")
	eqPtr(t, "p99", r.LatencyMs.P99, fp(80.125))
	eqPtr(t, "error_rate", r.Errors.Rate, fp(10.0/3000))
	if *r.Checks != (results.Checks{Passes: 5990, Fails: 10}) || r.Dropped != 7 || *r.Clients != 20 {
		t.Errorf("checks %+v dropped %d vus %d", r.Checks, r.Dropped, *r.Clients)
	}
	want := []results.Threshold{
		{Metric: "http_req_duration", Expression: "p(95)<100", OK: true},
		{Metric: "http_req_duration", Expression: "p(99)<50", OK: false},
		{Metric: "http_req_duration{expected_response:true}", Expression: "max<1000", OK: true},
	}
	if !equalThresholds(r.Thresholds, want) {
		t.Errorf("thresholds %+v", r.Thresholds)
	}
	err := results.Validate(r, results.Expect{})
	if err == nil || !strings.Contains(err.Error(), "7 dropped iterations") {
		t.Errorf("dropped iterations not refused: %v", err)
	}
}

// Checks fall back to the group tree when the checks metric is absent,
// as maps (export) or arrays (handleSummary).
func TestChecksFromGroups(t *testing.T) {
	data, _ := os.ReadFile("testdata/summary-full.json")
	var doc map[string]any
	json.Unmarshal(data, &doc)
	delete(doc["metrics"].(map[string]any), "checks")
	b, _ := json.Marshal(doc)
	r, err := Parse("nochecks.json", bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if *r.Checks != (results.Checks{Passes: 5990, Fails: 10}) {
		t.Errorf("checks from groups %+v", r.Checks)
	}
}

func TestPodLog(t *testing.T) {
	a := mustParse(t, "testdata/summary-full.json")
	b := mustParse(t, "testdata/pod.log")
	a.Sources, b.Sources = nil, nil
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("log summary differs:\n%s\n%s", ja, jb)
	}
}

// reference decodes an NDJSON file with encoding/json, independently of
// the fast scanner.
type refFigures struct {
	reqs, iters, recv, sent float64
	durs                    []float64
	failed, failN           int
	pass, fail              int
	first, last             time.Time
}

func reference(t *testing.T, data []byte) refFigures {
	var f refFigures
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var o struct {
			Type   string
			Metric string
			Data   struct {
				Time  time.Time
				Value float64
			}
		}
		if err := json.Unmarshal(line, &o); err != nil {
			t.Fatal(err)
		}
		if o.Type != "Point" {
			continue
		}
		if f.first.IsZero() || o.Data.Time.Before(f.first) {
			f.first = o.Data.Time
		}
		if o.Data.Time.After(f.last) {
			f.last = o.Data.Time
		}
		v := o.Data.Value
		switch o.Metric {
		case "http_reqs":
			f.reqs += v
		case "iterations":
			f.iters += v
		case "data_received":
			f.recv += v
		case "data_sent":
			f.sent += v
		case "http_req_duration":
			f.durs = append(f.durs, v)
		case "http_req_failed":
			f.failN++
			if v != 0 {
				f.failed++
			}
		case "checks":
			if v != 0 {
				f.pass++
			} else {
				f.fail++
			}
		}
	}
	sort.Float64s(f.durs)
	return f
}

// rank returns the nearest-rank percentile of sorted values.
func rank(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func checkAgainstReference(t *testing.T, r *results.Result, f refFigures) {
	t.Helper()
	if r.Operations.Count != int64(f.reqs) || *r.Iterations != int64(f.iters) || *r.Bytes.In != int64(f.recv) || *r.Bytes.Out != int64(f.sent) {
		t.Errorf("counters: got %d/%d/%d/%d want %v/%v/%v/%v", r.Operations.Count, r.Iterations, *r.Bytes.In, *r.Bytes.Out, f.reqs, f.iters, f.recv, f.sent)
	}
	if *r.Checks != (results.Checks{Passes: int64(f.pass), Fails: int64(f.fail)}) {
		t.Errorf("checks %+v, want %d/%d", r.Checks, f.pass, f.fail)
	}
	eqPtr(t, "error_rate", r.Errors.Rate, fp(float64(f.failed)/float64(f.failN)))
	if d := f.last.Sub(f.first).Seconds(); !near(r.DurationS, d, 1e-9) {
		t.Errorf("duration %v want %v", r.DurationS, d)
	}
	sum := 0.0
	for _, d := range f.durs {
		sum += d
	}
	if !near(*r.LatencyMs.Avg, sum/float64(len(f.durs)), 1e-9) || *r.LatencyMs.Min != f.durs[0] || *r.LatencyMs.Max != f.durs[len(f.durs)-1] {
		t.Errorf("avg/min/max %v/%v/%v", *r.LatencyMs.Avg, *r.LatencyMs.Min, *r.LatencyMs.Max)
	}
	for _, c := range []struct {
		p   float64
		got *float64
	}{{50, r.LatencyMs.Med}, {90, r.LatencyMs.P90}, {95, r.LatencyMs.P95}, {99, r.LatencyMs.P99}} {
		// HDR at 3 significant digits: within 0.1 % (plus the 1 µs unit).
		if want := rank(f.durs, c.p); math.Abs(*c.got-want) > want*0.001+0.001 {
			t.Errorf("p%v = %v, exact %v", c.p, *c.got, want)
		}
	}
}

func TestParseRealNDJSON(t *testing.T) {
	data, err := os.ReadFile("testdata/out-json-head300.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	r := mustParse(t, "testdata/out-json-head300.ndjson")
	checkAgainstReference(t, r, reference(t, data))
	if len(r.Thresholds) != 0 {
		t.Error("ndjson holds no threshold outcomes")
	}
	if r.StartedAt == nil || *r.StartedAt != "2025-10-15T03:33:08.80655Z" || *r.EndedAt != "2025-10-15T03:33:09.147212Z" {
		t.Errorf("window %v..%v", *r.StartedAt, *r.EndedAt)
	}
}

func writeSynth(t *testing.T, dir, name string, s synth) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if strings.HasSuffix(name, ".csv") {
		err = s.writeCSV(f)
	} else {
		err = s.writeNDJSON(f)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("", -3*3600))

// Three load pods merged must equal one file holding all their samples:
// counters summed, histograms merged, percentiles never averaged.
func TestMergePodsEqualsCombined(t *testing.T) {
	dir := t.TempDir()
	pods := []synth{
		{requests: 4000, seed: 1, base: 2, mean: 5, failEvery: 50, vus: 10, start: t0, step: 5 * time.Millisecond},
		{requests: 3000, seed: 2, base: 20, mean: 40, failEvery: 0, vus: 10, start: t0.Add(time.Second), step: 7 * time.Millisecond},
		{requests: 5000, seed: 3, base: 1, mean: 300, failEvery: 7, vus: 12, start: t0.Add(-time.Second), step: 3 * time.Millisecond},
	}
	var files []string
	var combined []byte
	for i, p := range pods {
		f := writeSynth(t, dir, "pod"+string(rune('a'+i))+".ndjson", p)
		files = append(files, f)
		b, _ := os.ReadFile(f)
		combined = append(combined, b...)
	}
	cf := filepath.Join(dir, "combined.ndjson")
	os.WriteFile(cf, combined, 0o644)

	merged := mustParse(t, files...)
	single := mustParse(t, cf)
	checkAgainstReference(t, merged, reference(t, combined))
	if merged.LoadGenerators != 3 || *merged.Clients != 32 {
		t.Errorf("load generators %d, vus_max %v (want 3, 32 = sum of pods' peaks)", merged.LoadGenerators, *merged.Clients)
	}
	for _, c := range []struct {
		n    string
		a, b *float64
	}{{"med", merged.LatencyMs.Med, single.LatencyMs.Med}, {"p90", merged.LatencyMs.P90, single.LatencyMs.P90}, {"p95", merged.LatencyMs.P95, single.LatencyMs.P95}, {"p99", merged.LatencyMs.P99, single.LatencyMs.P99}, {"avg", merged.LatencyMs.Avg, single.LatencyMs.Avg}} {
		if !near(*c.a, *c.b, 0.001) {
			t.Errorf("%s merged %v vs combined %v", c.n, *c.a, *c.b)
		}
	}
	if merged.Operations.Count != single.Operations.Count || merged.DurationS != single.DurationS || *merged.Errors.Rate != *single.Errors.Rate {
		t.Errorf("merged %+v\ncombined %+v", merged, single)
	}
	// Averaging the pods' p99 would be wrong: make sure the data shows it.
	avgP99 := 0.0
	for _, f := range files {
		avgP99 += *mustParse(t, f).LatencyMs.P99 / 3
	}
	if near(avgP99, *merged.LatencyMs.P99, 0.01) {
		t.Fatalf("test data too uniform: average of p99s %v equals merged p99 %v", avgP99, *merged.LatencyMs.P99)
	}
}

// CSV and NDJSON of the same samples give the same result (CSV has whole
// second timestamps, so the durations differ by design).
func TestCSVMatchesNDJSON(t *testing.T) {
	dir := t.TempDir()
	s := synth{requests: 2500, seed: 9, base: 3, mean: 12, failEvery: 9, vus: 7, start: t0, step: 10 * time.Millisecond}
	nd := mustParse(t, writeSynth(t, dir, "a.ndjson", s))
	cs := mustParse(t, writeSynth(t, dir, "a.csv", s))
	if cs.SourceFormat != results.FormatCSV {
		t.Fatalf("format %s", cs.SourceFormat)
	}
	if nd.Operations.Count != cs.Operations.Count || *nd.Errors.Rate != *cs.Errors.Rate || *nd.Checks != *cs.Checks || *nd.Bytes.Out != *cs.Bytes.Out || *nd.Clients != *cs.Clients {
		t.Errorf("ndjson %+v\ncsv %+v", nd, cs)
	}
	for _, p := range [][2]*float64{{nd.LatencyMs.Med, cs.LatencyMs.Med}, {nd.LatencyMs.P99, cs.LatencyMs.P99}, {nd.LatencyMs.Max, cs.LatencyMs.Max}} {
		if *p[0] != *p[1] {
			t.Errorf("latency %v vs %v", *p[0], *p[1])
		}
	}
}

func TestParseRealCSV(t *testing.T) {
	r := mustParse(t, "testdata/out.csv")
	if r.Operations.Count != 2 || *r.Iterations != 2 || *r.Bytes.Out != 240 || *r.Bytes.In != 812 || *r.Clients != 4 || r.DurationS != 10 {
		t.Errorf("%+v", r)
	}
	eqPtr(t, "error_rate", r.Errors.Rate, fp(0.5))
	eqPtr(t, "max", r.LatencyMs.Max, fp(40.25))
	eqPtr(t, "min", r.LatencyMs.Min, fp(12.5))
	if *r.Checks != (results.Checks{Passes: 1, Fails: 1}) {
		t.Errorf("checks %+v", r.Checks)
	}
}

func TestGzipNDJSON(t *testing.T) {
	data, _ := os.ReadFile("testdata/out-json-head300.ndjson")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	r, err := Parse("out.ndjson.gz", &buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstReference(t, r, reference(t, data))
}

func TestForcedFormat(t *testing.T) {
	if _, err := ParseFiles([]string{"testdata/handlesummary-data.json"}, Options{Format: results.FormatSummaryExport}); err == nil || !strings.Contains(err.Error(), "but the file is summary") {
		t.Errorf("forcing the wrong format: %v", err)
	}
	if _, err := ParseFiles([]string{"testdata/handlesummary-data.json"}, Options{Format: results.FormatNDJSON}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("forcing ndjson on a summary: %v", err)
	}
	if _, err := ParseFiles([]string{"testdata/handlesummary-data.json"}, Options{Format: "xml"}); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("unknown format: %v", err)
	}
	if r, err := ParseFiles([]string{"testdata/out-json-head300.ndjson"}, Options{Format: results.FormatNDJSON}); err != nil || r.Operations.Count != 20 {
		t.Errorf("forced ndjson: %v", err)
	}
}

func TestMergeSummaries(t *testing.T) {
	r := mustParse(t, "testdata/handlesummary-data.json", "testdata/summary-full.json")
	if r.Operations.Count != 3020 || r.LatencyMs.Med != nil || r.LatencyMs.P95 != nil || *r.LatencyMs.Min != 1.25 || *r.LatencyMs.Max != 277.909 {
		t.Errorf("%+v %+v", r, r.LatencyMs)
	}
	eqPtr(t, "avg", r.LatencyMs.Avg, fp((260.90964999999994*20+12.5*3000)/3020))
	eqPtr(t, "error_rate", r.Errors.Rate, fp(10.0/3020))
	if _, err := ParseFiles([]string{"testdata/out.csv", "./testdata/out.csv"}, Options{}); err == nil || !strings.Contains(err.Error(), "are the same file") {
		t.Errorf("same file twice: %v", err)
	}
	if _, err := ParseFiles([]string{"testdata/handlesummary-data.json", "testdata/out.csv"}, Options{}); err == nil || !strings.Contains(err.Error(), "share a format") {
		t.Errorf("mixed formats: %v", err)
	}
}
