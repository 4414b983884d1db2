package natsbench

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

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

// us is a latency nats bench printed in µs, in ms.
func us(v float64) float64 { return v / 1000 }

// Every figure is what nats bench printed in the test data.
func TestRealOutputs(t *testing.T) {
	for _, tc := range []struct {
		file      string
		unit      string
		ops       int64
		target    int64 // 0: none
		clients   int64
		rate      float64 // 0: not printed (CSV)
		per       string  // "": no latency
		p50, p999 float64 // µs
		out, in   int64   // -1: unknown
	}{
		{"pub.log", results.UnitMessages, 200000, 200000, 1, 1710169, "publish call", 0.11, 26.56, 200000 * 128, -1},
		{"pub-c4.log", results.UnitMessages, 200000, 200000, 4, 1299883, "publish call", 0.09, 27.93, 200000 * 128, -1},
		{"sub-1.log", results.UnitMessages, 100000, 100000, 1, 337390, "", 0, 0, -1, 100000 * 128},
		{"sub-c3.log", results.UnitMessages, 300000, 300000, 3, 398112, "", 0, 0, -1, 300000 * 256},
		{"pub-throughput-duration.log", results.UnitMessages, 15000, 15000, 2, 4997, "publish call", 0.24, 152.14, 15000 * 64, -1},
		{"service-request.log", results.UnitRequests, 20000, 20000, 4, 10735, "request-reply", 302.88, 4044.71, 20000 * 64, -1},
		{"js-pub-sync.log", results.UnitMessages, 20000, 20000, 1, 10703, "publish and ack", 76.26, 3252.44, 20000 * 128, -1},
		{"js-pub-async.log", results.UnitMessages, 100000, 100000, 2, 46850, "batch of publishes", 15704.51, 82992.47, 100000 * 128, -1},
		{"js-ordered.log", results.UnitMessages, 100000, 100000, 1, 134669, "", 0, 0, -1, 100000 * 128},
		{"js-consume.log", results.UnitMessages, 100000, 100000, 2, 79819, "", 0, 0, -1, 100000 * 128},
		{"js-fetch.log", results.UnitMessages, 50000, 50000, 2, 34161, "fetch", 45.75, 7834.34, -1, 50000 * 128},
		{"js-get-sync.log", results.UnitMessages, 10000, 10000, 1, 6927, "get", 70.23, 12369.80, -1, 10000 * 128},
		{"kv-put.log", results.UnitMessages, 20000, 20000, 2, 4106, "put", 153.46, 17668.21, 20000 * 128, -1},
		{"kv-get.log", results.UnitMessages, 20000, 0, 2, 11258, "get", 115.27, 4266.05, -1, 20000 * 128},
		{"2.14-js-pub-atomic.log", results.UnitMessages, 20000, 20000, 1, 39270, "batch of publishes", 8821.30, 77947.76, 20000 * 128, -1},
		{"2.14-js-pub-fast.log", results.UnitMessages, 20000, 20000, 1, 169954, "batch of publishes", 2524.02, 11197.21, 20000 * 128, -1},
		{"2.14-js-get-batch.log", results.UnitMessages, 50000, 50000, 1, 171708, "batch get", 81.80, 1988.44, -1, 50000 * 128},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := ParseFiles([]string{filepath.Join("testdata", tc.file)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := results.Validate(r, results.Expect{}); err != nil {
				t.Fatal(err)
			}
			if r.Operations.Unit != tc.unit || r.Operations.Count != tc.ops || *r.Clients != tc.clients {
				t.Errorf("%d %s by %d clients, want %d %s by %d", r.Operations.Count, r.Operations.Unit, *r.Clients, tc.ops, tc.unit, tc.clients)
			}
			if (tc.target == 0) != (r.Operations.Target == nil) || tc.target != 0 && *r.Operations.Target != tc.target {
				t.Errorf("target %v, want %d", r.Operations.Target, tc.target)
			}
			if !near(r.ThroughputPerS, tc.rate, 1e-12) {
				t.Errorf("throughput %v, nats bench printed %v msgs/sec", r.ThroughputPerS, tc.rate)
			}
			l := r.LatencyMs
			switch {
			case tc.per == "" && l.Source != results.LatencyNone:
				t.Errorf("latency %+v for a type that records none", l)
			case tc.per != "" && (l.Per != tc.per || l.Source != results.LatencyToolPercentiles || !near(*l.Med, us(tc.p50), 1e-12) || !near(*l.P999, us(tc.p999), 1e-12) || l.P95 != nil):
				t.Errorf("latency %+v, want per %s, p50 %v us, p99.9 %v us, no p95", l, tc.per, tc.p50, tc.p999)
			}
			for _, b := range []struct {
				n    string
				got  *int64
				want int64
			}{{"out", r.Bytes.Out, tc.out}, {"in", r.Bytes.In, tc.in}} {
				if (b.want < 0) != (b.got == nil) || b.want >= 0 && *b.got != b.want {
					t.Errorf("bytes %s %v, want %d", b.n, b.got, b.want)
				}
			}
		})
	}
}

