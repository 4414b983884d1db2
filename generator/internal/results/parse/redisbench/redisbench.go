// Package redisbench turns redis-benchmark output (Redis 7; valkey-benchmark
// prints the same) into normalized results: the default report (one block
// per test with its request count, duration, clients and latency summary),
// the -q lines and the --csv table. One result holds every test of the run:
// each is a breakdown part; the totals are their sums.
//
// redis-benchmark exits at the first error reply, so a complete run had no
// failed command. --csv and -q print no request counts: the caller says
// how many each test ran (-n, Options.Requests).
package redisbench

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// Formats.
const (
	FormatAuto = "auto"
	FormatText = "text"
	FormatCSV  = "csv"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, FormatCSV, FormatText}

// MaxLineBytes bounds a line: redis-benchmark redraws its progress with \r
// several times a second, all on one line until the test ends (about 30 KB
// a minute).
const MaxLineBytes = 16 << 20

// Per says what one latency sample of redis-benchmark times.
const Per = "command (a pipeline of them with -p)"

// Options control parsing.
type Options struct {
	Format string
	// Requests is the -n of the run: the commands each test ran. Required
	// for --csv and -q output, which do not print it; checked against the
	// default report, which does.
	Requests int64
}

// test is one test's figures.
type test struct {
	name     string
	requests int64
	haveReq  bool
	seconds  float64 // as printed, 2 decimals
	clients  int64
	rps      float64
	haveRPS  bool
	lat      results.Latency
}

type file struct {
	name       string
	format     string
	src        input.Source
	tests      []*test
	toolErrors []string
	notes      []string
}

// ParseFiles parses the outputs of one run's load generators (one
// redis-benchmark process each) and merges them.
func ParseFiles(paths []string, opt Options) (*results.Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	if err := input.Distinct(paths); err != nil {
		return nil, err
	}
	var files []*file
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		pf, err := parseFile(p, f, opt)
		f.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, pf)
	}
	return merge(files, opt)
}

// Parse parses one output; name labels errors.
func Parse(name string, r io.Reader, opt Options) (*results.Result, error) {
	f, err := parseFile(name, r, opt)
	if err != nil {
		return nil, err
	}
	return merge([]*file{f}, opt)
}

func parseFile(name string, r io.Reader, opt Options) (*file, error) {
	format := opt.Format
	if format == "" {
		format = FormatAuto
	}
	if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	if opt.Requests < 0 {
		return nil, fmt.Errorf("--requests %d is negative", opt.Requests)
	}
	// A test's progress redraws (\r) make one long line.
	rd, err := input.NewReader(name, r, input.Options{CRIsLineEnd: true, MaxLine: MaxLineBytes})
	if err != nil {
		return nil, err
	}
	if format == FormatAuto {
		head, err := rd.Peek(64 << 10)
		if err != nil {
			return nil, fmt.Errorf("%s: read: %w", name, err)
		}
		if i := bytes.IndexByte(head, 0); i >= 0 {
			return nil, fmt.Errorf("%s: binary data (a NUL byte at byte offset %d): not a redis-benchmark output", name, i)
		}
		body := bytes.TrimLeft(input.StripTimestamp(head), " \t\r\n")
		switch {
		case len(body) == 0 && len(head) == 0:
			return nil, fmt.Errorf("%s: empty file", name)
		case len(body) == 0:
			return nil, fmt.Errorf("%s: only blanks: empty output", name)
		case bytes.HasPrefix(body, []byte(`"test",`)):
			format = FormatCSV
		default:
			format = FormatText
		}
	}
	f := &file{name: name, format: format}
	if format == FormatCSV {
		err = f.parseCSV(rd)
	} else {
		err = f.parseText(rd)
	}
	if err != nil {
		return nil, err
	}
	if f.src, err = rd.Finish(); err != nil {
		return nil, err
	}
	return f, nil
}

