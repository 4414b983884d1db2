// Package natsbench turns `nats bench` output (natscli v0.5.0; 0.4.0 differs
// only in leading blanks) into normalized results: the report on stdout
// (one line for one client; per client lines, the aggregated line, message
// rates and latencies for several) with the log lines natscli writes on
// stderr (the benchmark's parameters, each client's message count, errors),
// as a pod log or `2>&1` holds them; and the --csv file (one row per client).
//
// Counts and rates use thousands commas, throughput IEC units (MiB/sec),
// latencies µs with commas. What one latency sample times depends on the
// benchmark type (a publish call, a request/reply, a batch of publishes...):
// the result says it in latency_ms.per.
package natsbench

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
	FormatAuto   = "auto"
	FormatOutput = "output"
	FormatCSV    = "csv"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, FormatCSV, FormatOutput}

// Options control parsing.
type Options struct{ Format string }

// kind is what a benchmark type's latency samples time, and whether its
// clients send or receive the payload.
type kind struct {
	per      string // "" when the type records no latency
	receives bool
	requests bool // operations are requests, not messages
}

// types maps natscli's type labels (GetBenchTypeLabel) to their kind.
var types = map[string]kind{
	"Core NATS publisher":                   {per: "publish call"},
	"Core NATS subscriber":                  {receives: true},
	"Core NATS service requester":           {per: "request-reply", requests: true},
	"Core NATS service server":              {receives: true},
	"JetStream synchronous publisher":       {per: "publish and ack"},
	"JetStream asynchronous publisher":      {per: "batch of publishes"},
	"JetStream atomic batch publisher":      {per: "batch of publishes"},
	"JetStream fast batch publisher":        {per: "batch of publishes"},
	"JetStream batched publisher":           {per: "batch of publishes"}, // natscli 0.4.0
	"JetStream ordered ephemeral consumer":  {receives: true},
	"JetStream durable consumer (callback)": {receives: true},
	"JetStream durable consumer (fetch)":    {per: "fetch", receives: true},
	"JetStream synchronous getter":          {per: "get", receives: true},
	"JetStream batched direct getter":       {per: "batch get", receives: true},
	"JetStream KV putter":                   {per: "put"},
	"JetStream KV getter":                   {per: "get", receives: true},
}

// lat is one latency summary in µs.
type lat struct {
	min, avg, max, p50, p90, p99, p999 float64
	stddev                             *float64
}

type client struct {
	id   int
	msgs int64
	rate float64
	lat  *lat
}

type file struct {
	name   string
	format string
	src    input.Source
	label  string
	kind   kind
	// The report.
	sawReport bool
	rate      float64 // one client's, or the aggregated
	lat       *lat    // one client's, or the aggregated
	clients   []client
	// The stderr log.
	params   map[string]string
	expected map[int]int64 // per client, from "[n] Starting ..."
	// mayFallShort: the expected count is an attempt, not a promise.
	mayFallShort bool
	toolErrors   []string
	notes        []string
	// CSV rows.
	csvRows []csvRow
}

// ParseFiles parses the outputs of one run (one nats bench process per
// file) and merges them.
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
			return nil, fmt.Errorf("%s: binary data (a NUL byte at byte offset %d): not a nats bench output", name, i)
		}
		body := bytes.TrimLeft(input.StripTimestamp(head), " \t\r\n")
		switch {
		case len(head) == 0:
			return nil, fmt.Errorf("%s: empty file", name)
		case len(body) == 0:
			return nil, fmt.Errorf("%s: only blanks: empty output", name)
		case bytes.HasPrefix(body, []byte("#RunID,")):
			format = FormatCSV
		default:
			format = FormatOutput
		}
	}
	f := &file{name: name, format: format, params: map[string]string{}, expected: map[int]int64{}}
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

