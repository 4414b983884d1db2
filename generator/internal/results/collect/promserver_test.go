package collect

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// prometheusBinary finds the Prometheus that scripts/services.sh installs.
// Missing: the test skips, or fails under LAB_REQUIRE_TOOLS=1.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test that needs prometheus")
	}
	p := os.Getenv("LAB_PROMETHEUS")
	if p == "" {
		var err error
		if p, err = exec.LookPath("prometheus"); err != nil {
			p = "/usr/bin/prometheus"
		}
	}
	if _, err := os.Stat(p); err != nil {
		msg := fmt.Sprintf("prometheus not installed (%v): run bash scripts/services.sh install", err)
		if os.Getenv("LAB_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPrometheus runs a private Prometheus scraping target (host:port)
// every second and returns its URL. It is stopped when the test ends.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin := prometheusBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	// honor_labels keeps the exporter's namespace/pod/container labels, as
	// cAdvisor's are kept by the kubelet scrape job in a cluster.
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: test
    honor_labels: true
    static_configs:
      - targets: [%q]
`, target)), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--storage.tsdb.retention.time=1h",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus exited:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus not ready after 30s:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForSamples polls until query has a result.
func waitForSamples(t *testing.T, p *Prometheus, query string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, err := p.instant(context.Background(), query, time.Now())
		if err == nil && len(v) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no samples for %s after %s (last error: %v)", query, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