var (
	reBlock     = regexp.MustCompile(`^====== (.+) ======$`)
	reCompleted = regexp.MustCompile(`^(\d+) requests completed in (\d+(?:\.\d+)?) seconds$`)
	reClients   = regexp.MustCompile(`^(\d+) parallel clients$`)
	rePayload   = regexp.MustCompile(`^(\d+) bytes payload$`)
	reThrough   = regexp.MustCompile(`^throughput summary: (\d+(?:\.\d+)?) requests per second$`)
	reQuiet     = regexp.MustCompile(`^(.+?): (\d+(?:\.\d+)?) requests per second(?:, p50=(\d+(?:\.\d+)?) msec)?$`)
	reProgress  = regexp.MustCompile(`^.+: rps=\S+ \(overall: \S+\) avg_msec=\S+ \(overall: \S+\)$`)
	reNumbers   = regexp.MustCompile(`^[0-9. ]+$`)
)

func num(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0
}

// parseText reads the default report and -q lines; progress lines (written
// over with \r) are skipped.
func (f *file) parseText(rd *input.Reader) error {
	var cur *test
	expectHeader, expectValues := false, false
	lines, progress := 0, 0
	for {
		b, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		line := strings.TrimSpace(string(b))
		if line == "" {
			continue
		}
		lines++
		if expectValues {
			expectValues = false
			fs := strings.Fields(line)
			if len(fs) != 6 || !reNumbers.MatchString(line) {
				return rd.Errorf("latency summary values %s: want avg min p50 p95 p99 max", input.Excerpt(b))
			}
			var v [6]float64
			for i, x := range fs {
				var ok bool
				if v[i], ok = num(x); !ok {
					return rd.Errorf("latency %s is not a number", input.Excerpt([]byte(x)))
				}
			}
			cur.lat = latency(v[0], v[1], v[2], v[3], v[4], v[5])
			continue
		}
		if expectHeader {
			expectHeader = false
			if strings.Join(strings.Fields(line), " ") != "avg min p50 p95 p99 max" {
				return rd.Errorf("latency summary header %s: want avg min p50 p95 p99 max", input.Excerpt(b))
			}
			expectValues = true
			continue
		}
		if strings.HasPrefix(line, "====== ") {
			m := reBlock.FindStringSubmatch(line)
			if m == nil {
				return rd.Errorf("test header %s: want ====== NAME ======", input.Excerpt(b))
			}
			cur = &test{name: m[1]}
			f.tests = append(f.tests, cur)
			continue
		}
		switch {
		case strings.Contains(line, ": rps=") && reProgress.MatchString(line):
			progress++
			continue
		case strings.HasPrefix(line, "Error") || strings.HasPrefix(line, "Could not connect") || strings.HasPrefix(line, "ERROR"):
			if len(f.toolErrors) < 20 {
				f.toolErrors = append(f.toolErrors, short(line))
			}
			continue
		case strings.HasPrefix(line, "WARNING:"):
			f.notes = append(f.notes, "redis-benchmark: "+line)
			continue
		case cur == nil && !strings.Contains(line, "requests per second"):
			continue // neither a report line nor a -q line
		}
		if cur != nil {
			if m := reCompleted.FindStringSubmatch(line); m != nil {
				n, err := strconv.ParseInt(m[1], 10, 64)
				if err != nil {
					return rd.Errorf("request count %s: %v", m[1], err)
				}
				s, _ := num(m[2])
				cur.requests, cur.haveReq, cur.seconds = n, true, s
				continue
			}
			if m := reClients.FindStringSubmatch(line); m != nil {
				cur.clients, _ = strconv.ParseInt(m[1], 10, 64)
				continue
			}
			if m := rePayload.FindStringSubmatch(line); m != nil {
				f.notes = append(f.notes, "payload: "+m[1]+" bytes")
				continue
			}
			if m := reThrough.FindStringSubmatch(line); m != nil {
				cur.rps, cur.haveRPS = num(m[1])
				if !cur.haveRPS {
					return rd.Errorf("throughput %s is not a number", m[1])
				}
				continue
			}
			if line == "latency summary (msec):" {
				expectHeader = true
				continue
			}
		}
		if m := reQuiet.FindStringSubmatch(line); m != nil {
			t := &test{name: m[1]}
			t.rps, t.haveRPS = num(m[2])
			if m[3] != "" {
				p50, _ := num(m[3])
				t.lat = results.Latency{Source: results.LatencyToolPercentiles, Per: Per, Med: &p50}
			}
			f.tests = append(f.tests, t)
			cur = nil
			continue
		}
	}
	if lines == 0 {
		return fmt.Errorf("%s: empty output", rd.Name())
	}
	if expectHeader || expectValues {
		f.toolErrors = append(f.toolErrors, "the output ends inside a latency summary: cut short")
	}
	for _, t := range f.tests {
		if !t.haveRPS {
			f.toolErrors = append(f.toolErrors, fmt.Sprintf("test %s has no throughput summary: the run stopped during it", t.name))
		}
	}
	if len(f.tests) == 0 && len(f.toolErrors) == 0 && progress > 0 {
		f.toolErrors = append(f.toolErrors, "the output holds progress lines only: the run stopped before its first test finished")
	}
	if len(f.tests) == 0 && len(f.toolErrors) == 0 {
		return fmt.Errorf("%s: no redis-benchmark test (no \"====== TEST ======\" block, -q line or --csv table) in %d line(s)", rd.Name(), lines)
	}
	return nil
}

