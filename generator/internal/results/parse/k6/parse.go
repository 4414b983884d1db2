// Package k6 turns k6 outputs into normalized results: the handleSummary
// data object, the legacy --summary-export file, --out json (NDJSON) and
// --out csv, and the summary printed between marker lines in a pod log.
// Several files are the load generators (pods) of one run and are merged:
// counters are summed and latency histograms merged, never percentiles
// averaged.
package k6

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/markers"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// Input formats accepted by Parse. FormatLog is a pod log holding the
// handleSummary data between markers.Begin and markers.End lines.
const (
	FormatAuto = "auto"
	FormatLog  = "log"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, results.FormatSummary, results.FormatSummaryExport, results.FormatNDJSON, results.FormatCSV, FormatLog}

// maxDocBytes bounds a summary document (or pod log) read into memory.
const maxDocBytes = input.MaxDocBytes

// Options control parsing.
type Options struct {
	// Format is one of Formats; empty means auto-detect per file.
	Format string
}

// part is one file's figures before merging.
type part struct {
	file   string
	format string
	src    input.Source
	stream *streamAgg
	sum    *summaryPart
}

// ParseFiles parses the outputs of one run's load generators and merges
// them into one result. All files must have the same format; one file
// given twice (under any path, or as a copy) is refused.
func ParseFiles(paths []string, opt Options) (*results.Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	if err := input.Distinct(paths); err != nil {
		return nil, err
	}
	parts := make([]*part, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		pt, err := parse(p, f, opt.Format)
		f.Close()
		if err != nil {
			return nil, err
		}
		parts = append(parts, pt)
	}
	return merge(parts)
}

// Parse parses one k6 output read from r; name labels errors.
func Parse(name string, r io.Reader, opt Options) (*results.Result, error) {
	pt, err := parse(name, r, opt.Format)
	if err != nil {
		return nil, err
	}
	return merge([]*part{pt})
}

func checkFormat(f string) (string, error) {
	if f == "" {
		return FormatAuto, nil
	}
	for _, k := range Formats {
		if f == k {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want one of %s)", f, strings.Join(Formats, ", "))
}

func parse(name string, r io.Reader, format string) (*part, error) {
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	// k6 writes --out json=FILE.gz compressed: the reader decompresses.
	rd, err := input.NewReader(name, r, input.Options{MaxLine: maxLineBytes, BufBytes: readBufBytes})
	if err != nil {
		return nil, err
	}
	if format == FormatAuto {
		if format, err = detect(rd); err != nil {
			return nil, err
		}
	}
	pt := &part{file: name, format: format}
	switch format {
	case results.FormatNDJSON:
		pt.stream, err = parseNDJSON(rd)
	case results.FormatCSV:
		pt.stream, err = parseCSV(rd)
	case results.FormatSummary, results.FormatSummaryExport, FormatLog, FormatAuto:
		var data []byte
		if format == FormatLog {
			data, err = rd.ReadAll(maxDocBytes)
		} else {
			data, err = rd.ReadDoc(maxDocBytes)
		}
		if err != nil {
			return nil, err
		}
		forced := format
		if format == FormatLog || format == FormatAuto {
			forced = ""
		}
		if format == FormatLog {
			if data, err = markers.Extract(bytes.NewReader(data)); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			name += " (summary between markers)"
			forced = results.FormatSummary
		}
		pt.sum, pt.format, err = parseSummaryData(name, data, forced)
	}
	if err != nil {
		return nil, err
	}
	if pt.src, err = rd.Finish(); err != nil {
		return nil, err
	}
	return pt, nil
}

// detect sniffs the format from the start of the stream.
func detect(rd *input.Reader) (string, error) {
	head, err := rd.Peek(64 << 10)
	if err != nil {
		return "", fmt.Errorf("%s: read: %w", rd.Name(), err)
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return "", fmt.Errorf("%s: binary data (a NUL byte at byte offset %d): not a k6 output", rd.Name(), i)
	}
	trimmed := bytes.TrimLeft(input.StripTimestamp(head), " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		if len(head) == 0 {
			return "", fmt.Errorf("%s: empty file", rd.Name())
		}
		return "", fmt.Errorf("%s: only blanks: empty output", rd.Name())
	}
	if bytes.HasPrefix(trimmed, []byte("metric_name,")) {
		return results.FormatCSV, nil
	}
	if trimmed[0] == '{' {
		first := trimmed
		if i := bytes.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		var probe struct {
			Type   string `json:"type"`
			Metric string `json:"metric"`
		}
		if json.Unmarshal(first, &probe) == nil && (probe.Type == "Metric" || probe.Type == "Point") {
			return results.FormatNDJSON, nil
		}
		// A truncated first NDJSON line still announces itself.
		if bytes.Contains(first, []byte(`"type":"Metric"`)) || bytes.Contains(first, []byte(`"type":"Point"`)) {
			return results.FormatNDJSON, nil
		}
		return FormatAuto, nil // summary or summary-export: decided on the document
	}
	if bytes.Contains(head, []byte(markers.Begin)) {
		return FormatLog, nil
	}
	return "", fmt.Errorf("%s: unrecognized k6 output (not JSON, NDJSON, CSV with a metric_name header, nor a log with %s)", rd.Name(), markers.Begin)
}

