package input

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func lines(t *testing.T, name, data string, opt Options) ([]string, error) {
	t.Helper()
	r, err := NewReader(name, strings.NewReader(data), opt)
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		l, err := r.Line()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(l))
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		opt        Options
		want       []string
		err        string
	}{
		{"plain", "a\nb\n", Options{}, []string{"a", "b"}, ""},
		{"no final newline", "a\nb", Options{}, []string{"a", "b"}, ""},
		{"crlf", "a\r\nb\r\n", Options{}, []string{"a", "b"}, ""},
		{"blank lines kept", "a\n\nb\n", Options{}, []string{"a", "", "b"}, ""},
		{"kubectl timestamps on every line", "2026-12-03T13:45:02.123456789Z a\n2026-12-03T13:45:02.2Z \n2026-12-03T13:45:03Z b\n", Options{}, []string{"a", "", "b"}, ""},
		{"timestamp alone is an empty line", "2026-12-03T13:45:02Z a\n2026-12-03T13:45:02Z\n", Options{}, []string{"a", ""}, ""},
		{"offset timestamps", "2026-12-03T13:45:02+02:00 x\n", Options{}, []string{"x"}, ""},
		{"prefix missing on a later line", "2026-12-03T13:45:02Z a\nb\n", Options{}, []string{"a"}, `in: line 2 (byte offset 23): no kubectl --timestamps prefix, but the first line has one ("b")`},
		{"prefix year out of range", "2026-12-03T13:45:02Z a\n2300-01-01T00:00:00Z b\n", Options{}, []string{"a"}, "line 2 (byte offset 23): kubectl --timestamps prefix: 2300-01-01T00:00:00Z is outside the years 2000-2199"},
		{"detection off", "2026-12-03T13:45:02Z a\n", Options{NoTimestamps: true}, []string{"2026-12-03T13:45:02Z a"}, ""},
		{"not a timestamp", "2026-12-03 13:45:02 a\n", Options{}, []string{"2026-12-03 13:45:02 a"}, ""},
		{"NUL byte", "ok\nab\x00c\n", Options{}, []string{"ok"}, "in: line 2 (byte offset 3): binary data (a NUL byte at column 3): not a text output"},
		{"line too long", "ok\n" + strings.Repeat("x", 200) + "\n", Options{MaxLine: 100, BufBytes: 16}, []string{"ok"}, `in: line 2 (byte offset 3): line longer than 100 bytes (starts "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"... (`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lines(t, "in", tc.data, tc.opt)
			if tc.err == "" && err != nil {
				t.Fatal(err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDigestAndGzip(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("one\ntwo\n"))
	zw.Close()
	raw := gz.Bytes()
	r, err := NewReader("x.gz", bytes.NewReader(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := r.Line() // stop early: Finish reads the rest for the digest
	if string(l) != "one" {
		t.Fatalf("line %q", l)
	}
	src, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if src.SHA256 != hex.EncodeToString(sum[:]) || src.Bytes != int64(len(raw)) {
		t.Errorf("source %+v: want the digest of the stored (compressed) bytes", src)
	}
}

func TestReadDoc(t *testing.T) {
	r, _ := NewReader("d.json", strings.NewReader("2026-12-03T13:45:02Z {\n2026-12-03T13:45:02Z  \"a\": 1\n2026-12-03T13:45:02Z }\n"), Options{})
	doc, err := r.ReadDoc(0)
	if err != nil || string(doc) != "{\n \"a\": 1\n}\n" {
		t.Fatalf("doc %q err %v", doc, err)
	}
	r, _ = NewReader("c.json", strings.NewReader("{\"a\":\x01}"), Options{})
	if _, err := r.ReadDoc(0); err == nil || !strings.Contains(err.Error(), "c.json: line 1 (byte offset 0): control character 0x01 at column 6") {
		t.Errorf("control character: %v", err)
	}
	r, _ = NewReader("big.json", strings.NewReader(strings.Repeat("{}\n", 100)), Options{})
	if _, err := r.ReadDoc(50); err == nil || !strings.Contains(err.Error(), "document larger than 50 bytes") {
		t.Errorf("limit: %v", err)
	}
}

// /dev/zero as an output: refused on the first buffer, with a short
// message and an allocation independent of how much was offered.
func TestDevZeroBounded(t *testing.T) {
	for _, size := range []int64{1 << 20, 256 << 20} {
		f, err := os.Open("/dev/zero")
		if err != nil {
			t.Skip(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := NewReader("/dev/zero", io.LimitReader(f, size), Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Line()
		runtime.ReadMemStats(&after)
		f.Close()
		if err == nil || !strings.Contains(err.Error(), "/dev/zero: line 1 (byte offset 0): binary data") || len(err.Error()) > 200 {
			t.Fatalf("%d bytes of zeros: %v", size, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%d bytes of zeros: allocated %d bytes", size, alloc)
		}
	}
}

// One endless line of text: bounded by MaxLine, the error quotes 64 bytes.
func TestEndlessLineBounded(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, _ := NewReader("endless", io.LimitReader(repeat('a'), 512<<20), Options{})
	_, err := r.Line()
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "line longer than 1048576 bytes") || len(err.Error()) > 200 {
		t.Fatalf("%v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d bytes for a line bounded at 1 MiB", alloc)
	}
}

type repeat byte

func (c repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestDistinct(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	os.WriteFile(a, []byte("x\n"), 0o644)
	b := filepath.Join(dir, "b.log")
	os.WriteFile(b, []byte("x\n"), 0o644)
	hard := filepath.Join(dir, "hard.log")
	if err := os.Link(a, hard); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "sym.log")
	if err := os.Symlink(a, sym); err != nil {
		t.Fatal(err)
	}
	dotted := filepath.Join(dir, ".", "sub", "..", "a.log")
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if err := Distinct([]string{a, b}); err != nil {
		t.Errorf("two files: %v", err)
	}
	for _, other := range []string{hard, sym, dotted} {
		if err := Distinct([]string{a, other}); err == nil || !strings.Contains(err.Error(), "are the same file") {
			t.Errorf("%s: %v", other, err)
		}
	}
	if err := Distinct([]string{dir}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	srcs := []Source{{Name: "a.log", SHA256: strings.Repeat("1", 64), Bytes: 2}, {Name: "b.log", SHA256: strings.Repeat("1", 64), Bytes: 2}}
	if err := DistinctContent(srcs); err == nil || !strings.Contains(err.Error(), "a.log and b.log have identical contents") {
		t.Errorf("copies: %v", err)
	}
	srcs[1].SHA256 = strings.Repeat("2", 64)
	if err := DistinctContent(srcs); err != nil {
		t.Error(err)
	}
}

func TestExcerpt(t *testing.T) {
	if got := Excerpt([]byte("short")); got != `"short"` || Excerpt(nil) != `""` {
		t.Errorf("%s", got)
	}
	long := Excerpt(bytes.Repeat([]byte("é"), 1000))
	if len(long) > 100 || !strings.HasSuffix(long, "... (2000 bytes)") {
		t.Errorf("%s", long)
	}
}

func TestStripTimestamp(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12-03T13:45:02.1Z {\"type\":\"Point\"}\nx": "{\"type\":\"Point\"}\nx",
		"metric_name,timestamp\n":                        "metric_name,timestamp\n",
		"2026-12-03T13:45:02Z":                           "",
	} {
		if got := string(StripTimestamp([]byte(in))); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestCRIsLineEnd(t *testing.T) {
	got, err := lines(t, "cr", " SET: rps=1\r SET: rps=2\r====== SET ======\n  5 requests\r\n", Options{CRIsLineEnd: true})
	if err != nil || strings.Join(got, "|") != " SET: rps=1| SET: rps=2|====== SET ======|  5 requests" {
		t.Errorf("%q %v", got, err)
	}
	// kubectl prefixes the line, not the pieces after each \r.
	got, err = lines(t, "cr", "2026-12-03T13:45:02Z a\rb\r\n2026-12-03T13:45:03Z c\n", Options{CRIsLineEnd: true})
	if err != nil || strings.Join(got, "|") != "a|b|c" {
		t.Errorf("prefixed: %q %v", got, err)
	}
}

// FuzzLines: any input, with and without \r splitting, is read into lines
// of at most the bound, or refused with a short error naming the input.
func FuzzLines(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []Options{{MaxLine: 64, BufBytes: 16}, {CRIsLineEnd: true, MaxLine: 64, BufBytes: 16}} {
			r, err := NewReader("fz", bytes.NewReader(data), opt)
			if err != nil {
				continue // a gzip header that is not one
			}
			for {
				l, err := r.Line()
				if err == io.EOF {
					break
				}
				if err != nil {
					if !strings.HasPrefix(err.Error(), "fz") || len(err.Error()) > 300 {
						t.Fatalf("error %q", err)
					}
					break
				}
				if len(l) > 64 {
					t.Fatalf("a line of %d bytes past the bound of 64", len(l))
				}
			}
		}
	})
}

// Found by FuzzLines: invalid UTF-8 quotes four characters a byte; the
// excerpt stays short anyway.
func TestExcerptOfBinary(t *testing.T) {
	if e := Excerpt(bytes.Repeat([]byte{0xec}, 1000)); len(e) > 2*excerptBytes+30 {
		t.Errorf("excerpt of %d bytes: %s", len(e), e)
	}
}
