package benchlocal

import (
	"fmt"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// VegetaVersion is the load generator's version, recorded in every result.
const VegetaVersion = "v12.13.0"

// Variant names the result set of one runtime on one endpoint
// ("go-json"): every run in a variant directory measures the same thing,
// so results compare and the PR report summarize it as one sample.
func Variant(runtime, endpoint string) string { return runtime + "-" + endpoint }

// SplitVariant undoes Variant (runtime names hold no '-').
func SplitVariant(v string) (runtime, endpoint string, ok bool) {
	i := strings.LastIndexByte(v, '-')
	if i <= 0 || i == len(v)-1 {
		return "", "", false
	}
	return v[:i], v[i+1:], true
}

// RunID is "<session>-r<repetition>", session being the UTC start of the
// invocation (20261126T073000Z): unique per variant, sortable by time.
func RunID(session time.Time, rep int) string {
	return fmt.Sprintf("%s-r%d", session.UTC().Format("20060102T150405Z"), rep)
}

// RunMeta identifies a run.
type RunMeta struct {
	Runtime, Endpoint, RunID string
	Rate                     int
	Duration                 time.Duration
	ComputeN                 int
}

// ToResult normalizes one run and prices it with m: CPU usage is the
// server's CPU seconds over the run, memory its peak RSS (cost.Workloads'
// max(request, usage) with no requests: a local process has none).
func ToResult(meta RunMeta, ms *Measurement, m cost.Model) (*results.Result, error) {
	i64 := func(v int64) *int64 { return &v }
	version := VegetaVersion
	r := results.New(results.ToolVegeta, results.UnitRequests)
	r.Experiment, r.Variant, r.RunID = Experiment, Variant(meta.Runtime, meta.Endpoint), meta.RunID
	r.Tool.Version = &version
	r.SourceFormat = results.FormatVegeta
	r.LoadGenerators = 1
	r.Operations.Count = ms.Requests
	r.DurationS = ms.Elapsed.Seconds()
	r.Iterations = i64(ms.Requests)
	r.Bytes = results.Bytes{In: i64(ms.BytesIn), Out: i64(ms.BytesOut)}
	r.AbortedClients = i64(0)
	r.SetThroughput()
	// The pacer catches up when it falls behind; a shortfall beyond 1% of
	// rate × duration means the generator could not hold the rate.
	if short := ms.Expected - ms.Requests; short > ms.Expected/100+1 {
		r.Dropped = short
	}
	failed := ms.ErrorRequests()
	if ms.Requests > 0 {
		er := float64(failed) / float64(ms.Requests)
		r.Errors = results.Errors{Count: i64(failed), Rate: &er}
	}
	r.Checks = &results.Checks{Passes: ms.Requests - failed, Fails: failed}
	if l := ms.Latency; l.Count > 0 {
		ms := func(us int64) *float64 { v := float64(us) / 1000; return &v }
		avg := l.Mean / 1000
		r.LatencyMs = results.Latency{
			Source: results.LatencyHistogram, Per: "request",
			Avg: &avg, Min: ms(l.Min), Med: ms(l.P50), Max: ms(l.Max),
			P90: ms(l.P90), P95: ms(l.P95), P99: ms(l.P99),
		}
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("local run on loopback: %s %s at %d requests/s for %s (vegeta %s, constant pacer, open model)", methodOf(meta.Endpoint), pathOf(meta.Endpoint, meta.ComputeN), meta.Rate, meta.Duration, VegetaVersion),
		"latency: answered requests only, HDR histogram (3 significant digits); vus_max is null: an open model has no virtual users",
	)
	for _, c := range ms.Codes() {
		label := fmt.Sprintf("status %d", c)
		if c == 0 {
			label = "no answer (transport error or timeout)"
		}
		r.Notes = append(r.Notes, fmt.Sprintf("%s: %d requests", label, ms.StatusCodes[c]))
	}
	for e, n := range ms.Errors {
		r.Notes = append(r.Notes, fmt.Sprintf("error %q: %d requests", e, n))
	}
	if u := ms.Usage; u != nil {
		cpu, peak := u.CPUSeconds, float64(u.PeakRSSBytes)
		r.Resources = &results.Resources{Containers: []results.ContainerUsage{{
			Name: "local/" + meta.Runtime + "/server", CPUCoreSeconds: &cpu, MemoryPeakBytes: &peak,
		}}}
		r.Notes = append(r.Notes, "resources: the server process's utime+stime and VmHWM from /proc (peak reset per run through clear_refs), not a container")
		if r.DurationS > 0 {
			if err := r.PriceWorkloads(m); err != nil {
				return nil, fmt.Errorf("%s %s: price: %w", r.Variant, r.RunID, err)
			}
		}
	}
	r.Normalize()
	return r, nil
}

func methodOf(endpoint string) string {
	if e, ok := endpointByName(endpoint); ok {
		return e.Method
	}
	return "GET"
}

func pathOf(endpoint string, n int) string {
	if e, ok := endpointByName(endpoint); ok {
		return e.path(n)
	}
	return "/" + endpoint
}