// merge combines the parts of one run into a result.
func merge(parts []*part) (*results.Result, error) {
	r := results.New(results.ToolK6, results.UnitRequests)
	r.LoadGenerators = len(parts)
	srcs := make([]input.Source, 0, len(parts))
	var rs []results.Source
	for _, p := range parts {
		if p.format != parts[0].format {
			return nil, fmt.Errorf("%s is %s but %s is %s: the files of one run must share a format", p.file, p.format, parts[0].file, parts[0].format)
		}
		srcs = append(srcs, p.src)
		n := p.src.Bytes
		rs = append(rs, results.Source{File: filepath.Base(p.file), Format: p.format, SHA256: p.src.SHA256, Bytes: &n})
	}
	if err := input.DistinctContent(srcs); err != nil {
		return nil, err
	}
	r.SetSources(rs)
	var err error
	if parts[0].stream != nil {
		err = mergeStreams(r, parts)
	} else {
		err = mergeSummaries(r, parts)
	}
	if err != nil {
		return nil, err
	}
	if r.LatencyMs.Any() {
		r.LatencyMs.Per = "request"
	}
	r.SetThroughput()
	r.Normalize()
	return r, nil
}

func roundCount(name string, v float64) (int64, error) {
	if v > 1<<53 {
		return 0, fmt.Errorf("%s total %v is too large", name, v)
	}
	return int64(math.Round(v)), nil
}

func i64(v int64) *int64 { return &v }

func mergeStreams(r *results.Result, parts []*part) error {
	all := newStreamAgg()
	var vus int64
	hasVUs := true
	for _, p := range parts {
		a := p.stream
		if dropped := all.hist.Merge(a.hist); dropped != 0 {
			return fmt.Errorf("%s: %d latency values dropped while merging histograms", p.file, dropped)
		}
		all.durN += a.durN
		all.durSum += a.durSum
		all.durMin = math.Min(all.durMin, a.durMin)
		all.durMax = math.Max(all.durMax, a.durMax)
		all.reqs += a.reqs
		all.iters += a.iters
		all.dropped += a.dropped
		all.recv += a.recv
		all.sent += a.sent
		all.failN += a.failN
		all.failTrue += a.failTrue
		all.hasFailed = all.hasFailed || a.hasFailed
		all.chkPass += a.chkPass
		all.chkFail += a.chkFail
		// Each generator runs its own VUs: the run's peak is the sum of
		// the generators' peaks.
		if a.hasVUs {
			vus += int64(math.Round(a.vusMax))
		} else {
			hasVUs = false
		}
		if a.hasT {
			all.observeTime(a.tMin)
			all.observeTime(a.tMax)
		}
	}
	var reqs, iters, recv, sent int64
	var err error
	conv := []struct {
		n   string
		v   float64
		dst *int64
	}{
		{"http_reqs", all.reqs, &reqs}, {"iterations", all.iters, &iters},
		{"dropped_iterations", all.dropped, &r.Dropped},
		{"data_received", all.recv, &recv}, {"data_sent", all.sent, &sent},
	}
	for _, c := range conv {
		if *c.dst, err = roundCount(c.n, c.v); err != nil {
			return err
		}
	}
	r.Operations.Count = reqs
	r.Iterations = i64(iters)
	r.Bytes = results.Bytes{In: i64(recv), Out: i64(sent)}
	if all.hasFailed && all.failN > 0 {
		er := float64(all.failTrue) / float64(all.failN)
		r.Errors = results.Errors{Count: i64(all.failTrue), Rate: &er}
	}
	r.Checks = &results.Checks{Passes: all.chkPass, Fails: all.chkFail}
	if hasVUs {
		r.Clients = &vus
	}
	if all.hasT {
		r.DurationS = float64(all.tMax-all.tMin) / 1e9
		s := time.Unix(0, all.tMin).UTC().Format(time.RFC3339Nano)
		e := time.Unix(0, all.tMax).UTC().Format(time.RFC3339Nano)
		r.StartedAt, r.EndedAt = &s, &e
	}
	format := parts[0].format
	r.Notes = append(r.Notes,
		"duration_s is the span between the first and last sample",
		"thresholds are not part of "+format+" output: none reported")
	if all.durN > 0 {
		avg := all.durSum / float64(all.durN)
		lo, hi := all.durMin, all.durMax
		pct := func(q float64) *float64 {
			v := float64(all.hist.ValueAtPercentile(q)) / 1000
			// The histogram reports a bucket's upper edge: keep it within
			// the exactly known extremes.
			v = math.Min(math.Max(v, lo), hi)
			return &v
		}
		r.LatencyMs = results.Latency{Source: results.LatencyHistogram, Avg: &avg, Min: &lo, Max: &hi, Med: pct(50), P90: pct(90), P95: pct(95), P99: pct(99), P999: pct(99.9)}
		r.Notes = append(r.Notes, "latency percentiles come from an HDR histogram of every http_req_duration sample (3 significant digits)")
	}
	return nil
}