var (
	// stdout
	reOne     = regexp.MustCompile(`^NATS (.+?) stats: (.+)$`)
	reAgg     = regexp.MustCompile(`^NATS (.+?) aggregated stats: ([\d,]+) msgs/sec ~ ([\d.,]+ ?[KMGTPE]?i?B)/sec$`)
	reClient  = regexp.MustCompile(`^\[(\d+)\] (.+) \(([\d,]+) msgs\)$`)
	reSample  = regexp.MustCompile(`^([\d,]+) msgs/sec ~ ([\d.,]+ ?[KMGTPE]?i?B)/sec(?: ~ min: ([\d.,]+)us ~ avg: ([\d.,]+)us ~ max: ([\d.,]+)us ~ P50: ([\d.,]+)us ~ P90: ([\d.,]+)us ~ P99: ([\d.,]+)us ~ P99\.9: ([\d.,]+)us)?$`)
	reRates   = regexp.MustCompile(`^message rates min [\d,]+ \| avg [\d,]+ \| max [\d,]+ \| stddev [\d,]+ msgs$`)
	reLatLine = regexp.MustCompile(`^latencies per operation min ([\d.,]+)us \| avg ([\d.,]+)us \| max ([\d.,]+)us \| stddev ([\d.,]+)us \| P50 ([\d.,]+)us \| P90 ([\d.,]+)us \| P99 ([\d.,]+)us \| P99\.9: ([\d.,]+)us$`)
	// stderr (after the HH:MM:SS stamp)
	reStamp    = regexp.MustCompile(`^\d\d:\d\d:\d\d (.*)$`)
	reStarting = regexp.MustCompile(`^Starting (.+) benchmark \[(.*)\]$`)
	reParam    = regexp.MustCompile(`(?:^|, )([a-z][a-z-]*)=`)
	reCSVID    = regexp.MustCompile(`^[PS]\d+$`)
	reClientGo = regexp.MustCompile(`^\[(\d+)\] Starting (.+), (publishing|expecting|requesting|trying to get) ([\d,]+) messages$`)
)

// number parses natscli's humanized figures: thousands commas.
func number(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0
}

func count(s string) (int64, bool) {
	v, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	return v, err == nil && v >= 0
}

// iecBytes parses humanize.IBytes output ("128 B", "1.5 KiB"); exact says
// whether the printed figure is the byte count itself (below 1 KiB).
func iecBytes(s string) (v float64, exact bool, ok bool) {
	s = strings.TrimSpace(s)
	units := []struct {
		u string
		m float64
	}{{"EiB", 1 << 60}, {"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.u) {
			n, ok := number(strings.TrimSpace(strings.TrimSuffix(s, u.u)))
			if !ok {
				return 0, false, false
			}
			return n * u.m, u.u == "B", true
		}
	}
	return 0, false, false
}

func (f *file) parseOutput(rd *input.Reader) error {
	lines := 0
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
		if m := reStamp.FindStringSubmatch(line); m != nil {
			if err := f.logLine(rd, m[1]); err != nil {
				return err
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "nats: error:"), strings.HasPrefix(line, "WARNING:"):
			f.toolError(line)
			continue
		case strings.HasPrefix(line, "Saved metric data in csv file"), reRates.MatchString(line):
			continue
		}
		if m := reAgg.FindStringSubmatch(line); m != nil {
			rate, ok := number(m[2])
			if !ok {
				return rd.Errorf("aggregated rate %s is not a number", input.Excerpt([]byte(m[2])))
			}
			if err := f.setLabel(rd, m[1]); err != nil {
				return err
			}
			f.rate, f.sawReport = rate, true
			continue
		}
		if m := reLatLine.FindStringSubmatch(line); m != nil {
			l, err := latency(rd, m[1:])
			if err != nil {
				return err
			}
			f.lat = l
			continue
		}
		if m := reClient.FindStringSubmatch(line); m != nil {
			id, _ := strconv.Atoi(m[1])
			msgs, ok := count(m[3])
			if !ok {
				return rd.Errorf("client [%d] message count %s is not a count", id, input.Excerpt([]byte(m[3])))
			}
			rate, l, err := sample(rd, m[2])
			if err != nil {
				return err
			}
			f.clients = append(f.clients, client{id: id, msgs: msgs, rate: rate, lat: l})
			continue
		}
		if m := reOne.FindStringSubmatch(line); m != nil {
			if err := f.setLabel(rd, m[1]); err != nil {
				return err
			}
			rate, l, err := sample(rd, m[2])
			if err != nil {
				return err
			}
			f.rate, f.lat, f.sawReport = rate, l, true
			continue
		}
	}
	if lines == 0 {
		return fmt.Errorf("%s: empty output", rd.Name())
	}
	if !f.sawReport && f.label == "" && len(f.toolErrors) == 0 {
		return fmt.Errorf("%s: no nats bench report (\"NATS ... stats:\") or log line in %d line(s)", rd.Name(), lines)
	}
	return nil
}

