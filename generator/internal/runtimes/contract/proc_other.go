//go:build !linux

package contract

import (
	"os/exec"
	"syscall"
)

// Command starts a process; outside Linux there is no parent-death signal.
func Command(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error { return cmd.Process.Signal(sig) }
