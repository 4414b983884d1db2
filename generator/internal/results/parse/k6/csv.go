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
)

// parseCSV reads a k6 --out csv file. Columns are found by header name, so
// both the 19-column layout (k6 >= 0.41) and older ones work. The CSV
// output declares no metric types: only k6's builtin metrics are used.
func parseCSV(name string, r io.Reader) (*streamAgg, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	need := []string{"metric_name", "timestamp", "metric_value"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("%s: line 1: header lacks column %q (got %v)", name, n, header)
		}
	}
	cName, cTime, cValue := col["metric_name"], col["timestamp"], col["metric_value"]
	agg := newStreamAgg()
	rows := 0
	var prevTS string
	var prevNano int64
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s: line %d, column %d: %v (truncated or corrupt file?)", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s: after line %d: %w", name, rows+1, err)
		}
		line, _ := cr.FieldPos(0)
		rows++
		ts := rec[cTime]
		if ts != prevTS {
			n, terr := parseCSVTime(ts)
			if terr != nil {
				return nil, fmt.Errorf("%s: line %d: timestamp %q: %v", name, line, ts, terr)
			}
			prevTS, prevNano = strings.Clone(ts), n
		}
		agg.observeTime(prevNano)
		b, ok := builtin[rec[cName]]
		if !ok {
			continue
		}
		v, perr := strconv.ParseFloat(rec[cValue], 64)
		if perr != nil {
			return nil, fmt.Errorf("%s: line %d: metric_value %q: %v", name, line, rec[cValue], perr)
		}
		if aerr := agg.add(b.kind, v); aerr != nil {
			return nil, fmt.Errorf("%s: line %d: metric %q: %v", name, line, rec[cName], aerr)
		}
	}
	if rows == 0 {
		return nil, fmt.Errorf("%s: no samples after the header", name)
	}
	return agg, nil
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
		if math.IsInf(f, 0) || f < 0 {
			return 0, fmt.Errorf("out of range")
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UnixNano(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}