func (f *file) toolError(line string) {
	if len(line) > 300 {
		line = line[:300] + "..."
	}
	if len(f.toolErrors) < 20 {
		f.toolErrors = append(f.toolErrors, line)
	}
}

func (f *file) setLabel(rd *input.Reader, label string) error {
	k, ok := types[label]
	if !ok {
		return rd.Errorf("unknown benchmark type %s (natscli v0.5.0 prints: Core NATS publisher, JetStream KV getter, ...)", input.Excerpt([]byte(label)))
	}
	if f.label != "" && f.label != label {
		return rd.Errorf("benchmark type %q, but the file began with %q: one file is one benchmark", label, f.label)
	}
	f.label, f.kind = label, k
	return nil
}

// logLine reads one stamped stderr line.
func (f *file) logLine(rd *input.Reader, line string) error {
	if m := reStarting.FindStringSubmatch(line); m != nil {
		if err := f.setLabel(rd, m[1]); err != nil {
			return err
		}
		// "clients=4, msg-size=128 B, msgs=200,000, ...": values may hold
		// commas (thousands), so split on ", " followed by a key.
		params := m[2]
		idx := reParam.FindAllStringSubmatchIndex(params, -1)
		for i, loc := range idx {
			key := params[loc[2]:loc[3]]
			end := len(params)
			if i+1 < len(idx) {
				end = idx[i+1][0]
			}
			f.params[key] = params[loc[1]:end]
		}
		return nil
	}
	if m := reClientGo.FindStringSubmatch(line); m != nil {
		id, _ := strconv.Atoi(m[1])
		n, ok := count(m[4])
		if !ok {
			return rd.Errorf("client [%d]: message count %s is not a count", id, input.Excerpt([]byte(m[4])))
		}
		f.expected[id] = n
		if m[3] == "trying to get" {
			f.mayFallShort = true // a KV get of a missing key gets nothing
		}
		return nil
	}
	switch {
	case strings.HasPrefix(line, "Error from client"), strings.HasPrefix(line, "WARNING:"):
		f.toolError(line)
	case strings.HasPrefix(line, "Using stream:"), strings.HasPrefix(line, "Purging"), strings.HasPrefix(line, "Using"):
		f.notes = append(f.notes, "nats bench: "+line)
	}
	return nil
}

// sample reads "<rate> msgs/sec ~ <bytes>/sec[ ~ min: ... ~ P99.9: ...]".
func sample(rd *input.Reader, s string) (float64, *lat, error) {
	m := reSample.FindStringSubmatch(s)
	if m == nil {
		return 0, nil, rd.Errorf("stats %s: want <rate> msgs/sec ~ <size>/sec[ ~ min: ...us ...]", input.Excerpt([]byte(s)))
	}
	rate, ok := number(m[1])
	if !ok {
		return 0, nil, rd.Errorf("rate %s is not a number", input.Excerpt([]byte(m[1])))
	}
	if m[3] == "" {
		return rate, nil, nil
	}
	// min avg max p50 p90 p99 p99.9
	v := make([]float64, 7)
	for i := range v {
		if v[i], ok = number(m[3+i]); !ok {
			return 0, nil, rd.Errorf("latency %s is not a number", input.Excerpt([]byte(m[3+i])))
		}
	}
	return rate, &lat{min: v[0], avg: v[1], max: v[2], p50: v[3], p90: v[4], p99: v[5], p999: v[6]}, nil
}

// latency reads the aggregated line: min avg max stddev p50 p90 p99 p99.9.
func latency(rd *input.Reader, fs []string) (*lat, error) {
	v := make([]float64, 8)
	for i := range v {
		var ok bool
		if v[i], ok = number(fs[i]); !ok {
			return nil, rd.Errorf("latency %s is not a number", input.Excerpt([]byte(fs[i])))
		}
	}
	sd := v[3]
	return &lat{min: v[0], avg: v[1], max: v[2], stddev: &sd, p50: v[4], p90: v[5], p99: v[6], p999: v[7]}, nil
}

