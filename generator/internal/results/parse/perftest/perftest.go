// Package perftest turns RabbitMQ PerfTest output (v2.25.0; its default
// and compact console formats, and its -o CSV file) into normalized
// results. PerfTest prints rates, not counts: messages are the summary's
// average rate times the run's duration (the last interval's time), or,
// from the CSV (which has no summary), the sum of each interval's rate times
// its length. Its latencies are Dropwizard decaying samples (not HDR),
// printed as min/median/75th/95th/99th/max in µs (ms with -ms). PerfTest
// cannot run on the lab's machine: the formats come from its source and are
// tested on output written in them (docs/results.md).
package perftest

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
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// Formats.
const (
	FormatAuto   = "auto"
	FormatOutput = "output"
	FormatCSV    = "csv"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, FormatCSV, FormatOutput}

// Options control parsing.
type Options struct{ Format string }

// lat6 is min/median/75th/95th/99th/max in ms.
type lat6 struct{ min, med, p75, p95, p99, max float64 }

type interval struct {
	t                                      float64 // seconds since the start
	sent, returned, confirmed, nacked, rcv float64
	hasSent, hasRet, hasConf, hasRcv       bool
}

type file struct {
	name      string
	format    string
	src       input.Source
	intervals []interval
	sendAvg   *float64
	rcvAvg    *float64
	consumer  *lat6
	confirm   *lat6
	producers map[string]bool
	consumers map[string]bool
	stopped   bool
	// compactCols are the rate columns of the compact header.
	compactCols []string
	toolErrors  []string
	notes       []string
}

var (
	reID       = regexp.MustCompile(`^id: [^,]*, (.*)$`)
	reStarting = regexp.MustCompile(`^starting (producer|consumer) #(\d+)$`)
	reTime     = regexp.MustCompile(`^time (\d+(?:\.\d+)?) s$`)
	reRate     = regexp.MustCompile(`^(sent|returned|confirmed|nacked|received): (\S+) msg/s$`)
	reLatency  = regexp.MustCompile(`^(?:min/median/75th/95th/99th/max )?(consumer|confirm) latency:? (?:min/median/75th/95th/99th/max )?(\d+)/(\d+)/(\d+)/(\d+)/(\d+)/(\d+) (\S+)$`)
	reAvg      = regexp.MustCompile(`^(sending|receiving) rate avg: (\S+) msg/s$`)
	reCompact  = regexp.MustCompile(`^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\s+(.*)$`)
	reCompRate = regexp.MustCompile(`(\S+) msg/s`)
)

