package results

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// MigratedNote is added to every result upgraded from schema version 1.
const MigratedNote = "migrated from schema_version 1 (its sources carry no digests)"

// resultV1 is the schema version 1 layout (k6 only), read strictly.
type resultV1 struct {
	SchemaVersion     int                    `json:"schema_version"`
	Experiment        string                 `json:"experiment"`
	Variant           string                 `json:"variant"`
	RunID             string                 `json:"run_id"`
	StartedAt         *string                `json:"started_at"`
	EndedAt           *string                `json:"ended_at"`
	SourceFormat      string                 `json:"source_format"`
	SourceFiles       []string               `json:"source_files"`
	LoadGenerators    int                    `json:"load_generators"`
	Requests          int64                  `json:"requests"`
	DurationS         float64                `json:"duration_s"`
	RPS               float64                `json:"rps"`
	ErrorRate         *float64               `json:"error_rate"`
	Iterations        int64                  `json:"iterations"`
	DroppedIterations int64                  `json:"dropped_iterations"`
	VUsMax            *int64                 `json:"vus_max"`
	LatencyMs         latencyV1              `json:"latency_ms"`
	Checks            Checks                 `json:"checks"`
	Thresholds        []Threshold            `json:"thresholds"`
	DataReceivedBytes int64                  `json:"data_received_bytes"`
	DataSentBytes     int64                  `json:"data_sent_bytes"`
	Resources         *Resources             `json:"resources,omitempty"`
	Cost              *estimateV1            `json:"cost,omitempty"`
	Metrics           map[string]MetricValue `json:"metrics,omitempty"`
	Run               *runInfoV1             `json:"run,omitempty"`
	Notes             []string               `json:"notes"`
}

type latencyV1 struct {
	Avg *float64 `json:"avg"`
	Min *float64 `json:"min"`
	Med *float64 `json:"med"`
	Max *float64 `json:"max"`
	P90 *float64 `json:"p90"`
	P95 *float64 `json:"p95"`
	P99 *float64 `json:"p99"`
}

type estimateV1 struct {
	Currency           string   `json:"currency"`
	Method             string   `json:"method"`
	Hours              float64  `json:"hours"`
	CPU                float64  `json:"cpu"`
	RAM                float64  `json:"ram"`
	Storage            float64  `json:"storage"`
	Nodes              float64  `json:"nodes"`
	Total              float64  `json:"total"`
	PerMillionRequests *float64 `json:"per_million_requests"`
	PerTransaction     *float64 `json:"per_transaction"`
	MonthlyProjection  float64  `json:"monthly_projection"`
}

type runInfoV1 struct {
	Namespace    string     `json:"namespace"`
	WindowStart  string     `json:"window_start"`
	WindowEnd    string     `json:"window_end"`
	GitCommit    string     `json:"git_commit"`
	K6Version    string     `json:"k6_version"`
	ScriptSHA256 string     `json:"script_sha256"`
	Charts       []ChartRef `json:"charts"`
	Images       []ImageRef `json:"images"`
	Nodes        []NodeRef  `json:"nodes"`
}

func int64p(v int64) *int64 { return &v }

// migrate maps every version-1 field onto version 2; nothing is invented:
// figures version 1 did not have are null.
func (o *resultV1) migrate() *Result {
	tool := ToolK6
	if o.SourceFormat == FormatVegeta {
		tool = ToolVegeta
	}
	r := New(tool, UnitRequests)
	r.Experiment, r.Variant, r.RunID = o.Experiment, o.Variant, o.RunID
	r.StartedAt, r.EndedAt = o.StartedAt, o.EndedAt
	r.SourceFormat = o.SourceFormat
	for _, f := range o.SourceFiles {
		r.Sources = append(r.Sources, Source{File: f, Format: o.SourceFormat})
	}
	r.LoadGenerators = o.LoadGenerators
	r.Operations.Count = o.Requests
	r.DurationS = o.DurationS
	r.ThroughputPerS = o.RPS
	r.Errors.Rate = o.ErrorRate
	r.Iterations = int64p(o.Iterations)
	r.Dropped = o.DroppedIterations
	r.Clients = o.VUsMax
	l := o.LatencyMs
	r.LatencyMs = Latency{Avg: l.Avg, Min: l.Min, Med: l.Med, Max: l.Max, P90: l.P90, P95: l.P95, P99: l.P99}
	if r.LatencyMs.Any() {
		r.LatencyMs.Per = "request"
		switch {
		case o.SourceFormat == FormatNDJSON || o.SourceFormat == FormatCSV || o.SourceFormat == FormatVegeta:
			r.LatencyMs.Source = LatencyHistogram
		case l.Med != nil || l.P90 != nil || l.P95 != nil || l.P99 != nil:
			r.LatencyMs.Source = LatencyToolPercentiles
		default:
			r.LatencyMs.Source = LatencyToolSummary
		}
	}
	checks := o.Checks
	r.Checks = &checks
	r.Thresholds = o.Thresholds
	r.Bytes = Bytes{In: int64p(o.DataReceivedBytes), Out: int64p(o.DataSentBytes)}
	r.Resources = o.Resources
	if c := o.Cost; c != nil {
		r.Cost = &cost.Estimate{
			Currency: c.Currency, Method: c.Method, Hours: c.Hours, CPU: c.CPU, RAM: c.RAM, Storage: c.Storage,
			Nodes: c.Nodes, Total: c.Total, PerMillionOperations: c.PerMillionRequests, PerTransaction: c.PerTransaction,
			MonthlyProjection: c.MonthlyProjection,
		}
	}
	r.Metrics = o.Metrics
	if ri := o.Run; ri != nil {
		r.Run = &RunInfo{Namespace: ri.Namespace, WindowStart: ri.WindowStart, WindowEnd: ri.WindowEnd, GitCommit: ri.GitCommit,
			ScriptSHA256: ri.ScriptSHA256, Charts: ri.Charts, Images: ri.Images, Nodes: ri.Nodes}
		if ri.K6Version != "" {
			v := ri.K6Version
			r.Tool.Version = &v
		}
	}
	r.Notes = append(append([]string(nil), o.Notes...), MigratedNote)
	r.Normalize()
	return r
}

// MigrateFile rewrites one stored result in the current schema. It returns
// the version it found; a file already current is left byte for byte as it
// is. The new file replaces the old one whole (temp file, fsync, rename).
// With dryRun nothing is written.
func MigrateFile(path string, dryRun bool) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	r, v, err := DecodeVersion(data, path)
	if err != nil {
		return 0, err
	}
	if v == SchemaVersion || dryRun {
		return v, nil
	}
	if err := Validate(r, Expect{}); err != nil {
		return v, fmt.Errorf("%s: the migrated result does not validate: %w", path, err)
	}
	out, err := MarshalIndent(r)
	if err != nil {
		return v, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return v, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return v, err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(out)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr, os.Chmod(tmp.Name(), st.Mode().Perm())); err != nil {
		return v, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return v, err
	}
	return v, nil
}

// IsMigration reports whether current is exactly what `results migrate`
// makes of stored (a version-1 result): the one edit append-only results
// allow.
func IsMigration(stored, current []byte) bool {
	r, v, err := DecodeVersion(stored, "stored")
	if err != nil || v == SchemaVersion {
		return false
	}
	want, err := MarshalIndent(r)
	return err == nil && bytes.Equal(want, current)
}
