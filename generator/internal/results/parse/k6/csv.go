package k6

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// recordReader feeds a csv.Reader the lines of an input.Reader (prefixes
// stripped, each line bounded) and bounds a record, which a quoted field
// could otherwise stretch over the whole file.
type recordReader struct {
	rd   *input.Reader
	buf  []byte
	used int // bytes handed out since the last record
	err  error
}

func (r *recordReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		line, err := r.rd.Line()
		if err != nil {
			r.err = err
			continue
		}
		r.buf = append(append(r.buf[:0], line...), '\n')
	}
	if r.used > maxLineBytes {
		return 0, r.rd.Errorf("a CSV record longer than %d bytes (an unterminated quote?)", maxLineBytes)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.used += n
	return n, nil
}

// parseCSV reads a k6 --out csv file. Columns are found by header name, so
// both the 19-column layout (k6 >= 0.41) and older ones work. The CSV
// output declares no metric types: only k6's builtin metrics are used.
func parseCSV(rd *input.Reader) (*streamAgg, error) {
	name := rd.Name()
	rr := &recordReader{rd: rd}
	cr := csv.NewReader(rr)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if err != nil {
		return nil, csvError(name, err, 0)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	need := []string{"metric_name", "timestamp", "metric_value"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("%s: line 1: header lacks column %q (got %d columns, starting %s)", name, n, len(header), input.Excerpt([]byte(strings.Join(header, ","))))
		}
	}
	cName, cTime, cValue := col["metric_name"], col["timestamp"], col["metric_value"]
	agg := newStreamAgg()
	rows := 0
	var prevTS string
	var prevNano int64
	for {
		rr.used = 0
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err, rows+1)
		}
		line, _ := cr.FieldPos(0)
		rows++
		ts := rec[cTime]
		if ts != prevTS {
			n, terr := parseCSVTime(ts)
			if terr != nil {
				return nil, fmt.Errorf("%s: line %d: timestamp %s: %v", name, line, q(ts), terr)
			}
			prevTS, prevNano = strings.Clone(ts), n
		}
		agg.observeTime(prevNano)
		b, ok := builtin[rec[cName]]
		if !ok {
			continue
		}
		if len(rec[cValue]) > 64 {
			return nil, fmt.Errorf("%s: line %d: metric_value %s is not a number", name, line, q(rec[cValue]))
		}
		v, perr := strconv.ParseFloat(rec[cValue], 64)
		if perr != nil {
			return nil, fmt.Errorf("%s: line %d: metric_value %q: %v", name, line, rec[cValue], perr.(*strconv.NumError).Err)
		}
		if aerr := agg.add(b.kind, v); aerr != nil {
			return nil, fmt.Errorf("%s: line %d: metric %s: %v", name, line, q(rec[cName]), aerr)
		}
	}
	if rows == 0 {
		return nil, fmt.Errorf("%s: no samples after the header", name)
	}
	return agg, nil
}

func csvError(name string, err error, after int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d, column %d: %v (truncated or corrupt file?)", name, pe.Line, pe.Column, pe.Err)
	}
	if strings.HasPrefix(err.Error(), name+":") {
		return err // the input reader's error names the file and line
	}
	if after == 0 {
		return fmt.Errorf("%s: header: %w", name, err)
	}
	return err
}

// parseCSVTime accepts k6's "unix" (seconds, possibly fractional) and
// "rfc3339" time formats.
func parseCSVTime(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "T:") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, err
		}
		if math.IsInf(f, 0) || f < 0 || f > 1e11 {
			return 0, fmt.Errorf("out of range")
		}
		sec, frac := math.Modf(f)
		return checkYear(time.Unix(int64(sec), int64(math.Round(frac*1e9))).UnixNano())
	}
	return parseTime([]byte(s))
}
