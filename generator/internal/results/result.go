// Package results defines the lab's normalized, versioned benchmark result,
// refuses broken runs (Validate), stores results append-only (Store) and
// reads older layouts transparently (Decode, Migrate). Parsers for each load
// tool live in results/parse/<tool>, statistics in results/stats and pricing
// in results/cost.
package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// SchemaVersion is the version of the Result JSON layout. Bump it on any
// incompatible change, together with schema/result.schema.json, and teach
// Decode to migrate the previous one.
const SchemaVersion = 2

// Operation units: what one operation of a result is.
const (
	UnitRequests     = "requests"      // HTTP requests (k6, vegeta)
	UnitTransactions = "transactions"  // database transactions (pgbench)
	UnitMessages     = "messages"      // messages or records (nats bench, Kafka, PerfTest)
	UnitCommands     = "commands"      // key-value commands (redis-benchmark)
	UnitIOOperations = "io-operations" // block I/O operations (fio)
)

// Units lists the operation units.
var Units = []string{UnitCommands, UnitIOOperations, UnitMessages, UnitRequests, UnitTransactions}

// Load tools.
const (
	ToolK6             = "k6"
	ToolVegeta         = "vegeta"
	ToolPgbench        = "pgbench"
	ToolRedisBenchmark = "redis-benchmark"
	ToolNatsBench      = "nats-bench"
	ToolFio            = "fio"
	ToolKafkaProducer  = "kafka-producer-perf-test"
	ToolKafkaConsumer  = "kafka-consumer-perf-test"
	ToolPerfTest       = "rabbitmq-perf-test"
)

// Source formats of k6 and vegeta (the names schema version 1 used).
const (
	FormatSummary       = "summary"        // handleSummary data object
	FormatSummaryExport = "summary-export" // legacy --summary-export file
	FormatNDJSON        = "ndjson"         // --out json
	FormatCSV           = "csv"            // --out csv
	FormatVegeta        = "vegeta"         // vegeta library run (generator bench local)
)

// ToolFormats lists the source formats each tool's results come from.
var ToolFormats = map[string][]string{
	ToolK6:             {FormatCSV, FormatNDJSON, FormatSummary, FormatSummaryExport},
	ToolVegeta:         {FormatVegeta},
	ToolPgbench:        {"aggregate-log", "log", "output"},
	ToolRedisBenchmark: {"csv", "text"},
	ToolNatsBench:      {"csv", "output"},
	ToolFio:            {"json", "json+"},
	ToolKafkaProducer:  {"output"},
	ToolKafkaConsumer:  {"output"},
	ToolPerfTest:       {"csv", "output"},
}

// Latency sources: where the latency figures of a result come from.
const (
	// LatencyNone: the source has no latency.
	LatencyNone = "none"
	// LatencyHistogram: every sample went into an HDR histogram here
	// (k6 ndjson/csv, vegeta, fio json+ bins).
	LatencyHistogram = "histogram"
	// LatencyToolPercentiles: the tool's own percentiles (k6 summary,
	// redis-benchmark, nats bench, fio json, Kafka, PerfTest).
	LatencyToolPercentiles = "tool-percentiles"
	// LatencyToolSummary: the tool's average (and extremes) without
	// percentiles (pgbench's summary, merged summaries).
	LatencyToolSummary = "tool-summary"
	// LatencyTransactionLog: pgbench -l per-transaction logs, every
	// transaction into an HDR histogram here.
	LatencyTransactionLog = "transaction-log"
	// LatencySampledLog: the same with --sampling-rate: a random sample.
	LatencySampledLog = "sampled-transaction-log"
	// LatencyAggregateLog: pgbench --aggregate-interval logs: exact
	// count, average, min, max and stddev, no percentiles.
	LatencyAggregateLog = "aggregate-log"
)

// LatencySources lists the latency sources.
var LatencySources = []string{LatencyAggregateLog, LatencyHistogram, LatencyNone, LatencySampledLog, LatencyToolPercentiles, LatencyToolSummary, LatencyTransactionLog}

