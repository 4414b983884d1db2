package parse

import (
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// every tool and format, auto included.
func cases() (out []struct{ tool, format string }) {
	for _, t := range Tools() {
		for _, f := range t.Formats {
			out = append(out, struct{ tool, format string }{t.Name, f})
		}
	}
	return out
}

func alloc(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// /dev/zero as any tool's output, 256 MiB of it: every parser refuses it on
// its first buffer, with a short message, allocating next to nothing.
func TestEveryParserRefusesDevZero(t *testing.T) {
	for _, c := range cases() {
		f, err := os.Open("/dev/zero")
		if err != nil {
			t.Skip(err)
		}
		var perr error
		n := alloc(func() {
			_, perr = Stream(c.tool, "/dev/zero", io.LimitReader(f, 256<<20), Options{Format: c.format, Requests: requests(c.tool)})
		})
		f.Close()
		if perr == nil || !strings.Contains(perr.Error(), "/dev/zero") || !strings.Contains(perr.Error(), "binary data") || len(perr.Error()) > 300 {
			t.Errorf("%s %s: %v", c.tool, c.format, perr)
		}
		if n > 4<<20 {
			t.Errorf("%s %s: %d bytes allocated for a refusal", c.tool, c.format, n)
		}
	}
}

func requests(tool string) int64 {
	if t, _ := Lookup(tool); t.TakesRequests {
		return 1000
	}
	return 0
}

type endless byte

func (c endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// One endless line of text: refused at the format's line bound (1 MiB for
// text outputs, 16 MiB for k6 and redis-benchmark lines, 64 MiB for JSON
// documents), with an error quoting 64 bytes of it, and memory bounded by
// a few times that bound.
func TestEveryParserBoundsALine(t *testing.T) {
	for _, c := range cases() {
		var perr error
		n := alloc(func() {
			_, perr = Stream(c.tool, "endless", io.LimitReader(endless('7'), 512<<20), Options{Format: c.format, Requests: requests(c.tool)})
		})
		if perr == nil || !strings.HasPrefix(perr.Error(), "endless") || len(perr.Error()) > 400 {
			t.Errorf("%s %s: %.500v", c.tool, c.format, perr)
			continue
		}
		bound := uint64(4 << 20) // sniffing the format refuses it outright
		if strings.Contains(perr.Error(), "longer than") || strings.Contains(perr.Error(), "larger than") {
			bound = 3*lineBound(perr.Error()) + 8<<20
		}
		if n > bound {
			t.Errorf("%s %s: %d bytes allocated (bound %d): %v", c.tool, c.format, n, bound, perr)
		}
		t.Logf("%s %s: %d KiB allocated: %.120v", c.tool, c.format, n>>10, perr)
	}
}

func lineBound(msg string) uint64 {
	for _, b := range []uint64{64 << 20, 16 << 20, 1 << 20} {
		if strings.Contains(msg, " "+itoa(b)+" bytes") {
			return b
		}
	}
	return 64 << 20
}

func itoa(v uint64) string {
	s := ""
	for ; v > 0; v /= 10 {
		s = string(rune('0'+v%10)) + s
	}
	return s
}

func TestRegistry(t *testing.T) {
	names := Names()
	if len(names) != 8 || names[0] != results.ToolFio {
		t.Errorf("tools %v", names)
	}
	for _, n := range names {
		tl, err := Lookup(n)
		if err != nil || tl.Formats[0] != Auto || tl.Unit == "" || tl.Reads == "" {
			t.Errorf("%s: %+v %v", n, tl, err)
		}
		if _, ok := results.ToolFormats[n]; !ok {
			t.Errorf("%s has no formats in results.ToolFormats", n)
		}
	}
	for _, c := range []struct {
		tool, format string
		req          int64
		want         string
	}{
		{"ab", "", 0, `unknown tool "ab" (want one of fio, k6,`},
		{"k6", "xml", 0, `unknown format "xml" for k6`},
		{"k6", "", 5, "--requests means nothing to k6"},
		{"redis-benchmark", "", -1, "--requests -1 is negative"},
	} {
		if _, err := Stream(c.tool, "x", strings.NewReader(""), Options{Format: c.format, Requests: c.req}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := Files("k6", nil, Options{}); err == nil || err.Error() != "no input files" {
		t.Errorf("no files: %v", err)
	}
}
