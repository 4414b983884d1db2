package k6

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// summaryPart holds the figures of one summary (handleSummary data or the
// legacy --summary-export file).
type summaryPart struct {
	requests, iterations, dropped, recv, sent int64
	// failed and failTotal count http_req_failed samples; errRate is its
	// rate when the counts are missing.
	failed, failTotal int64
	hasFailCounts     bool
	errRate           *float64
	checks            results.Checks
	vusMax            *int64
	durationS         float64
	lat               results.Latency
	thresholds        []results.Threshold
	notes             []string
}

// summaryDoc is the top of both summary layouts.
type summaryDoc struct {
	State *struct {
		TestRunDurationMs *float64 `json:"testRunDurationMs"`
	} `json:"state"`
	Metrics   map[string]json.RawMessage `json:"metrics"`
	RootGroup json.RawMessage            `json:"root_group"`
}

// handleSummary metric: {type, contains, values, thresholds}.
type summaryMetric struct {
	Type       string                      `json:"type"`
	Contains   string                      `json:"contains"`
	Values     map[string]*float64         `json:"values"`
	Thresholds map[string]summaryThreshold `json:"thresholds"`
}

type summaryThreshold struct {
	OK *bool `json:"ok"`
}

// decodeDoc parses a summary document, reporting line and offset of JSON
// errors.
func decodeDoc(name string, data []byte) (*summaryDoc, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	var doc summaryDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "unexpected EOF" {
			return nil, fmt.Errorf("%s: line %d (byte offset %d): truncated JSON: %v", name, 1+bytes.Count(data, []byte{'\n'}), len(data), err)
		}
		return nil, fmt.Errorf("%s: %w", name, results.DescribeJSONError(data, err))
	}
	// Anything but blanks after the document is corruption (two documents
	// glued together, or a log line).
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		off := dec.InputOffset()
		return nil, fmt.Errorf("%s: line %d (byte offset %d): unexpected data after the JSON document", name, 1+bytes.Count(data[:off], []byte{'\n'}), off)
	}
	if doc.Metrics == nil {
		return nil, fmt.Errorf("%s: no \"metrics\" object: not a k6 summary", name)
	}
	if len(doc.Metrics) == 0 {
		return nil, fmt.Errorf("%s: \"metrics\" is empty", name)
	}
	return &doc, nil
}

// docFormat tells handleSummary data (every metric has type and values)
// from the legacy export (values flattened, no type).
func docFormat(name string, doc *summaryDoc) (string, error) {
	typed, untyped := 0, 0
	for _, raw := range doc.Metrics {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return "", fmt.Errorf("%s: a metric is not an object: %v", name, err)
		}
		_, hasType := probe["type"]
		_, hasValues := probe["values"]
		if hasType && hasValues {
			typed++
		} else {
			untyped++
		}
	}
	switch {
	case untyped == 0:
		return results.FormatSummary, nil
	case typed == 0:
		return results.FormatSummaryExport, nil
	}
	return "", fmt.Errorf("%s: metrics mix handleSummary and --summary-export layouts", name)
}

// counterInt turns a k6 counter figure into an integer count.
func counterInt(name, metric, key string, v float64) (int64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("%s: metric %q: %s is %v", name, metric, key, v)
	}
	if v != math.Trunc(v) || v > 1<<53 {
		return 0, fmt.Errorf("%s: metric %q: %s %v is not a whole count", name, metric, key, v)
	}
	return int64(v), nil
}

// flat is one metric's numbers, whatever the layout.
type flat struct {
	typ    string
	values map[string]*float64
	// thresholds: expression -> ok
	thresholds map[string]bool
}

