package history

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// BenchmarkDetect finds the change points of a series of n points with a
// step every n/10 points (HISTORY_BENCH_N overrides the largest n).
func BenchmarkDetect(b *testing.B) {
	sizes := []int{1_000, 10_000}
	if s := os.Getenv("HISTORY_BENCH_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		var ns []int
		var means []float64
		for i := 0; i < 10; i++ {
			ns = append(ns, n/10)
			means = append(means, 100+float64(i%2)*5)
		}
		x := levels(1, 1, ns, means)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := Detect(x, Options{}); len(got) != 9 {
					b.Fatalf("%d change points, want 9", len(got))
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// BenchmarkBuild builds the history of one variant of n runs (every metric,
// change points, what changed at each).
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		rs := make([]Run, n)
		for i := range rs {
			e := env{commit: fmt.Sprintf("%040d", i/(n/10)), k6: "1.3.0", chart: "1.0", prices: prices1}
			r := result("istio", i, 10+float64(i/(n/10)%2)*2+float64(i%7)*0.01, 100, e, t0.Add(time.Duration(i)*time.Minute))
			r.RunID = fmt.Sprintf("r%06d", i)
			rs[i] = Run{Result: r, File: r.RunID + ".json"}
		}
		b.Run(fmt.Sprintf("runs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := Build("mesh-benchmark", map[string][]Run{"istio": rs}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if s := h.Variants[0].Series; len(s) == 0 {
					b.Fatal("no series")
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}

// BenchmarkLoad reads n stored results from disk (decoded strictly and
// validated), outside Git.
func BenchmarkLoad(b *testing.B) {
	const n = 2_000
	root := b.TempDir()
	base := filepath.Join(root, "benchmarks", "results")
	for i := 0; i < n; i++ {
		r := result("istio", i, 10, 100, env{k6: "1.3.0", chart: "1.0", prices: prices1}, t0.Add(time.Duration(i)*time.Minute))
		r.RunID = fmt.Sprintf("r%06d", i)
		if _, err := results.Store(base, r, results.Expect{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		rs, err := Load(root, "benchmarks/results", "mesh-benchmark")
		if err != nil {
			b.Fatal(err)
		}
		if len(rs["istio"]) != n {
			b.Fatalf("%d runs", len(rs["istio"]))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
