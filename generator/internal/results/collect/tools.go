package collect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/markers"
	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse"
)

// The load tools other than k6 print their report between the results
// markers when they end (benchjobs' run.sh; docs/adr/0011-load-tools.md);
// what they log on stderr stays outside. The collector picks the parser by
// the pods' lab.illm.dev/tool label:
//
//	label            parser (results tool)          what is read
//	pgbench          pgbench, output                the summary
//	redis-benchmark  redis-benchmark, csv           the CSV; requests per test from the lab
//	nats-bench       nats-bench, output             publishers' report and log lines; subscribers' or consumers' as breakdown
//	kafka-perf       kafka-producer-perf-test       producer's lines (and the Job's stderr); each consumer's as breakdown
//	perftest         rabbitmq-perf-test, output     the console output
//	fio              fio, json                      the JSON report
var toolParsers = map[string]struct{ tool, format string }{
	labmodel.ToolPgbench:        {results.ToolPgbench, "output"},
	labmodel.ToolRedisBenchmark: {results.ToolRedisBenchmark, "csv"},
	labmodel.ToolNatsBench:      {results.ToolNatsBench, "output"},
	labmodel.ToolKafkaPerf:      {results.ToolKafkaProducer, "output"},
	labmodel.ToolPerfTest:       {results.ToolPerfTest, "output"},
	labmodel.ToolFio:            {results.ToolFio, "json"},
}

// ToolOf is the load tool the run's pods ran: their lab.illm.dev/tool
// label, on which they must agree (no label: k6).
func ToolOf(pods []corev1.Pod) (string, error) {
	tool := ""
	for i, p := range pods {
		v := p.Labels[labels.Tool]
		if i > 0 && v != tool {
			return "", fmt.Errorf("load pods disagree on %s: %s has %q, %s has %q", labels.Tool, pods[0].Name, tool, p.Name, v)
		}
		tool = v
	}
	if tool == "" {
		return labmodel.ToolK6, nil
	}
	if _, ok := toolParsers[tool]; !ok && tool != labmodel.ToolK6 {
		return "", fmt.Errorf("pod %s: label %s=%q names no load tool the collector reads (%s)", pods[0].Name, labels.Tool, tool, strings.Join(toolNames(), ", "))
	}
	return tool, nil
}

