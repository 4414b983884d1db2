package fio

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

// ref reads a report with encoding/json into maps, independently of the
// parser: totals over jobs and directions, and the one active direction's
// clat when there is one.
type ref struct {
	ios, in, out float64
	runtime      float64
	active       []map[string]any
	iops         float64
}

func reference(t *testing.T, data []byte) ref {
	t.Helper()
	var doc struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var r ref
	for _, j := range doc.Jobs {
		for _, d := range []string{"read", "write", "trim"} {
			m := j[d].(map[string]any)
			n := m["total_ios"].(float64)
			if n == 0 {
				continue
			}
			r.ios += n
			r.iops += m["iops"].(float64)
			r.runtime = math.Max(r.runtime, m["runtime"].(float64))
			r.active = append(r.active, m)
			switch d {
			case "read":
				r.in += m["io_bytes"].(float64)
			case "write":
				r.out += m["io_bytes"].(float64)
			}
		}
	}
	return r
}

func TestRealReports(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	if len(files) < 9 {
		t.Fatalf("%d reports", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, _ := os.ReadFile(file)
			want := reference(t, data)
			r, err := ParseFiles([]string{file}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := results.Validate(r, results.Expect{MaxErrorRate: new(float64)}); err != nil {
				t.Fatal(err)
			}
			if float64(r.Operations.Count) != want.ios || r.Operations.Unit != results.UnitIOOperations || float64(*r.Bytes.In) != want.in || float64(*r.Bytes.Out) != want.out || r.DurationS != want.runtime/1000 {
				t.Errorf("%d ops, %d in, %d out, %v s; fio: %v, %v, %v, %v ms", r.Operations.Count, *r.Bytes.In, *r.Bytes.Out, r.DurationS, want.ios, want.in, want.out, want.runtime)
			}
			// Every direction ran for the whole runtime: fio's iops add up
			// to the throughput.
			if !near(r.ThroughputPerS, want.iops, 1e-3) {
				t.Errorf("throughput %v, fio's iops add up to %v", r.ThroughputPerS, want.iops)
			}
			if *r.Tool.Version != "3.33" {
				t.Errorf("version %q", *r.Tool.Version)
			}
			l := r.LatencyMs
			if len(want.active) == 1 {
				c := want.active[0]["clat_ns"].(map[string]any)
				p := c["percentile"].(map[string]any)
				if *l.Min != c["min"].(float64)/1e6 || *l.Max != c["max"].(float64)/1e6 || !near(*l.Avg, c["mean"].(float64)/1e6, 1e-12) {
					t.Errorf("clat min/avg/max %v/%v/%v vs %v", *l.Min, *l.Avg, *l.Max, c)
				}
				if c["bins"] == nil && (*l.Med != p["50.000000"].(float64)/1e6 || *l.P99 != math.Min(p["99.000000"].(float64), c["max"].(float64))/1e6) {
					t.Errorf("p50 %v p99 %v, fio printed %v and %v ns", *l.Med, *l.P99, p["50.000000"], p["99.000000"])
				}
			}
			if strings.Contains(file, "jsonplus") != (l.Source == results.LatencyHistogram) {
				t.Errorf("latency source %s", l.Source)
			}
		})
	}
}

// json+ bins: percentiles recomputed from the bins equal fio's own for one
// direction (both are bucket values).
func TestBinsMatchFioPercentiles(t *testing.T) {
	data, _ := os.ReadFile("testdata/rw-libaio-qd8-direct-jsonplus.json")
	var doc report
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	d := newDist()
	if err := d.add("read", doc.Jobs[0].Read.Clat); err != nil {
		t.Fatal(err)
	}
	l, _ := d.latency()
	p := doc.Jobs[0].Read.Clat.Percentile
	for _, c := range []struct {
		k   string
		got *float64
	}{{"50.000000", l.Med}, {"90.000000", l.P90}, {"95.000000", l.P95}, {"99.000000", l.P99}, {"99.900000", l.P999}} {
		if want := math.Min(p[c.k], *doc.Jobs[0].Read.Clat.Max) / 1e6; *c.got != want {
			t.Errorf("p%s from bins %v ms, fio printed %v", c.k, *c.got, want)
		}
	}
}