func latency(avg, lo, p50, p95, p99, hi float64) results.Latency {
	return results.Latency{Source: results.LatencyToolPercentiles, Per: Per, Avg: &avg, Min: &lo, Med: &p50, P95: &p95, P99: &p99, Max: &hi}
}

var csvHeader = []string{"test", "rps", "avg_latency_ms", "min_latency_ms", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "max_latency_ms"}

// parseCSV reads the --csv table: a header, then one quoted row per test.
func (f *file) parseCSV(rd *input.Reader) error {
	header := false
	for {
		b, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if !bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
			line := strings.TrimSpace(string(b))
			if strings.HasPrefix(line, "Error") || strings.HasPrefix(line, "Could not connect") {
				f.toolErrors = append(f.toolErrors, short(line))
				continue
			}
			if strings.HasPrefix(line, "WARNING:") {
				f.notes = append(f.notes, "redis-benchmark: "+line)
				continue
			}
			return rd.Errorf("not a CSV row: %s", input.Excerpt(b))
		}
		cr := csv.NewReader(bytes.NewReader(b))
		rec, err := cr.Read()
		if err != nil {
			return rd.Errorf("CSV: %v", err)
		}
		if !header {
			if !slices.Equal(rec, csvHeader) {
				return rd.Errorf("CSV header %s: want %s", input.Excerpt(b), strings.Join(csvHeader, ","))
			}
			header = true
			continue
		}
		if len(rec) != len(csvHeader) {
			return rd.Errorf("%d CSV fields, want %d", len(rec), len(csvHeader))
		}
		var v [7]float64
		for i, x := range rec[1:] {
			var ok bool
			if v[i], ok = num(x); !ok {
				return rd.Errorf("%s %s is not a number", csvHeader[i+1], input.Excerpt([]byte(x)))
			}
		}
		t := &test{name: rec[0], rps: v[0], haveRPS: true, lat: latency(v[1], v[2], v[3], v[4], v[5], v[6])}
		f.tests = append(f.tests, t)
	}
	if !header {
		if len(f.toolErrors) > 0 {
			return nil
		}
		return fmt.Errorf("%s: empty output (no CSV header)", rd.Name())
	}
	return nil
}

// short bounds a line kept in a result.
func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

