// Package benchlocal benchmarks the lab's runtimes (apps/runtimes/<name>)
// on this machine: it builds and starts each on loopback against a real
// PostgreSQL, measures cold start, drives each endpoint at a fixed arrival
// rate with vegeta (an open model: requests leave on schedule whether or
// not earlier ones have answered), samples the server's CPU time and peak
// RSS from /proc, and turns every (runtime, endpoint, repetition) into one
// normalized result (results.Result) priced with the lab's cost model.
package benchlocal

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Experiment is the lab experiment local results belong to.
const Experiment = "runtime-comparison"

// Caps keep a local run bounded: the load stays on loopback and cannot
// grow into a stress test of a shared machine.
const (
	MaxRate        = 5000
	MaxDuration    = 60 * time.Second
	MaxWarmup      = 30 * time.Second
	MaxRepetitions = 20
	MaxColdStarts  = 20
	// MaxTotal bounds the planned load time of one invocation.
	MaxTotal = 30 * time.Minute
)

// Options are the settings of one `bench local`.
type Options struct {
	Runtimes    []string
	Endpoints   []string
	Rate        int
	Duration    time.Duration
	Warmup      time.Duration
	Repetitions int
	ColdStarts  int
	// ComputeN is the n of GET /compute?n=.
	ComputeN int
	// MaxErrorRate refuses (does not store) a run above it.
	MaxErrorRate float64
	// Timeout bounds one request.
	Timeout time.Duration
	// DatabaseURL is an existing PostgreSQL with the contract's schema;
	// empty starts a throwaway one with scripts/postgres.sh.
	DatabaseURL string
}

// Defaults are the flags' defaults.
func Defaults() Options {
	return Options{
		Endpoints:    EndpointNames(),
		Rate:         200,
		Duration:     10 * time.Second,
		Warmup:       3 * time.Second,
		Repetitions:  5,
		ColdStarts:   5,
		ComputeN:     1000,
		MaxErrorRate: 0.01,
		Timeout:      5 * time.Second,
	}
}

// Validate returns every reason to refuse o, before anything starts.
func (o Options) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Rate < 1 || o.Rate > MaxRate {
		add("--rate %d: must be 1..%d requests/s", o.Rate, MaxRate)
	}
	if o.Duration < time.Second || o.Duration > MaxDuration {
		add("--duration %s: must be 1s..%s", o.Duration, MaxDuration)
	}
	if o.Warmup < 0 || o.Warmup > MaxWarmup {
		add("--warmup %s: must be 0..%s", o.Warmup, MaxWarmup)
	}
	if o.Repetitions < 1 || o.Repetitions > MaxRepetitions {
		add("--repetitions %d: must be 1..%d", o.Repetitions, MaxRepetitions)
	}
	if o.ColdStarts < 1 || o.ColdStarts > MaxColdStarts {
		add("--cold-starts %d: must be 1..%d", o.ColdStarts, MaxColdStarts)
	}
	if o.ComputeN < 1 || o.ComputeN > 100000 {
		add("--compute-n %d: must be 1..100000 (the contract's range)", o.ComputeN)
	}
	if o.MaxErrorRate < 0 || o.MaxErrorRate > 1 {
		add("--max-error-rate %v: must be 0..1", o.MaxErrorRate)
	}
	if o.Timeout <= 0 || o.Timeout > 30*time.Second {
		add("--timeout %s: must be in (0, 30s]", o.Timeout)
	}
	if len(o.Endpoints) == 0 {
		add("--endpoints: none")
	}
	for _, e := range o.Endpoints {
		if _, ok := endpointByName(e); !ok {
			add("--endpoints: unknown endpoint %q (known: %s)", e, strings.Join(EndpointNames(), ", "))
		}
	}
	if o.DatabaseURL != "" {
		if err := CheckLoopbackURL(o.DatabaseURL); err != nil {
			add("--database-url: %v", err)
		}
	}
	runtimes := max(len(o.Runtimes), 1)
	if total := o.Planned(runtimes); total > MaxTotal {
		add("planned load time %s for %d runtime(s) is above the %s cap: lower --repetitions, --duration, --warmup or --endpoints", total, runtimes, MaxTotal)
	}
	return errors.Join(errs...)
}

// Planned is the load time (warm-up and measured runs) for n runtimes.
func (o Options) Planned(n int) time.Duration {
	perRuntime := time.Duration(len(o.Endpoints)) * (o.Warmup + time.Duration(o.Repetitions)*o.Duration)
	return time.Duration(n) * perRuntime
}

// CheckLoopbackURL refuses a URL whose host is not a loopback address:
// local benchmarks never send traffic off the machine.
func CheckLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", raw, err)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%q: no host", redact(u))
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: host %q is not a loopback address (127.0.0.0/8, ::1, localhost): local benchmarks stay on this machine", redact(u), host)
	}
	return nil
}

// redact drops the password so that errors can be printed.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}