// Result is one benchmark run of one load tool, normalized. Figures the
// source does not hold are null, never invented.
type Result struct {
	SchemaVersion int    `json:"schema_version"`
	Experiment    string `json:"experiment"`
	Variant       string `json:"variant"`
	RunID         string `json:"run_id"`
	// Tool is the load generator and, when its output says, its version.
	Tool Tool `json:"tool"`
	// StartedAt and EndedAt come from the source only (RFC 3339, UTC), e.g.
	// the first and last sample timestamps of k6 ndjson/csv.
	StartedAt *string `json:"started_at"`
	EndedAt   *string `json:"ended_at"`
	// SourceFormat is the format of the sources, or their sorted formats
	// joined by "+" when a run combines several (pgbench output+log).
	SourceFormat string   `json:"source_format"`
	Sources      []Source `json:"sources"`
	// LoadGenerators is the number of load generators (pods, processes)
	// merged.
	LoadGenerators int `json:"load_generators"`

	Operations Operations `json:"operations"`
	// DurationS is the measured duration, seconds.
	DurationS float64 `json:"duration_s"`
	// ThroughputPerS is operations.count / duration_s.
	ThroughputPerS float64 `json:"throughput_per_s"`
	Errors         Errors  `json:"errors"`
	// Retries counts retried attempts (pgbench --max-tries); null when the
	// tool does not report them.
	Retries *int64 `json:"retries"`
	// Dropped counts operations the generator scheduled but never started
	// (k6 dropped_iterations, pgbench skipped transactions).
	Dropped int64 `json:"dropped"`
	// AbortedClients counts clients that stopped before the end; null when
	// the tool cannot tell.
	AbortedClients *int64 `json:"aborted_clients"`
	// Clients is the number of concurrent clients (k6 peak VUs, summed
	// over load generators).
	Clients *int64 `json:"clients"`
	// Iterations are k6 script iterations (null for other tools).
	Iterations *int64 `json:"iterations"`

	LatencyMs Latency `json:"latency_ms"`
	Bytes     Bytes   `json:"bytes"`
	// Checks and Thresholds are k6's (null and empty for other tools).
	Checks     *Checks     `json:"checks"`
	Thresholds []Threshold `json:"thresholds"`
	// Breakdown has the figures per test, script, statement, direction or
	// client when the tool reports them.
	Breakdown []Part `json:"breakdown"`
	// ToolErrors are the fatal errors the tool printed; any refuses the run.
	ToolErrors []string `json:"tool_errors"`

	// ManifestsDigest is the sha256 of the rendered manifests the run ran
	// ("sha256:<hex>"); PriceSheetDigest that of the price sheet it was
	// priced with. Both are optional provenance.
	ManifestsDigest  string `json:"manifests_digest,omitempty"`
	PriceSheetDigest string `json:"price_sheet_digest,omitempty"`

	// Resources and Cost are filled by later collection steps.
	Resources *Resources     `json:"resources,omitempty"`
	Cost      *cost.Estimate `json:"cost,omitempty"`
	// Metrics are the experiment's declared PromQL metrics, by name.
	Metrics map[string]MetricValue `json:"metrics,omitempty"`
	// Run is the run's provenance (cluster, images, commit).
	Run *RunInfo `json:"run,omitempty"`

	// Notes explain figures that are null or derived, sorted.
	Notes []string `json:"notes"`
}

// Tool names the load generator.
type Tool struct {
	Name    string  `json:"name"`
	Version *string `json:"version"`
}

// Source is one parsed input file.
type Source struct {
	// File is the base name.
	File   string `json:"file"`
	Format string `json:"format"`
	// SHA256 is the hex digest of the file as stored; empty for results
	// migrated from schema version 1, which did not record it.
	SHA256 string `json:"sha256"`
	Bytes  *int64 `json:"bytes"`
}

// Operations is the work done.
type Operations struct {
	Unit string `json:"unit"`
	// Count includes failed operations.
	Count int64 `json:"count"`
	// Target is the work the tool was told to do, when its output says
	// (pgbench -t, nats bench --msgs); a shorter run is refused.
	Target *int64 `json:"target"`
}