// The --csv files: a row per client; the message count comes from
// MsgBytes and MsgsPerSec (MsgCount counts acks and API traffic too).
func TestCSV(t *testing.T) {
	for _, tc := range []struct {
		file    string
		ops     int64
		clients int64
		secs    float64
		out, in int64
		lat     bool
	}{
		{"pub-c4.csv", 200000, 4, 0.144686, 25600000, -1, true},
		{"sub-1.csv", 100000, 1, 0.296392, -1, 12800000, false},
		{"js-consume.csv", 100000, 2, 1.252832, -1, 12800000, false},
		{"js-fetch.csv", 50000, 2, 1.463646, -1, 6400000, true},
		{"kv-put.csv", 20000, 2, 4.869882, 2560000, -1, true},
		{"js-pub-sync.csv", 20000, 1, 1.868511, 2560000, -1, true},
		{"service-request.csv", 20000, 4, 1.862857, 1280000, -1, true},
	} {
		r, err := ParseFiles([]string{filepath.Join("testdata", tc.file)}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if err := results.Validate(r, results.Expect{}); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if r.Operations.Count != tc.ops || *r.Clients != tc.clients || r.DurationS != tc.secs || r.SourceFormat != FormatCSV {
			t.Errorf("%s: %d in %v s by %d clients, want %d in %v by %d", tc.file, r.Operations.Count, r.DurationS, *r.Clients, tc.ops, tc.secs, tc.clients)
		}
		if (tc.out < 0) != (r.Bytes.Out == nil) || tc.out >= 0 && *r.Bytes.Out != tc.out || (tc.in < 0) != (r.Bytes.In == nil) || tc.in >= 0 && *r.Bytes.In != tc.in {
			t.Errorf("%s: bytes %v/%v", tc.file, r.Bytes.Out, r.Bytes.In)
		}
		if tc.lat != r.LatencyMs.Any() {
			t.Errorf("%s: latency %+v", tc.file, r.LatencyMs)
		}
		if tc.clients == 1 && tc.lat && r.LatencyMs.P99 == nil {
			t.Errorf("%s: one client's percentiles are exact", tc.file)
		}
		if tc.clients > 1 && r.LatencyMs.P99 != nil {
			t.Errorf("%s: percentiles of several clients combined", tc.file)
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"js-get-batch.log", []string{"zero messages", "Error from client 0: getting message from the stream: batch get not supported by server", "nats: error: getting message"}},
		{"js-pub-atomic.log", []string{"zero messages", "nats: error: Atomic Batch Publishing requires NATS Server 2.12"}},
		{"server-down-pub.log", []string{"zero messages", "nats: error: nats: no servers available for connection"}},
		{"server-down-js.log", []string{"zero messages", "no servers available"}},
	} {
		r, err := ParseFiles([]string{filepath.Join("testdata", tc.file)}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		err = results.Validate(r, results.Expect{})
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v lacks %q", tc.file, err, w)
			}
		}
	}
	pub, _ := os.ReadFile("testdata/pub.log")
	stdoutOnly := string(pub[:bytes.Index(pub, []byte("13:23:42"))])
	pc4, _ := os.ReadFile("testdata/pub-c4.log")
	for _, tc := range []struct {
		name, data, format, want string
	}{
		{"empty", "", "", "x: empty file"},
		{"one client without stderr", stdoutOnly, "", "x: nats bench's one-client report prints no message count: give its stderr too"},
		{"unknown type", "NATS Core NATS flinger stats: 1 msgs/sec ~ 1 B/sec\n", "", `unknown benchmark type "Core NATS flinger"`},
		{"bad rate", strings.Replace(string(pub), "1,710,169 msgs/sec", "1,7x0,169 msgs/sec", 1), "", "stats \"1,7x0,169 msgs/sec"},
		{"several clients, no aggregate", strings.Replace(string(pc4), " NATS Core NATS publisher aggregated stats: 1,299,883 msgs/sec ~ 159 MiB/sec\n", "", 1), "", "x: several clients but no aggregated rate"},
		{"two benchmarks in one file", string(pub) + "NATS Core NATS subscriber stats: 1 msgs/sec ~ 1 B/sec\n", "", "one file is one benchmark"},
		{"not nats", "hello\n", "", "x: no nats bench report"},
		{"csv header", "#RunID,Client\n", "", "x: line 1 (byte offset 0): CSV header"},
		{"csv client id", "#RunID,ClientID,MsgCount,MsgBytes,MsgsPerSec,BytesPerSec,DurationSecs\nx,Q0,1,128,1,128,1\n", "", "ClientID \"Q0\": want P<n> or S<n>"},
		{"csv count that fits nothing", "#RunID,ClientID,MsgCount,MsgBytes,MsgsPerSec,BytesPerSec,DurationSecs\nx,P0,1,1000003,50000,128,1\n", "", "no message count in"},
		{"csv zero duration", "#RunID,ClientID,MsgCount,MsgBytes,MsgsPerSec,BytesPerSec,DurationSecs\nx,P0,1,128,1,128,0\n", "", "DurationSecs 0: the client ran for no time"},
		{"binary", "NATS\x00", "", "binary data"},
	} {
		if _, err := Parse("x", strings.NewReader(tc.data), Options{Format: tc.format}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// The publisher and the subscribers of one pub/sub run are two
// benchmarks: given together they are refused.
func TestPubAndSubAreTwoRuns(t *testing.T) {
	if _, err := ParseFiles([]string{"testdata/sub-c3.log", "testdata/pub-c4-for-sub-c3.log"}, Options{}); err == nil || !strings.Contains(err.Error(), "must be one benchmark") {
		t.Errorf("%v", err)
	}
	// Two publisher processes (two pods): merged.
	r, err := ParseFiles([]string{"testdata/pub-c4.log", "testdata/pub-c4-for-sub-c3.log"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.LoadGenerators != 2 || r.Operations.Count != 300000 || *r.Clients != 8 || r.LatencyMs.P99 != nil || r.Bytes.Out == nil || *r.Bytes.Out != 200000*128+100000*256 {
		t.Errorf("%+v", r)
	}
}

func TestPrefixed(t *testing.T) {
	data, _ := os.ReadFile("testdata/pub-c4.log")
	want, _ := Parse("a", bytes.NewReader(data), Options{})
	got, err := Parse("a", bytes.NewReader(ptest.Prefix(data, time.Date(2026, 12, 3, 13, 23, 43, 0, time.UTC))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got.Sources, want.Sources = nil, nil
	a, _ := results.MarshalIndent(got)
	b, _ := results.MarshalIndent(want)
	if !bytes.Equal(a, b) {
		t.Errorf("differs:\n%s\n%s", a, b)
	}
}

func TestIEC(t *testing.T) {
	for in, want := range map[string][2]float64{"128 B": {128, 1}, "1.5 KiB": {1536, 0}, "209 MiB": {209 << 20, 0}, "0 B": {0, 1}} {
		v, exact, ok := iecBytes(in)
		if !ok || v != want[0] || exact != (want[1] == 1) {
			t.Errorf("%q: %v %v %v", in, v, exact, ok)
		}
	}
	if _, _, ok := iecBytes("12 parsecs"); ok {
		t.Error("not a size accepted")
	}
}
