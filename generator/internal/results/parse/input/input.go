// Package input reads the files the load-tool parsers consume, with the
// same guarantees for every format: lines are bounded in length (a longer
// line is an error, never an unbounded allocation), binary data (a NUL
// byte) is refused at once, gzip is decompressed transparently, a
// `kubectl logs --timestamps` prefix on every line is recognised and
// stripped, every error names the file, line and byte offset, and no error
// echoes more than a short excerpt of the input. It also tells when two
// paths name one file (same device and inode) and computes each file's
// SHA-256, so that a copy of one load generator's output is never merged
// twice.
package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits shared by the parsers (docs/results.md lists them per format).
const (
	// MaxLineBytes bounds one line of a text output (pgbench, redis-benchmark,
	// nats bench, Kafka, PerfTest, pod logs).
	MaxLineBytes = 1 << 20
	// MaxDocBytes bounds a JSON document read whole (k6 summaries, fio's
	// report): such documents are often a single line.
	MaxDocBytes = 64 << 20
	// DefaultBufBytes is the read buffer of a text reader.
	DefaultBufBytes = 64 << 10
	// excerptBytes is the most of the input an error message quotes.
	excerptBytes = 64
)

// Years outside [MinYear, MaxYear) are refused in every timestamp read.
const (
	MinYear = 2000
	MaxYear = 2200
)

// CheckTime refuses timestamps outside the years 2000 to 2199.
func CheckTime(t time.Time) error {
	if y := t.UTC().Year(); y < MinYear || y >= MaxYear {
		return fmt.Errorf("%s is outside the years %d-%d", t.UTC().Format(time.RFC3339Nano), MinYear, MaxYear-1)
	}
	return nil
}

// Source describes one parsed file: what a result records of its inputs.
type Source struct {
	// Name is the path or label as given (used in errors).
	Name string
	// SHA256 is the hex digest of the file's bytes as stored (before any
	// decompression); Bytes their count.
	SHA256 string
	Bytes  int64
}

// Options configure a Reader.
type Options struct {
	// MaxLine bounds a line (default MaxLineBytes).
	MaxLine int
	// BufBytes is the read buffer size (default DefaultBufBytes).
	BufBytes int
	// NoTimestamps disables the detection of a kubectl --timestamps prefix
	// (formats whose lines never start with one need not pay for it).
	NoTimestamps bool
	// CRIsLineEnd also ends a line at a carriage return (tools that redraw
	// a progress line with \r, like redis-benchmark): Line returns the
	// pieces of a line one by one, all with the line's number. The line as
	// a whole is still bounded by MaxLine.
	CRIsLineEnd bool
}

// Reader yields the lines of one input.
type Reader struct {
	name    string
	raw     *countingReader
	br      *bufio.Reader
	zr      *gzip.Reader
	maxLine int
	detect  bool

	lineNo   int
	offset   int64 // of the current line in the (decompressed) stream
	next     int64 // of the next line
	long     []byte
	prefixed bool
	decided  bool
	firstTS  time.Time
	lastTS   time.Time
	eof      bool
	gzipped  bool
	// noFinalNL is set when the last line returned had no line ending.
	noFinalNL bool
	splitCR   bool
	pending   []byte // the rest of a line split at \r
	inPending bool
}

type countingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.h.Write(p[:n])
		c.n += int64(n)
	}
	return n, err
}

// NewReader reads r, labelled name in errors. A gzip stream is
// decompressed; the digest covers the bytes of r itself.
func NewReader(name string, r io.Reader, opt Options) (*Reader, error) {
	if opt.MaxLine <= 0 {
		opt.MaxLine = MaxLineBytes
	}
	if opt.BufBytes <= 0 {
		opt.BufBytes = DefaultBufBytes
	}
	cr := &countingReader{r: r, h: sha256.New()}
	rd := &Reader{name: name, raw: cr, maxLine: opt.MaxLine, detect: !opt.NoTimestamps}
	rd.br = bufio.NewReaderSize(cr, opt.BufBytes)
	if magic, _ := rd.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(rd.br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		rd.zr, rd.gzipped = zr, true
		rd.br = bufio.NewReaderSize(zr, opt.BufBytes)
	}
	rd.splitCR = opt.CRIsLineEnd
	if !rd.detect {
		rd.decided = true
	}
	return rd, nil
}

// Name is the input's label.
func (r *Reader) Name() string { return r.name }

// LineNo is the number of the line last returned (1-based).
func (r *Reader) LineNo() int { return r.lineNo }

// Offset is the byte offset of the line last returned in the
// (decompressed) stream.
func (r *Reader) Offset() int64 { return r.offset }