// Errors are the failed operations.
type Errors struct {
	Count *int64   `json:"count"`
	Rate  *float64 `json:"rate"`
}

// Bytes moved by the load generator: In received (k6 data_received, fio
// reads), Out sent (k6 data_sent, fio writes, published payload).
type Bytes struct {
	In  *int64 `json:"in"`
	Out *int64 `json:"out"`
}

// Latency of one operation, in milliseconds.
type Latency struct {
	// Source is one of LatencySources.
	Source string `json:"source"`
	// Per says what one latency sample times, e.g. "request",
	// "transaction", "batch"; empty when Source is none.
	Per    string   `json:"per"`
	Avg    *float64 `json:"avg"`
	Min    *float64 `json:"min"`
	Med    *float64 `json:"med"`
	Max    *float64 `json:"max"`
	P90    *float64 `json:"p90"`
	P95    *float64 `json:"p95"`
	P99    *float64 `json:"p99"`
	P999   *float64 `json:"p999"`
	Stddev *float64 `json:"stddev"`
}

// Any reports whether some latency figure is known.
func (l Latency) Any() bool {
	for _, p := range []*float64{l.Avg, l.Min, l.Med, l.Max, l.P90, l.P95, l.P99, l.P999, l.Stddev} {
		if p != nil {
			return true
		}
	}
	return false
}

// Part is one slice of a run: a redis-benchmark test, a pgbench script or
// statement, a fio direction, a nats bench client.
type Part struct {
	Name string `json:"name"`
	// Kind is test, script, statement, direction or client.
	Kind           string   `json:"kind"`
	Operations     *int64   `json:"operations"`
	ThroughputPerS *float64 `json:"throughput_per_s"`
	Errors         *int64   `json:"errors"`
	Retries        *int64   `json:"retries"`
	LatencyMs      Latency  `json:"latency_ms"`
}

// PartKinds lists the breakdown kinds.
var PartKinds = []string{"client", "direction", "script", "statement", "test"}

// Checks counts k6 check() outcomes.
type Checks struct {
	Passes int64 `json:"passes"`
	Fails  int64 `json:"fails"`
}

// Threshold is one k6 threshold and whether it held (ok) at the end.
type Threshold struct {
	Metric     string `json:"metric"`
	Expression string `json:"expression"`
	OK         bool   `json:"ok"`
}

// Resources is the resource usage of the system under test.
type Resources struct {
	Containers []ContainerUsage `json:"containers"`
}

// ContainerUsage is one container over the run window. Usage figures come
// from the cluster's metrics (cAdvisor via Prometheus); requests from specs.
type ContainerUsage struct {
	// Name is namespace/pod/container.
	Name               string   `json:"name"`
	CPUCoreSeconds     *float64 `json:"cpu_core_seconds"`
	MemoryPeakBytes    *float64 `json:"memory_peak_bytes"`
	CPURequestCores    *float64 `json:"cpu_request_cores"`
	MemoryRequestBytes *float64 `json:"memory_request_bytes"`
}

// New returns an empty result of the current schema for a tool.
func New(tool, unit string) *Result {
	return &Result{SchemaVersion: SchemaVersion, Tool: Tool{Name: tool}, Operations: Operations{Unit: unit}, LatencyMs: Latency{Source: LatencyNone}}
}

// SetSources records the parsed files: base names, formats and digests,
// sorted by name; SourceFormat becomes their common format, or the sorted
// formats joined by "+".
func (r *Result) SetSources(srcs []Source) {
	r.Sources = append([]Source(nil), srcs...)
	sort.SliceStable(r.Sources, func(i, j int) bool { return r.Sources[i].File < r.Sources[j].File })
	var formats []string
	for _, s := range r.Sources {
		if !slices.Contains(formats, s.Format) {
			formats = append(formats, s.Format)
		}
	}
	sort.Strings(formats)
	r.SourceFormat = strings.Join(formats, "+")
}

