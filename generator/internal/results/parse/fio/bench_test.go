package fio

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkParseJSON: a json report (7 KB).
func BenchmarkParseJSON(b *testing.B) { benchFile(b, "testdata/randread-psync-json.json") }

// BenchmarkParseJSONPlus: a json+ report with clat bins (34 KB).
func BenchmarkParseJSONPlus(b *testing.B) {
	benchFile(b, "testdata/rw-libaio-qd8-direct-jsonplus.json")
}

func benchFile(b *testing.B, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(path, bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
