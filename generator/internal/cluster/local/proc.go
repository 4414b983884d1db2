package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is one program the hub runs, in its own process group, with its
// output in <dir>/<name>.log.
type Process struct {
	Name string `json:"name"`
	// PID is the process (and its group's) id; StartTicks is its start time
	// in clock ticks since boot (/proc/PID/stat field 22), so a later
	// `down` never signals a recycled pid.
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"startTicks"`
	Log        string `json:"log"`

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// spawn starts bin. Attached processes die with this one (parent-death
// signal); detached ones start a session of their own and outlive it.
func spawn(dir, name, bin string, env, args []string, detach bool) (*Process, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(detach)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, PID: cmd.Process.Pid, Log: logPath, cmd: cmd, done: make(chan struct{})}
	p.StartTicks, _ = startTicks(p.PID)
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether a process this program started has ended, and how.
func (p *Process) exited() (bool, error) {
	if p.done == nil {
		return !p.alive(), nil
	}
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// alive says whether the process still runs and is the one recorded.
func (p *Process) alive() bool {
	if p.done != nil {
		ended, _ := p.exited()
		return !ended
	}
	if p.PID <= 0 {
		return false
	}
	t, err := startTicks(p.PID)
	return err == nil && t == p.StartTicks
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *Process) stop(grace time.Duration) error {
	if !p.alive() {
		return nil
	}
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	if p.waitGone(grace) {
		return nil
	}
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	if p.waitGone(5 * time.Second) {
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed", p.Name, grace)
	}
	return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.Name, p.PID)
}

func (p *Process) waitGone(d time.Duration) bool {
	if p.done != nil {
		select {
		case <-p.done:
			return true
		case <-time.After(d):
			return false
		}
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !p.alive() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !p.alive()
}

// LogTail is the end of the process's log, for error messages.
func (p *Process) LogTail() string {
	if p == nil {
		return ""
	}
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return ""
	}
	const max = 3000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "\n--- " + p.Name + " log (tail) ---\n" + string(b)
}

// startTicks reads field 22 of /proc/PID/stat: the start time in ticks.
func startTicks(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it follow ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, errors.New("unexpected /proc stat format")
	}
	if f[0] == "Z" {
		return 0, errors.New("zombie")
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// waitFor polls ok every 100 ms until it returns nil, the process p (when
// given) exits, or timeout passes.
func waitFor(ctx context.Context, what string, timeout time.Duration, p *Process, ok func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = ok(ctx); last == nil {
			return nil
		}
		if p != nil {
			if ended, err := p.exited(); ended {
				return fmt.Errorf("%s exited (%v) while waiting for %s: %v%s", p.Name, err, what, last, p.LogTail())
			}
		}
		select {
		case <-ctx.Done():
			tail := ""
			if p != nil {
				tail = p.LogTail()
			}
			return fmt.Errorf("%s: not ready after %s: %v%s", what, timeout, last, tail)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// httpOK is a readiness probe: GET url answers 200.
func httpOK(c *http.Client, url, token string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			return fmt.Errorf("%s: %d %s", url, resp.StatusCode, strings.TrimSpace(b.String()))
		}
		return nil
	}
}

// freePorts asks the kernel for n distinct free loopback ports. They are
// released before the servers bind them; a clash is rare and shows as a
// start error.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
