package benchlocal

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Load is one fixed-rate run against one endpoint.
type Load struct {
	BaseURL  string
	Endpoint Endpoint
	ComputeN int
	Rate     int
	Duration time.Duration
	Timeout  time.Duration
	// Pid is the server process sampled during the run (0: none).
	Pid int
}

// Measurement is what one run observed.
type Measurement struct {
	// Requests were sent; Expected is rate × duration.
	Requests, Expected int64
	// Elapsed is from the first request sent to the last answer.
	Elapsed time.Duration
	// StatusCodes counts answers by status; 0 is a transport error or
	// timeout (no answer).
	StatusCodes map[int]int64
	// Errors counts transport errors by message (at most 10 kept).
	Errors            map[string]int64
	BytesIn, BytesOut int64
	// Latency of answered requests, µs: exact min, max and mean; HDR
	// percentiles (3 significant digits) clamped to [min, max].
	Latency LatencyUs
	// Usage is the server's CPU time over the run and its peak RSS; nil
	// without a pid.
	Usage *RunUsage
}

// LatencyUs holds latency figures in microseconds.
type LatencyUs struct {
	Count              int64
	Min, Max           int64
	Mean               float64
	P50, P90, P95, P99 int64
}

// RunUsage is the server's resource use during one run.
type RunUsage struct {
	CPUSeconds   float64
	PeakRSSBytes int64
	// Samples is how many /proc readings were taken.
	Samples int
}

// sampleEvery is the /proc sampling period during a run.
const sampleEvery = 100 * time.Millisecond

// Run sends l.Rate requests per second for l.Duration with a constant
// pacer and waits for every answer (or its timeout).
func Run(ctx context.Context, l Load) (*Measurement, error) {
	target := l.BaseURL + l.Endpoint.path(l.ComputeN)
	if err := CheckLoopbackURL(target); err != nil {
		return nil, err
	}
	atk := vegeta.NewAttacker(
		vegeta.Timeout(l.Timeout),
		vegeta.KeepAlive(true),
		vegeta.LocalAddr(net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.HTTP2(false),
		// MaxWorkers stays unbounded (vegeta's default): a worker per
		// request in flight keeps the arrival rate open-model.
	)
	tr := vegeta.NewStaticTargeter(vegeta.Target{
		Method: l.Endpoint.Method, URL: target, Body: l.Endpoint.Body, Header: l.Endpoint.Header,
	})
	pacer := vegeta.ConstantPacer{Freq: l.Rate, Per: time.Second}

	var before ProcUsage
	var sampler *rssSampler
	if l.Pid > 0 {
		// A failed reset leaves VmHWM at the lifetime peak; the sampled
		// VmRSS maximum still bounds the run from below.
		_ = ResetPeakRSS(l.Pid)
		var err error
		if before, err = ReadProc(l.Pid); err != nil {
			return nil, err
		}
		sampler = startSampler(l.Pid)
	}

	hist := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	m := &Measurement{StatusCodes: map[int]int64{}, Errors: map[string]int64{}}
	m.Expected = int64(l.Rate) * int64(l.Duration/time.Millisecond) / 1000
	var first, last time.Time
	var sum float64
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for res := range atk.Attack(tr, pacer, l.Duration, l.Endpoint.Name) {
		m.Requests++
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if end := res.Timestamp.Add(res.Latency); end.After(last) {
			last = end
		}
		m.StatusCodes[int(res.Code)]++
		m.BytesIn += int64(res.BytesIn)
		m.BytesOut += int64(res.BytesOut)
		if res.Error != "" && res.Code == 0 {
			if _, ok := m.Errors[res.Error]; ok || len(m.Errors) < 10 {
				m.Errors[res.Error]++
			}
		}
		if res.Code == 0 {
			continue
		}
		us := max(res.Latency.Microseconds(), 1)
		if err := hist.RecordValue(us); err != nil {
			// Above the histogram's range (a minute): keep it as the max.
			_ = hist.RecordValue(hist.HighestTrackableValue())
		}
		if m.Latency.Count == 0 || us < m.Latency.Min {
			m.Latency.Min = us
		}
		m.Latency.Max = max(m.Latency.Max, us)
		m.Latency.Count++
		sum += float64(us)
	}
	if err := ctx.Err(); err != nil {
		if sampler != nil {
			sampler.stop()
		}
		return nil, fmt.Errorf("%s: interrupted: %w", l.Endpoint.Name, err)
	}
	if !first.IsZero() {
		m.Elapsed = last.Sub(first)
	}
	if m.Latency.Count > 0 {
		m.Latency.Mean = sum / float64(m.Latency.Count)
		clamp := func(q float64) int64 {
			return min(max(hist.ValueAtQuantile(q), m.Latency.Min), m.Latency.Max)
		}
		m.Latency.P50, m.Latency.P90, m.Latency.P95, m.Latency.P99 = clamp(50), clamp(90), clamp(95), clamp(99)
	}
	if sampler != nil {
		peakSampled, n := sampler.stop()
		after, err := ReadProc(l.Pid)
		if err != nil {
			return nil, fmt.Errorf("server process after the run: %w", err)
		}
		m.Usage = &RunUsage{
			CPUSeconds:   after.CPUSeconds - before.CPUSeconds,
			PeakRSSBytes: max(after.PeakRSSBytes, peakSampled),
			Samples:      n + 2,
		}
	}
	return m, nil
}

// ErrorRequests counts requests without a 2xx answer.
func (m *Measurement) ErrorRequests() int64 {
	var n int64
	for code, c := range m.StatusCodes {
		if code < 200 || code > 299 {
			n += c
		}
	}
	return n
}

// Codes lists the status codes seen, ascending.
func (m *Measurement) Codes() []int {
	out := make([]int, 0, len(m.StatusCodes))
	for c := range m.StatusCodes {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// rssSampler reads VmRSS periodically: the peak between resets also when
// clear_refs is not writable.
type rssSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak int64
	n    int
}

func startSampler(pid int) *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				if u, err := ReadProc(pid); err == nil {
					s.peak = max(s.peak, u.RSSBytes, u.PeakRSSBytes)
					s.n++
				}
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() (peak int64, samples int) {
	close(s.done)
	s.wg.Wait()
	return s.peak, s.n
}
