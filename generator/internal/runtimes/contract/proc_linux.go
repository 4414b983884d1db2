//go:build linux

package contract

import (
	"os/exec"
	"syscall"
)

// Command is how the lab starts a process it must take down with it: in
// its own process group (so stopping reaches anything it forks), and
// killed by the kernel when the generator dies, whatever kills it (an
// interrupt, a closed pipe, SIGKILL).
func Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// signalGroup signals the process group of a started Command.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
