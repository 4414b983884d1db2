package benchjobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/markers"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Environment variables the Job sets for the script. One script serves
// every variant of an experiment; only these differ between them.
const (
	EnvTarget     = "LAB_TARGET"     // the variant's base URL, placeholders expanded
	EnvNamespace  = "LAB_NAMESPACE"  // the variant's namespace
	EnvVariant    = "LAB_VARIANT"    // the variant's name ("shared" without variants)
	EnvExperiment = "LAB_EXPERIMENT" // the experiment's name
	EnvRun        = "LAB_RUN"        // the repetition, r1..rN
	EnvWarmup     = "LAB_WARMUP"     // "1": run the unmeasured warm-up instead
)

// ResultsDir is where handleSummary writes summary.json in the pod.
const ResultsDir = "/results"

// Script is the k6 script of an experiment's benchmark: plain JavaScript,
// deterministic, one script for every variant. source names the CUE file
// it comes from.
func Script(e *model.Experiment, source string) ([]byte, error) {
	b := e.Benchmark
	if b == nil {
		return nil, fmt.Errorf("experiment %s has no benchmark", e.Name)
	}
	reqNames := slices.Sorted(maps.Keys(b.Requests))
	index := map[string]int{}
	for i, n := range reqNames {
		index[n] = i
	}

	var w bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("// k6 benchmark of experiment %s, generated from %s\n", e.Name, source)
	p("// by `go run ./generator render`; do not edit.\n")
	if b.Description != "" {
		p("//\n")
		for _, line := range strings.Split(strings.TrimSpace(b.Description), "\n") {
			p("// %s\n", line)
		}
	}
	p(`//
// The Job sets %[1]s (the variant's base URL), %[2]s,
// %[3]s, %[4]s and %[5]s. With %[6]s=1 it runs the
// unmeasured warm-up instead.
import http from 'k6/http';
import exec from 'k6/execution';
import { check } from 'k6';

const ENV = {
  target: __ENV.%[1]s || '',
  namespace: __ENV.%[2]s || '',
  variant: __ENV.%[3]s || '',
  experiment: __ENV.%[4]s || '',
};
if (ENV.target === '') {
  throw new Error('%[1]s is not set: the Job passes the base URL of the system under test');
}
const WARMUP = __ENV.%[6]s === '1';

// expand replaces the $namespace, $variant and $experiment placeholders.
function expand(s) {
  return s
    .split('$namespace').join(ENV.namespace)
    .split('$variant').join(ENV.variant)
    .split('$experiment').join(ENV.experiment);
}

`, EnvTarget, EnvNamespace, EnvVariant, EnvExperiment, EnvRun, EnvWarmup)

	p("// REQUESTS are the benchmark's requests, sorted by name.\nconst REQUESTS = [\n")
	for _, n := range reqNames {
		r := b.Requests[n]
		p("  {\n")
		p("    name: %s,\n", js(r.Name))
		p("    method: %s,\n", js(r.Method))
		if r.URL != "" {
			p("    url: expand(%s),\n", js(r.URL))
		} else {
			p("    url: ENV.target + %s,\n", js(r.Path))
		}
		if r.Body != nil {
			p("    body: %s,\n", js(*r.Body))
		} else {
			p("    body: null,\n")
		}
		p("    params: {\n")
		p("      headers: %s,\n", js(nonNil(r.Headers)))
		p("      tags: { name: %s },\n", js(r.Name))
		if r.Checks.BodyContains != "" {
			p("      responseType: 'text',\n")
		}
		p("    },\n")
		p("    status: %d,\n", r.Checks.Status)
		if r.Checks.BodyContains != "" {
			p("    bodyContains: %s,\n", js(r.Checks.BodyContains))
		} else {
			p("    bodyContains: null,\n")
		}
		p("  },\n")
	}
	p("];\n\n")

	p(`// CHECKS holds each request's k6 checks, built once.
const CHECKS = REQUESTS.map((r) => {
  const c = {};
  c[r.name + ' status is ' + r.status] = (res) => res.status === r.status;
  if (r.bodyContains !== null) {
    c[r.name + ' body contains ' + JSON.stringify(r.bodyContains)] = (res) =>
      typeof res.body === 'string' && res.body.indexOf(r.bodyContains) >= 0;
  }
  return c;
});

// MIX is each scenario's weighted request table: iteration n of a scenario
// runs the first request whose cumulative weight exceeds n modulo the total,
// so the mix is exact and the same on every run (no random numbers).
const MIX = {
`)
	scNames := slices.Sorted(maps.Keys(b.Scenarios))
	for _, sn := range scNames {
		p("  %s: %s,\n", js(sn), mix(b, b.Scenarios[sn].Requests, index))
	}
	if b.Warmup != nil {
		p("  warmup: %s,\n", mix(b, nil, index))
	}
	p("};\n\n")

	p(`// iterate is every scenario's exec function: one request per iteration.
export function iterate() {
  const m = MIX[exec.scenario.name];
  const n = exec.scenario.iterationInTest %% m.total;
  let i = 0;
  while (n >= m.upTo[i]) {
    i++;
  }
  const k = m.request[i];
  const r = REQUESTS[k];
  const res = http.request(r.method, r.url, r.body, r.params);
  check(res, CHECKS[k]);
}

`)

	// connections renders the connection options, when set.
	connections := func(indent string) {
		if b.NoConnectionReuse {
			p("%snoConnectionReuse: true,\n", indent)
		}
		if b.InsecureSkipTLSVerify {
			p("%sinsecureSkipTLSVerify: true,\n", indent)
		}
	}
	measured := func(indent string) {
		p("%sscenarios: {\n", indent)
		for _, sn := range scNames {
			p("%s  %s: %s,\n", indent, js(sn), scenarioJS(b.Scenarios[sn]))
		}
		p("%s},\n", indent)
		p("%sthresholds: {\n", indent)
		for _, m := range slices.Sorted(maps.Keys(b.Thresholds)) {
			p("%s  %s: %s,\n", indent, js(m), js(b.Thresholds[m]))
		}
		p("%s},\n", indent)
		p("%ssummaryTrendStats: %s,\n", indent, js(b.SummaryTrendStats))
		// Bodies are kept only for requests that check them (responseType).
		p("%sdiscardResponseBodies: true,\n", indent)
		connections(indent)
	}
	if b.Warmup != nil {
		p("// options: the measured scenarios, or the warm-up alone.\nexport const options = WARMUP\n  ? {\n")
		p("      scenarios: {\n        warmup: { executor: 'constant-vus', exec: 'iterate', vus: %d, duration: %s },\n      },\n",
			b.Warmup.VUs, js(b.Warmup.Duration))
		p("      summaryTrendStats: %s,\n      discardResponseBodies: true,\n", js(b.SummaryTrendStats))
		connections("      ")
		p("    }\n  : {\n")
		measured("      ")
		p("    };\n\n")
	} else {
		p(`if (WARMUP) {
  throw new Error('this benchmark declares no warm-up');
}

export const options = {
`)
		measured("  ")
		p("};\n\n")
	}

	p(`const SUMMARY_BEGIN = %s;
const SUMMARY_END = %s;

// handleSummary prints the whole summary between marker lines, where the
// results collector finds it in the pod log, and keeps a copy in
// %s. The warm-up prints nothing.
export function handleSummary(data) {
  if (WARMUP) {
    return {};
  }
  const json = JSON.stringify(data);
  return {
    stdout: '\n' + SUMMARY_BEGIN + '\n' + json + '\n' + SUMMARY_END + '\n',
    %s: json,
  };
}
`, js(markers.Begin), js(markers.End), ResultsDir+"/summary.json", js(ResultsDir+"/summary.json"))
	return w.Bytes(), nil
}

