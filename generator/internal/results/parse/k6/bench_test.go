package k6

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchFile writes a synthetic --out json file of about K6_BENCH_MB
// megabytes (default 256) into a temp dir; it is never committed.
func benchFile(b *testing.B) (string, int64) {
	b.Helper()
	mb := 256
	if v := os.Getenv("K6_BENCH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("K6_BENCH_MB=%q: want a positive integer", v)
		}
		mb = n
	}
	// One request writes ~2.1 KB of NDJSON across its ten samples.
	s := synth{requests: mb * 1000 * 1000 / 2100, seed: 5, base: 1, mean: 30, failEvery: 100, vus: 50, start: t0, step: 100 * time.Microsecond}
	p := filepath.Join(b.TempDir(), "big.ndjson")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.writeNDJSON(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	return p, st.Size()
}

// peakHeap samples live heap objects while f runs.
func peakHeap(f func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	return peak.Load()
}

// BenchmarkParseNDJSON reports throughput (MB/s), allocations and the peak
// live heap while parsing a large file.
func BenchmarkParseNDJSON(b *testing.B) {
	path, size := benchFile(b)
	runtime.GC()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		p := peakHeap(func() {
			if _, err := ParseFiles([]string{path}, Options{}); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}

// Memory must not grow with file size: the allocations of a parse are the
// same for a file ten times larger.
func TestNDJSONAllocationsIndependentOfSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two files of a few MB")
	}
	dir := t.TempDir()
	allocs := func(requests int) float64 {
		s := synth{requests: requests, seed: 11, base: 1, mean: 30, failEvery: 10, vus: 5, start: t0, step: time.Millisecond}
		p := writeSynth(t, dir, strconv.Itoa(requests)+".ndjson", s)
		return testing.AllocsPerRun(3, func() {
			if _, err := ParseFiles([]string{p}, Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(2000), allocs(20000)
	if large > small+8 {
		t.Errorf("allocations grow with file size: %v for 2k requests, %v for 20k", small, large)
	}
	t.Logf("allocations per parse: %v (2k requests), %v (20k requests)", small, large)
}
