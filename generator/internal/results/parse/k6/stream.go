package k6

import (
	"fmt"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// metricKind is what the collector does with a metric's samples.
type metricKind uint8

const (
	kindOther metricKind = iota
	kindReqs
	kindDuration
	kindFailed
	kindIterations
	kindDropped
	kindVUsMax
	kindChecks
	kindReceived
	kindSent
)

// builtin lists the k6 metrics the result is made of, with their types.
var builtin = map[string]struct {
	kind metricKind
	typ  string
}{
	"http_reqs":          {kindReqs, "counter"},
	"http_req_duration":  {kindDuration, "trend"},
	"http_req_failed":    {kindFailed, "rate"},
	"iterations":         {kindIterations, "counter"},
	"dropped_iterations": {kindDropped, "counter"},
	"vus_max":            {kindVUsMax, "gauge"},
	"checks":             {kindChecks, "rate"},
	"data_received":      {kindReceived, "counter"},
	"data_sent":          {kindSent, "counter"},
}

var metricTypes = map[string]bool{"counter": true, "gauge": true, "rate": true, "trend": true}

// Histogram range for http_req_duration in microseconds: 1 µs to 24 h at
// three significant digits (0.1 % relative error on percentiles).
const (
	histLowest  = 1
	histHighest = 24 * 3600 * 1_000_000
	histSigFigs = 3
)

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

// streamAgg accumulates the samples of ndjson or csv outputs. Counters are
// summed, http_req_duration goes into an HDR histogram plus exact
// count/sum/min/max, so that several load generators merge exactly.
type streamAgg struct {
	hist                   *hdrhistogram.Histogram
	durN                   int64
	durSum, durMin, durMax float64

	reqs, iters, dropped, recv, sent float64
	failN, failTrue                  int64
	chkPass, chkFail                 int64
	vusMax                           float64
	hasVUs, hasFailed                bool

	tMin, tMax int64 // unix nanoseconds
	hasT       bool
}

func newStreamAgg() *streamAgg {
	return &streamAgg{hist: newHist(), durMin: math.Inf(1), durMax: math.Inf(-1)}
}

// observeTime widens the sample span.
func (a *streamAgg) observeTime(t int64) {
	if !a.hasT {
		a.tMin, a.tMax, a.hasT = t, t, true
		return
	}
	if t < a.tMin {
		a.tMin = t
	}
	if t > a.tMax {
		a.tMax = t
	}
}

// add records one sample of a builtin metric.
func (a *streamAgg) add(k metricKind, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("value %v is not finite", v)
	}
	switch k {
	case kindReqs, kindIterations, kindDropped, kindReceived, kindSent, kindDuration, kindVUsMax:
		if v < 0 {
			return fmt.Errorf("negative value %v", v)
		}
	}
	switch k {
	case kindReqs:
		a.reqs += v
	case kindIterations:
		a.iters += v
	case kindDropped:
		a.dropped += v
	case kindReceived:
		a.recv += v
	case kindSent:
		a.sent += v
	case kindDuration:
		if v*1000 > histHighest {
			return fmt.Errorf("http_req_duration %v ms is beyond the 24 h the histogram tracks", v)
		}
		if err := a.hist.RecordValue(int64(math.Round(v * 1000))); err != nil {
			return fmt.Errorf("record http_req_duration %v: %w", v, err)
		}
		a.durN++
		a.durSum += v
		a.durMin = math.Min(a.durMin, v)
		a.durMax = math.Max(a.durMax, v)
	case kindFailed:
		a.hasFailed = true
		a.failN++
		if v != 0 {
			a.failTrue++
		}
	case kindChecks:
		if v != 0 {
			a.chkPass++
		} else {
			a.chkFail++
		}
	case kindVUsMax:
		if !a.hasVUs || v > a.vusMax {
			a.vusMax = v
		}
		a.hasVUs = true
	}
	return nil
}
