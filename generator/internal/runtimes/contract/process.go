package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Instance is a runtime process listening on a loopback port.
type Instance struct {
	URL string
	// ColdStart is the time from starting the process to its first 200 on
	// /health (resolution: StartOptions.Poll).
	ColdStart time.Duration
	cmd       *exec.Cmd
	out       *capped
	done      chan struct{}
	err       error
}

// StartOptions configure a runtime process.
type StartOptions struct {
	// DatabaseURL is passed as DATABASE_URL ("" leaves it unset).
	DatabaseURL string
	// PoolSize is DATABASE_POOL_SIZE (0: the runtime's default).
	PoolSize int
	// Env is added to the process environment (KEY=VALUE).
	Env []string
	// Ready bounds the wait for GET /health to answer 200.
	Ready time.Duration
	// Poll is the interval between /health probes (0: 50ms); a small one
	// measures cold start finely.
	Poll time.Duration
}

// FreePort asks the kernel for an unused loopback TCP port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start runs argv bound to 127.0.0.1 on a free port and waits until its
// /health answers 200.
func Start(ctx context.Context, argv []string, opt StartOptions) (*Instance, error) {
	if len(argv) == 0 {
		return nil, errors.New("empty start command")
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := Command(argv[0], argv[1:]...)
	cmd.Env = append(cmd.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port))
	if opt.DatabaseURL != "" {
		cmd.Env = append(cmd.Env, "DATABASE_URL="+opt.DatabaseURL)
	}
	if opt.PoolSize > 0 {
		cmd.Env = append(cmd.Env, "DATABASE_POOL_SIZE="+strconv.Itoa(opt.PoolSize))
	}
	cmd.Env = append(cmd.Env, opt.Env...)
	out := &capped{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	in := &Instance{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, out: out, done: make(chan struct{})}
	go func() { in.err = cmd.Wait(); close(in.done) }()

	ready := opt.Ready
	if ready == 0 {
		ready = 30 * time.Second
	}
	poll := opt.Poll
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	if err := in.waitHealthy(ctx, ready, poll); err != nil {
		_ = in.Kill()
		return nil, fmt.Errorf("%s: %w\noutput:\n%s", argv[0], err, out.String())
	}
	in.ColdStart = time.Since(began)
	return in, nil
}

func (in *Instance) waitHealthy(ctx context.Context, limit, poll time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.URL+"/health", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-in.done:
			return fmt.Errorf("exited before becoming healthy: %v", in.err)
		case <-ctx.Done():
			return fmt.Errorf("not healthy on %s within %s", in.URL, limit)
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM and waits up to grace for a clean exit (status 0); a
// runtime that ignores SIGTERM or exits non-zero is an error.
func (in *Instance) Stop(grace time.Duration) error {
	if err := signalGroup(in.cmd, syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case <-in.done:
		if in.err != nil {
			return fmt.Errorf("exit after SIGTERM: %w\noutput:\n%s", in.err, in.out.String())
		}
		return nil
	case <-time.After(grace):
		_ = in.Kill()
		return fmt.Errorf("still running %s after SIGTERM\noutput:\n%s", grace, in.out.String())
	}
}

// Kill ends the process and everything it started at once.
func (in *Instance) Kill() error {
	err := signalGroup(in.cmd, syscall.SIGKILL)
	<-in.done
	if errors.Is(err, syscall.ESRCH) {
		err = nil
	}
	return err
}

// Pid is the process id (the start scripts exec the runtime, so it is the
// runtime's own).
func (in *Instance) Pid() int { return in.cmd.Process.Pid }

// Output is what the process wrote so far (stdout and stderr, capped).
func (in *Instance) Output() string { return in.out.String() }

// capped keeps the first max bytes written; the rest is counted, not kept.
type capped struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	max     int
	dropped int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	room := c.max - c.buf.Len()
	if room < len(p) {
		c.dropped += len(p) - max(room, 0)
		p = p[:max(room, 0)]
	}
	c.buf.Write(p)
	return n, nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped > 0 {
		return fmt.Sprintf("%s\n[%d more bytes not kept]", c.buf.String(), c.dropped)
	}
	return c.buf.String()
}
