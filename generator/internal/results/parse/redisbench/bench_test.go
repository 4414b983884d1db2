package redisbench

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkParseReport: the default report of the 20 default tests
// (progress lines included).
func BenchmarkParseReport(b *testing.B) { benchFile(b, "testdata/default-n20000.txt") }

// BenchmarkParseCSV: the --csv table of the 20 default tests.
func BenchmarkParseCSV(b *testing.B) { benchFile(b, "testdata/default.csv") }

func benchFile(b *testing.B, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(path, bytes.NewReader(data), Options{Requests: 20000}); err != nil {
			b.Fatal(err)
		}
	}
}
