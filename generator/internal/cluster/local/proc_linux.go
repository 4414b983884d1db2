package local

import "syscall"

// sysProcAttr: an attached child gets its own process group (so stop
// reaches anything it forks) and is killed by the kernel if this process
// dies first; a detached child leads a new session, outliving this one and
// the terminal it ran from.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	if detach {
		return &syscall.SysProcAttr{Setsid: true}
	}
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
