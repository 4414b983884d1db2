package benchlocal

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestParseProc(t *testing.T) {
	// A command name with a space and a ')' inside, as the kernel writes it.
	stat := "4242 (bun ) srv) S 1 4242 4242 0 -1 4194560 2331 0 0 0 1234 567 0 0 20 0 9 0 81234 1124007936 10456 18446744073709551615\n"
	status := "Name:\tbun\nVmPeak:\t 1100000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n"
	u, err := parseProc([]byte(stat), []byte(status), 4242)
	if err != nil {
		t.Fatal(err)
	}
	want := ProcUsage{CPUSeconds: (1234 + 567) / 100.0, RSSBytes: 40960 << 10, PeakRSSBytes: 51200 << 10}
	if u != want {
		t.Errorf("parseProc = %+v, want %+v", u, want)
	}

	bad := []struct {
		name, stat, status, want string
	}{
		{"no name", "4242 bun S 1", status, "no ')'"},
		{"short stat", "4242 (go) S 1 2 3", status, "fields after the command name"},
		{"bad ticks", "1 (go) S 1 1 1 0 -1 0 0 0 0 0 x 5 0", status, `field 14: "x"`},
		{"no VmHWM", stat, "VmRSS:\t 1 kB\n", "VmRSS or VmHWM missing"},
		{"bad unit", stat, "VmRSS:\t 1 MB\nVmHWM:\t 1 kB\n", `VmRSS: "1 MB"`},
	}
	for _, tt := range bad {
		_, err := parseProc([]byte(tt.stat), []byte(tt.status), 7)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "/proc/7/") {
			t.Errorf("%s: err = %v, want it to name /proc/7/ and contain %q", tt.name, err, tt.want)
		}
	}
}

// TestReadProcSelf reads this test process: CPU time grows with work, the
// peak is at least the resident set, and clear_refs resets the peak.
func TestReadProcSelf(t *testing.T) {
	pid := os.Getpid()
	before, err := ReadProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	if before.RSSBytes <= 0 || before.PeakRSSBytes < before.RSSBytes {
		t.Fatalf("RSS %d, peak %d: want 0 < RSS <= peak", before.RSSBytes, before.PeakRSSBytes)
	}
	// Spin until the kernel itself (getrusage) has charged 200ms of CPU to
	// this process: under load the wall clock says nothing about CPU.
	cpu := func() float64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	start := cpu()
	x := 0
	for cpu()-start < 0.2 {
		x++
	}
	spent := cpu() - start
	after, err := ReadProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	// /proc counts in clock ticks (10ms): allow two ticks either way.
	if d := after.CPUSeconds - before.CPUSeconds; d < spent-0.02 {
		t.Errorf("CPU seconds grew by %v while getrusage counted %v (%d turns)", d, spent, x)
	}
	// Map and touch 64 MiB outside the Go heap, then unmap it: RSS falls
	// back, the peak stays up until clear_refs resets it.
	const size = 64 << 20
	buf, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < size; i += 4096 {
		buf[i] = 1
	}
	high, err := ReadProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Munmap(buf); err != nil {
		t.Fatal(err)
	}
	low, err := ReadProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	if high.PeakRSSBytes < size || low.PeakRSSBytes < low.RSSBytes+size/2 {
		t.Fatalf("peak %d with 64 MiB mapped, then peak %d with RSS %d: want the peak to stay up", high.PeakRSSBytes, low.PeakRSSBytes, low.RSSBytes)
	}
	if err := ResetPeakRSS(pid); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	reset, err := ReadProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	if reset.PeakRSSBytes > reset.RSSBytes+size/4 {
		t.Errorf("after reset peak %d, RSS %d: the peak should be back near the RSS", reset.PeakRSSBytes, reset.RSSBytes)
	}
}
