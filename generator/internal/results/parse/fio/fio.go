// Package fio turns fio's JSON report (--output-format=json and json+)
// into normalized results. Operations are I/O operations (reads, writes and
// trims of every job); the duration is the longest direction's runtime; the
// latency is fio's completion latency (clat), the only one it reports
// percentiles for. json+ adds clat's histogram bins, which merge exactly
// across directions, jobs and files; json's percentiles do not.
package fio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// Formats.
const (
	FormatAuto     = "auto"
	FormatJSON     = "json"
	FormatJSONPlus = "json+"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, FormatJSON, FormatJSONPlus}

// Per says what one latency sample times.
const Per = "io completion (clat)"

// Options control parsing.
type Options struct{ Format string }

type stat struct {
	Min        *float64           `json:"min"`
	Max        *float64           `json:"max"`
	Mean       *float64           `json:"mean"`
	Stddev     *float64           `json:"stddev"`
	N          *float64           `json:"N"`
	Percentile map[string]float64 `json:"percentile"`
	Bins       map[string]float64 `json:"bins"`
}

type direction struct {
	IOBytes  *float64 `json:"io_bytes"`
	Runtime  *float64 `json:"runtime"`
	TotalIOs *float64 `json:"total_ios"`
	ShortIOs float64  `json:"short_ios"`
	DropIOs  float64  `json:"drop_ios"`
	IOPS     float64  `json:"iops"`
	Clat     *stat    `json:"clat_ns"`
	Lat      *stat    `json:"lat_ns"`
}

type sync struct {
	TotalIOs *float64 `json:"total_ios"`
	Lat      *stat    `json:"lat_ns"`
}

type job struct {
	Name       string            `json:"jobname"`
	Error      *float64          `json:"error"`
	Options    map[string]string `json:"job options"`
	Read       *direction        `json:"read"`
	Write      *direction        `json:"write"`
	Trim       *direction        `json:"trim"`
	Sync       *sync             `json:"sync"`
	JobRuntime float64           `json:"job_runtime"`
}

type report struct {
	Version     *string  `json:"fio version"`
	TimestampMs *float64 `json:"timestamp_ms"`
	Jobs        []job    `json:"jobs"`
}

type file struct {
	name       string
	format     string
	src        input.Source
	rep        report
	toolErrors []string
	notes      []string
}

// ParseFiles parses the reports of one run's load generators (one fio
// process each) and merges them.
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
		pf, err := parseFile(p, f, opt.Format)
		f.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, pf)
	}
	return merge(files)
}

// Parse parses one report; name labels errors.
func Parse(name string, r io.Reader, opt Options) (*results.Result, error) {
	f, err := parseFile(name, r, opt.Format)
	if err != nil {
		return nil, err
	}
	return merge([]*file{f})
}

func parseFile(name string, r io.Reader, format string) (*file, error) {
	if format == "" {
		format = FormatAuto
	}
	if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	rd, err := input.NewReader(name, r, input.Options{})
	if err != nil {
		return nil, err
	}
	data, err := rd.ReadAll(input.MaxDocBytes)
	if err != nil {
		return nil, err
	}
	f := &file{name: name}
	// fio's own messages ("fio: ...") may come before or after the report
	// in a pod log: they are the tool's errors.
	start := bytes.Index(data, []byte("\n{"))
	if bytes.HasPrefix(data, []byte("{")) {
		start = 0
	} else if start >= 0 {
		start++
	}
	var pre []byte
	if start < 0 {
		pre = data
	} else {
		pre = data[:start]
	}
	for i, l := range strings.Split(string(pre), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "fio") {
			if start < 0 {
				return nil, fmt.Errorf("%s: no fio JSON report (--output-format=json or json+): line %d is %s", name, i+1, input.Excerpt([]byte(l)))
			}
			return nil, fmt.Errorf("%s: line %d: %s before the JSON report", name, i+1, input.Excerpt([]byte(l)))
		}
		f.toolError(l)
	}
	if start < 0 {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, fmt.Errorf("%s: empty file", name)
		}
		if len(f.toolErrors) == 0 {
			return nil, fmt.Errorf("%s: no fio JSON report (--output-format=json or json+)", name)
		}
		f.format = FormatJSON
		if format != FormatAuto {
			f.format = format
		}
		if f.src, err = rd.Finish(); err != nil {
			return nil, err
		}
		return f, nil
	}
	doc := data[start:]
	for i, c := range doc {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return nil, fmt.Errorf("%s: line %d: control character 0x%02x: not a JSON report", name, 1+bytes.Count(data[:start+i], []byte{'\n'}), c)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&f.rep); err != nil {
		return nil, fmt.Errorf("%s: %w", name, shift(results.DescribeJSONError(doc, err), bytes.Count(data[:start], []byte{'\n'})))
	}
	for i, l := range strings.Split(string(doc[dec.InputOffset():]), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "fio") {
			return nil, fmt.Errorf("%s: %s after the JSON report (line %d after it)", name, input.Excerpt([]byte(l)), i)
		}
		f.toolError(l)
	}
	if f.rep.Version == nil || !strings.HasPrefix(*f.rep.Version, "fio-") {
		return nil, fmt.Errorf("%s: no \"fio version\": not a fio report", name)
	}
	if f.rep.Jobs == nil {
		return nil, fmt.Errorf("%s: no \"jobs\": not a fio report", name)
	}
	plus := false
	for _, j := range f.rep.Jobs {
		for _, d := range j.directions() {
			if d.d.Clat != nil && d.d.Clat.Bins != nil {
				plus = true
			}
		}
	}
	f.format = FormatJSON
	if plus {
		f.format = FormatJSONPlus
	}
	if format != FormatAuto && format != f.format {
		return nil, fmt.Errorf("%s: --format %s, but the report is %s", name, format, f.format)
	}
	if f.src, err = rd.Finish(); err != nil {
		return nil, err
	}
	return f, nil
}

