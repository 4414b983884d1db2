// Package kafkaperf turns the output of Apache Kafka's perf tools, as
// Kafka 4.1 and 4.2 print it, into normalized results:
// kafka-producer-perf-test (ProducerPerformance: its final "records sent"
// line, the steady-state line of 4.2's --warmup-records, and
// --print-metrics' table) and kafka-consumer-perf-test
// (ConsumerPerformance: its summary line). Neither can run on the lab's
// machine (no JVM or broker): the formats come from the tools' sources and
// are tested on output written in them (docs/results.md).
package kafkaperf

import (
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

// FormatOutput is the tools' stdout (with stderr, as a pod log holds it).
const (
	FormatAuto   = "auto"
	FormatOutput = "output"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, FormatOutput}

// Options control parsing.
type Options struct{ Format string }

// mib is the tools' MB: bytes / (1024 * 1024).
const mib = 1 << 20

type producer struct {
	records             int64
	rate, mbps          float64
	avg, max            float64
	p50, p95, p99, p999 float64
	steady              bool
	version             string
	recordErrors        *int64
	exceptions          int64
	notes, toolErrors   []string
}

type consumer struct {
	start, end        time.Time
	mb, mbps          float64
	msgs              int64
	rate              float64
	rebalanceMs       int64
	fetchMs           int64
	fetchRate         float64
	version           string
	notes, toolErrors []string
}

var (
	// "%d%s records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency,
	// %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th."
	reTotal  = regexp.MustCompile(`^(\d+)( steady state)? records sent, (\S+) records/sec \((\S+) MB/sec\), (\S+) ms avg latency, (\S+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$`)
	reWindow = regexp.MustCompile(`^\d+ records sent, \S+ records/sec \(\S+ MB/sec\), \S+ ms avg latency, \S+ ms max latency\.$`)
	reMetric = regexp.MustCompile(`^(\S+:\S+:\{.*\})\s+: (.*)$`)
	// An exception's first line ("org.apache.kafka...TimeoutException: ...").
	reException = regexp.MustCompile(`^[a-z][\w$]*(?:\.[\w$]+)+(?:Exception|Error)(?:: .*)?$`)
	reComma     = regexp.MustCompile(`^\d+,\d+$`)
)

func num(s string) (float64, error) {
	if reComma.MatchString(s) {
		return 0, fmt.Errorf("%s has a decimal comma: the JVM's locale is not English (set KAFKA_OPTS=-Duser.language=en)", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("%s is not a non-negative number", input.Excerpt([]byte(s)))
	}
	return v, nil
}

func open(name string, r io.Reader, format string) (*input.Reader, error) {
	if format == "" {
		format = FormatAuto
	}
	if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	return input.NewReader(name, r, input.Options{})
}

// metricLine reads one --print-metrics row: the version and the producer's
// failed records.
func metricLine(line string, version *string, recordErrors **int64) bool {
	m := reMetric.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	key, val := m[1], strings.TrimSpace(m[2])
	switch {
	case strings.HasPrefix(key, "app-info:version:"):
		*version = val
	case recordErrors != nil && strings.HasPrefix(key, "producer-metrics:record-error-total:"):
		if v, err := strconv.ParseFloat(val, 64); err == nil && v >= 0 && v == math.Trunc(v) && v < 1<<53 {
			n := int64(v)
			*recordErrors = &n
		}
	}
	return true
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func parseProducer(rd *input.Reader) (*producer, error) {
	p := &producer{}
	var whole, steady []string
	lines := 0
	for {
		b, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line := strings.TrimSpace(string(b))
		if line == "" {
			continue
		}
		lines++
		if m := reTotal.FindStringSubmatch(line); m != nil {
			if m[2] != "" {
				steady = m
			} else if whole == nil {
				whole = m
			} else {
				return nil, rd.Errorf("a second total line: one file is one producer run")
			}
			continue
		}
		switch {
		case reWindow.MatchString(line), line == "In steady state.", strings.HasPrefix(line, "Metric Name"),
			strings.HasPrefix(line, "at "), strings.HasPrefix(line, "..."), strings.HasPrefix(line, "Caused by:"):
			continue
		case strings.HasPrefix(line, "Option --") && strings.Contains(line, "deprecated"),
			strings.HasPrefix(line, "Warmup first"), strings.HasPrefix(line, "Reading payloads from"),
			strings.HasPrefix(line, "Number of messages read"), strings.HasPrefix(line, "Number of records read"):
			p.notes = append(p.notes, "kafka-producer-perf-test: "+short(line))
			continue
		case metricLine(line, &p.version, &p.recordErrors):
			continue
		case reException.MatchString(line):
			// A failed send prints its exception's stack trace (stderr).
			p.exceptions++
			if p.exceptions <= 3 {
				p.notes = append(p.notes, "failed send: "+short(line))
			}
			continue
		case strings.Contains(line, "records sent,"):
			return nil, rd.Errorf("records sent line %s: not Kafka 4.1/4.2's format", input.Excerpt(b))
		}
	}
	if lines == 0 {
		return nil, fmt.Errorf("%s: empty output", rd.Name())
	}
	m := whole
	if steady != nil {
		m = steady
		p.steady = true
		p.notes = append(p.notes, "figures are the steady-state line (--warmup-records): the warmup records are left out")
	}
	if m == nil {
		p.toolErrors = append(p.toolErrors, "no final \"records sent, ... 99.9th.\" line: the producer did not finish")
		return p, nil
	}
	var err error
	if p.records, err = strconv.ParseInt(m[1], 10, 64); err != nil {
		return nil, fmt.Errorf("%s: records %s: %v", rd.Name(), m[1], err)
	}
	fs := []*float64{&p.rate, &p.mbps, &p.avg, &p.max, &p.p50, &p.p95, &p.p99, &p.p999}
	for i, dst := range fs {
		if *dst, err = num(m[3+i]); err != nil {
			return nil, fmt.Errorf("%s: the total line: %v", rd.Name(), err)
		}
	}
	return p, nil
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

type pfile struct {
	name string
	src  input.Source
	p    *producer
}

// ParseProducer parses the outputs of one run's producers (one
// kafka-producer-perf-test process per file) and merges them.
func ParseProducer(paths []string, opt Options) (*results.Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	if err := input.Distinct(paths); err != nil {
		return nil, err
	}
	var fs []pfile
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		pf, err := producerFile(path, f, opt)
		f.Close()
		if err != nil {
			return nil, err
		}
		fs = append(fs, pf)
	}
	return mergeProducers(fs)
}

// ParseProducerOutput parses one producer's output; name labels errors.
func ParseProducerOutput(name string, r io.Reader, opt Options) (*results.Result, error) {
	pf, err := producerFile(name, r, opt)
	if err != nil {
		return nil, err
	}
	return mergeProducers([]pfile{pf})
}

func producerFile(name string, r io.Reader, opt Options) (pfile, error) {
	rd, err := open(name, r, opt.Format)
	if err != nil {
		return pfile{}, err
	}
	p, err := parseProducer(rd)
	if err != nil {
		return pfile{}, err
	}
	src, err := rd.Finish()
	return pfile{name: name, src: src, p: p}, err
}

func sources(names []string, srcs []input.Source) ([]results.Source, error) {
	if err := input.DistinctContent(srcs); err != nil {
		return nil, err
	}
	var rs []results.Source
	for i, s := range srcs {
		n := s.Bytes
		rs = append(rs, results.Source{File: filepath.Base(names[i]), Format: FormatOutput, SHA256: s.SHA256, Bytes: &n})
	}
	return rs, nil
}

func mergeProducers(fs []pfile) (*results.Result, error) {
	r := results.New(results.ToolKafkaProducer, results.UnitMessages)
	r.LoadGenerators = len(fs)
	var names []string
	var srcs []input.Source
	var sent, failed int64
	failedKnown := true
	var bytes float64
	var avgW float64
	var versions []string
	var one *producer
	for _, f := range fs {
		names = append(names, f.name)
		srcs = append(srcs, f.src)
		p := f.p
		r.ToolErrors = append(r.ToolErrors, p.toolErrors...)
		r.Notes = append(r.Notes, p.notes...)
		if p.version != "" && !slices.Contains(versions, p.version) {
			versions = append(versions, p.version)
		}
		switch {
		case p.recordErrors != nil:
			failed += *p.recordErrors
		case p.exceptions > 0:
			failed += p.exceptions
			r.Notes = append(r.Notes, "failed records counted from the exceptions printed (no --print-metrics record-error-total)")
		default:
			failedKnown = false
		}
		if p.records == 0 {
			continue
		}
		if p.rate <= 0 {
			return nil, fmt.Errorf("%s: %d records at %v records/sec", f.name, p.records, p.rate)
		}
		secs := float64(p.records) / p.rate
		r.DurationS = math.Max(r.DurationS, secs)
		sent += p.records
		bytes += p.mbps * mib * secs
		avgW += p.avg * float64(p.records)
		one = p
	}
	rs, err := sources(names, srcs)
	if err != nil {
		return nil, err
	}
	r.SetSources(rs)
	r.Operations.Count = sent + failed
	if failedKnown {
		r.Errors.Count = i64(failed)
		if r.Operations.Count > 0 {
			r.Errors.Rate = f64(float64(failed) / float64(r.Operations.Count))
		}
	} else {
		r.Notes = append(r.Notes, "errors are unknown: run with --print-metrics for producer-metrics:record-error-total")
	}
	r.Clients = i64(int64(len(fs)))
	if sent > 0 {
		r.Bytes.Out = i64(int64(math.Round(bytes)))
		r.Notes = append(r.Notes, "bytes.out is the MB/sec (2 decimals) times the duration: about, not exact")
	}
	if len(versions) > 0 {
		v := strings.Join(versions, ", ")
		r.Tool.Version = &v
	}
	const per = "record send to acknowledgement"
	switch {
	case len(fs) == 1 && one != nil:
		r.LatencyMs = results.Latency{Source: results.LatencyToolPercentiles, Per: per, Avg: f64(one.avg), Max: f64(one.max),
			Med: f64(one.p50), P95: f64(one.p95), P99: f64(one.p99), P999: f64(one.p999)}
		r.Notes = append(r.Notes, "latency: send to callback in whole milliseconds; percentiles of a sample of the records (every numRecords/500000th)")
	case sent > 0:
		mx := 0.0
		for _, f := range fs {
			mx = math.Max(mx, f.p.max)
		}
		r.LatencyMs = results.Latency{Source: results.LatencyToolSummary, Per: per, Avg: f64(avgW / float64(sent)), Max: f64(mx)}
		r.Notes = append(r.Notes, "several producers: latency average weighted by records and the largest max; their percentiles cannot be combined")
	}
	r.Notes = append(r.Notes, "duration_s is the records over the tool's records/sec (its run from start to producer close)")
	r.SetThroughput()
	r.Normalize()
	return r, nil
}

// The consumer's summary: "%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f".
var (
	reConsumer = regexp.MustCompile(`^(.+?), (.+?), (\S+), (\S+), (\d+), (\S+), (\d+), (\d+), (\S+), (\S+)$`)
	reDetailed = regexp.MustCompile(`^(.+?), (\d+), (\S+), (\S+), (\d+), (\S+), (\d+), (\d+), (\S+), (\S+)$`)
)

const consumerHeader = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec"

// parseDate reads ConsumerPerformance's default --date-format,
// yyyy-MM-dd HH:mm:ss:SSS (a colon before the milliseconds, no zone).
func parseDate(s string) (time.Time, error) {
	if len(s) != len("2006-01-02 15:04:05:000") || s[19] != ':' {
		return time.Time{}, fmt.Errorf("not yyyy-MM-dd HH:mm:ss:SSS")
	}
	return time.Parse("2006-01-02 15:04:05.000", s[:19]+"."+s[20:])
}

func parseConsumer(rd *input.Reader) (*consumer, error) {
	c := &consumer{}
	lines := 0
	detailed := false
	seen := false
	for {
		b, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line := strings.TrimSpace(string(b))
		if line == "" {
			continue
		}
		lines++
		switch {
		case strings.HasPrefix(line, consumerHeader):
			continue
		case strings.HasPrefix(line, "time, threadId, "):
			detailed = true
			continue
		case strings.HasPrefix(line, "WARNING: Exiting before consuming the expected number of"):
			c.toolErrors = append(c.toolErrors, short(line)+" (the rate includes the idle wait)")
			continue
		case strings.HasPrefix(line, "Warning:") && strings.Contains(line, "deprecated"), strings.HasPrefix(line, "Metric Name"):
			c.notes = append(c.notes, "kafka-consumer-perf-test: "+short(line))
			continue
		case metricLine(line, &c.version, nil):
			continue
		case reException.MatchString(line):
			c.toolErrors = append(c.toolErrors, short(line))
			continue
		}
		if m := reConsumer.FindStringSubmatch(line); m != nil {
			if seen {
				return nil, rd.Errorf("a second summary line: one file is one consumer run")
			}
			st, err1 := parseDate(m[1])
			en, err2 := parseDate(m[2])
			if err1 != nil || err2 != nil {
				if detailed && reDetailed.MatchString(line) {
					continue
				}
				return nil, rd.Errorf("start/end %s, %s: want the default --date-format yyyy-MM-dd HH:mm:ss:SSS", input.Excerpt([]byte(m[1])), input.Excerpt([]byte(m[2])))
			}
			for _, t := range []time.Time{st, en} {
				if err := input.CheckTime(t); err != nil {
					return nil, rd.Errorf("%v", err)
				}
			}
			if en.Before(st) {
				return nil, rd.Errorf("end.time %s is before start.time %s", m[2], m[1])
			}
			c.start, c.end = st, en
			var err error
			for i, dst := range []*float64{&c.mb, &c.mbps} {
				if *dst, err = num(m[3+i]); err != nil {
					return nil, rd.Errorf("%v", err)
				}
			}
			if c.msgs, err = strconv.ParseInt(m[5], 10, 64); err != nil {
				return nil, rd.Errorf("nMsg %s: %v", m[5], err)
			}
			if c.rate, err = num(m[6]); err != nil {
				return nil, rd.Errorf("%v", err)
			}
			if el := en.Sub(st).Seconds(); el > 0 && math.Abs(float64(c.msgs)/el-c.rate) > 1e-3*c.rate+1e-3 {
				return nil, rd.Errorf("nMsg.sec %v is not data.consumed.in.nMsg / (end.time - start.time) = %v: a corrupt line", c.rate, float64(c.msgs)/el)
			}
			c.rebalanceMs, _ = strconv.ParseInt(m[7], 10, 64)
			c.fetchMs, _ = strconv.ParseInt(m[8], 10, 64)
			if c.fetchRate, err = num(m[10]); err != nil {
				return nil, rd.Errorf("%v", err)
			}
			seen = true
			continue
		}
		if reComma.MatchString(strings.Split(line, ", ")[0]) {
			return nil, rd.Errorf("decimal commas: the JVM's locale is not English (set KAFKA_OPTS=-Duser.language=en)")
		}
	}
	if lines == 0 {
		return nil, fmt.Errorf("%s: empty output", rd.Name())
	}
	if detailed && !seen {
		return nil, fmt.Errorf("%s: --show-detailed-stats output: the consumer prints no summary then, and never its last interval; run without it", rd.Name())
	}
	if !seen {
		c.toolErrors = append(c.toolErrors, "no summary line (start.time, end.time, ...): the consumer did not finish")
	}
	return c, nil
}

type cfile struct {
	name string
	src  input.Source
	c    *consumer
}

// ParseConsumer parses the outputs of one run's consumers (one
// kafka-consumer-perf-test process per file) and merges them.
func ParseConsumer(paths []string, opt Options) (*results.Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	if err := input.Distinct(paths); err != nil {
		return nil, err
	}
	var fs []cfile
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		cf, err := consumerFile(path, f, opt)
		f.Close()
		if err != nil {
			return nil, err
		}
		fs = append(fs, cf)
	}
	return mergeConsumers(fs)
}

// ParseConsumerOutput parses one consumer's output; name labels errors.
func ParseConsumerOutput(name string, r io.Reader, opt Options) (*results.Result, error) {
	cf, err := consumerFile(name, r, opt)
	if err != nil {
		return nil, err
	}
	return mergeConsumers([]cfile{cf})
}

func consumerFile(name string, r io.Reader, opt Options) (cfile, error) {
	rd, err := open(name, r, opt.Format)
	if err != nil {
		return cfile{}, err
	}
	c, err := parseConsumer(rd)
	if err != nil {
		return cfile{}, err
	}
	src, err := rd.Finish()
	return cfile{name: name, src: src, c: c}, err
}

func mergeConsumers(fs []cfile) (*results.Result, error) {
	r := results.New(results.ToolKafkaConsumer, results.UnitMessages)
	r.LoadGenerators = len(fs)
	var names []string
	var srcs []input.Source
	var msgs int64
	var mb float64
	var versions []string
	for _, f := range fs {
		names = append(names, f.name)
		srcs = append(srcs, f.src)
		c := f.c
		r.ToolErrors = append(r.ToolErrors, c.toolErrors...)
		r.Notes = append(r.Notes, c.notes...)
		if c.version != "" && !slices.Contains(versions, c.version) {
			versions = append(versions, c.version)
		}
		if c.end.IsZero() {
			continue
		}
		msgs += c.msgs
		mb += c.mb
		r.DurationS = math.Max(r.DurationS, c.end.Sub(c.start).Seconds())
		r.Notes = append(r.Notes, fmt.Sprintf("rebalance %d ms, fetch %d ms (%s msgs/sec over the fetch time)", c.rebalanceMs, c.fetchMs, strconv.FormatFloat(c.fetchRate, 'f', -1, 64)))
	}
	rs, err := sources(names, srcs)
	if err != nil {
		return nil, err
	}
	r.SetSources(rs)
	r.Operations.Count = msgs
	r.Clients = i64(int64(len(fs)))
	if msgs > 0 {
		r.Bytes.In = i64(int64(math.Round(mb * mib)))
		r.Notes = append(r.Notes, "bytes.in is data.consumed.in.MB (4 decimals) x 2^20: within 52 bytes a consumer")
	}
	if len(versions) > 0 {
		v := strings.Join(versions, ", ")
		r.Tool.Version = &v
	}
	r.Notes = append(r.Notes,
		"duration_s is end.time - start.time (the rebalance included, as the tool's nMsg.sec); the times carry no zone, so started_at and ended_at are null",
		"kafka-consumer-perf-test reports no failed message and no latency")
	r.SetThroughput()
	r.Normalize()
	return r, nil
}