func rate(s string) (float64, error) {
	if strings.Contains(s, ",") {
		return 0, fmt.Errorf("rate %s has a decimal comma: the JVM's locale is not English (-Duser.language=en)", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("rate %s is not a number", input.Excerpt([]byte(s)))
	}
	return v, nil
}

// unitMs is the factor to ms of PerfTest's latency unit: µs by default
// (printed "µs", or "?s" without a UTF-8 locale), ms with -ms.
func unitMs(u string) (float64, error) {
	switch u {
	case "µs", "?s", "us", "\ufffds", "Âµs":
		return 0.001, nil
	case "ms":
		return 1, nil
	}
	return 0, fmt.Errorf("latency unit %s: want µs or ms", input.Excerpt([]byte(u)))
}

func latency(m []string) (lat6, error) {
	f, err := unitMs(m[6])
	if err != nil {
		return lat6{}, err
	}
	var v [6]float64
	for i := range v {
		n, err := strconv.ParseInt(m[i], 10, 64)
		if err != nil || n < 0 {
			return lat6{}, fmt.Errorf("latency %s is not a count", input.Excerpt([]byte(m[i])))
		}
		v[i] = float64(n) * f
	}
	return lat6{v[0], v[1], v[2], v[3], v[4], v[5]}, nil
}

// ParseFiles parses the outputs of one run's PerfTest processes and merges
// them.
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

// Parse parses one output; name labels errors.
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
	if format == FormatAuto {
		head, err := rd.Peek(64 << 10)
		if err != nil {
			return nil, fmt.Errorf("%s: read: %w", name, err)
		}
		if i := bytes.IndexByte(head, 0); i >= 0 {
			return nil, fmt.Errorf("%s: binary data (a NUL byte at byte offset %d): not a PerfTest output", name, i)
		}
		body := bytes.TrimLeft(input.StripTimestamp(head), " \t\r\n")
		switch {
		case len(head) == 0:
			return nil, fmt.Errorf("%s: empty file", name)
		case len(body) == 0:
			return nil, fmt.Errorf("%s: only blanks: empty output", name)
		case bytes.HasPrefix(body, []byte("id,time (s),")):
			format = FormatCSV
		default:
			format = FormatOutput
		}
	}
	f := &file{name: name, format: format, producers: map[string]bool{}, consumers: map[string]bool{}}
	if format == FormatCSV {
		err = f.parseCSV(rd)
	} else {
		err = f.parseOutput(rd)
	}
	if err != nil {
		return nil, err
	}
	if f.src, err = rd.Finish(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *file) toolError(s string) {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	if len(f.toolErrors) < 20 {
		f.toolErrors = append(f.toolErrors, s)
	}
}

func (f *file) parseOutput(rd *input.Reader) error {
	lines := 0
	var firstRow, lastRow time.Time
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
		if m := reID.FindStringSubmatch(line); m != nil {
			line = m[1]
		}
		switch {
		case strings.HasPrefix(line, "test stopped"):
			f.stopped = true
			if strings.Contains(line, "Error") || strings.Contains(line, "interrupted") {
				f.toolError(line)
			} else {
				f.notes = append(f.notes, "PerfTest: "+line)
			}
			continue
		case strings.HasPrefix(line, "Main thread caught exception"), strings.HasPrefix(line, "Parsing failed"):
			f.toolError(line)
			continue
		case strings.HasPrefix(line, "time ") && strings.Contains(line, "msg/s"):
			iv, err := f.intervalLine(line)
			if err != nil {
				return rd.Errorf("%v", err)
			}
			f.intervals = append(f.intervals, iv)
			continue
		}
		if m := reStarting.FindStringSubmatch(line); m != nil {
			if m[1] == "producer" {
				f.producers[m[2]] = true
			} else {
				f.consumers[m[2]] = true
			}
			continue
		}
		if strings.HasPrefix(line, "starting ") {
			continue // "..., channel #0"
		}
		if m := reAvg.FindStringSubmatch(line); m != nil {
			v, err := rate(m[2])
			if err != nil {
				return rd.Errorf("%v", err)
			}
			if m[1] == "sending" {
				f.sendAvg = &v
			} else {
				f.rcvAvg = &v
			}
			continue
		}
		if m := reLatency.FindStringSubmatch(line); m != nil {
			l, err := latency(m[2:])
			if err != nil {
				return rd.Errorf("%v", err)
			}
			if m[1] == "consumer" {
				f.consumer = &l
			} else {
				f.confirm = &l
			}
			continue
		}
		if m := reCompact.FindStringSubmatch(line); m != nil {
			t, err := time.Parse("2006/01/02 15:04:05", m[1])
			if err != nil {
				return rd.Errorf("row time %s: %v", m[1], err)
			}
			if err := input.CheckTime(t); err != nil {
				return rd.Errorf("%v", err)
			}
			if firstRow.IsZero() {
				firstRow = t
			}
			if t.Before(lastRow) {
				return rd.Errorf("row at %s after one at %s", m[1], lastRow.Format("2006/01/02 15:04:05"))
			}
			lastRow = t
			// Compact rows: rates (columns of the header) then latencies;
			// the header order is sent, returned, confirmed, nacked,
			// received for the enabled ones: rows are read into intervals
			// by the header kept in f.compactCols.
			iv := interval{t: t.Sub(firstRow).Seconds()} // shifted by one interval below
			rates := reCompRate.FindAllStringSubmatch(m[2], -1)
			if len(rates) != len(f.compactCols) {
				return rd.Errorf("%d rates in a compact row, the header has %d columns", len(rates), len(f.compactCols))
			}
			for i, c := range f.compactCols {
				v, err := rate(rates[i][1])
				if err != nil {
					return rd.Errorf("%v", err)
				}
				iv.set(c, v)
			}
			f.intervals = append(f.intervals, iv)
			continue
		}
		if strings.HasPrefix(line, "time") {
			f.compactCols = strings.Fields(strings.TrimSpace(strings.TrimPrefix(line, "time")))
			f.compactCols = slices.DeleteFunc(f.compactCols, func(c string) bool { return c == "consumer" || c == "confirm" || c == "latency" })
			continue
		}
	}
	if lines == 0 {
		return fmt.Errorf("%s: empty output", rd.Name())
	}
	if !firstRow.IsZero() {
		// A compact row is printed at the end of its interval (-i, 1 s by
		// default): the smallest gap between rows is the interval.
		step := math.Inf(1)
		for i := 1; i < len(f.intervals); i++ {
			if d := f.intervals[i].t - f.intervals[i-1].t; d > 0 {
				step = math.Min(step, d)
			}
		}
		if math.IsInf(step, 1) {
			step = 1
		}
		for i := range f.intervals {
			f.intervals[i].t += step
		}
		f.notes = append(f.notes, fmt.Sprintf("compact rows are %g s apart: duration_s counts the first interval from %g s before the first row", step, step))
	}
	if len(f.intervals) == 0 && f.sendAvg == nil && len(f.toolErrors) == 0 {
		return fmt.Errorf("%s: no PerfTest interval or summary line (\"sending rate avg: ...\") in %d line(s)", rd.Name(), lines)
	}
	return nil
}