// shift moves a "line N" of an error inside the document to the file's.
func shift(err error, lines int) error {
	if lines == 0 {
		return err
	}
	s := err.Error()
	var n int
	if _, e := fmt.Sscanf(s, "line %d ", &n); e == nil {
		return fmt.Errorf("line %d%s", n+lines, s[len(fmt.Sprintf("line %d", n)):])
	}
	return err
}

func (f *file) toolError(l string) {
	if len(l) > 300 {
		l = l[:300] + "..."
	}
	if strings.Contains(l, "warning") {
		f.notes = append(f.notes, l)
		return
	}
	if len(f.toolErrors) < 20 {
		f.toolErrors = append(f.toolErrors, l)
	}
}

type namedDir struct {
	name string
	d    *direction
}

func (j *job) directions() []namedDir {
	var out []namedDir
	for _, d := range []namedDir{{"read", j.Read}, {"write", j.Write}, {"trim", j.Trim}} {
		if d.d != nil {
			out = append(out, d)
		}
	}
	return out
}

// dist accumulates clat: exact count, mean, variance, extremes, and the
// json+ bins (ns -> count) when every part has them.
type dist struct {
	n, sum, sumSq float64
	min, max      float64
	bins          map[float64]float64
	allBins       bool
	pct           map[string]float64 // one part's percentiles
	parts         int
}

func newDist() *dist {
	return &dist{min: math.Inf(1), max: math.Inf(-1), bins: map[float64]float64{}, allBins: true}
}

