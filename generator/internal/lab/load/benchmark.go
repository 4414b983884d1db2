package load

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// executorParams lists, per executor, the parameters k6 accepts; k6 refuses
// the others at start-up (exit 104), so load refuses them first.
var executorParams = map[string][]string{
	"constant-arrival-rate": {"rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"},
	"ramping-arrival-rate":  {"startRate", "timeUnit", "stages", "preAllocatedVUs", "maxVUs"},
	"constant-vus":          {"vus", "duration"},
	"ramping-vus":           {"startVUs", "stages"},
}

// scenarioParams lists the executor parameters a scenario sets.
func scenarioParams(s *model.Scenario) []string {
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

// checkBenchmark checks what the CUE schema cannot: references between the
// benchmark's fields and to the experiment's variants, and parameters an
// executor does not take.
func (s *Source) checkBenchmark(e *model.Experiment, p func(...string) cue.Path, add adder) {
	b := e.Benchmark
	if b == nil {
		return
	}
	bp := func(more ...string) cue.Path { return p(append([]string{"benchmark"}, more...)...) }
	for _, v := range slices.Sorted(maps.Keys(b.Targets)) {
		if _, ok := e.Variants[v]; !ok {
			add(bp("targets", v), "no variant %q in experiment %s (variants: %s)", v, e.Name, list(slices.Sorted(maps.Keys(e.Variants))))
		} else if tool := b.ToolOf(v); tool != model.ToolK6 {
			add(bp("targets", v), "variant %s runs %s, not k6: a k6 target does not apply", v, tool)
		}
	}
	s.checkLoads(e, bp, add)
	for _, rn := range slices.Sorted(maps.Keys(b.Requests)) {
		r := b.Requests[rn]
		switch {
		case r.Path == "" && r.URL == "":
			add(bp("requests", rn), "set path (appended to the target) or url")
		case r.Path != "" && r.URL != "":
			add(bp("requests", rn), "path and url are both set: choose one")
		}
		if r.Body != nil && (r.Method == "GET" || r.Method == "HEAD") {
			add(bp("requests", rn, "body"), "a %s request has no body", r.Method)
		}
	}
	for _, sn := range slices.Sorted(maps.Keys(b.Scenarios)) {
		sc := b.Scenarios[sn]
		allowed := executorParams[sc.Executor]
		for _, param := range scenarioParams(sc) {
			if !slices.Contains(allowed, param) {
				add(bp("scenarios", sn, param), "executor %s does not take %s (it takes %s)", sc.Executor, param, strings.Join(allowed, ", "))
			}
		}
		if sc.MaxVUs != nil && sc.PreAllocatedVUs != nil && *sc.MaxVUs < *sc.PreAllocatedVUs {
			add(bp("scenarios", sn, "maxVUs"), "maxVUs %d is below preAllocatedVUs %d", *sc.MaxVUs, *sc.PreAllocatedVUs)
		}
		for i, rn := range sc.Requests {
			if _, ok := b.Requests[rn]; !ok {
				add(bp("scenarios", sn, "requests").Append(cue.Index(i)), "no request %q (requests: %s)", rn, list(slices.Sorted(maps.Keys(b.Requests))))
			}
		}
		if _, err := sc.End(); err != nil {
			add(bp("scenarios", sn), "%v", err)
		}
	}
	run := b.MaxRunDuration()
	if b.Warmup != nil {
		w, _ := time.ParseDuration(b.Warmup.Duration)
		run += w
	}
	if run > model.MaxRun {
		add(bp("scenarios"), "one run, warm-up included, lasts up to %s, above the %s a run may last: is an h meant to be an m? (split a soak test into repetitions)", format.Duration(run), format.Duration(model.MaxRun))
	}
	if _, ok := b.Scenarios[model.WarmupScenario]; ok && b.Warmup != nil {
		add(bp("scenarios", model.WarmupScenario), "the name %q is the warm-up's: rename the scenario", model.WarmupScenario)
	}
	// A threshold on a tag value nothing sets never sees a sample: k6
	// passes it silently, so a typo would hide a crossed threshold.
	for _, m := range slices.Sorted(maps.Keys(b.Thresholds)) {
		for _, sm := range scenarioTag.FindAllStringSubmatch(m, -1) {
			if _, ok := b.Scenarios[sm[1]]; !ok {
				add(bp("thresholds", m), "no scenario %q (scenarios: %s)", sm[1], list(slices.Sorted(maps.Keys(b.Scenarios))))
			}
		}
		for _, sm := range nameTag.FindAllStringSubmatch(m, -1) {
			if _, ok := b.Requests[sm[1]]; !ok {
				add(bp("thresholds", m), "no request %q (requests: %s)", sm[1], list(slices.Sorted(maps.Keys(b.Requests))))
			}
		}
	}
	for _, v := range e.BenchmarkVariants() {
		if n := e.BenchmarkJobName(v, b.Repetitions); len(n)+1+model.BenchmarkJobDigestLen > 63 {
			add(bp("repetitions"), "Job name %q-<digest> is longer than 63 characters: shorten the experiment or variant name", n)
		}
	}
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
