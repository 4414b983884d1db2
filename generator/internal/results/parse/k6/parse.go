// Package k6 turns k6 outputs into normalized results: the handleSummary
// data object, the legacy --summary-export file, --out json (NDJSON) and
// --out csv, and the summary printed between marker lines in a pod log.
// Several files are the load generators (pods) of one run and are merged:
// counters are summed and latency histograms merged, never percentiles
// averaged.
package k6

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/markers"
)

// Input formats accepted by Parse. FormatLog is a pod log holding the
// handleSummary data between markers.Begin and markers.End lines.
const (
	FormatAuto = "auto"
	FormatLog  = "log"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, results.FormatSummary, results.FormatSummaryExport, results.FormatNDJSON, results.FormatCSV, FormatLog}

// maxDocBytes bounds a summary document read into memory.
const maxDocBytes = 256 << 20

// Options control parsing.
type Options struct {
	// Format is one of Formats; empty means auto-detect per file.
	Format string
}

// part is one file's figures before merging.
type part struct {
	file   string
	format string
	stream *streamAgg
	sum    *summaryPart
}

// ParseFiles parses the outputs of one run's load generators and merges
// them into one result. All files must have the same format.
func ParseFiles(paths []string, opt Options) (*results.Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	seen := map[string]bool{}
	for _, p := range paths {
		// The same output twice would double every counter.
		if c := filepath.Clean(p); seen[c] {
			return nil, fmt.Errorf("%s given twice: each file is one load generator's output", p)
		} else {
			seen[c] = true
		}
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
	br := bufio.NewReaderSize(r, readBufBytes)
	// Transparently read gzip (k6 writes --out json=FILE.gz compressed).
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, readBufBytes)
	}
	if format == FormatAuto {
		if format, err = detect(name, br); err != nil {
			return nil, err
		}
	}
	pt := &part{file: name, format: format}
	switch format {
	case results.FormatNDJSON:
		pt.stream, err = parseNDJSON(name, br)
	case results.FormatCSV:
		pt.stream, err = parseCSV(name, br)
	case results.FormatSummary, results.FormatSummaryExport, FormatLog, FormatAuto:
		data, rerr := readAll(name, br)
		if rerr != nil {
			return nil, rerr
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
	return pt, nil
}

func readAll(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDocBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	if len(data) > maxDocBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a summary", name, maxDocBytes)
	}
	return data, nil
}

// detect sniffs the format from the start of the stream.
func detect(name string, br *bufio.Reader) (string, error) {
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("%s: read: %w", name, err)
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		if len(head) == 0 {
			return "", fmt.Errorf("%s: empty file", name)
		}
		return "", fmt.Errorf("%s: only blanks: empty output", name)
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
	return "", fmt.Errorf("%s: unrecognized k6 output (not JSON, NDJSON, CSV with a metric_name header, nor a log with %s)", name, markers.Begin)
}

// merge combines the parts of one run into a result.
func merge(parts []*part) (*results.Result, error) {
	r := &results.Result{
		SchemaVersion:  results.SchemaVersion,
		SourceFormat:   parts[0].format,
		LoadGenerators: len(parts),
	}
	for _, p := range parts {
		if p.format != r.SourceFormat {
			return nil, fmt.Errorf("%s is %s but %s is %s: the files of one run must share a format", p.file, p.format, parts[0].file, parts[0].format)
		}
		r.SourceFiles = append(r.SourceFiles, filepath.Base(p.file))
	}
	sort.Strings(r.SourceFiles)
	var err error
	if parts[0].stream != nil {
		err = mergeStreams(r, parts)
	} else {
		err = mergeSummaries(r, parts)
	}
	if err != nil {
		return nil, err
	}
	if r.DurationS > 0 {
		r.RPS = float64(r.Requests) / r.DurationS
	}
	r.Normalize()
	return r, nil
}

func roundCount(name string, v float64) (int64, error) {
	if v > 1<<53 {
		return 0, fmt.Errorf("%s total %v is too large", name, v)
	}
	return int64(math.Round(v)), nil
}

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
	var err error
	conv := []struct {
		n   string
		v   float64
		dst *int64
	}{
		{"http_reqs", all.reqs, &r.Requests}, {"iterations", all.iters, &r.Iterations},
		{"dropped_iterations", all.dropped, &r.DroppedIterations},
		{"data_received", all.recv, &r.DataReceivedBytes}, {"data_sent", all.sent, &r.DataSentBytes},
	}
	for _, c := range conv {
		if *c.dst, err = roundCount(c.n, c.v); err != nil {
			return err
		}
	}
	if all.hasFailed && all.failN > 0 {
		er := float64(all.failTrue) / float64(all.failN)
		r.ErrorRate = &er
	}
	r.Checks = results.Checks{Passes: all.chkPass, Fails: all.chkFail}
	if hasVUs {
		r.VUsMax = &vus
	}
	if all.hasT {
		r.DurationS = float64(all.tMax-all.tMin) / 1e9
		s := time.Unix(0, all.tMin).UTC().Format(time.RFC3339Nano)
		e := time.Unix(0, all.tMax).UTC().Format(time.RFC3339Nano)
		r.StartedAt, r.EndedAt = &s, &e
	}
	r.Notes = append(r.Notes,
		"duration_s is the span between the first and last sample",
		"thresholds are not part of "+r.SourceFormat+" output: none reported",
		"latency percentiles come from an HDR histogram (3 significant digits)")
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
		r.LatencyMs = results.Latency{Avg: &avg, Min: &lo, Max: &hi, Med: pct(50), P90: pct(90), P95: pct(95), P99: pct(99)}
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
	)
	thr := map[[2]string]bool{}
	for _, p := range parts {
		s := p.sum
		r.Requests += s.requests
		r.Iterations += s.iterations
		r.DroppedIterations += s.dropped
		r.DataReceivedBytes += s.recv
		r.DataSentBytes += s.sent
		r.Checks.Passes += s.checks.Passes
		r.Checks.Fails += s.checks.Fails
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
	switch {
	case haveCounts && failTotal > 0:
		er := float64(failed) / float64(failTotal)
		r.ErrorRate = &er
	case len(parts) == 1 && parts[0].sum.errRate != nil:
		er := *parts[0].sum.errRate
		r.ErrorRate = &er
	case haveRates && r.Requests > 0:
		// One http_req_failed sample per request: weighting by requests
		// is exact.
		er := errWeighted / float64(r.Requests)
		r.ErrorRate = &er
	}
	if hasVUs {
		r.VUsMax = &vus
	}
	for k, ok := range thr {
		r.Thresholds = append(r.Thresholds, results.Threshold{Metric: k[0], Expression: k[1], OK: ok})
	}
	if len(parts) == 1 {
		r.LatencyMs = parts[0].sum.lat
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
	if haveAvg && r.Requests > 0 {
		avg := avgWeighted / float64(r.Requests)
		r.LatencyMs.Avg = &avg
	}
	r.Notes = append(r.Notes,
		"latency percentiles are null: summaries of several load generators cannot be merged (use --out json)",
		"duration_s is the longest load generator's duration",
		"thresholds merged from several load generators: ok only if it held on every one")
	return nil
}
