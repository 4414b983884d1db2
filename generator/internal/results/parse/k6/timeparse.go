package k6

import (
	"fmt"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// checkYear refuses sample times outside the years 2000-2199.
func checkYear(n int64) (int64, error) {
	if err := input.CheckTime(time.Unix(0, n)); err != nil {
		return 0, err
	}
	return n, nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseTime parses the RFC 3339 timestamps k6 writes without allocating;
// anything unusual falls back to time.Parse for exact semantics.
func parseTime(b []byte) (int64, error) {
	if n, ok := fastRFC3339(b); ok {
		return checkYear(n)
	}
	if len(b) > 64 {
		return 0, fmt.Errorf("%s is not an RFC 3339 time", input.Excerpt(b))
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, err
	}
	return checkYear(t.UnixNano())
}

func fastRFC3339(b []byte) (int64, bool) {
	// 2006-01-02T15:04:05[.fraction](Z|±07:00)
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	i := 19
	nsec := 0
	if b[i] == '.' {
		i++
		start := i
		scale := 100_000_000
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-start < 9 {
				nsec += int(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == start || i-start > 9 {
			return 0, false
		}
	}
	if i >= len(b) {
		return 0, false
	}
	offset := 0
	switch b[i] {
	case 'Z':
		if i+1 != len(b) {
			return 0, false
		}
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false
		}
		oh, okh := digits(b[i+1 : i+3])
		om, okm := digits(b[i+4 : i+6])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, false
		}
		offset = (oh*60 + om) * 60
		if b[i] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // e.g. February 30th normalized into March
		return 0, false
	}
	return t.UnixNano() - int64(offset)*1e9, true
}
