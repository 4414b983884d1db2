package benchlocal

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// userHZ is the unit of utime/stime in /proc/<pid>/stat: USER_HZ, which
// the kernel fixes at 100 for the /proc ABI on every architecture Linux
// exposes to user space.
const userHZ = 100

// ProcUsage is one reading of a process's resource counters.
type ProcUsage struct {
	// CPUSeconds is utime + stime (user and system CPU of every thread).
	CPUSeconds float64
	// RSSBytes is the resident set now (VmRSS); PeakRSSBytes is its
	// high-water mark (VmHWM) since start or the last ResetPeakRSS.
	RSSBytes     int64
	PeakRSSBytes int64
}

// ReadProc reads /proc/<pid>/stat and /proc/<pid>/status.
func ReadProc(pid int) (ProcUsage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcUsage{}, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcUsage{}, err
	}
	return parseProc(stat, status, pid)
}

func parseProc(stat, status []byte, pid int) (ProcUsage, error) {
	var u ProcUsage
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return u, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	u.CPUSeconds = cpu
	rss, hwm, err := parseStatusMemory(status)
	if err != nil {
		return u, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	u.RSSBytes, u.PeakRSSBytes = rss, hwm
	return u, nil
}

// parseStatCPU returns (utime + stime) / USER_HZ. The command name
// (field 2) is in parentheses and may hold spaces or parentheses, so the
// fields are counted from the last ')'.
func parseStatCPU(stat []byte) (float64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no ')' closing the command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// After the name: state is field 3, utime field 14, stime field 15.
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("%d fields after the command name, want at least %d", len(f), stime+1)
	}
	var ticks int64
	for _, k := range []int{utime, stime} {
		v, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("field %d: %q is not a tick count", k+3, f[k])
		}
		ticks += v
	}
	return float64(ticks) / userHZ, nil
}

// parseStatusMemory returns VmRSS and VmHWM in bytes (the file gives kB).
func parseStatusMemory(status []byte) (rss, hwm int64, err error) {
	found := 0
	for line := range strings.SplitSeq(string(status), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("%s: %q is not \"<n> kB\"", key, strings.TrimSpace(val))
		}
		n, perr := strconv.ParseInt(f[0], 10, 64)
		if perr != nil || n < 0 {
			return 0, 0, fmt.Errorf("%s: %q is not a size", key, f[0])
		}
		if key == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("VmRSS or VmHWM missing (a kernel thread or a zombie has neither)")
	}
	return rss, hwm, nil
}

// ResetPeakRSS sets VmHWM back to the current RSS (writing 5 to
// /proc/<pid>/clear_refs, Linux 4.0+), so that each run has its own peak.
func ResetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}
