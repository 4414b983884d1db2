package natsbench

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// BenchmarkParseReport: a four-client report with its log lines.
func BenchmarkParseReport(b *testing.B) { benchFile(b, "testdata/service-request.log") }

// BenchmarkParseCSV: a four-client --csv file.
func BenchmarkParseCSV(b *testing.B) { benchFile(b, "testdata/service-request.csv") }

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

// BenchmarkParseManyClients: a report of 10,000 clients (about 2 MB), in
// the format of testdata/pub-c4.log, for the parser's throughput on more
// than a few lines.
func BenchmarkParseManyClients(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("13:23:43 Starting Core NATS publisher benchmark [clients=10,000, msg-size=128 B, msgs=100,000,000, sleep=0s, subject=bench.pub]\n")
	for i := 1; i <= 10000; i++ {
		fmt.Fprintf(&buf, "13:23:43 [%d] Starting Core NATS publisher, publishing 10,000 messages\n", i)
	}
	buf.WriteString("\n")
	for i := 1; i <= 10000; i++ {
		fmt.Fprintf(&buf, "  [%d] 417,567 msgs/sec ~ 51 MiB/sec ~ min: 0.08us ~ avg: 0.66us ~ max: 23,268.54us ~ P50: 0.09us ~ P90: 0.11us ~ P99: 0.17us ~ P99.9: 40.29us (10,000 msgs)\n", i)
	}
	buf.WriteString("\n NATS Core NATS publisher aggregated stats: 1,299,883 msgs/sec ~ 159 MiB/sec\n message rates min 345,576 | avg 379,084 | max 417,567 | stddev 26,124 msgs\n latencies per operation min 0.06us | avg 1.23us | max 85,650.74us | stddev 221.30us | P50 0.09us | P90 0.11us | P99 0.22us | P99.9: 27.93us\n")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r, err := Parse("many", bytes.NewReader(data), Options{})
		if err != nil || r.Operations.Count != 100_000_000 {
			b.Fatal(err)
		}
	}
}
