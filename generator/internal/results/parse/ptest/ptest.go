// Package ptest runs the real load tools and servers for the parsers'
// tests: pgbench against PostgreSQL (scripts/postgres.sh), redis-benchmark
// against redis-server, nats bench against nats-server, fio on a temp
// file, each on 127.0.0.1 with a free port, bounded in time, stopped when
// the test ends.
//
// A missing binary skips the test, naming how to install it, unless
// LAB_REQUIRE_TOOLS=1 (as in CI), where it fails. Under -short every such
// test is skipped.
package ptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// missing skips, or fails under LAB_REQUIRE_TOOLS=1.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if testenv.RequireTools() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// Binary returns the path of an installed program (scripts/services.sh
// installs them from the distribution).
func Binary(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: skipping a test that runs %s", name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s is not installed (bash scripts/services.sh install): %v", name, err)
	}
	return p
}

// NatsCLI returns natscli's nats binary, the pinned tool "natscli" of
// hack/tools (bash scripts/tools.sh natscli).
func NatsCLI(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test that runs nats bench")
	}
	p, err := testenv.ToolPath("natscli")
	if err != nil {
		missing(t, "natscli (nats bench) is not available: %v; build it with: bash scripts/tools.sh natscli", err)
	}
	return p
}

// FreePort is a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Result is one finished run of a tool.
type Result struct {
	Stdout, Stderr []byte
	// Combined is stdout then stderr, as a file a pod log would be.
	Combined []byte
	RC       int
}

// Run runs argv in dir, killed after timeout; it fails the test when the
// program cannot start or times out.
func Run(t testing.TB, timeout time.Duration, dir string, argv ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: killed after %s\nstdout:\n%s\nstderr:\n%s", strings.Join(argv, " "), timeout, out.Bytes(), errb.Bytes())
	}
	rc := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		rc = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	t.Logf("$ %s (rc %d)", strings.Join(argv, " "), rc)
	return Result{Stdout: out.Bytes(), Stderr: errb.Bytes(), Combined: append(append([]byte(nil), out.Bytes()...), errb.Bytes()...), RC: rc}
}

// WriteFile writes data to dir/name and returns the path.
func WriteFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Server is a started server process.
type Server struct {
	Port int
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// Log is what the server printed.
func (s *Server) Log() string { return s.log.String() }

// Start runs a server that listens on port and waits (at most 20 s) until
// a TCP connection succeeds; the test's cleanup stops it (SIGTERM, then
// SIGKILL after 5 s).
func Start(t testing.TB, port int, argv ...string) *Server {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", argv[0], err)
	}
	s := &Server{Port: port, cmd: cmd, log: &log}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited before listening: %v\n%s", argv[0], err, log.String())
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not listening on 127.0.0.1:%d after 20 s\n%s", argv[0], port, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Redis starts redis-server on a free loopback port without persistence.
func Redis(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t, "redis-server")
	port := FreePort(t)
	dir := t.TempDir()
	return Start(t, port, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--protected-mode", "yes")
}

// Nats starts nats-server on a free loopback port, with JetStream storing
// in a temp dir.
func Nats(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t, "nats-server")
	port := FreePort(t)
	return Start(t, port, bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", t.TempDir())
}

// Postgres returns $LAB_DATABASE_URL, or starts a throwaway PostgreSQL 15
// with scripts/postgres.sh on a free port (stopped when the test ends).
func Postgres(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test that needs PostgreSQL")
	}
	if u := os.Getenv("LAB_DATABASE_URL"); u != "" {
		return u
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	script := filepath.Join(root, "scripts", "postgres.sh")
	env := append(os.Environ(), "LAB_PG_PORT="+strconv.Itoa(port))
	cmd := exec.Command("bash", script, "start")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		missing(t, "PostgreSQL: scripts/postgres.sh start failed (or set LAB_DATABASE_URL): %v\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		stop := exec.Command("bash", script, "stop")
		stop.Env = env
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("scripts/postgres.sh stop: %v\n%s", err, out)
		}
	})
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// Prefix adds a `kubectl logs --timestamps` prefix to every line of data,
// one microsecond apart from start.
func Prefix(data []byte, start time.Time) []byte {
	var b bytes.Buffer
	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, l := range lines {
		if len(l) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s ", start.Add(time.Duration(i)*time.Microsecond).UTC().Format(time.RFC3339Nano))
		b.Write(l)
	}
	return b.Bytes()
}

// MaxErrorBytes bounds a parser's error message: errors quote excerpts,
// never whole lines.
const MaxErrorBytes = 4096

// CheckParsed is the fuzz targets' invariant: a parser either refuses the
// input with a short error, or returns a result that marshals and can be
// validated (validation may refuse it; it must not panic).
func CheckParsed(t *testing.T, r *results.Result, err error) {
	t.Helper()
	if err != nil {
		if len(err.Error()) > MaxErrorBytes {
			t.Fatalf("error of %d bytes: %.200s...", len(err.Error()), err)
		}
		return
	}
	if _, err := results.MarshalIndent(r); err != nil {
		t.Fatalf("result does not marshal: %v", err)
	}
	_ = results.Validate(r, results.Expect{})
}

// WriteSeeds writes a fuzz target's seed corpus, testdata/fuzz/<target>/<name>,
// in the go test fuzz v1 format, when UPDATE_FUZZ_SEEDS=1; otherwise it
// checks that the corpus exists.
func WriteSeeds(t *testing.T, target string, seeds map[string][]byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if os.Getenv("UPDATE_FUZZ_SEEDS") != "1" {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Fatalf("no seed corpus in %s (UPDATE_FUZZ_SEEDS=1 go test -run Seeds writes it): %v", dir, err)
		}
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds {
		if len(data) > 8<<10 {
			data = data[:8<<10]
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