func merge(files []*file, opt Options) (*results.Result, error) {
	r := results.New(results.ToolRedisBenchmark, results.UnitCommands)
	r.LoadGenerators = len(files)
	var srcs []input.Source
	var rs []results.Source
	type agg struct {
		name    string
		ops     int64
		rps     float64
		seconds float64
		lats    []results.Latency
		weights []float64
	}
	var order []string
	parts := map[string]*agg{}
	var total int64
	var clients int64
	haveClients := true
	for _, f := range files {
		srcs = append(srcs, f.src)
		n := f.src.Bytes
		rs = append(rs, results.Source{File: filepath.Base(f.name), Format: f.format, SHA256: f.src.SHA256, Bytes: &n})
		r.ToolErrors = append(r.ToolErrors, f.toolErrors...)
		r.Notes = append(r.Notes, f.notes...)
		var fileSeconds float64
		var fileClients int64
		for _, t := range f.tests {
			if !t.haveRPS {
				continue
			}
			req := t.requests
			switch {
			case t.haveReq && opt.Requests > 0 && opt.Requests != req:
				return nil, fmt.Errorf("%s: --requests %d, but the output says test %s ran %d", f.name, opt.Requests, t.name, req)
			case !t.haveReq && opt.Requests == 0:
				return nil, fmt.Errorf("%s: redis-benchmark %s output prints no request counts: give --requests N, the -n the run used", f.name, map[bool]string{true: "--csv", false: "-q"}[f.format == FormatCSV])
			case !t.haveReq:
				req = opt.Requests
			}
			if t.rps <= 0 {
				return nil, fmt.Errorf("%s: test %s: throughput %v requests per second", f.name, t.name, t.rps)
			}
			secs := float64(req) / t.rps
			fileSeconds += secs
			fileClients = max(fileClients, t.clients)
			if t.clients == 0 {
				haveClients = false
			}
			a := parts[t.name]
			if a == nil {
				a = &agg{name: t.name}
				parts[t.name] = a
				order = append(order, t.name)
			}
			a.ops += req
			a.rps += t.rps // generators run in parallel
			a.seconds = max(a.seconds, secs)
			a.lats = append(a.lats, t.lat)
			a.weights = append(a.weights, float64(req))
			total += req
		}
		r.DurationS = max(r.DurationS, fileSeconds)
		clients += fileClients
	}
	if err := input.DistinctContent(srcs); err != nil {
		return nil, err
	}
	r.SetSources(rs)
	r.Operations.Count = total
	if len(r.ToolErrors) == 0 {
		r.Errors = results.Errors{Count: i64(0), Rate: f64(0)}
		r.Notes = append(r.Notes, "redis-benchmark stops at the first error reply: a complete run had no failed command")
	}
	if haveClients && clients > 0 {
		r.Clients = &clients
	}
	for _, name := range order {
		a := parts[name]
		p := results.Part{Name: name, Kind: "test", Operations: i64(a.ops), ThroughputPerS: f64(a.rps), LatencyMs: mergeLat(a.lats, a.weights)}
		r.Breakdown = append(r.Breakdown, p)
	}
	var lats []results.Latency
	var weights []float64
	for _, name := range order {
		lats = append(lats, parts[name].lats...)
		weights = append(weights, parts[name].weights...)
	}
	r.LatencyMs = mergeLat(lats, weights)
	if len(lats) > 1 {
		r.Notes = append(r.Notes, "latency percentiles are null over several tests or load generators: their percentiles cannot be combined; see the breakdown per test")
	}
	r.Notes = append(r.Notes, "duration_s is the sum of the tests' durations, each its commands / its throughput (redis-benchmark runs the tests one after the other)")
	if files[0].format == FormatCSV || len(files[0].tests) > 0 && !files[0].tests[0].haveReq {
		r.Notes = append(r.Notes, fmt.Sprintf("operations are the declared --requests %d per test: --csv and -q print no counts", opt.Requests))
	}
	r.SetThroughput()
	r.Normalize()
	return r, nil
}

// mergeLat keeps one source's figures as they are; several give the
// extremes and the average weighted by commands, never percentiles.
func mergeLat(ls []results.Latency, w []float64) results.Latency {
	switch len(ls) {
	case 0:
		return results.Latency{Source: results.LatencyNone}
	case 1:
		return ls[0]
	}
	out := results.Latency{}
	var sum, n float64
	haveAvg := true
	for i, l := range ls {
		if l.Min != nil && (out.Min == nil || *l.Min < *out.Min) {
			out.Min = f64(*l.Min)
		}
		if l.Max != nil && (out.Max == nil || *l.Max > *out.Max) {
			out.Max = f64(*l.Max)
		}
		if l.Avg == nil {
			haveAvg = false
			continue
		}
		sum += *l.Avg * w[i]
		n += w[i]
	}
	if haveAvg && n > 0 {
		out.Avg = f64(sum / n)
	}
	if out.Any() {
		out.Source, out.Per = results.LatencyToolSummary, Per
	} else {
		out.Source = results.LatencyNone
	}
	return out
}
