package perftest

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkParseOutput: an hour of one-second interval lines (3600) and
// the summary, in the default format.
func BenchmarkParseOutput(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("id: t, starting consumer #0\nid: t, starting producer #0\n")
	for i := 1; i <= 3600; i++ {
		fmt.Fprintf(&buf, "id: t, time %d.000 s, sent: 20413 msg/s, received: 19870 msg/s, min/median/75th/95th/99th/max consumer latency: 210/1520/2330/4100/6012/9050 µs\n", i)
	}
	buf.WriteString("test stopped (Reached time limit)\nid: t, sending rate avg: 20413 msg/s\nid: t, receiving rate avg: 19870 msg/s\nid: t, consumer latency min/median/75th/95th/99th/max 198/1421/2140/3890/5610/12480 µs\n")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse("p", bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
