package k6

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// maxLineBytes bounds one --out json line; k6 lines are well under 1 KiB
// unless tags are huge.
const maxLineBytes = 16 << 20

// readBufBytes is the reader's buffer: lines are scanned in place.
const readBufBytes = 1 << 20

// metricDecl is a --out json "Metric" line.
type metricDecl struct {
	Type string `json:"type"`
	Data *struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Contains string `json:"contains"`
	} `json:"data"`
	Metric string `json:"metric"`
}

// q quotes a name from the input, cut short when it is long.
func q(s string) string { return input.Excerpt([]byte(s)) }

type declared struct {
	kind metricKind
}

// parseNDJSON streams a k6 --out json file in constant memory.
func parseNDJSON(rd *input.Reader) (*streamAgg, error) {
	name := rd.Name()
	agg := newStreamAgg()
	decl := make(map[string]declared, 32)
	var (
		f        lineFields
		prevTime []byte
		prevNano int64
		points   int64
	)
	fail := func(pos int, format string, args ...any) error {
		return fmt.Errorf("%s: line %d (byte offset %d): %s", name, rd.LineNo(), rd.Offset()+int64(pos), fmt.Sprintf(format, args...))
	}
	for {
		line, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) != 0 {
			if serr := scanLine(line, &f); serr != nil {
				var se *scanError
				pos := 0
				if errors.As(serr, &se) {
					pos = se.pos
				}
				hint := ""
				if rd.Truncated() {
					hint = " (last line without newline: truncated file?)"
				}
				return nil, fail(pos, "invalid JSON: %v%s", serr, hint)
			}
			if !f.typIsStr || f.typEsc {
				return nil, fail(0, `missing or non-string "type"`)
			}
			switch string(f.typ) {
			case "Point":
				if !f.metricIsStr || f.metricEsc || len(f.metric) == 0 {
					return nil, fail(0, `Point without a plain string "metric"`)
				}
				d, ok := decl[string(f.metric)]
				if !ok {
					return nil, fail(0, "Point for metric %s before its Metric line", input.Excerpt(f.metric))
				}
				if !f.hasData || !f.timeIsStr || f.timeEsc {
					return nil, fail(0, "Point for %s without data.time string", input.Excerpt(f.metric))
				}
				if f.valueKind != '-' && (f.valueKind < '0' || f.valueKind > '9') {
					return nil, fail(0, "Point for %s: data.value is not a number", input.Excerpt(f.metric))
				}
				if !bytes.Equal(f.time, prevTime) {
					t, terr := parseTime(f.time)
					if terr != nil {
						return nil, fail(0, "Point for %s: data.time: %v", input.Excerpt(f.metric), terr)
					}
					prevTime = append(prevTime[:0], f.time...)
					prevNano = t
				}
				agg.observeTime(prevNano)
				if d.kind != kindOther {
					if len(f.value) > 64 {
						return nil, fail(0, "Point for %s: data.value %s is not a sample value", input.Excerpt(f.metric), input.Excerpt(f.value))
					}
					v, perr := strconv.ParseFloat(string(f.value), 64)
					if perr != nil {
						return nil, fail(0, "Point for %s: data.value: %v", input.Excerpt(f.metric), perr)
					}
					if aerr := agg.add(d.kind, v); aerr != nil {
						return nil, fail(0, "metric %s: %v", input.Excerpt(f.metric), aerr)
					}
				}
				points++
			case "Metric":
				var m metricDecl
				if jerr := json.Unmarshal(line, &m); jerr != nil {
					return nil, fail(0, "Metric line: %v", jerr)
				}
				mname := m.Metric
				if m.Data == nil {
					return nil, fail(0, "Metric line without data")
				}
				if mname == "" {
					mname = m.Data.Name
				}
				if mname == "" {
					return nil, fail(0, "Metric line without a metric name")
				}
				if !metricTypes[m.Data.Type] {
					return nil, fail(0, "metric %s has unknown metric type %s (want counter, gauge, rate or trend)", q(mname), q(m.Data.Type))
				}
				kind := kindOther
				if b, ok := builtin[mname]; ok {
					if b.typ != m.Data.Type {
						return nil, fail(0, "metric %s declared as %s, k6 defines it as %s", q(mname), q(m.Data.Type), b.typ)
					}
					kind = b.kind
				}
				if prev, ok := decl[mname]; ok && prev.kind != kind {
					return nil, fail(0, "metric %s declared twice with different types", q(mname))
				}
				decl[mname] = declared{kind: kind}
			default:
				return nil, fail(0, "unknown line type %s (want Metric or Point)", input.Excerpt(f.typ))
			}
		}
	}
	if rd.LineNo() == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if points == 0 {
		return nil, fmt.Errorf("%s: no samples (Point lines) in %d line(s)", name, rd.LineNo())
	}
	return agg, nil
}
