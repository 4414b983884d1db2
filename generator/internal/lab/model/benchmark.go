package model

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Benchmark mirrors #Benchmark.
type Benchmark struct {
	Description string `json:"description,omitempty"`
	// Tool is the load generator of every variant without its own entry
	// in Variants (ToolK6 by default).
	Tool           string                  `json:"tool"`
	Pgbench        *Pgbench                `json:"pgbench,omitempty"`
	RedisBenchmark *RedisBenchmark         `json:"redisBenchmark,omitempty"`
	NatsBench      *NatsBench              `json:"natsBench,omitempty"`
	KafkaPerf      *KafkaPerf              `json:"kafkaPerf,omitempty"`
	PerfTest       *PerfTest               `json:"perfTest,omitempty"`
	Fio            *Fio                    `json:"fio,omitempty"`
	Variants       map[string]*VariantLoad `json:"variants"`

	// The k6 fields.
	Target                string               `json:"target,omitempty"`
	Targets               map[string]string    `json:"targets"`
	Repetitions           int                  `json:"repetitions"`
	Warmup                *Warmup              `json:"warmup,omitempty"`
	SummaryTrendStats     []string             `json:"summaryTrendStats"`
	Scenarios             map[string]*Scenario `json:"scenarios"`
	Requests              map[string]*Request  `json:"requests"`
	Thresholds            map[string][]string  `json:"thresholds"`
	NoConnectionReuse     bool                 `json:"noConnectionReuse"`
	InsecureSkipTLSVerify bool                 `json:"insecureSkipTLSVerify"`
	Runner                Runner               `json:"runner"`

	// Source is the repo-relative CUE file that declares the benchmark,
	// which need not be the experiment's (set by load).
	Source string `json:"-"`
}

// Warmup mirrors #Warmup.
type Warmup struct {
	Duration string `json:"duration"`
	VUs      int    `json:"vus"`
}

// Runner mirrors #Benchmark.runner.
type Runner struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Scenario mirrors #Scenario. Pointers tell an unset parameter from a zero.
type Scenario struct {
	Name            string   `json:"name"`
	Executor        string   `json:"executor"`
	Requests        []string `json:"requests"`
	StartTime       string   `json:"startTime,omitempty"`
	GracefulStop    string   `json:"gracefulStop,omitempty"`
	Duration        string   `json:"duration,omitempty"`
	Rate            *int     `json:"rate,omitempty"`
	StartRate       *int     `json:"startRate,omitempty"`
	TimeUnit        string   `json:"timeUnit,omitempty"`
	PreAllocatedVUs *int     `json:"preAllocatedVUs,omitempty"`
	MaxVUs          *int     `json:"maxVUs,omitempty"`
	VUs             *int     `json:"vus,omitempty"`
	StartVUs        *int     `json:"startVUs,omitempty"`
	Stages          []Stage  `json:"stages,omitempty"`
}

// Stage mirrors #Stage.
type Stage struct {
	Duration string `json:"duration"`
	Target   int    `json:"target"`
}

// Request mirrors #Request.
type Request struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path,omitempty"`
	URL     string            `json:"url,omitempty"`
	Weight  int               `json:"weight"`
	Headers map[string]string `json:"headers"`
	Body    *string           `json:"body,omitempty"`
	Checks  Checks            `json:"checks"`
}

// Checks mirrors #Checks.
type Checks struct {
	Status       int    `json:"status"`
	BodyContains string `json:"bodyContains,omitempty"`
}

// GracefulStop is k6's default wait for iterations in flight at the end
// of a scenario (and gracefulRampDown's, for ramping-vus).
const GracefulStop = 30 * time.Second

// WarmupScenario is the scenario name of the warm-up run.
const WarmupScenario = "warmup"

// BenchmarkVariants lists the variants a benchmark runs against: each of
// the experiment's, or "" (its own namespace) when it has none.
func (e *Experiment) BenchmarkVariants() []string {
	if len(e.Variants) == 0 {
		return []string{""}
	}
	return slices.Sorted(maps.Keys(e.Variants))
}

// BenchmarkJobDigestLen is the length of the content digest the rendered
// Job's name adds to BenchmarkJobName, after a dash (render/benchjobs).
const BenchmarkJobDigestLen = 8

// BenchmarkJobName is the base name of the Job of one repetition (1-based)
// against a variant: <namespace>-<tool>-r<rep>. The rendered Job is named
// <base>-<digest of its content>, so that changed content runs as a new Job.
func (e *Experiment) BenchmarkJobName(variant string, rep int) string {
	tool := ToolK6
	if e.Benchmark != nil {
		tool = e.Benchmark.ToolOf(variant)
	}
	return e.VariantNamespace(variant) + "-" + tool + "-r" + strconv.Itoa(rep)
}

// BenchmarkConfigMap is the ConfigMap holding what a variant's Jobs run:
// the k6 script, or another tool's script and files.
func (e *Experiment) BenchmarkConfigMap(variant string) string {
	tool := ToolK6
	if e.Benchmark != nil {
		tool = e.Benchmark.ToolOf(variant)
	}
	if tool == ToolK6 {
		return "k6-script"
	}
	return tool + "-config"
}

// End is when a scenario's last iteration may end, from the start of the
// test: startTime + its duration or stages + gracefulStop.
func (s *Scenario) End() (time.Duration, error) {
	d, err := s.NominalEnd()
	if err != nil {
		return 0, err
	}
	stop := GracefulStop
	if s.GracefulStop != "" {
		x, err := time.ParseDuration(s.GracefulStop)
		if err != nil {
			return 0, fmt.Errorf("gracefulStop %q: %v", s.GracefulStop, err)
		}
		stop = x
	}
	return d + stop, nil
}

// NominalEnd is when a scenario stops starting iterations: startTime + its
// duration or stages.
func (s *Scenario) NominalEnd() (time.Duration, error) {
	var d time.Duration
	vs := []string{s.StartTime, s.Duration}
	for _, st := range s.Stages {
		vs = append(vs, st.Duration)
	}
	for _, v := range vs {
		if v == "" {
			continue
		}
		x, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %v", v, err)
		}
		d += x
	}
	return d, nil
}

// TestDuration is how long one measured run lasts as declared: the latest
// nominal end of its scenarios (k6 may run up to gracefulStop longer to
// finish iterations in flight).
func (b *Benchmark) TestDuration() time.Duration {
	var longest time.Duration
	for _, s := range b.Scenarios {
		if d, err := s.NominalEnd(); err == nil && d > longest {
			longest = d
		}
	}
	return longest
}

// MaxRun bounds one measured run of any load tool. A run longer than this
// is far more often a typo (h for m) than a plan, and its Jobs hold a node,
// and its cost, for all that time; a soak test is split into repetitions.
const MaxRun = 6 * time.Hour

// MaxRunDuration is the longest one measured run can last, graceful stops
// included.
func (b *Benchmark) MaxRunDuration() time.Duration {
	var longest time.Duration
	for _, s := range b.Scenarios {
		if d, err := s.End(); err == nil && d > longest {
			longest = d
		}
	}
	return longest
}