func parseSummaryData(name string, data []byte, forced string) (*summaryPart, string, error) {
	doc, err := decodeDoc(name, data)
	if err != nil {
		return nil, "", err
	}
	format, err := docFormat(name, doc)
	if err != nil {
		return nil, "", err
	}
	if forced != "" && forced != format {
		return nil, "", fmt.Errorf("%s: --format %s, but the file is %s", name, forced, format)
	}
	metrics := make(map[string]flat, len(doc.Metrics))
	for mname, raw := range doc.Metrics {
		var f flat
		if format == results.FormatSummary {
			var m summaryMetric
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, "", fmt.Errorf("%s: metric %q: %v", name, mname, err)
			}
			if !metricTypes[m.Type] {
				return nil, "", fmt.Errorf("%s: metric %q has unknown metric type %q (want counter, gauge, rate or trend)", name, mname, m.Type)
			}
			f = flat{typ: m.Type, values: m.Values, thresholds: map[string]bool{}}
			for expr, t := range m.Thresholds {
				if t.OK == nil {
					return nil, "", fmt.Errorf("%s: metric %q: threshold %q has no boolean \"ok\"", name, mname, expr)
				}
				f.thresholds[expr] = *t.OK
			}
		} else {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, "", fmt.Errorf("%s: metric %q: %v", name, mname, err)
			}
			f = flat{values: map[string]*float64{}, thresholds: map[string]bool{}}
			for k, v := range m {
				if k == "thresholds" {
					var th map[string]bool
					if err := json.Unmarshal(v, &th); err != nil {
						return nil, "", fmt.Errorf("%s: metric %q: thresholds: %v", name, mname, err)
					}
					// The legacy export says true when the threshold was
					// crossed, i.e. failed.
					for expr, crossed := range th {
						f.thresholds[expr] = !crossed
					}
					continue
				}
				var n *float64
				if err := json.Unmarshal(v, &n); err != nil {
					return nil, "", fmt.Errorf("%s: metric %q: %s: %v", name, mname, k, err)
				}
				f.values[k] = n
			}
			// Without a type, the builtin's type is known by name.
			if b, ok := builtin[mname]; ok {
				f.typ = b.typ
			}
		}
		for k, v := range f.values {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				return nil, "", fmt.Errorf("%s: metric %q: %s is %v", name, mname, k, *v)
			}
		}
		if b, ok := builtin[mname]; ok && f.typ != "" && f.typ != b.typ {
			return nil, "", fmt.Errorf("%s: metric %q has type %s, k6 defines it as %s", name, mname, f.typ, b.typ)
		}
		metrics[mname] = f
	}
	p := &summaryPart{}
	get := func(metric, key string) (*float64, bool) {
		m, ok := metrics[metric]
		if !ok {
			return nil, false
		}
		v, ok := m.values[key]
		return v, ok && v != nil
	}
	count := func(metric string) (int64, error) {
		v, ok := get(metric, "count")
		if !ok {
			return 0, nil // k6 omits counters that never moved
		}
		return counterInt(name, metric, "count", *v)
	}
	if p.requests, err = count("http_reqs"); err != nil {
		return nil, "", err
	}
	if p.iterations, err = count("iterations"); err != nil {
		return nil, "", err
	}
	if p.dropped, err = count("dropped_iterations"); err != nil {
		return nil, "", err
	}
	if p.recv, err = count("data_received"); err != nil {
		return nil, "", err
	}
	if p.sent, err = count("data_sent"); err != nil {
		return nil, "", err
	}

	// Rate metrics: "passes" counts true samples; for http_req_failed a
	// true sample is a failed request.
	rateKey := "rate"
	if format == results.FormatSummaryExport {
		rateKey = "value"
	}
	if _, ok := metrics["http_req_failed"]; ok {
		passes, okP := get("http_req_failed", "passes")
		fails, okF := get("http_req_failed", "fails")
		if okP && okF {
			if p.failed, err = counterInt(name, "http_req_failed", "passes", *passes); err != nil {
				return nil, "", err
			}
			nf, err := counterInt(name, "http_req_failed", "fails", *fails)
			if err != nil {
				return nil, "", err
			}
			p.failTotal, p.hasFailCounts = p.failed+nf, true
			if p.failTotal > 0 {
				r := float64(p.failed) / float64(p.failTotal)
				p.errRate = &r
			}
		} else if r, ok := get("http_req_failed", rateKey); ok {
			if *r < 0 || *r > 1 {
				return nil, "", fmt.Errorf("%s: metric \"http_req_failed\": rate %v outside [0,1]", name, *r)
			}
			v := *r
			p.errRate = &v
		}
	}
	if _, ok := metrics["checks"]; ok {
		passes, okP := get("checks", "passes")
		fails, okF := get("checks", "fails")
		if !okP || !okF {
			return nil, "", fmt.Errorf("%s: metric \"checks\" lacks passes/fails", name)
		}
		if p.checks.Passes, err = counterInt(name, "checks", "passes", *passes); err != nil {
			return nil, "", err
		}
		if p.checks.Fails, err = counterInt(name, "checks", "fails", *fails); err != nil {
			return nil, "", err
		}
	} else if len(doc.RootGroup) > 0 {
		if p.checks, err = groupChecks(name, doc.RootGroup); err != nil {
			return nil, "", err
		}
	}
	if v, ok := get("vus_max", "max"); ok {
		n, err := counterInt(name, "vus_max", "max", *v)
		if err != nil {
			return nil, "", err
		}
		p.vusMax = &n
	} else if v, ok := get("vus_max", "value"); ok {
		n, err := counterInt(name, "vus_max", "value", *v)
		if err != nil {
			return nil, "", err
		}
		p.vusMax = &n
	}

	// Duration: the summary's own test run duration; the legacy export has
	// none, but k6 computes every counter rate as count / duration.
	switch {
	case doc.State != nil && doc.State.TestRunDurationMs != nil:
		d := *doc.State.TestRunDurationMs
		if math.IsNaN(d) || math.IsInf(d, 0) || d < 0 {
			return nil, "", fmt.Errorf("%s: state.testRunDurationMs is %v", name, d)
		}
		p.durationS = d / 1000
	default:
		c, okC := get("http_reqs", "count")
		r, okR := get("http_reqs", "rate")
		if okC && okR && *r > 0 {
			p.durationS = *c / *r
			p.notes = append(p.notes, "duration_s derived from http_reqs count / rate (the source has no test run duration)")
		}
	}

	lat := func(key string) *float64 {
		if v, ok := get("http_req_duration", key); ok {
			x := *v
			return &x
		}
		return nil
	}
	p.lat = results.Latency{
		Avg: lat("avg"), Min: lat("min"), Med: lat("med"), Max: lat("max"),
		P90: lat("p(90)"), P95: lat("p(95)"), P99: lat("p(99)"),
	}
	if p.lat.P99 == nil {
		if _, ok := metrics["http_req_duration"]; ok {
			p.notes = append(p.notes, "latency_ms.p99 is null: add p(99) to summaryTrendStats to get it from a summary")
		}
	}
	names := make([]string, 0, len(metrics))
	for n := range metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for expr, ok := range metrics[n].thresholds {
			p.thresholds = append(p.thresholds, results.Threshold{Metric: n, Expression: expr, OK: ok})
		}
	}
	return p, format, nil
}