// Two reports merge: bins exactly, json percentiles not at all.
func TestMerge(t *testing.T) {
	r, err := ParseFiles([]string{"testdata/rw-libaio-qd8-direct-jsonplus.json", "testdata/randrw-libaio-qd8-fsync1-jsonplus.json"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.LoadGenerators != 2 || r.Operations.Count != 25896+3455 || r.LatencyMs.Source != results.LatencyHistogram || r.LatencyMs.P99 == nil || len(r.Breakdown) != 5 {
		t.Errorf("%+v", r)
	}
	r, err = ParseFiles([]string{"testdata/randread-psync-json.json", "testdata/randwrite-psync-nofsync-json.json"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.LatencyMs.P99 != nil || r.LatencyMs.Source != results.LatencyToolSummary || *r.Clients != 2 {
		t.Errorf("json merged: %+v", r.LatencyMs)
	}
}

func TestRefusals(t *testing.T) {
	for _, f := range []string{"error-bad-engine-json.log", "error-size-too-small-json.log"} {
		r, err := ParseFiles([]string{filepath.Join("testdata", f)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), "zero io-operations") || !strings.Contains(err.Error(), "the tool reported an error: fio: ") {
			t.Errorf("%s: %v", f, err)
		}
	}
	good, _ := os.ReadFile("testdata/randread-psync-json.json")
	g := string(good)
	for _, tc := range []struct {
		name, data, format, want string
	}{
		{"empty", "", "", "x: empty file"},
		{"not fio", "hello\n", "", "x: no fio JSON report"},
		{"not fio JSON", `{"a": 1}`, "", `x: no "fio version": not a fio report`},
		{"truncated", g[:len(g)/2], "", "x: line"},
		{"job error", strings.Replace(g, `"error" : 0`, `"error" : 5`, 1), "", ""},
		{"negative ios", strings.Replace(g, `"total_ios" : 16385`, `"total_ios" : -1`, 1), "", "job 0 (\"randread\") read: total_ios -1 is not a count"},
		{"clat N differs", strings.Replace(g, `"N" : 16385,
          "percentile"`, `"N" : 16000,
          "percentile"`, 1), "", "clat_ns.N 16000 is not total_ios 16385"},
		{"mean above max", strings.Replace(g, `"mean" : 180509.453158`, `"mean" : 9e9`, 1), "", "out of order"},
		{"year 2300", strings.Replace(g, `"timestamp_ms" : 1796304328566`, `"timestamp_ms" : 10413792000000`, 1), "", "timestamp_ms: 2300-01-01T00:00:00Z is outside the years 2000-2199"},
		{"text after", g + "garbage\n", "", `"garbage" after the JSON report`},
		{"json+ forced on json", g, FormatJSONPlus, "--format json+, but the report is json"},
		{"control character", strings.Replace(g, `"randread"`, "\"rand\x01read\"", 1), "", "control character 0x01"},
	} {
		r, err := Parse("x", strings.NewReader(tc.data), Options{Format: tc.format})
		if tc.want == "" { // parsed, then refused
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if verr := results.Validate(r, results.Expect{}); verr == nil || !strings.Contains(verr.Error(), "ended with error 5") {
				t.Errorf("%s: %v", tc.name, verr)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// fio's messages around the report in a pod log, with timestamps.
func TestPodLog(t *testing.T) {
	data, _ := os.ReadFile("testdata/randread-psync-json.json")
	log := append([]byte("fio: warning: something the tool said\n"), data...)
	log = append(log, "fio: pid=1, err=5/file:io_u.c:1845, func=io_u error, error=Input/output error\n"...)
	r, err := Parse("pod.log", bytes.NewReader(ptest.Prefix(log, time.Date(2026, 12, 3, 13, 25, 0, 0, time.UTC))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Operations.Count != 16385 || len(r.ToolErrors) != 1 || !strings.Contains(strings.Join(r.Notes, "\n"), "fio: warning: something") {
		t.Errorf("%d ops, tool errors %q", r.Operations.Count, r.ToolErrors)
	}
}