// csvRow is one client of the --csv file.
type csvRow struct {
	id       string
	msgs     int64
	msgBytes int64
	seconds  float64
	rate     float64
	lat      *lat
}

var csvHeader = []string{"#RunID", "ClientID", "MsgCount", "MsgBytes", "MsgsPerSec", "BytesPerSec", "DurationSecs"}
var csvLatHeader = []string{"MinLatencyMicroSecs", "AvgLatencyMicroSecs", "MaxLatencyMicroSecs", "P50LatencyMicroSecs", "P90LatencyMicroSecs", "P99LatencyMicroSecs", "P99.9LatencyMicroSecs", "StdDevLatencyMicroSecs"}

func (f *file) parseCSV(rd *input.Reader) error {
	var header []string
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
		if header == nil {
			if !slices.Equal(rec, csvHeader) && !slices.Equal(rec, append(slices.Clone(csvHeader), csvLatHeader...)) {
				return rd.Errorf("CSV header %s: not nats bench's (%s[,%s])", input.Excerpt(b), strings.Join(csvHeader, ","), strings.Join(csvLatHeader, ","))
			}
			header = rec
			continue
		}
		if len(rec) != len(header) {
			return rd.Errorf("%d CSV fields, the header has %d", len(rec), len(header))
		}
		row, err := f.csvRow(rd, rec)
		if err != nil {
			return err
		}
		f.csvRows = append(f.csvRows, row)
	}
	if header == nil {
		return fmt.Errorf("%s: empty CSV", rd.Name())
	}
	return nil
}

func (f *file) csvRow(rd *input.Reader, rec []string) (csvRow, error) {
	row := csvRow{id: rec[1]}
	if !reCSVID.MatchString(row.id) {
		return row, rd.Errorf("ClientID %s: want P<n> or S<n>", input.Excerpt([]byte(row.id)))
	}
	var v [5]float64
	for i, x := range rec[2:7] {
		var ok bool
		if v[i], ok = number(x); !ok || strings.Contains(x, ",") {
			return row, rd.Errorf("%s %s is not a number", csvHeader[2+i], input.Excerpt([]byte(x)))
		}
	}
	row.msgBytes, row.rate, row.seconds = int64(v[1]), v[2], v[4]
	if v[1] != math.Trunc(v[1]) || v[1] > 1<<62 {
		return row, rd.Errorf("MsgBytes %s is not a byte count", rec[3])
	}
	if row.seconds <= 0 {
		return row, rd.Errorf("DurationSecs %s: the client ran for no time", rec[6])
	}
	// MsgCount is the connection's in+out messages (acks and API calls
	// included): the client's messages are MsgsPerSec (their count over the
	// duration, truncated) times the duration, which MsgBytes (size times
	// messages) pins down to one integer.
	n, err := messages(row.msgBytes, v[2], v[3], row.seconds)
	if err != nil {
		return row, rd.Errorf("client %s: %v", row.id, err)
	}
	row.msgs = n
	if len(rec) > 7 {
		var l [8]float64
		for i, x := range rec[7:15] {
			var ok bool
			if l[i], ok = number(x); !ok || strings.Contains(x, ",") {
				return row, rd.Errorf("%s %s is not a number", csvLatHeader[i], input.Excerpt([]byte(x)))
			}
		}
		sd := l[7]
		row.lat = &lat{min: l[0], avg: l[1], max: l[2], p50: l[3], p90: l[4], p99: l[5], p999: l[6], stddev: &sd}
	}
	if row.id[0] == 'S' {
		f.kind.receives = true
	}
	return row, nil
}