func (iv *interval) set(col string, v float64) {
	switch col {
	case "sent", "published":
		iv.sent, iv.hasSent = v, true
	case "returned":
		iv.returned, iv.hasRet = v, true
	case "confirmed":
		iv.confirmed, iv.hasConf = v, true
	case "nacked":
		iv.nacked = v
	case "received":
		iv.rcv, iv.hasRcv = v, true
	}
}

// intervalLine reads "time 1.000 s, sent: 20413 msg/s, ..., min/median/...".
func (f *file) intervalLine(line string) (interval, error) {
	var iv interval
	parts := strings.Split(line, ", ")
	m := reTime.FindStringSubmatch(parts[0])
	if m == nil {
		return iv, fmt.Errorf("interval %s: want \"time N.NNN s, ...\"", input.Excerpt([]byte(line)))
	}
	iv.t, _ = strconv.ParseFloat(m[1], 64)
	for _, p := range parts[1:] {
		if rm := reRate.FindStringSubmatch(p); rm != nil {
			v, err := rate(rm[2])
			if err != nil {
				return iv, err
			}
			iv.set(rm[1], v)
			continue
		}
		if lm := reLatency.FindStringSubmatch(p); lm != nil {
			// Per-interval latencies: checked, not kept (the summary has
			// the run's).
			if _, err := latency(lm[2:]); err != nil {
				return iv, err
			}
			continue
		}
		return iv, fmt.Errorf("interval field %s: not PerfTest's", input.Excerpt([]byte(p)))
	}
	return iv, nil
}

var csvHeader = []string{"id", "time (s)", "published (msg/s)", "returned (msg/s)", "confirmed (msg/s)", "nacked (msg/s)", "received (msg/s)",
	"min consumer latency (µs)", "median consumer latency (µs)", "75th p. consumer latency (µs)", "95th p. consumer latency (µs)", "99th p. consumer latency (µs)",
	"min confirm latency (µs)", "median confirm latency (µs)", "75th p. confirm latency (µs)", "95th p. confirm latency (µs)", "99th p. confirm latency (µs)"}

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
		rec, err := csv.NewReader(bytes.NewReader(b)).Read()
		if err != nil {
			return rd.Errorf("CSV: %v", err)
		}
		if !header {
			want := csvHeader
			if strings.Contains(string(b), "(ms)") {
				want = slices.Clone(csvHeader)
				for i := range want {
					want[i] = strings.Replace(want[i], "(µs)", "(ms)", 1)
				}
			}
			if !slices.Equal(rec, want) {
				return rd.Errorf("CSV header %s: not PerfTest's", input.Excerpt(b))
			}
			header = true
			continue
		}
		if len(rec) != len(csvHeader) {
			return rd.Errorf("%d CSV fields, want %d", len(rec), len(csvHeader))
		}
		t, err := strconv.ParseFloat(rec[1], 64)
		if err != nil || t < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
			return rd.Errorf("time %s is not seconds", input.Excerpt([]byte(rec[1])))
		}
		iv := interval{t: t}
		for i, col := range []string{"sent", "returned", "confirmed", "nacked", "received"} {
			if rec[2+i] == "" {
				continue
			}
			v, err := rate(rec[2+i])
			if err != nil {
				return rd.Errorf("%v", err)
			}
			iv.set(col, v)
		}
		f.intervals = append(f.intervals, iv)
	}
	if !header {
		return fmt.Errorf("%s: empty CSV", rd.Name())
	}
	return nil
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

// sums integrate the interval rates over the interval lengths.
type sums struct {
	sent, returned, confirmed, nacked, rcv float64
	hasSent, hasRet, hasConf, hasRcv       bool
	duration                               float64
}

func (f *file) sums() (sums, error) {
	var s sums
	prev := 0.0
	for i, iv := range f.intervals {
		if iv.t < prev {
			return s, fmt.Errorf("%s: interval %d at %v s after one at %v s", f.name, i+1, iv.t, prev)
		}
		dt := iv.t - prev
		prev = iv.t
		s.sent += iv.sent * dt
		s.returned += iv.returned * dt
		s.confirmed += iv.confirmed * dt
		s.nacked += iv.nacked * dt
		s.rcv += iv.rcv * dt
		s.hasSent = s.hasSent || iv.hasSent
		s.hasRet = s.hasRet || iv.hasRet
		s.hasConf = s.hasConf || iv.hasConf
		s.hasRcv = s.hasRcv || iv.hasRcv
	}
	s.duration = prev
	return s, nil
}