// Prefixed reports whether lines carry a kubectl --timestamps prefix, and
// the first and last prefix times seen.
func (r *Reader) Prefixed() (bool, time.Time, time.Time) { return r.prefixed, r.firstTS, r.lastTS }

// Errorf prefixes a message with the file, line and byte offset of the
// line last returned.
func (r *Reader) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s: line %d (byte offset %d): %s", r.name, r.lineNo, r.offset, fmt.Sprintf(format, args...))
}

// Peek returns up to n bytes ahead without consuming them (for format
// detection); the bytes are those of the decompressed stream.
func (r *Reader) Peek(n int) ([]byte, error) {
	b, err := r.br.Peek(n)
	if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	return b, err
}

// Line returns the next line without its line ending (\n or \r\n) and
// without a kubectl --timestamps prefix, or io.EOF after the last line.
// The slice is valid until the next call.
func (r *Reader) Line() ([]byte, error) {
	if r.splitCR {
		if !r.inPending {
			line, err := r.line()
			if err != nil {
				return nil, err
			}
			r.pending, r.inPending = line, true
		}
		if i := bytes.IndexByte(r.pending, '\r'); i >= 0 {
			piece := r.pending[:i]
			r.pending = r.pending[i+1:]
			return piece, nil
		}
		piece := r.pending
		r.pending, r.inPending = nil, false
		return piece, nil
	}
	return r.line()
}