// mix renders the weighted table of the named requests (all when names is
// empty) as a JS object: cumulative upper bounds and request indexes.
func mix(b *model.Benchmark, names []string, index map[string]int) string {
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(b.Requests))
	}
	var upTo, req []int
	total := 0
	seen := map[string]bool{}
	for _, n := range names {
		r, ok := b.Requests[n]
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		total += r.Weight
		upTo = append(upTo, total)
		req = append(req, index[n])
	}
	return fmt.Sprintf("{ total: %d, upTo: %s, request: %s }", total, js(upTo), js(req))
}

// scenarioJS renders a scenario's k6 options in a fixed key order.
func scenarioJS(s *model.Scenario) string {
	var kv []string
	add := func(k string, v any) { kv = append(kv, k+": "+js(v)) }
	add("executor", s.Executor)
	add("exec", "iterate")
	if s.StartTime != "" {
		add("startTime", s.StartTime)
	}
	switch s.Executor {
	case "constant-arrival-rate", "ramping-arrival-rate":
		if s.Rate != nil {
			add("rate", *s.Rate)
		}
		if s.StartRate != nil {
			add("startRate", *s.StartRate)
		}
		unit := s.TimeUnit
		if unit == "" {
			unit = "1s"
		}
		add("timeUnit", unit)
		if s.Duration != "" {
			add("duration", s.Duration)
		}
		if s.PreAllocatedVUs != nil {
			add("preAllocatedVUs", *s.PreAllocatedVUs)
		}
		if s.MaxVUs != nil {
			add("maxVUs", *s.MaxVUs)
		}
	default:
		if s.VUs != nil {
			add("vus", *s.VUs)
		}
		if s.StartVUs != nil {
			add("startVUs", *s.StartVUs)
		}
		if s.Duration != "" {
			add("duration", s.Duration)
		}
	}
	if len(s.Stages) > 0 {
		st := make([]string, len(s.Stages))
		for i, x := range s.Stages {
			st[i] = fmt.Sprintf("{ duration: %s, target: %d }", js(x.Duration), x.Target)
		}
		kv = append(kv, "stages: ["+strings.Join(st, ", ")+"]")
	}
	if s.GracefulStop != "" {
		add("gracefulStop", s.GracefulStop)
	}
	return "{ " + strings.Join(kv, ", ") + " }"
}

// js encodes a value as a JavaScript literal (JSON is valid JS); maps come
// out with sorted keys.
func js(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only plain strings, numbers, slices and maps reach here
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
