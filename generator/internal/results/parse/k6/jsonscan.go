package k6

import (
	"fmt"
)

// A hand-written, validating scanner for one --out json line. It accepts
// exactly the JSON that encoding/json accepts (checked by a fuzz test) but
// only captures the few fields the collector needs, which is several times
// faster than reflection-based decoding of every sample.

// scanError is a syntax error at a byte position within the line.
type scanError struct {
	pos int
	msg string
}

func (e *scanError) Error() string { return e.msg }

func errAt(pos int, format string, args ...any) error {
	return &scanError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

// maxDepth matches encoding/json's nesting limit.
const maxDepth = 10000

// strSpecial marks bytes that end the fast path inside a string.
var strSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return
}()

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanString expects b[i] == '"' and returns the index after the closing
// quote and whether the string had escapes.
func scanString(b []byte, i int) (int, bool, error) {
	i++ // opening quote
	esc := false
	for {
		for i < len(b) && !strSpecial[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, esc, errAt(i, "unexpected end of line in string")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return i + 1, esc, errAt(i+1, "unexpected end of line in string escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, esc, errAt(i, "invalid \\u escape in string")
				}
				i += 6
			default:
				return i + 1, esc, errAt(i+1, "invalid escape character %q in string", b[i+1])
			}
		default:
			return i, esc, errAt(i, "invalid control character %#x in string", c)
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanNumber validates the JSON number grammar starting at b[i].
func scanNumber(b []byte, i int) (int, error) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, errAt(i, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, errAt(i, "invalid number: digit expected after decimal point")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, errAt(i, "invalid number: digit expected in exponent")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	_ = start
	return i, nil
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, errAt(i, "invalid literal, expected %s", lit)
	}
	return i + len(lit), nil
}

// skipValue validates one JSON value starting at b[i] (no leading blanks)
// and returns the index after it.
func skipValue(b []byte, i int, depth int) (int, error) {
	if i >= len(b) {
		return i, errAt(i, "unexpected end of line, value expected")
	}
	switch c := b[i]; {
	case c == '"':
		j, _, err := scanString(b, i)
		return j, err
	case c == '{':
		return skipObject(b, i, depth+1)
	case c == '[':
		return skipArray(b, i, depth+1)
	case c == '-' || isDigit(c):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	default:
		return i, errAt(i, "invalid character %q, value expected", c)
	}
}

func skipObject(b []byte, i int, depth int) (int, error) {
	if depth > maxDepth {
		return i, errAt(i, "nesting too deep")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(i, "object key (string) expected")
		}
		var err error
		if i, _, err = scanString(b, i); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, errAt(i, "':' expected after object key")
		}
		i = skipWS(b, i+1)
		if i, err = skipValue(b, i, depth); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of line in object")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, errAt(i, "',' or '}' expected in object, got %q", b[i])
		}
	}
}

func skipArray(b []byte, i int, depth int) (int, error) {
	if depth > maxDepth {
		return i, errAt(i, "nesting too deep")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = skipValue(b, i, depth); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of line in array")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, errAt(i, "',' or ']' expected in array, got %q", b[i])
		}
	}
}

// lineFields are the raw fields of one --out json line. Raw strings are
// without quotes; *Esc tells that they hold escapes to decode.
type lineFields struct {
	typ, metric       []byte
	typEsc, metricEsc bool
	typIsStr          bool
	metricIsStr       bool
	hasData           bool
	time              []byte // raw string contents of data.time
	timeEsc           bool
	timeIsStr         bool
	value             []byte // raw number of data.value
	valueKind         byte   // first byte of data.value, 0 when absent
}

// scanLine validates a whole line as one JSON object and captures the
// fields. Keys are compared raw; a key spelled with escapes is not matched,
// which k6 never writes.
func scanLine(b []byte, f *lineFields) error {
	*f = lineFields{}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errAt(i, "line is not a JSON object")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return errAt(i, "object key (string) expected")
			}
			ks := i + 1
			var err error
			var kesc bool
			if i, kesc, err = scanString(b, i); err != nil {
				return err
			}
			key := b[ks : i-1]
			if kesc {
				key = nil
			}
			i = skipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return errAt(i, "':' expected after object key")
			}
			i = skipWS(b, i+1)
			vs := i
			switch string(key) {
			case "type", "metric":
				var esc bool
				isStr := i < len(b) && b[i] == '"'
				if isStr {
					i, esc, err = scanString(b, i)
				} else {
					i, err = skipValue(b, i, 1)
				}
				if err != nil {
					return err
				}
				if key[0] == 't' {
					f.typIsStr, f.typEsc = isStr, esc
					if isStr {
						f.typ = b[vs+1 : i-1]
					}
				} else {
					f.metricIsStr, f.metricEsc = isStr, esc
					if isStr {
						f.metric = b[vs+1 : i-1]
					}
				}
			case "data":
				if i < len(b) && b[i] == '{' {
					f.hasData = true
					i, err = scanData(b, i, f)
				} else {
					i, err = skipValue(b, i, 1)
				}
				if err != nil {
					return err
				}
			default:
				if i, err = skipValue(b, i, 1); err != nil {
					return err
				}
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return errAt(i, "unexpected end of line in object (truncated line?)")
			}
			if b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if b[i] == '}' {
				i++
				break
			}
			return errAt(i, "',' or '}' expected in object, got %q", b[i])
		}
	}
	i = skipWS(b, i)
	if i != len(b) {
		return errAt(i, "unexpected data after the JSON object")
	}
	return nil
}

// scanData walks the "data" object, capturing time and value.
func scanData(b []byte, i int, f *lineFields) (int, error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(i, "object key (string) expected")
		}
		ks := i + 1
		var err error
		var kesc bool
		if i, kesc, err = scanString(b, i); err != nil {
			return i, err
		}
		key := b[ks : i-1]
		if kesc {
			key = nil
		}
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, errAt(i, "':' expected after object key")
		}
		i = skipWS(b, i+1)
		vs := i
		switch string(key) {
		case "time":
			if i < len(b) && b[i] == '"' {
				var esc bool
				i, esc, err = scanString(b, i)
				f.time, f.timeEsc, f.timeIsStr = b[vs+1:max(i-1, vs+1)], esc, true
			} else {
				i, err = skipValue(b, i, 2)
				f.time, f.timeIsStr = nil, false
			}
		case "value":
			i, err = skipValue(b, i, 2)
			if err == nil {
				f.value, f.valueKind = b[vs:i], b[vs]
			}
		default:
			i, err = skipValue(b, i, 2)
		}
		if err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of line in object (truncated line?)")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, errAt(i, "',' or '}' expected in object, got %q", b[i])
		}
	}
}