// group is a k6 group: checks and sub-groups are arrays in handleSummary
// data and maps keyed by name in the legacy export.
type group struct {
	Groups json.RawMessage `json:"groups"`
	Checks json.RawMessage `json:"checks"`
}

type check struct {
	Passes *float64 `json:"passes"`
	Fails  *float64 `json:"fails"`
}

func groupChecks(name string, raw json.RawMessage) (results.Checks, error) {
	var out results.Checks
	var walk func(raw json.RawMessage, depth int) error
	walk = func(raw json.RawMessage, depth int) error {
		if depth > 100 {
			return fmt.Errorf("%s: root_group nested too deep", name)
		}
		var g group
		if err := json.Unmarshal(raw, &g); err != nil {
			return fmt.Errorf("%s: root_group: %v", name, err)
		}
		checks, err := listOrMap[check](g.Checks)
		if err != nil {
			return fmt.Errorf("%s: root_group checks: %v", name, err)
		}
		for _, c := range checks {
			if c.Passes == nil || c.Fails == nil {
				return fmt.Errorf("%s: a check lacks passes/fails", name)
			}
			p, err := counterInt(name, "checks", "passes", *c.Passes)
			if err != nil {
				return err
			}
			f, err := counterInt(name, "checks", "fails", *c.Fails)
			if err != nil {
				return err
			}
			out.Passes += p
			out.Fails += f
		}
		groups, err := listOrMap[json.RawMessage](g.Groups)
		if err != nil {
			return fmt.Errorf("%s: root_group groups: %v", name, err)
		}
		for _, sub := range groups {
			if err := walk(sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	err := walk(raw, 0)
	return out, err
}

// listOrMap decodes a JSON array or an object's values, in key order.
func listOrMap[T any](raw json.RawMessage) ([]T, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var l []T
		err := json.Unmarshal(raw, &l)
		return l, err
	}
	var m map[string]T
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	l := make([]T, 0, len(m))
	for _, k := range keys {
		l = append(l, m[k])
	}
	return l, nil
}
