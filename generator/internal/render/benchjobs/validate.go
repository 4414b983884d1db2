package benchjobs

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// params lists, per executor, the parameters k6 accepts; k6 refuses the
// others at start-up (exit 104), so the generator refuses them first.
var params = map[string][]string{
	"constant-arrival-rate": {"rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"},
	"ramping-arrival-rate":  {"startRate", "timeUnit", "stages", "preAllocatedVUs", "maxVUs"},
	"constant-vus":          {"vus", "duration"},
	"ramping-vus":           {"startVUs", "stages"},
}

// set lists the executor parameters a scenario sets.
func set(s *model.Scenario) []string {
	var out []string
	add := func(name string, ok bool) {
		if ok {
			out = append(out, name)
		}
	}
	add("rate", s.Rate != nil)
	add("startRate", s.StartRate != nil)
	add("timeUnit", s.TimeUnit != "")
	add("duration", s.Duration != "")
	add("preAllocatedVUs", s.PreAllocatedVUs != nil)
	add("maxVUs", s.MaxVUs != nil)
	add("vus", s.VUs != nil)
	add("startVUs", s.StartVUs != nil)
	add("stages", len(s.Stages) > 0)
	return out
}

var (
	scenarioTag = regexp.MustCompile(`[{,]scenario:([^,}]+)`)
	nameTag     = regexp.MustCompile(`[{,]name:([^,}]+)`)
)

// warmupScenario is the scenario name of the warm-up run.
const warmupScenario = "warmup"

// Validate checks what the CUE schema cannot: references between the
// benchmark's fields and to the experiment's variants, and parameters an
// executor does not take. Each problem names its field path under the
// experiment.
func Validate(e *model.Experiment) error {
	b := e.Benchmark
	if b == nil {
		return nil
	}
	var errs []string
	bad := func(path, format string, args ...any) {
		errs = append(errs, "benchmark."+path+": "+fmt.Sprintf(format, args...))
	}
	for _, v := range slices.Sorted(maps.Keys(b.Targets)) {
		if _, ok := e.Variants[v]; !ok {
			bad("targets."+v, "no variant %q in experiment %s (variants: %s)", v, e.Name, list(slices.Sorted(maps.Keys(e.Variants))))
		}
	}
	for _, rn := range slices.Sorted(maps.Keys(b.Requests)) {
		r := b.Requests[rn]
		switch {
		case r.Path == "" && r.URL == "":
			bad("requests."+rn, "set path (appended to the target) or url")
		case r.Path != "" && r.URL != "":
			bad("requests."+rn, "path and url are both set: choose one")
		}
		if r.Body != nil && (r.Method == "GET" || r.Method == "HEAD") {
			bad("requests."+rn+".body", "a %s request has no body", r.Method)
		}
	}
	for _, sn := range slices.Sorted(maps.Keys(b.Scenarios)) {
		s := b.Scenarios[sn]
		allowed := params[s.Executor]
		for _, p := range set(s) {
			if !contains(allowed, p) {
				bad("scenarios."+sn+"."+p, "executor %s does not take %s (it takes %s)", s.Executor, p, strings.Join(allowed, ", "))
			}
		}
		if s.MaxVUs != nil && s.PreAllocatedVUs != nil && *s.MaxVUs < *s.PreAllocatedVUs {
			bad("scenarios."+sn+".maxVUs", "maxVUs %d is below preAllocatedVUs %d", *s.MaxVUs, *s.PreAllocatedVUs)
		}
		for i, rn := range s.Requests {
			if _, ok := b.Requests[rn]; !ok {
				bad(fmt.Sprintf("scenarios.%s.requests[%d]", sn, i), "no request %q (requests: %s)", rn, list(slices.Sorted(maps.Keys(b.Requests))))
			}
		}
		if _, err := scenarioEnd(s); err != nil {
			bad("scenarios."+sn, "%v", err)
		}
	}
	if _, ok := b.Scenarios[warmupScenario]; ok && b.Warmup != nil {
		bad("scenarios."+warmupScenario, "the name %q is the warm-up's: rename the scenario", warmupScenario)
	}
	// A threshold on a tag value nothing sets never sees a sample: k6
	// passes it silently, so a typo would hide a crossed threshold.
	for _, m := range slices.Sorted(maps.Keys(b.Thresholds)) {
		for _, sm := range scenarioTag.FindAllStringSubmatch(m, -1) {
			if _, ok := b.Scenarios[sm[1]]; !ok {
				bad(fmt.Sprintf("thresholds[%q]", m), "no scenario %q (scenarios: %s)", sm[1], list(slices.Sorted(maps.Keys(b.Scenarios))))
			}
		}
		for _, sm := range nameTag.FindAllStringSubmatch(m, -1) {
			if _, ok := b.Requests[sm[1]]; !ok {
				bad(fmt.Sprintf("thresholds[%q]", m), "no request %q (requests: %s)", sm[1], list(slices.Sorted(maps.Keys(b.Requests))))
			}
		}
	}
	for _, v := range variants(e) {
		if n := JobName(e, v, b.Repetitions); len(n) > 63 {
			bad("repetitions", "Job name %q is longer than 63 characters: shorten the experiment or variant name", n)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// gracefulStop is k6's default wait for iterations in flight at the end of
// a scenario (and gracefulRampDown's, for ramping-vus).
const gracefulStop = 30 * time.Second

// scenarioEnd is when a scenario's last iteration may end, from the start
// of the test: startTime + its duration or stages + gracefulStop.
func scenarioEnd(s *model.Scenario) (time.Duration, error) {
	d, err := scenarioNominalEnd(s)
	if err != nil {
		return 0, err
	}
	stop := gracefulStop
	if s.GracefulStop != "" {
		x, err := time.ParseDuration(s.GracefulStop)
		if err != nil {
			return 0, fmt.Errorf("gracefulStop %q: %v", s.GracefulStop, err)
		}
		stop = x
	}
	return d + stop, nil
}

// scenarioNominalEnd is when a scenario stops starting iterations:
// startTime + its duration or stages.
func scenarioNominalEnd(s *model.Scenario) (time.Duration, error) {
	var d time.Duration
	for _, v := range append([]string{s.StartTime, s.Duration}, stageDurations(s)...) {
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

func stageDurations(s *model.Scenario) []string {
	out := make([]string, len(s.Stages))
	for i, st := range s.Stages {
		out[i] = st.Duration
	}
	return out
}

// TestDuration is how long one measured run lasts as declared: the latest
// nominal end of its scenarios (k6 may run up to gracefulStop longer to
// finish iterations in flight).
func TestDuration(b *model.Benchmark) time.Duration {
	var max time.Duration
	for _, s := range b.Scenarios {
		if d, err := scenarioNominalEnd(s); err == nil && d > max {
			max = d
		}
	}
	return max
}

// maxRunDuration is the longest one measured run can last, graceful stops
// included.
func maxRunDuration(b *model.Benchmark) time.Duration {
	var max time.Duration
	for _, s := range b.Scenarios {
		if d, err := scenarioEnd(s); err == nil && d > max {
			max = d
		}
	}
	return max
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