func toolNames() []string {
	n := []string{labmodel.ToolK6}
	for k := range toolParsers {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// parseRun parses the load pods' logs with the parser of their tool; it
// returns the tool (the label's) and, for k6, the version its log prints.
func parseRun(ctx context.Context, src LogSource, pods []corev1.Pod, e *labmodel.Experiment, variant string) (*results.Result, string, string, error) {
	tool, err := ToolOf(pods)
	if err != nil {
		return nil, "", "", err
	}
	if e.Benchmark != nil {
		if declared := e.Benchmark.LoadOf(variant).Tool; declared != tool {
			return nil, "", "", fmt.Errorf("refusing run: its pods ran %s (label %s), but experiment %s declares %s for variant %s: the run was made from another configuration",
				tool, labels.Tool, e.Name, declared, VariantLabel(variant))
		}
	}
	if tool == labmodel.ToolK6 {
		r, v, err := parseLogs(ctx, src, pods)
		return r, tool, v, err
	}
	r, err := parseToolLogs(ctx, src, pods, e, variant, tool)
	return r, tool, "", err
}

// podLog is one load pod's log cut in two: the report between the
// markers, and the lines outside them (the tool's stderr).
type podLog struct {
	pod             string
	report, outside []byte
}

func parseToolLogs(ctx context.Context, src LogSource, pods []corev1.Pod, e *labmodel.Experiment, variant, tool string) (*results.Result, error) {
	dir, err := os.MkdirTemp("", "lab-collect-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var logs []podLog
	for i := range pods {
		p := &pods[i]
		ctr, err := LoadContainer(p)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, p.Name+".log")
		if _, err := saveLog(ctx, src, p.Namespace, p.Name, ctr, path); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		l, err := cutLog(p.Name, data)
		if err != nil {
			return nil, err
		}
		logs = append(logs, l)
	}
	tp := toolParsers[tool]
	opt := parse.Options{Format: tp.format}
	var files []string
	write := func(name string, parts ...[]byte) error {
		path := filepath.Join(dir, name)
		files = append(files, path)
		return os.WriteFile(path, bytes.Join(parts, nil), 0o600)
	}
	var extra []part
	switch tool {
	case labmodel.ToolNatsBench:
		for _, l := range logs {
			secs := natsSections(l)
			if len(secs) == 0 {
				return nil, fmt.Errorf("refusing run: pod log %s.log: no nats bench report or log line", l.pod)
			}
			if err := write(l.pod+".log", secs[0].data); err != nil {
				return nil, err
			}
			for _, s := range secs[1:] {
				extra = append(extra, part{pod: l.pod, name: s.label, data: s.data})
			}
		}
	case labmodel.ToolKafkaPerf:
		for _, l := range logs {
			producer, consumers := kafkaSections(l)
			if err := write(l.pod+".log", producer); err != nil {
				return nil, err
			}
			for i, c := range consumers {
				extra = append(extra, part{pod: l.pod, name: "consumer " + strconv.Itoa(i+1), data: c, tool: results.ToolKafkaConsumer})
			}
		}
	case labmodel.ToolRedisBenchmark:
		// --csv prints no counts: the requests per test are the lab's.
		if e.Benchmark == nil || e.Benchmark.LoadOf(variant).RedisBenchmark == nil {
			return nil, fmt.Errorf("refusing run: experiment %s declares no redis-benchmark load for variant %s: its requests per test are unknown", e.Name, VariantLabel(variant))
		}
		rb := e.Benchmark.LoadOf(variant).RedisBenchmark
		if err := checkDeclaredOps(pods, int64(rb.Requests)*int64(len(rb.Tests))); err != nil {
			return nil, err
		}
		opt.Requests = int64(rb.Requests)
		fallthrough
	default:
		for _, l := range logs {
			if err := write(l.pod+".log", l.report); err != nil {
				return nil, err
			}
		}
	}
	r, err := parse.Files(tp.tool, files, opt)
	if err != nil {
		return nil, fmt.Errorf("refusing run: pod log %s", strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	for _, x := range extra {
		if err := addPart(r, x, tool, len(logs) > 1); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// checkDeclaredOps refuses a run whose pods declare another operation
// count than the lab's benchmark does now (the lab changed since).
func checkDeclaredOps(pods []corev1.Pod, lab int64) error {
	n, err := podAnnotationCount(pods, labels.ExpectedOperations)
	if err != nil || n == 0 || n == lab {
		return err
	}
	return fmt.Errorf("refusing run: pod %s declares %s %d, the lab's benchmark %d: the run was made from another configuration", pods[0].Name, labels.ExpectedOperations, n, lab)
}

func podAnnotationCount(pods []corev1.Pod, key string) (int64, error) {
	v, err := podAnnotation(pods, key)
	if err != nil || v == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("pod %s: annotation %s: %q is not a positive count", pods[0].Name, key, v)
	}
	return n, nil
}

// cutLog splits a pod log at the results markers (exactly one report).
func cutLog(pod string, data []byte) (podLog, error) {
	rep, err := markers.Extract(bytes.NewReader(data))
	if err != nil {
		return podLog{}, fmt.Errorf("refusing run: pod log %s.log: %w", pod, err)
	}
	l := podLog{pod: pod, report: rep}
	inside := false
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		switch {
		case isMarkerLine(line, markers.Begin):
			inside = true
		case isMarkerLine(line, markers.End):
			inside = false
		case !inside:
			l.outside = append(l.outside, line...)
			// A last line without its newline must not run into what
			// the sections put after it.
			if len(line) > 0 && line[len(line)-1] != '\n' {
				l.outside = append(l.outside, '\n')
			}
		}
	}
	return l, nil
}

func isMarkerLine(line []byte, m string) bool {
	line = bytes.TrimSpace(line)
	if string(line) == m {
		return true
	}
	i := bytes.LastIndexByte(line, ' ')
	return i >= 0 && string(line[i+1:]) == m
}

// section is one nats bench benchmark of a pod log: its log lines and
// its report.
type section struct {
	label string
	data  []byte
}

var (
	natsStats    = regexp.MustCompile(`^\s*NATS (.+?) (?:aggregated )?stats: `)
	natsClient   = regexp.MustCompile(`^\s*\[\d+\] `)
	natsStamp    = regexp.MustCompile(`^\d\d:\d\d:\d\d `)
	natsStarting = regexp.MustCompile(`^\d\d:\d\d:\d\d (?:\[\d+\] )?Starting (.+?)(?: benchmark \[|, (?:publishing|expecting|requesting|trying to get) [\d,]+ messages$)`)
)

// natsSections splits a nats bench Job's log into its benchmarks: the
// report holds the publishers' then the subscribers' or consumers' (run.sh
// writes them in that order), each a block ending with its stats line
// and the lines after it; the stamped log lines name their benchmark
// ("Starting <type> benchmark", "[n] Starting <type>, ...") or belong to
// the one named last. The publishers' benchmark comes first.
func natsSections(l podLog) []section {
	var out []section
	idx := map[string]int{}
	get := func(label string) *section {
		i, ok := idx[label]
		if !ok {
			i = len(out)
			idx[label] = i
			out = append(out, section{label: label})
		}
		return &out[i]
	}
	// The report's blocks, in order.
	type block struct {
		label string
		data  []byte
		done  bool
	}
	var blocks []*block
	cur := &block{}
	for _, line := range bytes.SplitAfter(l.report, []byte("\n")) {
		s := string(line)
		m := natsStats.FindStringSubmatch(s)
		if cur.done && (m != nil || natsClient.MatchString(s)) {
			blocks = append(blocks, cur)
			cur = &block{}
		}
		cur.data = append(cur.data, line...)
		if m != nil {
			cur.label, cur.done = m[1], true
		}
	}
	if cur.label != "" {
		blocks = append(blocks, cur)
	} else if len(bytes.TrimSpace(cur.data)) > 0 && len(blocks) > 0 {
		// Trailing lines without a stats line: the last block's.
		last := blocks[len(blocks)-1]
		last.data = append(last.data, cur.data...)
	} else if len(bytes.TrimSpace(cur.data)) > 0 {
		blocks = append(blocks, cur)
	}
	for _, b := range blocks {
		get(b.label)
	}
	// The log lines before the report, each with its benchmark.
	var logs = map[string][]byte{}
	current := ""
	if len(out) > 0 {
		current = out[0].label
	}
	for _, line := range bytes.SplitAfter(l.outside, []byte("\n")) {
		s := string(bytes.TrimRight(line, "\r\n"))
		if m := natsStarting.FindStringSubmatch(s); m != nil {
			current = m[1]
			get(current)
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		if !natsStamp.MatchString(s) && len(out) > 0 {
			// Unstamped stderr (nats: error: ...) goes with the first.
			logs[out[0].label] = append(logs[out[0].label], line...)
			continue
		}
		get(current)
		logs[current] = append(logs[current], line...)
	}
	for i := range out {
		out[i].data = append(out[i].data, logs[out[i].label]...)
	}
	for _, b := range blocks {
		s := get(b.label)
		s.data = append(s.data, b.data...)
	}
	return out
}

// kafkaSections splits a Kafka perf Job's log: the producer's lines (the
// report up to the first consumer header, with the Job's stderr, where a
// failed send prints its exception), then each consumer's header and
// summary.
func kafkaSections(l podLog) (producer []byte, consumers [][]byte) {
	producer = append(producer, l.outside...)
	in := -1
	for _, line := range bytes.SplitAfter(l.report, []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("start.time, end.time")) {
			consumers = append(consumers, nil)
			in = len(consumers) - 1
		}
		if in < 0 {
			producer = append(producer, line...)
		} else {
			consumers[in] = append(consumers[in], line...)
		}
	}
	return producer, consumers
}

// part is a secondary benchmark of the run: nats bench's subscribers or
// consumers, one Kafka consumer.
type part struct {
	pod, name string
	data      []byte
	tool      string // "" for the run's own
}

// addPart parses a secondary benchmark, refuses the run when it is broken,
// and records it in the breakdown.
func addPart(r *results.Result, x part, tool string, manyPods bool) error {
	rt := x.tool
	if rt == "" {
		rt = toolParsers[tool].tool
	}
	name := x.name
	if manyPods {
		name = x.pod + " " + name
	}
	s, err := parse.Stream(rt, x.pod+".log ("+x.name+")", bytes.NewReader(x.data), parse.Options{Format: "output"})
	if err != nil {
		return fmt.Errorf("refusing run: pod log %w", err)
	}
	if err := results.Validate(s, results.Expect{}); err != nil {
		return fmt.Errorf("refusing run: pod log %s.log (%s): %w", x.pod, x.name, err)
	}
	ops, tput := s.Operations.Count, s.ThroughputPerS
	r.Breakdown = append(r.Breakdown, results.Part{Name: name, Kind: "direction", Operations: &ops, ThroughputPerS: &tput, LatencyMs: s.LatencyMs})
	if in := s.Bytes.In; in != nil {
		sum := *in
		if r.Bytes.In != nil {
			sum += *r.Bytes.In
		}
		r.Bytes.In = &sum
	}
	r.Notes = append(r.Notes, fmt.Sprintf("breakdown %q: %d %s received in %s s (%s), not counted as operations", name, ops, s.Operations.Unit,
		strconv.FormatFloat(s.DurationS, 'f', -1, 64), rt))
	return nil
}
