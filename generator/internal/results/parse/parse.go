// Package parse is the one entry to the load-tool parsers: it names every
// tool, the formats each reads and the operation unit its results count,
// and parses the files of one run with the tool's package
// (results/parse/<tool>).
package parse

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/fio"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/k6"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/kafkaperf"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/natsbench"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/perftest"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/pgbench"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/redisbench"
)

// Auto is the format that lets a parser detect the format per file.
const Auto = "auto"

// Options control parsing.
type Options struct {
	// Format is one of the tool's Formats; empty or "auto" detects it.
	Format string
	// Requests is what each test ran, for outputs that do not print it
	// (redis-benchmark --csv and -q: its -n); 0 when not given.
	Requests int64
}

// Tool is one load tool's parser.
type Tool struct {
	Name string
	// Unit is what its operations are.
	Unit string
	// Formats are the values --format takes (Auto first).
	Formats []string
	// Reads says in a line what is read (for --help).
	Reads string
	// TakesRequests: Options.Requests means something to this tool.
	TakesRequests bool
	parse         func(paths []string, opt Options) (*results.Result, error)
	// stream parses one output read from r.
	stream func(name string, r io.Reader, opt Options) (*results.Result, error)
}

var tools = []Tool{
	{
		Name: results.ToolK6, Unit: results.UnitRequests, Formats: k6.Formats,
		Reads: "handleSummary JSON, --summary-export JSON, --out json (NDJSON, gzipped too), --out csv, pod logs with the summary between K6_SUMMARY_BEGIN/END",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return k6.Parse(name, r, k6.Options{Format: opt.Format})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return k6.ParseFiles(paths, k6.Options{Format: opt.Format})
		},
	},
	{
		Name: results.ToolPgbench, Unit: results.UnitTransactions, Formats: pgbench.Formats,
		Reads: "the run's output (stdout with stderr, as a pod log holds it), -l per-transaction logs, --aggregate-interval logs",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return pgbench.Parse(name, r, pgbench.Options{Format: opt.Format})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return pgbench.ParseFiles(paths, pgbench.Options{Format: opt.Format})
		},
	},
	{
		Name: results.ToolRedisBenchmark, Unit: results.UnitCommands, Formats: redisbench.Formats, TakesRequests: true,
		Reads: "the default report (one block per test), -q lines, the --csv table (-q and --csv need --requests, the -n)",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return redisbench.Parse(name, r, redisbench.Options{Format: opt.Format, Requests: opt.Requests})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return redisbench.ParseFiles(paths, redisbench.Options{Format: opt.Format, Requests: opt.Requests})
		},
	},
	{
		Name: results.ToolNatsBench, Unit: results.UnitMessages, Formats: natsbench.Formats,
		Reads: "nats bench (natscli v0.5.0) report with its stderr log lines (2>&1, a pod log), or its --csv file; pub, sub, service, JetStream and KV types",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return natsbench.Parse(name, r, natsbench.Options{Format: opt.Format})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return natsbench.ParseFiles(paths, natsbench.Options{Format: opt.Format})
		},
	},
	{
		Name: results.ToolFio, Unit: results.UnitIOOperations, Formats: fio.Formats,
		Reads: "fio's --output-format=json or json+ report (clat percentiles; json+ bins merge exactly)",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return fio.Parse(name, r, fio.Options{Format: opt.Format})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return fio.ParseFiles(paths, fio.Options{Format: opt.Format})
		},
	},
	{
		Name: results.ToolKafkaProducer, Unit: results.UnitMessages, Formats: kafkaperf.Formats,
		Reads: "Kafka 4.1/4.2 ProducerPerformance output: the final records-sent line (the steady-state one with --warmup-records), --print-metrics",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return kafkaperf.ParseProducerOutput(name, r, kafkaperf.Options{Format: opt.Format})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return kafkaperf.ParseProducer(paths, kafkaperf.Options{Format: opt.Format})
		},
	},
	{
		Name: results.ToolKafkaConsumer, Unit: results.UnitMessages, Formats: kafkaperf.Formats,
		Reads: "Kafka 4.1/4.2 ConsumerPerformance output: its summary line (not --show-detailed-stats)",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return kafkaperf.ParseConsumerOutput(name, r, kafkaperf.Options{Format: opt.Format})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return kafkaperf.ParseConsumer(paths, kafkaperf.Options{Format: opt.Format})
		},
	},
	{
		Name: results.ToolPerfTest, Unit: results.UnitMessages, Formats: perftest.Formats,
		Reads: "RabbitMQ PerfTest v2.25.0 console output (default or compact: intervals, stop line, summary) or its -o CSV; messages estimated from rates",
		stream: func(name string, r io.Reader, opt Options) (*results.Result, error) {
			return perftest.Parse(name, r, perftest.Options{Format: opt.Format})
		},
		parse: func(paths []string, opt Options) (*results.Result, error) {
			return perftest.ParseFiles(paths, perftest.Options{Format: opt.Format})
		},
	},
}

// Tools lists the tools, sorted by name.
func Tools() []Tool {
	out := slices.Clone(tools)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the tool names, sorted.
func Names() []string {
	var n []string
	for _, t := range Tools() {
		n = append(n, t.Name)
	}
	return n
}

// Lookup finds a tool by name.
func Lookup(name string) (Tool, error) {
	for _, t := range tools {
		if t.Name == name {
			return t, nil
		}
	}
	return Tool{}, fmt.Errorf("unknown tool %q (want one of %s)", name, strings.Join(Names(), ", "))
}

func (t Tool) check(opt *Options) error {
	format := opt.Format
	if format == "" {
		format = Auto
	}
	if !slices.Contains(t.Formats, format) {
		return fmt.Errorf("unknown format %q for %s (want one of %s)", format, t.Name, strings.Join(t.Formats, ", "))
	}
	if opt.Requests < 0 {
		return fmt.Errorf("--requests %d is negative", opt.Requests)
	}
	if opt.Requests != 0 && !t.TakesRequests {
		return fmt.Errorf("--requests means nothing to %s: its output counts its operations", t.Name)
	}
	opt.Format = format
	return nil
}

// Stream parses one output of tool read from r (a pod log, stdin); name
// labels errors.
func Stream(tool, name string, r io.Reader, opt Options) (*results.Result, error) {
	t, err := Lookup(tool)
	if err != nil {
		return nil, err
	}
	if err := t.check(&opt); err != nil {
		return nil, err
	}
	return t.stream(name, r, opt)
}

// Files parses the outputs of one run of tool (several files: its load
// generators, merged) into a result.
func Files(tool string, paths []string, opt Options) (*results.Result, error) {
	t, err := Lookup(tool)
	if err != nil {
		return nil, err
	}
	if err := t.check(&opt); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no input files")
	}
	return t.parse(paths, opt)
}
