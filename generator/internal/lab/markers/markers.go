// Package markers is the contract between the generated k6 scripts and the
// results collector: handleSummary prints the summary JSON between a Begin
// and an End line on stdout, and the collector cuts it out of the pod log.
// It has no dependencies so that the k6 script generator can import it.
package markers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Marker lines, each alone on its line.
const (
	Begin = "K6_SUMMARY_BEGIN"
	End   = "K6_SUMMARY_END"
)

// MaxSummaryBytes bounds one summary; a larger block means a broken log.
const MaxSummaryBytes = 64 << 20

// ErrNoSummary is returned when the log holds no Begin marker.
var ErrNoSummary = errors.New("no " + Begin + " marker in log")

// isMarker accepts the marker alone on a line, also with a carriage return
// or surrounding blanks, and after a "kubectl logs --timestamps" prefix.
func isMarker(line []byte, m string) bool {
	line = bytes.TrimSpace(line)
	if string(line) == m {
		return true
	}
	i := bytes.LastIndexByte(line, ' ')
	return i >= 0 && string(line[i+1:]) == m
}

// Extract returns the bytes between the Begin and End marker lines of r.
// It fails when there is no summary, when the log ends before End (a pod
// killed mid-print), or when it holds more than one summary.
func Extract(r io.Reader) ([]byte, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxSummaryBytes)
	var (
		out       []byte
		inside    bool
		found     bool
		lineNo    int
		beginLine int
	)
	for sc.Scan() {
		lineNo++
		line := sc.Bytes()
		switch {
		case isMarker(line, Begin):
			if inside {
				return nil, fmt.Errorf("line %d: %s inside the summary begun on line %d", lineNo, Begin, beginLine)
			}
			if found {
				return nil, fmt.Errorf("line %d: a second summary (the first ended before): the log holds more than one run", lineNo)
			}
			inside, beginLine = true, lineNo
		case isMarker(line, End):
			if !inside {
				return nil, fmt.Errorf("line %d: %s without %s", lineNo, End, Begin)
			}
			inside, found = false, true
		case inside:
			if len(out)+len(line) > MaxSummaryBytes {
				return nil, fmt.Errorf("line %d: summary larger than %d bytes", lineNo, MaxSummaryBytes)
			}
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if inside {
		return nil, fmt.Errorf("truncated log: %s on line %d has no %s", Begin, beginLine, End)
	}
	if !found {
		return nil, ErrNoSummary
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, fmt.Errorf("empty summary between %s and %s on line %d", Begin, End, beginLine)
	}
	return out, nil
}