func (d *dist) add(where string, s *stat) error {
	if s == nil || s.N == nil || *s.N == 0 {
		return nil
	}
	for _, v := range []struct {
		n string
		p *float64
	}{{"min", s.Min}, {"max", s.Max}, {"mean", s.Mean}, {"stddev", s.Stddev}, {"N", s.N}} {
		if v.p == nil {
			return fmt.Errorf("%s: no %s", where, v.n)
		}
		if math.IsNaN(*v.p) || math.IsInf(*v.p, 0) || *v.p < 0 {
			return fmt.Errorf("%s: %s is %v", where, v.n, *v.p)
		}
	}
	n := *s.N
	if n != math.Trunc(n) {
		return fmt.Errorf("%s: N %v is not a count", where, n)
	}
	if *s.Min > *s.Max || *s.Mean < *s.Min*(1-1e-9) || *s.Mean > *s.Max*(1+1e-9) {
		return fmt.Errorf("%s: min %v, mean %v, max %v are out of order", where, *s.Min, *s.Mean, *s.Max)
	}
	d.parts++
	d.n += n
	d.sum += *s.Mean * n
	d.sumSq += (*s.Stddev**s.Stddev + *s.Mean**s.Mean) * n
	d.min = math.Min(d.min, *s.Min)
	d.max = math.Max(d.max, *s.Max)
	d.pct = s.Percentile
	if s.Bins == nil {
		d.allBins = false
		return nil
	}
	var total float64
	for k, c := range s.Bins {
		v, err := strconv.ParseFloat(k, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || c < 0 || c != math.Trunc(c) || math.IsInf(c, 0) {
			return fmt.Errorf("%s: bin %s: %v is not a count of a latency", where, input.Excerpt([]byte(k)), c)
		}
		d.bins[v] += c
		total += c
	}
	if total != n {
		return fmt.Errorf("%s: the bins add up to %v, N is %v", where, total, n)
	}
	return nil
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

// latency renders d in ms: one part's percentiles as fio printed them, or
// percentiles from the merged bins; never percentiles of percentiles.
func (d *dist) latency() (results.Latency, string) {
	if d.n == 0 {
		return results.Latency{Source: results.LatencyNone}, ""
	}
	ms := func(ns float64) *float64 { return f64(ns / 1e6) }
	mean := d.sum / d.n
	l := results.Latency{Per: Per, Avg: ms(mean), Min: ms(d.min), Max: ms(d.max), Stddev: ms(math.Sqrt(math.Max(d.sumSq/d.n-mean*mean, 0)))}
	clamp := func(v float64) *float64 { return ms(math.Min(math.Max(v, d.min), d.max)) }
	switch {
	case d.allBins:
		keys := make([]float64, 0, len(d.bins))
		for k := range d.bins {
			keys = append(keys, k)
		}
		sort.Float64s(keys)
		at := func(q float64) *float64 {
			need := math.Ceil(q / 100 * d.n)
			var c float64
			for _, k := range keys {
				c += d.bins[k]
				if c >= need {
					return clamp(k)
				}
			}
			return clamp(keys[len(keys)-1])
		}
		l.Source = results.LatencyHistogram
		l.Med, l.P90, l.P95, l.P99, l.P999 = at(50), at(90), at(95), at(99), at(99.9)
		return l, "latency percentiles from fio's clat histogram bins (json+), at fio's bucket resolution, clamped to the exact min/max"
	case d.parts == 1 && d.pct != nil:
		get := func(k string) *float64 {
			if v, ok := d.pct[k]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 {
				return clamp(v)
			}
			return nil
		}
		l.Source = results.LatencyToolPercentiles
		l.Med, l.P90, l.P95, l.P99, l.P999 = get("50.000000"), get("90.000000"), get("95.000000"), get("99.000000"), get("99.900000")
		return l, "latency percentiles are fio's clat percentiles (bucket values), clamped to the exact min/max"
	}
	l.Source = results.LatencyToolSummary
	return l, "latency percentiles are null: fio's json percentiles of several directions or jobs cannot be combined (use --output-format=json+)"
}

func merge(files []*file) (*results.Result, error) {
	r := results.New(results.ToolFio, results.UnitIOOperations)
	r.LoadGenerators = len(files)
	var srcs []input.Source
	var rs []results.Source
	var ops, in, out, short, drops int64
	var runtimeMs float64
	var clients int64
	var versions []string
	var endMs float64
	all := newDist()
	type part struct {
		ops     int64
		runtime float64
		d       *dist
		sync    bool
	}
	var order []string
	parts := map[string]*part{}
	anyJob := false
	for _, f := range files {
		srcs = append(srcs, f.src)
		n := f.src.Bytes
		rs = append(rs, results.Source{File: filepath.Base(f.name), Format: f.format, SHA256: f.src.SHA256, Bytes: &n})
		r.ToolErrors = append(r.ToolErrors, f.toolErrors...)
		r.Notes = append(r.Notes, f.notes...)
		if v := f.rep.Version; v != nil && !slices.Contains(versions, strings.TrimPrefix(*v, "fio-")) {
			versions = append(versions, strings.TrimPrefix(*v, "fio-"))
		}
		if t := f.rep.TimestampMs; t != nil {
			if math.IsNaN(*t) || *t < 0 || *t > 1e15 {
				return nil, fmt.Errorf("%s: timestamp_ms %v", f.name, *t)
			}
			if err := input.CheckTime(time.UnixMilli(int64(*t))); err != nil {
				return nil, fmt.Errorf("%s: timestamp_ms: %v", f.name, err)
			}
			endMs = math.Max(endMs, *t)
		}
		byName := map[string]int64{}
		numjobs := map[string]int64{}
		for ji := range f.rep.Jobs {
			j := &f.rep.Jobs[ji]
			anyJob = true
			where := fmt.Sprintf("%s: job %d (%s)", f.name, ji, input.Excerpt([]byte(j.Name)))
			if j.Error == nil {
				return nil, fmt.Errorf("%s: no \"error\" field: not a fio job", where)
			}
			if *j.Error != 0 {
				r.ToolErrors = append(r.ToolErrors, fmt.Sprintf("fio job %s ended with error %v (errno)", input.Excerpt([]byte(j.Name)), *j.Error))
			}
			byName[j.Name]++
			if nj, err := strconv.ParseInt(j.Options["numjobs"], 10, 64); err == nil && nj > 0 {
				numjobs[j.Name] = nj
			}
			multi := len(f.rep.Jobs) > 1 || len(files) > 1
			for _, d := range j.directions() {
				dd := d.d
				if dd.TotalIOs == nil || dd.IOBytes == nil || dd.Runtime == nil {
					return nil, fmt.Errorf("%s %s: no total_ios, io_bytes or runtime", where, d.name)
				}
				for _, v := range []struct {
					n string
					v float64
				}{{"total_ios", *dd.TotalIOs}, {"io_bytes", *dd.IOBytes}, {"runtime", *dd.Runtime}, {"short_ios", dd.ShortIOs}, {"drop_ios", dd.DropIOs}} {
					if math.IsNaN(v.v) || math.IsInf(v.v, 0) || v.v < 0 || v.v != math.Trunc(v.v) || v.v > 1<<53 {
						return nil, fmt.Errorf("%s %s: %s %v is not a count", where, d.name, v.n, v.v)
					}
				}
				n := int64(*dd.TotalIOs)
				if n == 0 {
					continue
				}
				if dd.Clat != nil && dd.Clat.N != nil && *dd.Clat.N != *dd.TotalIOs {
					return nil, fmt.Errorf("%s %s: clat_ns.N %v is not total_ios %v", where, d.name, *dd.Clat.N, *dd.TotalIOs)
				}
				ops += n
				short += int64(dd.ShortIOs)
				drops += int64(dd.DropIOs)
				switch d.name {
				case "read":
					in += int64(*dd.IOBytes)
				case "write":
					out += int64(*dd.IOBytes)
				}
				runtimeMs = math.Max(runtimeMs, *dd.Runtime)
				if err := all.add(where+" "+d.name+" clat_ns", dd.Clat); err != nil {
					return nil, err
				}
				key := d.name
				if multi {
					key = j.Name + " " + d.name
				}
				p := parts[key]
				if p == nil {
					p = &part{d: newDist()}
					parts[key] = p
					order = append(order, key)
				}
				p.ops += n
				p.runtime = math.Max(p.runtime, *dd.Runtime)
				if err := p.d.add(where+" "+d.name+" clat_ns", dd.Clat); err != nil {
					return nil, err
				}
			}
			if s := j.Sync; s != nil && s.TotalIOs != nil && *s.TotalIOs > 0 {
				key := "sync"
				if multi {
					key = j.Name + " sync"
				}
				p := parts[key]
				if p == nil {
					p = &part{d: newDist(), sync: true}
					parts[key] = p
					order = append(order, key)
				}
				p.ops += int64(*s.TotalIOs)
				if err := p.d.add(where+" sync lat_ns", s.Lat); err != nil {
					return nil, err
				}
			}
		}
		for name, n := range byName {
			clients += max(n, numjobs[name])
		}
	}
	if err := input.DistinctContent(srcs); err != nil {
		return nil, err
	}
	r.SetSources(rs)
	if len(versions) > 0 {
		sort.Strings(versions)
		v := strings.Join(versions, ", ")
		r.Tool.Version = &v
	}
	r.Operations.Count = ops
	r.DurationS = runtimeMs / 1000
	if anyJob {
		r.Clients = &clients
	}
	if ops > 0 {
		r.Bytes = results.Bytes{In: i64(in), Out: i64(out)}
	}
	if len(r.ToolErrors) == 0 {
		r.Errors = results.Errors{Count: i64(0), Rate: f64(0)}
		r.Notes = append(r.Notes, "fio ends a job at its first I/O error (its \"error\" field): jobs that all ended with error 0 had no failed I/O")
	}
	if short+drops > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d short and %d dropped I/Os", short, drops))
	}
	var note string
	r.LatencyMs, note = all.latency()
	if note != "" {
		r.Notes = append(r.Notes, note)
	}
	for _, k := range order {
		p := parts[k]
		l, _ := p.d.latency()
		if p.sync {
			l.Per = "fsync"
		}
		bp := results.Part{Name: k, Kind: "direction", Operations: i64(p.ops), LatencyMs: l}
		if p.runtime > 0 {
			bp.ThroughputPerS = f64(float64(p.ops) / (p.runtime / 1000))
		}
		r.Breakdown = append(r.Breakdown, bp)
		if p.sync {
			r.Notes = append(r.Notes, "fsyncs (breakdown \""+k+"\") are not counted as operations; their latency is fio's sync lat")
		}
	}
	if endMs > 0 && r.DurationS > 0 {
		e := time.UnixMilli(int64(endMs)).UTC()
		s := e.Add(-time.Duration(r.DurationS * float64(time.Second)))
		es, ss := e.Format(time.RFC3339Nano), s.Format(time.RFC3339Nano)
		r.StartedAt, r.EndedAt = &ss, &es
		r.Notes = append(r.Notes, "ended_at is fio's report time (timestamp_ms), started_at that minus duration_s")
	}
	r.Notes = append(r.Notes, "duration_s is the longest direction's runtime; throughput adds every direction of every job")
	r.SetThroughput()
	r.Normalize()
	return r, nil
}
