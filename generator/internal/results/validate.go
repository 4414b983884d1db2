package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Expect is what the run was declared to do. Zero values disable a check.
type Expect struct {
	// Duration is the declared test duration; a shorter run is refused.
	Duration time.Duration
	// DurationSlack tolerates the gap between the first and last sample
	// and the declared duration (ndjson/csv measure the sample span).
	// Zero means DefaultDurationSlack.
	DurationSlack time.Duration
	// MaxErrorRate refuses a run whose error rate is above it.
	MaxErrorRate *float64
}

// DefaultDurationSlack is the default tolerance on the declared duration.
const DefaultDurationSlack = time.Second

// ValidationError lists every problem found in a result.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "refusing result: %d problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// Validate returns every reason to refuse r as a valid run, or nil.
func Validate(r *Result, exp Expect) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if r.SchemaVersion != SchemaVersion {
		add("schema_version is %d, want %d", r.SchemaVersion, SchemaVersion)
	}
	switch r.SourceFormat {
	case FormatSummary, FormatSummaryExport, FormatNDJSON, FormatCSV, FormatVegeta:
	default:
		add("unknown source_format %q", r.SourceFormat)
	}
	finite := func(name string, v float64) bool {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			add("%s is %v", name, v)
			return false
		}
		if v < 0 {
			add("%s is negative (%v)", name, v)
			return false
		}
		return true
	}
	nonNeg := func(name string, v int64) {
		if v < 0 {
			add("%s is negative (%d)", name, v)
		}
	}
	if r.Requests == 0 {
		add("zero requests: the run did no work")
	}
	nonNeg("requests", r.Requests)
	nonNeg("iterations", r.Iterations)
	nonNeg("dropped_iterations", r.DroppedIterations)
	nonNeg("data_received_bytes", r.DataReceivedBytes)
	nonNeg("data_sent_bytes", r.DataSentBytes)
	nonNeg("checks.passes", r.Checks.Passes)
	nonNeg("checks.fails", r.Checks.Fails)
	if r.VUsMax != nil {
		nonNeg("vus_max", *r.VUsMax)
	}
	if r.DroppedIterations > 0 {
		add("%d dropped iterations: the load generator could not sustain the declared rate", r.DroppedIterations)
	}
	if finite("duration_s", r.DurationS) && r.DurationS == 0 {
		add("duration_s is zero")
	}
	finite("rps", r.RPS)
	if r.ErrorRate != nil {
		if finite("error_rate", *r.ErrorRate) && *r.ErrorRate > 1 {
			add("error_rate %v is above 1", *r.ErrorRate)
		}
	}
	lat := []struct {
		n string
		v *float64
	}{
		{"latency_ms.min", r.LatencyMs.Min}, {"latency_ms.med", r.LatencyMs.Med},
		{"latency_ms.p90", r.LatencyMs.P90}, {"latency_ms.p95", r.LatencyMs.P95},
		{"latency_ms.p99", r.LatencyMs.P99}, {"latency_ms.max", r.LatencyMs.Max},
		{"latency_ms.avg", r.LatencyMs.Avg},
	}
	ok := true
	for _, l := range lat {
		if l.v != nil && !finite(l.n, *l.v) {
			ok = false
		}
	}
	if ok {
		// Order statistics must be monotone; anything else is corrupt input.
		var prev *float64
		prevName := ""
		for _, l := range lat[:6] {
			if l.v == nil {
				continue
			}
			if prev != nil && *l.v < *prev {
				add("%s (%v) is below %s (%v)", l.n, *l.v, prevName, *prev)
			}
			prev, prevName = l.v, l.n
		}
		if a, lo, hi := r.LatencyMs.Avg, r.LatencyMs.Min, r.LatencyMs.Max; a != nil && lo != nil && hi != nil && (*a < *lo || *a > *hi) {
			add("latency_ms.avg (%v) is outside [min %v, max %v]", *a, *lo, *hi)
		}
	}
	if r.Resources != nil {
		for _, c := range r.Resources.Containers {
			for _, f := range []struct {
				n string
				v *float64
			}{{"cpu_core_seconds", c.CPUCoreSeconds}, {"memory_peak_bytes", c.MemoryPeakBytes}, {"cpu_request_cores", c.CPURequestCores}, {"memory_request_bytes", c.MemoryRequestBytes}} {
				if f.v != nil {
					finite("resources "+c.Name+" "+f.n, *f.v)
				}
			}
		}
	}
	if r.Cost != nil {
		for _, f := range []struct {
			n string
			v float64
		}{{"cost.hours", r.Cost.Hours}, {"cost.cpu", r.Cost.CPU}, {"cost.ram", r.Cost.RAM}, {"cost.storage", r.Cost.Storage}, {"cost.nodes", r.Cost.Nodes}, {"cost.total", r.Cost.Total}, {"cost.monthly_projection", r.Cost.MonthlyProjection}} {
			finite(f.n, f.v)
		}
		for _, f := range []struct {
			n string
			v *float64
		}{{"cost.per_million_requests", r.Cost.PerMillionRequests}, {"cost.per_transaction", r.Cost.PerTransaction}} {
			if f.v != nil {
				finite(f.n, *f.v)
			}
		}
	}

	if exp.Duration > 0 {
		slack := exp.DurationSlack
		if slack == 0 {
			slack = DefaultDurationSlack
		}
		min := (exp.Duration - slack).Seconds()
		if r.DurationS < min {
			add("duration %.3fs is shorter than the declared %s (slack %s): the run was cut short", r.DurationS, exp.Duration, slack)
		}
	}
	if exp.MaxErrorRate != nil {
		switch {
		case r.ErrorRate == nil:
			add("error rate unknown (no http_req_failed in the source) but a maximum of %v was required", *exp.MaxErrorRate)
		case *r.ErrorRate > *exp.MaxErrorRate:
			add("error rate %.6g is above the maximum %v", *r.ErrorRate, *exp.MaxErrorRate)
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

// DescribeJSONError adds the line and byte offset of a JSON syntax or type
// error in data, so the user can find the broken spot.
func DescribeJSONError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
	}
	if off < 0 {
		return err
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	return fmt.Errorf("line %d (byte offset %d): %w", line, off, err)
}
