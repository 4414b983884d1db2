// Package results defines the lab's normalized, versioned benchmark result,
// refuses broken runs (Validate) and stores results append-only (Store).
// Parsers for k6 outputs live in results/parse/k6, statistics in results/stats and
// pricing in results/cost.
package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// SchemaVersion is the version of the Result JSON layout. Bump it on any
// incompatible change, together with schema/result.schema.json.
const SchemaVersion = 1

// Source formats a Result can come from.
const (
	FormatSummary       = "summary"        // handleSummary data object
	FormatSummaryExport = "summary-export" // legacy --summary-export file
	FormatNDJSON        = "ndjson"         // --out json
	FormatCSV           = "csv"            // --out csv
	FormatVegeta        = "vegeta"         // vegeta library run (generator bench local)
)

// Result is one benchmark run, normalized from any k6 output. Figures the
// source does not hold are null, never invented.
type Result struct {
	SchemaVersion int    `json:"schema_version"`
	Experiment    string `json:"experiment"`
	Variant       string `json:"variant"`
	RunID         string `json:"run_id"`
	// StartedAt and EndedAt come from the source only (RFC 3339, UTC): the
	// first and last sample timestamps of ndjson/csv; summaries hold none.
	StartedAt    *string  `json:"started_at"`
	EndedAt      *string  `json:"ended_at"`
	SourceFormat string   `json:"source_format"`
	SourceFiles  []string `json:"source_files"`
	// LoadGenerators is the number of k6 outputs merged (load pods).
	LoadGenerators int `json:"load_generators"`

	Requests          int64    `json:"requests"`
	DurationS         float64  `json:"duration_s"`
	RPS               float64  `json:"rps"`
	ErrorRate         *float64 `json:"error_rate"`
	Iterations        int64    `json:"iterations"`
	DroppedIterations int64    `json:"dropped_iterations"`
	VUsMax            *int64   `json:"vus_max"`

	LatencyMs  Latency     `json:"latency_ms"`
	Checks     Checks      `json:"checks"`
	Thresholds []Threshold `json:"thresholds"`

	DataReceivedBytes int64 `json:"data_received_bytes"`
	DataSentBytes     int64 `json:"data_sent_bytes"`

	// Resources and Cost are filled by later collection steps.
	Resources *Resources     `json:"resources,omitempty"`
	Cost      *cost.Estimate `json:"cost,omitempty"`
	// Metrics are the experiment's declared PromQL metrics, by name.
	Metrics map[string]MetricValue `json:"metrics,omitempty"`
	// Run is the run's provenance (cluster, images, commit).
	Run *RunInfo `json:"run,omitempty"`

	// Notes explain figures that are null or derived, e.g. percentiles
	// that cannot be merged from several summaries.
	Notes []string `json:"notes"`
}

// Latency is http_req_duration in milliseconds.
type Latency struct {
	Avg *float64 `json:"avg"`
	Min *float64 `json:"min"`
	Med *float64 `json:"med"`
	Max *float64 `json:"max"`
	P90 *float64 `json:"p90"`
	P95 *float64 `json:"p95"`
	P99 *float64 `json:"p99"`
}

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
	if r.SourceFiles == nil {
		r.SourceFiles = []string{}
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

// Decode reads one stored Result strictly: unknown fields and another
// schema version are errors, so stored results cannot silently drift.
func Decode(data []byte, name string) (*Result, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", name, DescribeJSONError(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: trailing data after the result object", name)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this generator reads %d", name, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
