package benchlocal

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunOpenModel drives a real loopback HTTP server whose every fifth
// answer takes 300 ms: at a fixed arrival rate the slow answers must not
// hold back the others (an open model), and the answers are counted by
// status.
func TestRunOpenModel(t *testing.T) {
	if testing.Short() {
		t.Skip("sends load for about a second")
	}
	var n, bodyOK atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if r.Method == http.MethodPost {
			if b, _ := io.ReadAll(r.Body); string(b) == EchoBody && r.Header.Get("Content-Type") == "application/json" {
				bodyOK.Add(1)
			}
		}
		if i%5 == 0 {
			time.Sleep(300 * time.Millisecond)
		}
		if i%10 == 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("httptest server on %s, not loopback", srv.URL)
	}
	echo, _ := endpointByName("echo")
	start := time.Now()
	m, err := Run(context.Background(), Load{BaseURL: srv.URL, Endpoint: echo, Rate: 100, Duration: time.Second, Timeout: 2 * time.Second, Pid: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if m.Expected != 100 || m.Requests < 99 || m.Requests > 101 {
		t.Errorf("requests %d, expected %d: want 100 ± 1 at 100/s for 1s", m.Requests, m.Expected)
	}
	// Closed-loop with vegeta's 10 initial workers would need ≥ 20 slow
	// answers × 300 ms / 10 workers more; open-model ends near 1.3 s.
	if took > 2*time.Second {
		t.Errorf("run took %s: the slow answers held back the arrivals", took)
	}
	if bodyOK.Load() != m.Requests {
		t.Errorf("%d of %d requests carried the echo body and Content-Type", bodyOK.Load(), m.Requests)
	}
	if got := m.StatusCodes[200] + m.StatusCodes[503]; got != m.Requests || m.StatusCodes[503] != (m.Requests+7)/10 {
		t.Errorf("status codes %v for %d requests", m.StatusCodes, m.Requests)
	}
	if m.ErrorRequests() != m.StatusCodes[503] {
		t.Errorf("ErrorRequests = %d, want the 503s (%d)", m.ErrorRequests(), m.StatusCodes[503])
	}
	l := m.Latency
	if l.Count != m.Requests || l.P99 < 300_000 || l.Max < 300_000 || l.P50 > 100_000 || l.Min > l.P50 || l.P99 > l.Max {
		t.Errorf("latency µs = %+v: want p50 fast, p99 and max ≥ 300 ms", l)
	}
	if m.Elapsed < time.Second || m.Elapsed > 2*time.Second {
		t.Errorf("elapsed %s", m.Elapsed)
	}
	if m.Usage == nil || m.Usage.PeakRSSBytes <= 0 || m.Usage.CPUSeconds < 0 || m.Usage.Samples < 3 {
		t.Errorf("usage = %+v", m.Usage)
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	json, _ := endpointByName("json")
	for _, base := range []string{"http://10.0.0.1:8080", "http://192.168.0.2", "http://example.com"} {
		_, err := Run(context.Background(), Load{BaseURL: base, Endpoint: json, Rate: 10, Duration: time.Second, Timeout: time.Second})
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("Run(%s) = %v, want a loopback refusal", base, err)
		}
	}
}