func mergeSummaries(r *results.Result, parts []*part) error {
	var (
		failed, failTotal int64
		haveCounts        = true
		vus               int64
		hasVUs            = true
		errWeighted       float64
		haveRates         = true
		avgWeighted       float64
		haveAvg           = true
		reqs, iters       int64
		recv, sent        int64
		checks            results.Checks
	)
	thr := map[[2]string]bool{}
	for _, p := range parts {
		s := p.sum
		reqs += s.requests
		iters += s.iterations
		r.Dropped += s.dropped
		recv += s.recv
		sent += s.sent
		checks.Passes += s.checks.Passes
		checks.Fails += s.checks.Fails
		r.DurationS = math.Max(r.DurationS, s.durationS)
		r.Notes = append(r.Notes, s.notes...)
		if s.hasFailCounts {
			failed += s.failed
			failTotal += s.failTotal
		} else {
			haveCounts = false
		}
		if s.errRate != nil {
			errWeighted += *s.errRate * float64(s.requests)
		} else {
			haveRates = false
		}
		if s.vusMax != nil {
			vus += *s.vusMax
		} else {
			hasVUs = false
		}
		if s.lat.Avg != nil {
			avgWeighted += *s.lat.Avg * float64(s.requests)
		} else {
			haveAvg = false
		}
		for _, t := range s.thresholds {
			k := [2]string{t.Metric, t.Expression}
			prev, seen := thr[k]
			thr[k] = t.OK && (!seen || prev)
		}
	}
	r.Operations.Count = reqs
	r.Iterations = i64(iters)
	r.Bytes = results.Bytes{In: i64(recv), Out: i64(sent)}
	r.Checks = &checks
	switch {
	case haveCounts && failTotal > 0:
		er := float64(failed) / float64(failTotal)
		r.Errors = results.Errors{Count: i64(failed), Rate: &er}
	case len(parts) == 1 && parts[0].sum.errRate != nil:
		er := *parts[0].sum.errRate
		r.Errors.Rate = &er
	case haveRates && reqs > 0:
		// One http_req_failed sample per request: weighting by requests
		// is exact.
		er := errWeighted / float64(reqs)
		r.Errors.Rate = &er
	}
	if hasVUs {
		r.Clients = &vus
	}
	for k, ok := range thr {
		r.Thresholds = append(r.Thresholds, results.Threshold{Metric: k[0], Expression: k[1], OK: ok})
	}
	if len(parts) == 1 {
		r.LatencyMs = parts[0].sum.lat
		switch {
		case !r.LatencyMs.Any():
		case r.LatencyMs.Med != nil || r.LatencyMs.P90 != nil || r.LatencyMs.P95 != nil || r.LatencyMs.P99 != nil:
			r.LatencyMs.Source = results.LatencyToolPercentiles
		default:
			r.LatencyMs.Source = results.LatencyToolSummary
		}
		return nil
	}
	// Percentiles of several generators cannot be combined from their
	// summaries; only exact aggregates are kept.
	var lo, hi *float64
	for _, p := range parts {
		if l := p.sum.lat.Min; l != nil && (lo == nil || *l < *lo) {
			v := *l
			lo = &v
		}
		if h := p.sum.lat.Max; h != nil && (hi == nil || *h > *hi) {
			v := *h
			hi = &v
		}
	}
	r.LatencyMs = results.Latency{Min: lo, Max: hi}
	if haveAvg && reqs > 0 {
		avg := avgWeighted / float64(reqs)
		r.LatencyMs.Avg = &avg
	}
	if r.LatencyMs.Any() {
		r.LatencyMs.Source = results.LatencyToolSummary
	}
	r.Notes = append(r.Notes,
		"latency percentiles are null: summaries of several load generators cannot be merged (use --out json)",
		"duration_s is the longest load generator's duration",
		"thresholds merged from several load generators: ok only if it held on every one")
	return nil
}
