package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
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

// Bounds every run must respect, declared or not: a run shorter than a
// millisecond measured nothing (a duration of 1e-303 s is corrupt input),
// and none lasts a year.
const (
	MinDurationS = 0.001
	MaxDurationS = 366 * 24 * 3600
)

// CheckExpect refuses impossible expectations (flags): a negative duration
// or slack, a slack not shorter than the duration, an error rate outside
// [0, 1] or NaN.
func CheckExpect(e Expect) error {
	var errs []error
	if e.Duration < 0 {
		errs = append(errs, fmt.Errorf("--expect-duration %s is negative", e.Duration))
	}
	if e.DurationSlack < 0 {
		errs = append(errs, fmt.Errorf("--duration-slack %s is negative", e.DurationSlack))
	}
	if e.Duration > 0 && e.DurationSlack >= e.Duration {
		errs = append(errs, fmt.Errorf("--duration-slack %s is not shorter than --expect-duration %s: the check would accept any run", e.DurationSlack, e.Duration))
	}
	if e.Duration > 0 && e.Duration.Seconds() > MaxDurationS {
		errs = append(errs, fmt.Errorf("--expect-duration %s is longer than a year", e.Duration))
	}
	if m := e.MaxErrorRate; m != nil && (math.IsNaN(*m) || *m < 0 || *m > 1) {
		errs = append(errs, fmt.Errorf("--max-error-rate %v is not a rate in [0, 1]", *m))
	}
	return errors.Join(errs...)
}

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

var (
	sha256Pattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	hexDigest     = regexp.MustCompile(`^([0-9a-f]{64})?$`)
	perPattern    = regexp.MustCompile(`^[a-z][a-z0-9 ()-]{0,63}$`)
)

// CheckTimestamp parses an RFC 3339 timestamp and refuses years outside
// 2000-2199.
func CheckTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	return t, input.CheckTime(t)
}