func (r *Reader) line() ([]byte, error) {
	if r.eof {
		return nil, io.EOF
	}
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		if i := bytes.IndexByte(line, 0); i >= 0 {
			r.lineNo++
			r.offset = r.next
			return nil, r.binary(i)
		}
		r.long = append(r.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			if i := bytes.IndexByte(line, 0); i >= 0 {
				r.lineNo++
				r.offset = r.next
				return nil, r.binary(len(r.long) + i)
			}
			if len(r.long)+len(line) > r.maxLine {
				r.lineNo++
				r.offset = r.next
				return nil, r.Errorf("line longer than %d bytes (starts %s)", r.maxLine, Excerpt(r.long))
			}
			r.long = grow(r.long, len(line), r.maxLine)
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: read after line %d: %w", r.name, r.lineNo, err)
	}
	if errors.Is(err, io.EOF) {
		r.eof = true
		if len(line) == 0 {
			return nil, io.EOF
		}
		r.noFinalNL = true
	}
	r.lineNo++
	r.offset = r.next
	r.next += int64(len(line))
	if len(line) > r.maxLine {
		return nil, r.Errorf("line longer than %d bytes (starts %s)", r.maxLine, Excerpt(line))
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		return nil, r.binary(i)
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if !r.decided {
		r.decided = true
		if _, _, ok := splitTimestamp(line); ok {
			r.prefixed = true
		}
	}
	if r.prefixed {
		ts, rest, ok := splitTimestamp(line)
		if !ok {
			return nil, r.Errorf("no kubectl --timestamps prefix, but the first line has one (%s)", Excerpt(line))
		}
		if err := CheckTime(ts); err != nil {
			return nil, r.Errorf("kubectl --timestamps prefix: %v", err)
		}
		if r.firstTS.IsZero() {
			r.firstTS = ts
		}
		r.lastTS = ts
		line = rest
	}
	return line, nil
}

func (r *Reader) binary(col int) error {
	return r.Errorf("binary data (a NUL byte at column %d): not a text output", col+1)
}

// Truncated reports whether the last line returned ended without a line
// ending: a file cut short while being written.
func (r *Reader) Truncated() bool { return r.noFinalNL }

// grow makes room for n more bytes by doubling (append's growth of large
// slices is slower, and copies more in all), never past limit.
func grow(b []byte, n, limit int) []byte {
	if len(b)+n <= cap(b) {
		return b
	}
	c := max(2*cap(b), len(b)+n, 4096)
	c = min(c, limit)
	nb := make([]byte, len(b), max(c, len(b)+n))
	copy(nb, b)
	return nb
}

// ReadDoc returns the rest of the input as one document of at most limit
// bytes (prefixes stripped, lines joined with \n). It refuses control
// characters JSON never holds, so that garbage fails at once.
func (r *Reader) ReadDoc(limit int) ([]byte, error) { return r.readAll(limit, true) }

// ReadAll returns the rest of the input, at most limit bytes, prefixes
// stripped and lines joined with \n.
func (r *Reader) ReadAll(limit int) ([]byte, error) { return r.readAll(limit, false) }

func (r *Reader) readAll(limit int, jsonOnly bool) ([]byte, error) {
	if limit <= 0 {
		limit = MaxDocBytes
	}
	saved := r.maxLine
	r.maxLine = limit
	defer func() { r.maxLine = saved }()
	var doc []byte
	startLine := r.lineNo + 1
	for {
		line, err := r.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(doc)+len(line)+1 > limit {
			return nil, fmt.Errorf("%s: lines %d-%d: document larger than %d bytes", r.name, startLine, r.lineNo, limit)
		}
		if jsonOnly {
			for i, c := range line {
				if c < 0x20 && c != '\t' && c != '\r' {
					return nil, r.Errorf("control character 0x%02x at column %d: not a JSON document", c, i+1)
				}
			}
		}
		doc = grow(doc, len(line)+1, limit)
		doc = append(doc, line...)
		doc = append(doc, '\n')
	}
	return doc, nil
}

// Finish reads what is left (a parser that stopped at the end of what it
// needs) and returns the input's source record.
func (r *Reader) Finish() (Source, error) {
	if _, err := io.Copy(io.Discard, r.raw); err != nil {
		return Source{}, fmt.Errorf("%s: read: %w", r.name, err)
	}
	if r.zr != nil {
		if err := r.zr.Close(); err != nil {
			return Source{}, fmt.Errorf("%s: gzip: %w", r.name, err)
		}
	}
	return Source{Name: r.name, SHA256: hex.EncodeToString(r.raw.h.Sum(nil)), Bytes: r.raw.n}, nil
}

// StripTimestamp removes a leading kubectl --timestamps prefix from the
// first line of head (for format detection on peeked bytes).
func StripTimestamp(head []byte) []byte {
	first := head
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = bytes.TrimSuffix(first, []byte{'\r'})
	if _, rest, ok := splitTimestamp(first); ok {
		return head[len(first)-len(rest):]
	}
	return head
}

// splitTimestamp splits an RFC 3339 timestamp and one space off the start
// of line, as `kubectl logs --timestamps` writes them.
func splitTimestamp(line []byte) (time.Time, []byte, bool) {
	if len(line) < 20 || line[4] != '-' || line[7] != '-' || line[10] != 'T' || line[13] != ':' || line[16] != ':' {
		return time.Time{}, nil, false
	}
	end := bytes.IndexByte(line, ' ')
	rest := []byte{}
	if end < 0 {
		end = len(line) // an empty log line: the timestamp alone
	} else {
		rest = line[end+1:]
	}
	if end > 40 {
		return time.Time{}, nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(line[:end]))
	if err != nil {
		return time.Time{}, nil, false
	}
	return t, rest, true
}

// Excerpt quotes at most the first 64 bytes of b, saying how long b is
// when it is longer: errors never echo a huge line.
func Excerpt(b []byte) string {
	cut := min(len(b), excerptBytes)
	for cut > 0 && cut < len(b) && !utf8.RuneStart(b[cut]) {
		cut--
	}
	q := strconv.Quote(string(b[:cut]))
	// Invalid UTF-8 quotes as \xNN, four characters a byte: keep the
	// quoted excerpt short too.
	for len(q) > 2*excerptBytes && cut > 0 {
		cut = cut * 3 / 4
		q = strconv.Quote(string(b[:cut]))
	}
	if cut == len(b) {
		return q
	}
	return q + "... (" + strconv.Itoa(len(b)) + " bytes)"
}

// Distinct refuses paths that name one file twice (the same device and
// inode, whatever the path: a symlink, a hard link, ./a and a): each file
// is one load generator's output.
func Distinct(paths []string) error {
	infos := make([]os.FileInfo, len(paths))
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return fmt.Errorf("%s is a directory, not an output file", p)
		}
		for j := 0; j < i; j++ {
			if os.SameFile(infos[j], st) {
				return fmt.Errorf("%s and %s are the same file: each file counts once", paths[j], p)
			}
		}
		infos[i] = st
	}
	return nil
}

// DistinctContent refuses two sources with identical bytes: a copy of one
// load generator's output would double every count.
func DistinctContent(srcs []Source) error {
	seen := map[string]string{}
	for _, s := range srcs {
		if s.Bytes == 0 {
			continue
		}
		if prev, ok := seen[s.SHA256]; ok {
			return fmt.Errorf("%s and %s have identical contents (sha256 %s): a copy of one load generator's output, given twice", prev, s.Name, s.SHA256[:12])
		}
		seen[s.SHA256] = s.Name
	}
	return nil
}

// Base is the base name of a source for the result (never a directory).
func Base(name string) string { return filepath.Base(name) }
