package pgbench

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchLog writes a synthetic per-transaction log of about PGBENCH_BENCH_MB
// megabytes (default 64) to a temp dir: 16 clients, latencies of 0.5 ms
// plus an exponential tail, one in 50 transactions failed.
func benchLog(b *testing.B) (string, int64) {
	b.Helper()
	mb := 64
	if v := os.Getenv("PGBENCH_BENCH_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("PGBENCH_BENCH_MB=%q: want a positive integer", v)
		}
		mb = n
	}
	p := filepath.Join(b.TempDir(), "txn.4242")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	rng := rand.New(rand.NewPCG(1, 2))
	no := make([]int, 16)
	us := int64(1796303954_000000)
	var written int64
	for written < int64(mb)<<20 {
		c := rng.IntN(16)
		no[c]++
		us += int64(rng.IntN(200))
		lat := "failed"
		if rng.IntN(50) != 0 {
			lat = strconv.Itoa(500 + int(rng.ExpFloat64()*3000))
		}
		n, _ := fmt.Fprintf(w, "%d %d %s 0 %d %d\n", c, no[c], lat, us/1_000_000, us%1_000_000)
		written += int64(n)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return p, written
}

// BenchmarkParseTxLog reports the per-transaction log parser's throughput.
func BenchmarkParseTxLog(b *testing.B) {
	path, size := benchLog(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseFiles([]string{path}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseOutput reports the summary parser's throughput on a real
// output with per-statement latencies.
func BenchmarkParseOutput(b *testing.B) {
	data, err := os.ReadFile("testdata/serialization-retry.log")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse("out", bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