// Validate returns every reason to refuse r as a valid run, or nil.
func Validate(r *Result, exp Expect) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if err := CheckExpect(exp); err != nil {
		add("%v", err)
	}
	if r.SchemaVersion != SchemaVersion {
		add("schema_version is %d, want %d", r.SchemaVersion, SchemaVersion)
	}
	formats, known := ToolFormats[r.Tool.Name]
	if !known {
		add("unknown tool %q", r.Tool.Name)
	}
	if r.Tool.Version != nil && *r.Tool.Version == "" {
		add("tool.version is empty (null when unknown)")
	}
	for _, s := range r.Sources {
		if known && !slices.Contains(formats, s.Format) {
			add("source %s: format %q is not one of %s's (%v)", s.File, s.Format, r.Tool.Name, formats)
		}
		if !hexDigest.MatchString(s.SHA256) {
			add("source %s: sha256 %q is not a hex SHA-256", s.File, s.SHA256)
		}
		if s.Bytes != nil && *s.Bytes < 0 {
			add("source %s: bytes is negative", s.File)
		}
	}
	if len(r.Sources) > 0 {
		want := (&Result{Sources: r.Sources}).sourceFormat()
		if r.SourceFormat != want {
			add("source_format %q does not match the sources' formats (%q)", r.SourceFormat, want)
		}
	} else if known && !slices.Contains(formats, r.SourceFormat) {
		add("unknown source_format %q for %s (want one of %v)", r.SourceFormat, r.Tool.Name, formats)
	}
	if r.LoadGenerators < 1 {
		add("load_generators is %d: at least one load generator ran", r.LoadGenerators)
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
	nonNeg := func(name string, v *int64) {
		if v != nil && *v < 0 {
			add("%s is negative (%d)", name, *v)
		}
	}

	// The work.
	if !slices.Contains(Units, r.Operations.Unit) {
		add("operations.unit %q is not one of %v", r.Operations.Unit, Units)
	}
	ops := r.Operations.Count
	switch {
	case ops < 0:
		add("operations.count is negative (%d)", ops)
	case ops == 0:
		add("zero %s: the run did no work", unitOr(r.Operations.Unit))
	}
	if t := r.Operations.Target; t != nil {
		if *t <= 0 {
			add("operations.target is %d", *t)
		} else if ops < *t {
			add("%d of the %d %s the tool was told to run: the run stopped early", ops, *t, unitOr(r.Operations.Unit))
		}
	}
	nonNeg("retries", r.Retries)
	nonNeg("dropped", &r.Dropped)
	nonNeg("aborted_clients", r.AbortedClients)
	nonNeg("clients", r.Clients)
	nonNeg("iterations", r.Iterations)
	nonNeg("bytes.in", r.Bytes.In)
	nonNeg("bytes.out", r.Bytes.Out)
	if r.Dropped > 0 {
		what := "dropped"
		switch r.Tool.Name {
		case ToolK6, ToolVegeta:
			what = "dropped iterations"
		case ToolPgbench:
			what = "skipped transactions"
		}
		add("%d %s: the load generator could not hold the declared rate", r.Dropped, what)
	}
	if a := r.AbortedClients; a != nil && *a > 0 {
		add("%d aborted client(s): the run is incomplete", *a)
	}
	for _, e := range r.ToolErrors {
		add("the tool reported an error: %s", e)
	}

	// Time.
	if finite("duration_s", r.DurationS) {
		switch {
		case r.DurationS < MinDurationS:
			add("duration_s %v is below %v s: the run measured nothing", r.DurationS, MinDurationS)
		case r.DurationS > MaxDurationS:
			add("duration_s %v is above a year", r.DurationS)
		}
	}
	if finite("throughput_per_s", r.ThroughputPerS) && r.DurationS >= MinDurationS && ops > 0 {
		want := float64(ops) / r.DurationS
		if math.Abs(r.ThroughputPerS-want) > 1e-9*want {
			add("throughput_per_s %v is not operations.count / duration_s (%v)", r.ThroughputPerS, want)
		}
	}
	var started, ended time.Time
	for _, ts := range []struct {
		n string
		v *string
		t *time.Time
	}{{"started_at", r.StartedAt, &started}, {"ended_at", r.EndedAt, &ended}} {
		if ts.v == nil {
			continue
		}
		t, err := CheckTimestamp(*ts.v)
		if err != nil {
			add("%s: %v", ts.n, err)
		}
		*ts.t = t
	}
	if !started.IsZero() && !ended.IsZero() && ended.Before(started) {
		add("ended_at %s is before started_at %s", *r.EndedAt, *r.StartedAt)
	}
	if r.Run != nil {
		for _, ts := range []struct{ n, v string }{{"run.window_start", r.Run.WindowStart}, {"run.window_end", r.Run.WindowEnd}} {
			if _, err := CheckTimestamp(ts.v); err != nil {
				add("%s: %v", ts.n, err)
			}
		}
	}

	// Errors.
	if c := r.Errors.Count; c != nil {
		nonNeg("errors.count", c)
		if *c > ops && ops >= 0 {
			add("errors.count %d is above operations.count %d", *c, ops)
		}
	}
	if e := r.Errors.Rate; e != nil {
		if finite("errors.rate", *e) && *e > 1 {
			add("errors.rate %v is above 1", *e)
		}
	}
	if r.Checks != nil {
		nonNeg("checks.passes", &r.Checks.Passes)
		nonNeg("checks.fails", &r.Checks.Fails)
	}

	validateLatency(add, finite, "latency_ms", r.LatencyMs)
	for i, b := range r.Breakdown {
		n := fmt.Sprintf("breakdown[%d] (%s %s)", i, b.Kind, b.Name)
		if b.Name == "" {
			add("breakdown[%d]: empty name", i)
		}
		if !slices.Contains(PartKinds, b.Kind) {
			add("%s: kind %q is not one of %v", n, b.Kind, PartKinds)
		}
		nonNeg(n+" operations", b.Operations)
		nonNeg(n+" errors", b.Errors)
		nonNeg(n+" retries", b.Retries)
		if b.ThroughputPerS != nil {
			finite(n+" throughput_per_s", *b.ThroughputPerS)
		}
		validateLatency(add, finite, n+" latency_ms", b.LatencyMs)
	}

	for _, d := range []struct{ n, v string }{{"manifests_digest", r.ManifestsDigest}, {"price_sheet_digest", r.PriceSheetDigest}} {
		if d.v != "" && !sha256Pattern.MatchString(d.v) {
			add("%s %q is not sha256:<64 hex digits>", d.n, d.v)
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
		}{{"cost.per_million_operations", r.Cost.PerMillionOperations}, {"cost.per_transaction", r.Cost.PerTransaction}, {"cost.per_million_messages", r.Cost.PerMillionMessages}, {"cost.per_gb", r.Cost.PerGB}} {
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
	if m := exp.MaxErrorRate; m != nil && !math.IsNaN(*m) {
		switch {
		case r.Errors.Rate == nil:
			add("error rate unknown (the source reports no failures) but a maximum of %v was required", *m)
		case *r.Errors.Rate > *m:
			add("error rate %.6g is above the maximum %v", *r.Errors.Rate, *m)
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func unitOr(u string) string {
	if u == "" {
		return "operations"
	}
	return u
}

func validateLatency(add func(string, ...any), finite func(string, float64) bool, name string, l Latency) {
	if !slices.Contains(LatencySources, l.Source) {
		add("%s.source %q is not one of %v", name, l.Source, LatencySources)
	}
	if l.Source == LatencyNone && l.Any() {
		add("%s.source is none but it has figures", name)
	}
	if l.Source != LatencyNone && l.Source != "" {
		if !l.Any() {
			add("%s.source is %s but every figure is null", name, l.Source)
		}
		if !perPattern.MatchString(l.Per) {
			add("%s.per %q does not say what one sample times", name, l.Per)
		}
	}
	lat := []struct {
		n string
		v *float64
	}{
		{"min", l.Min}, {"med", l.Med}, {"p90", l.P90}, {"p95", l.P95}, {"p99", l.P99}, {"p999", l.P999}, {"max", l.Max},
		{"avg", l.Avg}, {"stddev", l.Stddev},
	}
	ok := true
	for _, x := range lat {
		if x.v != nil && !finite(name+"."+x.n, *x.v) {
			ok = false
		}
	}
	if !ok {
		return
	}
	// Order statistics must be monotone; anything else is corrupt input.
	var prev *float64
	prevName := ""
	for _, x := range lat[:7] {
		if x.v == nil {
			continue
		}
		if prev != nil && *x.v < *prev {
			add("%s.%s (%v) is below %s.%s (%v)", name, x.n, *x.v, name, prevName, *prev)
		}
		prev, prevName = x.v, x.n
	}
	if a, lo, hi := l.Avg, l.Min, l.Max; a != nil && lo != nil && hi != nil && (*a < *lo*(1-1e-9) || *a > *hi*(1+1e-9)) {
		add("%s.avg (%v) is outside [min %v, max %v]", name, *a, *lo, *hi)
	}
}

func (r *Result) sourceFormat() string {
	c := &Result{}
	c.SetSources(r.Sources)
	return c.SourceFormat
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
