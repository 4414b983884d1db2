// Package format prints the figures of every report the same way: the
// comparison table, the pull-request comment and the local benchmark
// report show one value as one string.
package format

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Number prints v with four significant digits and no exponent for the
// magnitudes benchmarks produce: 1000 and above as whole numbers
// (12346), smaller values rounded to four significant digits (12.35,
// 0.001234), and values below 1e-4 in exponent form (1.235e-05).
func Number(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) < 1e-4:
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Plain prints v rounded to four significant digits as a plain decimal
// (12350, 0.00001235): for charts whose parsers take no exponents.
// NaN and infinities print as 0, which such charts can draw.
func Plain(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(Sig4(v), 'f', -1, 64)
}

// Sig4 rounds v to four significant digits, as Number does (the nearest
// decimal, ties to even).
func Sig4(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// Duration prints d as a person writes it: "6h", "1h30m", "2m30s", "500ms"
// (time.Duration's String prints "6h0m0s").
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