func (l *lat6) latency(per string) results.Latency {
	return results.Latency{Source: results.LatencyToolPercentiles, Per: per, Min: f64(l.min), Med: f64(l.med), P95: f64(l.p95), P99: f64(l.p99), Max: f64(l.max)}
}

func merge(files []*file) (*results.Result, error) {
	r := results.New(results.ToolPerfTest, results.UnitMessages)
	r.LoadGenerators = len(files)
	var srcs []input.Source
	var rs []results.Source
	var total, nacked, confirmed, returned, sent float64
	errorsKnown := true
	var clients int64
	clientsKnown := true
	var consumerLat, confirmLat []*lat6
	consumers := false
	for _, f := range files {
		srcs = append(srcs, f.src)
		n := f.src.Bytes
		rs = append(rs, results.Source{File: filepath.Base(f.name), Format: f.format, SHA256: f.src.SHA256, Bytes: &n})
		r.ToolErrors = append(r.ToolErrors, f.toolErrors...)
		r.Notes = append(r.Notes, f.notes...)
		s, err := f.sums()
		if err != nil {
			return nil, err
		}
		hasCons := s.hasRcv || len(f.consumers) > 0 || f.consumer != nil
		consumers = consumers || hasCons
		if len(f.producers)+len(f.consumers) > 0 {
			clients += int64(len(f.producers) + len(f.consumers))
		} else {
			clientsKnown = false
		}
		dur := s.duration
		var msgs float64
		switch {
		case f.format == FormatOutput && hasCons && f.rcvAvg != nil && dur > 0:
			msgs = *f.rcvAvg * dur
		case f.format == FormatOutput && !hasCons && f.sendAvg != nil && dur > 0:
			msgs = *f.sendAvg * dur
		case hasCons:
			msgs = s.rcv
		default:
			msgs = s.sent
		}
		if f.format == FormatOutput && f.sendAvg != nil && dur == 0 && len(f.toolErrors) == 0 {
			return nil, fmt.Errorf("%s: a summary without an interval line: the run's duration is unknown (the test ran less than an interval, -i)", f.name)
		}
		total += msgs
		sent += s.sent
		r.DurationS = math.Max(r.DurationS, dur)
		if s.hasConf {
			nacked += s.nacked
			confirmed += s.confirmed
		} else {
			errorsKnown = false
		}
		if s.hasRet {
			returned += s.returned
		}
		if f.consumer != nil {
			consumerLat = append(consumerLat, f.consumer)
		}
		if f.confirm != nil {
			confirmLat = append(confirmLat, f.confirm)
		}
	}
	if err := input.DistinctContent(srcs); err != nil {
		return nil, err
	}
	r.SetSources(rs)
	r.Operations.Count = int64(math.Round(total))
	if clientsKnown {
		r.Clients = &clients
	}
	if errorsKnown && confirmed+nacked > 0 {
		bad := int64(math.Round(nacked + returned))
		r.Errors.Count = &bad
		r.Errors.Rate = f64(math.Min(float64(bad)/math.Max(float64(r.Operations.Count), confirmed+nacked), 1))
		r.Notes = append(r.Notes, "errors are the nacked (and returned) messages, integrated from the interval rates: about, not exact")
	} else {
		r.Notes = append(r.Notes, "errors are unknown: run with -c (publisher confirms) for nacked counts")
	}
	what := "received"
	if !consumers {
		what = "sent"
	}
	r.Notes = append(r.Notes, "operations are the messages "+what+", estimated: PerfTest prints rates, not counts (the summary's average rate times the last interval's time, or the CSV intervals' rates times their lengths)")
	r.Notes = append(r.Notes, "latency: PerfTest's decaying sample (Dropwizard, not HDR); its 75th percentile is not kept")
	switch {
	case len(consumerLat) == 1:
		r.LatencyMs = consumerLat[0].latency("message (publish to consume)")
	case len(consumerLat) == 0 && len(confirmLat) == 1:
		r.LatencyMs = confirmLat[0].latency("publish to confirm")
	case len(consumerLat) > 1 || len(confirmLat) > 1:
		r.Notes = append(r.Notes, "several PerfTest processes: their latency samples cannot be combined")
	}
	if len(confirmLat) == 1 && len(consumerLat) == 1 {
		r.Breakdown = append(r.Breakdown, results.Part{Name: "confirm", Kind: "direction", LatencyMs: confirmLat[0].latency("publish to confirm")})
	}
	if consumers && sent > 0 {
		r.Breakdown = append(r.Breakdown, results.Part{Name: "sent", Kind: "direction", Operations: i64(int64(math.Round(sent))), LatencyMs: results.Latency{Source: results.LatencyNone}})
	}
	r.SetThroughput()
	r.Normalize()
	return r, nil
}
