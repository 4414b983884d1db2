package natsbench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

// lockedBuffer collects a background process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// background starts a nats bench that waits (sub, service serve), and
// returns once its log says it started; wait collects its output.
func background(t *testing.T, dir string, ready string, argv ...string) (wait func(stop bool) []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), ready) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start:\n%s", strings.Join(argv, " "), out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // its subscription is set up after the log line
	return func(stop bool) []byte {
		if stop {
			cmd.Process.Signal(os.Interrupt)
		}
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not finish:\n%s", strings.Join(argv, " "), out.String())
		}
		return []byte(out.String())
	}
}

func rate(t *testing.T, out []byte) float64 {
	t.Helper()
	m := regexp.MustCompile(`stats: ([\d,]+) msgs/sec`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no rate in\n%s", out)
	}
	v, _ := strconv.ParseFloat(strings.ReplaceAll(string(m[1]), ",", ""), 64)
	return v
}

// TestLiveNatsBench runs natscli's nats bench against a real nats-server
// (JetStream on) on 127.0.0.1; every benchmark is a second or less.
func TestLiveNatsBench(t *testing.T) {
	nats := ptest.NatsCLI(t)
	srv := ptest.Nats(t)
	url := "nats://127.0.0.1:" + strconv.Itoa(srv.Port)
	dir := t.TempDir()
	bench := func(args ...string) []string { return append([]string{nats, "-s", url, "bench"}, args...) }
	parse := func(t *testing.T, name string, data []byte) *results.Result {
		t.Helper()
		p := ptest.WriteFile(t, dir, name, data)
		r, err := ParseFiles([]string{p}, Options{})
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		return r
	}

	t.Run("pub, 4 clients, with CSV", func(t *testing.T) {
		out := ptest.Run(t, time.Minute, dir, bench("pub", "bench.pub", "--msgs", "40000", "--size", "64", "--clients", "4", "--no-progress", "--csv", "pub.csv")...)
		if out.RC != 0 {
			t.Fatalf("rc %d\n%s", out.RC, out.Combined)
		}
		r := parse(t, "pub.log", out.Combined)
		if err := results.Validate(r, results.Expect{}); err != nil {
			t.Fatal(err)
		}
		if r.Operations.Count != 40000 || *r.Operations.Target != 40000 || *r.Clients != 4 || *r.Bytes.Out != 40000*64 {
			t.Errorf("%d of %v messages by %d clients, %v bytes out", r.Operations.Count, r.Operations.Target, *r.Clients, r.Bytes.Out)
		}
		if !near(r.ThroughputPerS, rate(t, out.Stdout), 1e-12) {
			t.Errorf("throughput %v, printed %v", r.ThroughputPerS, rate(t, out.Stdout))
		}
		t.Logf("core pub x4: %.0f msgs/s, publish call p50 %.4f ms, p99.9 %.4f ms", r.ThroughputPerS, *r.LatencyMs.Med, *r.LatencyMs.P999)
		c, err := ParseFiles([]string{filepath.Join(dir, "pub.csv")}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Operations.Count != 40000 || *c.Clients != 4 || *c.Bytes.Out != 40000*64 {
			t.Errorf("CSV: %d messages by %d clients", c.Operations.Count, *c.Clients)
		}
	})

	t.Run("sub receiving a pub", func(t *testing.T) {
		wait := background(t, dir, "expecting 20,000 messages", bench("sub", "bench.ps", "--msgs", "20000", "--clients", "2", "--no-progress")...)
		pub := ptest.Run(t, time.Minute, dir, bench("pub", "bench.ps", "--msgs", "20000", "--no-progress")...)
		if pub.RC != 0 {
			t.Fatalf("pub rc %d\n%s", pub.RC, pub.Combined)
		}
		sub := wait(false)
		r := parse(t, "sub.log", sub)
		if err := results.Validate(r, results.Expect{}); err != nil {
			t.Fatal(err)
		}
		if r.Operations.Count != 2*20000 || *r.Operations.Target != 40000 || *r.Bytes.In != 40000*128 || r.LatencyMs.Source != results.LatencyNone {
			t.Errorf("sub: %d of %v, in %v, latency %+v", r.Operations.Count, r.Operations.Target, r.Bytes.In, r.LatencyMs)
		}
	})

	t.Run("JetStream async publish", func(t *testing.T) {
		out := ptest.Run(t, time.Minute, dir, bench("js", "pub", "async", "js.bench", "--create", "--purge", "--storage", "memory", "--msgs", "20000", "--clients", "2", "--batch", "100", "--no-progress")...)
		if out.RC != 0 {
			t.Fatalf("rc %d\n%s", out.RC, out.Combined)
		}
		r := parse(t, "js.log", out.Combined)
		if err := results.Validate(r, results.Expect{}); err != nil {
			t.Fatal(err)
		}
		if r.Operations.Count != 20000 || r.LatencyMs.Per != "batch of publishes" || *r.LatencyMs.P99 < *r.LatencyMs.Med {
			t.Errorf("%d messages, latency %+v", r.Operations.Count, r.LatencyMs)
		}
		t.Logf("JetStream async pub x2 (memory): %.0f msgs/s, batch of 100 p50 %.3f ms", r.ThroughputPerS, *r.LatencyMs.Med)
	})

	t.Run("KV put", func(t *testing.T) {
		out := ptest.Run(t, time.Minute, dir, bench("kv", "put", "--msgs", "2000", "--no-progress")...)
		if out.RC != 0 {
			t.Fatalf("rc %d\n%s", out.RC, out.Combined)
		}
		r := parse(t, "kv.log", out.Combined)
		if err := results.Validate(r, results.Expect{}); err != nil {
			t.Fatal(err)
		}
		if r.Operations.Count != 2000 || r.LatencyMs.Per != "put" {
			t.Errorf("%+v", r)
		}
	})

	t.Run("service request and reply", func(t *testing.T) {
		wait := background(t, dir, "hit control-c to stop", bench("service", "serve", "bench.svc", "--no-progress")...)
		out := ptest.Run(t, time.Minute, dir, bench("service", "request", "bench.svc", "--msgs", "2000", "--clients", "2", "--no-progress")...)
		wait(true)
		if out.RC != 0 {
			t.Fatalf("rc %d\n%s", out.RC, out.Combined)
		}
		r := parse(t, "svc.log", out.Combined)
		if err := results.Validate(r, results.Expect{}); err != nil {
			t.Fatal(err)
		}
		if r.Operations.Unit != results.UnitRequests || r.Operations.Count != 2000 || r.LatencyMs.Per != "request-reply" {
			t.Errorf("%+v", r)
		}
		t.Logf("service request x2: %.0f requests/s, request-reply p50 %.3f ms p99 %.3f ms", r.ThroughputPerS, *r.LatencyMs.Med, *r.LatencyMs.P99)
	})

	t.Run("server down", func(t *testing.T) {
		out := ptest.Run(t, time.Minute, dir, nats, "-s", "nats://127.0.0.1:"+strconv.Itoa(ptest.FreePort(t)), "bench", "pub", "x", "--msgs", "10", "--no-progress")
		if out.RC == 0 {
			t.Fatalf("rc 0 without a server\n%s", out.Combined)
		}
		r := parse(t, "down.log", out.Combined)
		if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), "nats: error:") {
			t.Errorf("refusal %v", err)
		}
	})
}