// messages recovers a client's message count from its CSV row: MsgsPerSec
// is int(msgs / duration), MsgBytes = size x msgs.
func messages(msgBytes int64, mps, bps, secs float64) (int64, error) {
	// DurationSecs has 6 decimals: allow a message either side.
	lo := int64(math.Floor(mps*secs)) - 1
	hi := int64(math.Ceil((mps+1)*secs)) + 1
	if lo < 0 || hi-lo > 1<<20 {
		return 0, fmt.Errorf("MsgsPerSec %v over %v s gives no message count", mps, secs)
	}
	if msgBytes == 0 {
		if mps*secs < 0.5 && hi <= 1 {
			return 0, nil
		}
		return 0, fmt.Errorf("MsgBytes is 0 (zero-size messages): the count cannot be recovered from the CSV; parse the report instead")
	}
	want := bps / mps // about the message size
	best, bestDiff := int64(-1), math.Inf(1)
	for n := max(lo, 1); n <= hi; n++ {
		if msgBytes%n != 0 {
			continue
		}
		if d := math.Abs(float64(msgBytes/n) - want); d < bestDiff {
			best, bestDiff = n, d
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("no message count in [%d, %d] fits MsgBytes %d and MsgsPerSec %v", lo, hi, msgBytes, mps)
	}
	return best, nil
}

func f64(v float64) *float64 { return &v }

func (l *lat) ms(per string, percentiles bool) results.Latency {
	c := func(us float64) *float64 { return f64(us / 1000) }
	out := results.Latency{Source: results.LatencyToolPercentiles, Per: per, Min: c(l.min), Avg: c(l.avg), Max: c(l.max)}
	if percentiles {
		out.Med, out.P90, out.P99, out.P999 = c(l.p50), c(l.p90), c(l.p99), c(l.p999)
	} else {
		out.Source = results.LatencyToolSummary
	}
	if l.stddev != nil {
		out.Stddev = c(*l.stddev)
	}
	return out
}

func merge(files []*file) (*results.Result, error) {
	r := results.New(results.ToolNatsBench, results.UnitMessages)
	r.LoadGenerators = len(files)
	var srcs []input.Source
	var rsrc []results.Source
	label := ""
	var total, target int64
	haveTarget := true
	var clients int64
	var bytesMoved int64
	bytesKnown := true
	var lats []*lat
	var weights []float64
	receives := false
	for _, f := range files {
		receives = receives || f.kind.receives
		srcs = append(srcs, f.src)
		n := f.src.Bytes
		rsrc = append(rsrc, results.Source{File: filepath.Base(f.name), Format: f.format, SHA256: f.src.SHA256, Bytes: &n})
		r.ToolErrors = append(r.ToolErrors, f.toolErrors...)
		r.Notes = append(r.Notes, f.notes...)
		if f.label != "" {
			if label != "" && label != f.label {
				return nil, fmt.Errorf("%s is a %s benchmark, another file a %s one: the files of one run must be one benchmark", f.name, f.label, label)
			}
			label = f.label
			r.Operations.Unit = unitOf(f.kind)
		}
		msgs, secs, err := f.totals()
		if err != nil {
			return nil, err
		}
		total += msgs
		r.DurationS = max(r.DurationS, secs)
		if f.format == FormatOutput && len(f.expected) > 0 && !f.mayFallShort {
			for _, n := range f.expected {
				target += n
			}
		} else {
			haveTarget = false
		}
		nc := int64(max(len(f.clients), len(f.csvRows), len(f.expected)))
		if nc == 0 && f.sawReport {
			nc = 1
		}
		clients += nc
		b, ok := f.bytes(msgs)
		bytesMoved += b
		bytesKnown = bytesKnown && ok
		l, w := f.latency()
		lats = append(lats, l...)
		weights = append(weights, w...)
	}
	if err := input.DistinctContent(srcs); err != nil {
		return nil, err
	}
	r.SetSources(rsrc)
	r.Operations.Count = total
	if haveTarget && target > 0 {
		r.Operations.Target = &target
	}
	if clients > 0 {
		r.Clients = &clients
	}
	if label != "" {
		r.Notes = append(r.Notes, "benchmark: "+label)
	}
	k := types[label]
	if bytesKnown && total > 0 {
		if receives {
			r.Bytes.In = &bytesMoved
		} else {
			r.Bytes.Out = &bytesMoved
		}
	}
	r.LatencyMs = mergeLat(lats, weights, k.per)
	r.Notes = append(r.Notes, "nats bench counts no failed messages: errors are unknown; errors it prints refuse the run")
	r.SetThroughput()
	r.Normalize()
	return r, nil
}

func unitOf(k kind) string {
	if k.requests {
		return results.UnitRequests
	}
	return results.UnitMessages
}

// totals are a file's messages and duration.
func (f *file) totals() (int64, float64, error) {
	switch {
	case f.format == FormatCSV:
		var msgs int64
		var secs float64
		for _, row := range f.csvRows {
			msgs += row.msgs
			secs = max(secs, row.seconds)
		}
		if len(f.csvRows) > 1 {
			f.notes = append(f.notes, "duration_s is the slowest client's (the CSV has no start times: nats bench's aggregated rate spans the earliest start to the latest end)")
		}
		return msgs, secs, nil
	case !f.sawReport && len(f.clients) > 0:
		return 0, 0, fmt.Errorf("%s: several clients but no aggregated rate (\"NATS ... aggregated stats:\"): the report is cut short", f.name)
	case !f.sawReport:
		return 0, 0, nil
	case len(f.clients) > 0:
		var msgs int64
		for _, c := range f.clients {
			msgs += c.msgs
		}
		if f.rate <= 0 {
			return 0, 0, fmt.Errorf("%s: several clients but no aggregated rate (\"NATS ... aggregated stats:\")", f.name)
		}
		f.notes = append(f.notes, "duration_s is the messages over nats bench's aggregated rate (earliest start to latest end)")
		return msgs, float64(msgs) / f.rate, nil
	default:
		// One client: the report has its rate only; the count is in the
		// log's "[1] Starting ..., publishing N messages" (stderr).
		var msgs int64
		for _, n := range f.expected {
			msgs += n
		}
		if msgs == 0 {
			if m, ok := count(f.params["msgs"]); ok && m > 0 {
				msgs = m
			}
		}
		if msgs == 0 {
			return 0, 0, fmt.Errorf("%s: nats bench's one-client report prints no message count: give its stderr too (2>&1, as a pod log holds it), or the --csv file", f.name)
		}
		if f.rate <= 0 {
			return 0, 0, fmt.Errorf("%s: a rate of %v msgs/sec", f.name, f.rate)
		}
		f.notes = append(f.notes, "one client: messages from its \"[1] Starting\" log line, duration_s is those messages over its rate")
		return msgs, float64(msgs) / f.rate, nil
	}
}

// bytes is the payload moved: messages times the message size when the
// size is printed exactly (below 1 KiB), or the CSV's MsgBytes.
func (f *file) bytes(msgs int64) (int64, bool) {
	if f.format == FormatCSV {
		var b int64
		for _, row := range f.csvRows {
			b += row.msgBytes
		}
		return b, true
	}
	size, exact, ok := iecBytes(f.params["msg-size"])
	if !ok || !exact {
		return 0, false
	}
	return int64(size) * msgs, true
}

// latency is the file's latency summaries and their weights (messages).
func (f *file) latency() ([]*lat, []float64) {
	switch {
	case f.format == FormatCSV:
		var ls []*lat
		var w []float64
		for _, row := range f.csvRows {
			if row.lat != nil {
				ls = append(ls, row.lat)
				w = append(w, float64(row.msgs))
			}
		}
		return ls, w
	case f.lat != nil:
		var msgs int64
		for _, c := range f.clients {
			msgs += c.msgs
		}
		return []*lat{f.lat}, []float64{float64(max(msgs, 1))}
	}
	return nil, nil
}

// mergeLat keeps one summary as printed; several (CSV clients, several
// processes) give the extremes and the average weighted by messages.
func mergeLat(ls []*lat, w []float64, per string) results.Latency {
	if per == "" {
		per = "operation"
	}
	switch len(ls) {
	case 0:
		return results.Latency{Source: results.LatencyNone}
	case 1:
		return ls[0].ms(per, true)
	}
	m := lat{min: math.Inf(1)}
	var sum, n float64
	for i, l := range ls {
		m.min = math.Min(m.min, l.min)
		m.max = math.Max(m.max, l.max)
		sum += l.avg * w[i]
		n += w[i]
	}
	if n > 0 {
		m.avg = sum / n
	}
	return m.ms(per, false)
}