// SetThroughput sets throughput_per_s from the count and the duration.
func (r *Result) SetThroughput() {
	if r.DurationS > 0 {
		r.ThroughputPerS = float64(r.Operations.Count) / r.DurationS
	}
}

// Normalize sorts the slices so that output is deterministic and never
// null where the schema expects arrays.
func (r *Result) Normalize() {
	sort.Slice(r.Thresholds, func(i, j int) bool {
		a, b := r.Thresholds[i], r.Thresholds[j]
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		return a.Expression < b.Expression
	})
	if r.Thresholds == nil {
		r.Thresholds = []Threshold{}
	}
	if r.Sources == nil {
		r.Sources = []Source{}
	}
	if r.Breakdown == nil {
		r.Breakdown = []Part{}
	}
	for i := range r.Breakdown {
		if r.Breakdown[i].LatencyMs.Source == "" {
			r.Breakdown[i].LatencyMs.Source = LatencyNone
		}
	}
	if r.ToolErrors == nil {
		r.ToolErrors = []string{}
	}
	if r.LatencyMs.Source == "" {
		r.LatencyMs.Source = LatencyNone
	}
	sort.Strings(r.Notes)
	r.Notes = dedup(r.Notes)
	if r.Notes == nil {
		r.Notes = []string{}
	}
	if r.Resources != nil {
		sort.Slice(r.Resources.Containers, func(i, j int) bool {
			return r.Resources.Containers[i].Name < r.Resources.Containers[j].Name
		})
		if r.Resources.Containers == nil {
			r.Resources.Containers = []ContainerUsage{}
		}
	}
	if r.Run != nil {
		r.Run.normalize()
	}
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// MarshalIndent renders r as stable, indented JSON with a final newline.
func MarshalIndent(r *Result) ([]byte, error) {
	r.Normalize()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return buf.Bytes(), nil
}

// MaxStoredBytes bounds a stored result read back.
const MaxStoredBytes = 16 << 20

// Decode reads one stored result strictly: unknown fields and unknown
// schema versions are errors, so stored results cannot silently drift. A
// version-1 result is upgraded in memory (see Migrate); the bytes are not
// touched.
func Decode(data []byte, name string) (*Result, error) {
	r, _, err := DecodeVersion(data, name)
	return r, err
}

// DecodeVersion is Decode that also returns the stored schema version.
func DecodeVersion(data []byte, name string) (*Result, int, error) {
	if len(data) > MaxStoredBytes {
		return nil, 0, fmt.Errorf("%s: %d bytes: larger than the %d a stored result may have", name, len(data), MaxStoredBytes)
	}
	var probe struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&probe); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, DescribeJSONError(data, err))
	}
	if probe.SchemaVersion == nil {
		return nil, 0, fmt.Errorf("%s: no schema_version: not a stored result", name)
	}
	switch v := *probe.SchemaVersion; v {
	case 1:
		var old resultV1
		if err := strictDecode(data, &old); err != nil {
			return nil, 0, fmt.Errorf("%s (schema_version 1): %w", name, err)
		}
		return old.migrate(), 1, nil
	case SchemaVersion:
		var r Result
		if err := strictDecode(data, &r); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", name, err)
		}
		return &r, SchemaVersion, nil
	default:
		return nil, 0, fmt.Errorf("%s: schema_version %d, this generator reads 1 and %d", name, v, SchemaVersion)
	}
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return DescribeJSONError(data, err)
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the result object")
	}
	return nil
}

// Fingerprint identifies a run by everything but its experiment, variant,
// run id and the names of its source files: two results with one
// fingerprint are one run stored twice (its sources' digests are part of
// it, so a renamed copy of an output is the same run).
func Fingerprint(r *Result) (string, error) {
	c := *r
	c.Experiment, c.Variant, c.RunID = "", "", ""
	c.Sources = make([]Source, len(r.Sources))
	for i, s := range r.Sources {
		s.File = ""
		c.Sources[i] = s
	}
	sort.Slice(c.Sources, func(i, j int) bool { return c.Sources[i].SHA256 < c.Sources[j].SHA256 })
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
