package collect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzToolLog: any pod log is cut at the markers, and split into nats
// bench's benchmarks and Kafka's producer and consumers, without a panic
// and without losing or duplicating a byte of the report (nats: of its
// non-blank lines). Seeds: the pod logs in testdata.
func FuzzToolLog(f *testing.F) {
	logs, _ := filepath.Glob(filepath.Join("testdata", "*-pod.log"))
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := cutLog("pod", data)
		if err != nil {
			return
		}
		producer, consumers := kafkaSections(l)
		n := len(producer)
		for _, c := range consumers {
			n += len(c)
		}
		if n != len(l.outside)+len(l.report) {
			t.Fatalf("kafka: %d bytes in the sections, %d in the log", n, len(l.outside)+len(l.report))
		}
		secs := natsSections(l)
		var all []byte
		kept := 0
		for _, s := range secs {
			all = append(all, s.data...)
			kept += nonBlank(s.data)
		}
		for _, line := range bytes.Split(l.report, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 && !bytes.Contains(all, line) {
				t.Fatalf("nats: report line %q in no section", line)
			}
		}
		if want, got := nonBlank(l.report)+nonBlank(l.outside), kept; got != want {
			t.Fatalf("nats: %d non-blank bytes in the sections, %d in the log", got, want)
		}
	})
}

// nonBlank counts the bytes of b's lines without their surrounding space.
func nonBlank(b []byte) int {
	n := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		n += len(bytes.TrimSpace(line))
	}
	return n
}
