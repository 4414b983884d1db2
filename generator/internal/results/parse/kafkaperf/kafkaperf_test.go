package kafkaperf

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

// These tests run on output written in Kafka 4.1/4.2's documented formats
// (testdata/README.md): the tools need a JVM and a broker, which the lab's
// machine lacks.

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

func td(n string) []string { return []string{filepath.Join("testdata", n)} }

func TestProducer(t *testing.T) {
	for _, tc := range []struct {
		file           string
		ops, errs      int64 // errs -1: unknown
		rate           float64
		avg, p50, p999 float64
		version        string
	}{
		{"producer-4.1.txt", 1000000, -1, 99860.2, 11.96, 8, 201, ""},
		{"producer-4.1-print-metrics.txt", 250000 + 1250, 1250, 49990.0, 3.41, 2, 98, "4.1.1"},
		{"producer-4.2-warmup.txt", 800000, -1, 100154.006510, 10.02, 8, 55, ""},
		{"producer-4.1-failed-sends.log", 100000 + 2, 2, 9990.0, 48.10, 12, 1900, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := ParseProducer(td(tc.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := results.Validate(r, results.Expect{}); err != nil {
				t.Fatal(err)
			}
			if r.Operations.Count != tc.ops || r.Operations.Unit != results.UnitMessages || r.Tool.Name != results.ToolKafkaProducer {
				t.Errorf("%d %s, want %d", r.Operations.Count, r.Operations.Unit, tc.ops)
			}
			sent := tc.ops - max(tc.errs, 0)
			if !near(float64(sent)/r.DurationS, tc.rate, 1e-12) {
				t.Errorf("rate %v, printed %v", float64(sent)/r.DurationS, tc.rate)
			}
			if (tc.errs < 0) != (r.Errors.Count == nil) || tc.errs >= 0 && *r.Errors.Count != tc.errs {
				t.Errorf("errors %v, want %d", r.Errors.Count, tc.errs)
			}
			l := r.LatencyMs
			if *l.Avg != tc.avg || *l.Med != tc.p50 || *l.P999 != tc.p999 || l.Min != nil || l.P90 != nil {
				t.Errorf("latency %+v", l)
			}
			if (tc.version == "") != (r.Tool.Version == nil) || tc.version != "" && *r.Tool.Version != tc.version {
				t.Errorf("version %v", r.Tool.Version)
			}
		})
	}
	r, _ := ParseProducer(td("producer-4.1.txt"), Options{})
	if want := 95.23 * (1 << 20) * (1000000 / 99860.2); math.Abs(float64(*r.Bytes.Out)-want) > 1 {
		t.Errorf("bytes out %d, want %v", *r.Bytes.Out, want)
	}
	r, _ = ParseProducer(td("producer-4.1-print-metrics.txt"), Options{})
	if max := 0.004; results.Validate(r, results.Expect{MaxErrorRate: &max}) == nil {
		t.Error("0.5% failed sends passed a 0.4% maximum")
	}
	// Two producer pods.
	r, err := ParseProducer([]string{"testdata/producer-4.1.txt", "testdata/producer-4.1-failed-sends.log"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.LoadGenerators != 2 || r.Operations.Count != 1100002 || r.Errors.Count != nil || r.LatencyMs.Med != nil || *r.LatencyMs.Max != 1950 {
		t.Errorf("two producers %+v %+v", r, r.LatencyMs)
	}
}

func TestConsumer(t *testing.T) {
	r, err := ParseConsumer(td("consumer-4.1.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := results.Validate(r, results.Expect{}); err != nil {
		t.Fatal(err)
	}
	if r.Operations.Count != 1000000 || r.DurationS != 13.784 || *r.Bytes.In != int64(math.Round(953.6743*(1<<20))) || r.StartedAt != nil {
		t.Errorf("%d in %v s, %d bytes", r.Operations.Count, r.DurationS, *r.Bytes.In)
	}
	if !near(r.ThroughputPerS, 72547.8816, 1e-6) {
		t.Errorf("throughput %v, printed nMsg.sec 72547.8816", r.ThroughputPerS)
	}
	r, err = ParseConsumer(td("consumer-4.2-deprecated.txt"), Options{})
	if err != nil || r.Operations.Count != 500000 || *r.Tool.Version != "4.2.0" || r.DurationS != 10 {
		t.Errorf("4.2: %v %+v", err, r)
	}
	for _, tc := range []struct{ file, want string }{
		{"consumer-4.1-timeout.txt", "WARNING: Exiting before consuming the expected number of messages: timeout (10000 ms) exceeded."},
		{"consumer-broker-down.log", "org.apache.kafka.common.errors.TimeoutException: Timeout expired while fetching topic metadata"},
	} {
		r, err := ParseConsumer(td(tc.file), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
	if _, err := ParseConsumer(td("consumer-4.1-detailed.txt"), Options{}); err == nil || !strings.Contains(err.Error(), "--show-detailed-stats output: the consumer prints no summary") {
		t.Errorf("detailed: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	r, err := ParseProducer(td("producer-killed.log"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), "no final \"records sent, ... 99.9th.\" line") || !strings.Contains(err.Error(), "zero messages") {
		t.Errorf("killed: %v", err)
	}
	for _, tc := range []struct {
		name, data string
		consumer   bool
		want       string
	}{
		{"locale", mustRead(t, "producer-locale-de.txt"), false, "99860,2 has a decimal comma: the JVM's locale is not English"},
		{"empty", "", false, "x: empty output"},
		{"two totals", strings.Repeat("10 records sent, 1.0 records/sec (0.00 MB/sec), 1.00 ms avg latency, 1.00 ms max latency, 1 ms 50th, 1 ms 95th, 1 ms 99th, 1 ms 99.9th.\n", 2), false, "a second total line"},
		{"older format", "1000 records sent, 99.0 records/sec (0.1 MB/sec), 2.0 ms avg latency, 9.0 ms max latency, 2 ms 50th.\n", false, "not Kafka 4.1/4.2's format"},
		{"NaN rate", "10 records sent, NaN records/sec (0.00 MB/sec), 1.00 ms avg latency, 1.00 ms max latency, 1 ms 50th, 1 ms 95th, 1 ms 99th, 1 ms 99.9th.\n", false, `"NaN" is not a non-negative number`},
		{"consumer date format", consumerHeaderLine + "13:40:01, 13:40:14, 1.0, 1.0, 10, 1.0, 0, 10, 1.0, 1.0\n", true, "want the default --date-format yyyy-MM-dd HH:mm:ss:SSS"},
		{"consumer from 1999", consumerHeaderLine + "1999-12-31 23:59:59:000, 2000-01-01 00:00:09:000, 1.0, 1.0, 10, 1.0, 0, 10, 1.0, 1.0\n", true, "1999-12-31T23:59:59Z is outside the years 2000-2199"},
		{"consumer ends first", consumerHeaderLine + "2026-12-03 13:40:14:000, 2026-12-03 13:40:01:000, 1.0, 1.0, 10, 1.0, 0, 10, 1.0, 1.0\n", true, "end.time 2026-12-03 13:40:01:000 is before start.time"},
		{"consumer inconsistent", consumerHeaderLine + "2026-12-03 13:40:01:118, 2026-12-03 13:40:14:902, 953.6743, 69.1870, 1000000, 99999.0000, 3214, 10570, 90.2246, 94607.3794\n", true, "nMsg.sec 99999 is not data.consumed.in.nMsg / (end.time - start.time)"},
		{"consumer locale", consumerHeaderLine + "2026-12-03 13:40:01:118, 2026-12-03 13:40:14:902, 953.6743, 69.1870, 1000000, 72547.8816, 3214, 10570, 90,2246, 94607,3794\n", true, "decimal comma"},
	} {
		var err error
		if tc.consumer {
			_, err = ParseConsumerOutput("x", strings.NewReader(tc.data), Options{})
		} else {
			_, err = ParseProducerOutput("x", strings.NewReader(tc.data), Options{})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

const consumerHeaderLine = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n"

func mustRead(t *testing.T, n string) string {
	b, err := os.ReadFile(filepath.Join("testdata", n))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// kubectl logs --timestamps of a Job's pod: the same figures.
func TestPrefixed(t *testing.T) {
	for _, f := range []string{"producer-4.2-warmup.txt", "consumer-4.1.txt"} {
		data := []byte(mustRead(t, f))
		parse := ParseProducerOutput
		if strings.HasPrefix(f, "consumer") {
			parse = ParseConsumerOutput
		}
		want, err := parse(f, bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := parse(f, bytes.NewReader(ptest.Prefix(data, time.Date(2026, 12, 3, 13, 40, 0, 0, time.UTC))), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Operations.Count != want.Operations.Count || got.DurationS != want.DurationS {
			t.Errorf("%s prefixed: %d in %v", f, got.Operations.Count, got.DurationS)
		}
	}
}
