package kafkaperf

import (
	"bytes"
	"strings"
	"testing"
)

// BenchmarkParseProducer: an hour of 5-second window lines (720) and the
// total line.
func BenchmarkParseProducer(b *testing.B) {
	data := []byte(strings.Repeat("499683 records sent, 99936.6 records/sec (95.31 MB/sec), 14.2 ms avg latency, 305.0 ms max latency.\n", 720) +
		"359770000 records sent, 99936.1 records/sec (95.31 MB/sec), 11.96 ms avg latency, 305.00 ms max latency, 8 ms 50th, 31 ms 95th, 58 ms 99th, 201 ms 99.9th.\n")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseProducerOutput("p", bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseConsumer: the header and the summary line.
func BenchmarkParseConsumer(b *testing.B) {
	data := []byte(consumerHeaderLine + "2026-12-03 13:40:01:118, 2026-12-03 13:40:14:902, 953.6743, 69.1870, 1000000, 72547.8816, 3214, 10570, 90.2246, 94607.3794\n")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseConsumerOutput("c", bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
