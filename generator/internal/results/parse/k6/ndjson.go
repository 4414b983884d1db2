package k6

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
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

type declared struct {
	kind metricKind
}

// parseNDJSON streams a k6 --out json file in constant memory.
func parseNDJSON(name string, r io.Reader) (*streamAgg, error) {
	br := bufio.NewReaderSize(r, readBufBytes)
	agg := newStreamAgg()
	decl := make(map[string]declared, 32)
	var (
		f        lineFields
		lineNo   int
		offset   int64
		long     []byte
		prevTime []byte
		prevNano int64
		points   int64
	)
	fail := func(pos int, format string, args ...any) error {
		return fmt.Errorf("%s: line %d (byte offset %d): %s", name, lineNo, offset+int64(pos), fmt.Sprintf(format, args...))
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it, bounded.
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
				if len(long) > maxLineBytes {
					lineNo++
					return nil, fail(0, "line longer than %d bytes", maxLineBytes)
				}
			}
			line = long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: read after line %d: %w", name, lineNo, err)
		}
		if len(line) == 0 && errors.Is(err, io.EOF) {
			break
		}
		lineNo++
		lineLen := int64(len(line))
		if len(bytes.TrimSpace(line)) != 0 {
			if serr := scanLine(line, &f); serr != nil {
				var se *scanError
				pos := 0
				if errors.As(serr, &se) {
					pos = se.pos
				}
				hint := ""
				if errors.Is(err, io.EOF) && line[len(line)-1] != '\n' {
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
					return nil, fail(0, "Point for metric %q before its Metric line", f.metric)
				}
				if !f.hasData || !f.timeIsStr || f.timeEsc {
					return nil, fail(0, "Point for %q without data.time string", f.metric)
				}
				if f.valueKind != '-' && (f.valueKind < '0' || f.valueKind > '9') {
					return nil, fail(0, "Point for %q: data.value is not a number", f.metric)
				}
				if !bytes.Equal(f.time, prevTime) {
					t, terr := parseTime(f.time)
					if terr != nil {
						return nil, fail(0, "Point for %q: data.time: %v", f.metric, terr)
					}
					prevTime = append(prevTime[:0], f.time...)
					prevNano = t
				}
				agg.observeTime(prevNano)
				if d.kind != kindOther {
					v, perr := strconv.ParseFloat(string(f.value), 64)
					if perr != nil {
						return nil, fail(0, "Point for %q: data.value: %v", f.metric, perr)
					}
					if aerr := agg.add(d.kind, v); aerr != nil {
						return nil, fail(0, "metric %q: %v", f.metric, aerr)
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
					return nil, fail(0, "metric %q has unknown metric type %q (want counter, gauge, rate or trend)", mname, m.Data.Type)
				}
				kind := kindOther
				if b, ok := builtin[mname]; ok {
					if b.typ != m.Data.Type {
						return nil, fail(0, "metric %q declared as %s, k6 defines it as %s", mname, m.Data.Type, b.typ)
					}
					kind = b.kind
				}
				if prev, ok := decl[mname]; ok && prev.kind != kind {
					return nil, fail(0, "metric %q declared twice with different types", mname)
				}
				decl[mname] = declared{kind: kind}
			default:
				return nil, fail(0, "unknown line type %q (want Metric or Point)", f.typ)
			}
		}
		offset += lineLen
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if lineNo == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if points == 0 {
		return nil, fmt.Errorf("%s: no samples (Point lines) in %d line(s)", name, lineNo)
	}
	return agg, nil
}
