package pgbench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// aggFields is the field count of a PostgreSQL 15 aggregate log line:
// interval_start num_transactions sum_latency sum_latency_2 min_latency
// max_latency sum_lag sum_lag_2 min_lag max_lag skipped retried retries
// serialization_failures deadlock_failures (latencies in µs).
const aggFields = 15

type interval struct {
	n, skipped, retried, retries, serFail, dlFail int64
	sum, sumSq                                    float64
	min, max                                      int64
}

// aggLog is one or more aggregate logs, by interval start (epoch seconds).
type aggLog struct {
	intervals map[int64]*interval
}

func parseAggLog(rd *input.Reader) (*aggLog, error) {
	a := &aggLog{intervals: map[int64]*interval{}}
	lines := 0
	for {
		b, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		lines++
		fs := strings.Fields(string(b))
		if len(fs) != aggFields {
			return nil, rd.Errorf("%d fields, a PostgreSQL 15 aggregate log line has %d (%s)", len(fs), aggFields, input.Excerpt(b))
		}
		v := make([]int64, aggFields)
		var sum, sumSq float64
		for i, f := range fs {
			if i == 2 || i == 3 || i == 6 || i == 7 {
				x, err := strconv.ParseFloat(f, 64)
				if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) || strings.ContainsAny(f, "eEnN") {
					return nil, rd.Errorf("field %d %s is not a sum", i+1, input.Excerpt([]byte(f)))
				}
				if i == 2 {
					sum = x
				} else if i == 3 {
					sumSq = x
				}
				continue
			}
			x, err := strconv.ParseInt(f, 10, 64)
			if err != nil || x < 0 {
				return nil, rd.Errorf("field %d %s is not a count", i+1, input.Excerpt([]byte(f)))
			}
			v[i] = x
		}
		if err := input.CheckTime(time.Unix(v[0], 0)); err != nil {
			return nil, rd.Errorf("interval_start: %v", err)
		}
		if v[1] > 0 && (v[4] > v[5]) {
			return nil, rd.Errorf("min_latency %d is above max_latency %d", v[4], v[5])
		}
		it := a.intervals[v[0]]
		if it == nil {
			it = &interval{min: math.MaxInt64}
			a.intervals[v[0]] = it
		}
		it.add(interval{n: v[1], sum: sum, sumSq: sumSq, min: v[4], max: v[5], skipped: v[10], retried: v[11], retries: v[12], serFail: v[13], dlFail: v[14]})
	}
	if lines == 0 {
		return nil, fmt.Errorf("%s: empty file", rd.Name())
	}
	return a, nil
}

func (it *interval) add(o interval) {
	it.n += o.n
	it.sum += o.sum
	it.sumSq += o.sumSq
	if o.n > 0 {
		it.min = min(it.min, o.min)
		it.max = max(it.max, o.max)
	}
	it.skipped += o.skipped
	it.retried += o.retried
	it.retries += o.retries
	it.serFail += o.serFail
	it.dlFail += o.dlFail
}

// mergeAggLogs adds the thread logs of a run interval by interval.
func mergeAggLogs(as []*aggLog) (*aggLog, error) {
	all := &aggLog{intervals: map[int64]*interval{}}
	for _, a := range as {
		for s, it := range a.intervals {
			dst := all.intervals[s]
			if dst == nil {
				dst = &interval{min: math.MaxInt64}
				all.intervals[s] = dst
			}
			dst.add(*it)
		}
	}
	return all, nil
}

func (a *aggLog) starts() []int64 {
	s := make([]int64, 0, len(a.intervals))
	for k := range a.intervals {
		s = append(s, k)
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// step is the interval length: the smallest gap between interval starts
// (an interval without any transaction is not written).
func (a *aggLog) step() (int64, error) {
	s := a.starts()
	if len(s) < 2 {
		return 0, fmt.Errorf("the aggregate log has one interval: its length (--aggregate-interval) is unknown; give the run's output too")
	}
	step := int64(math.MaxInt64)
	for i := 1; i < len(s); i++ {
		step = min(step, s[i]-s[i-1])
	}
	for i := 1; i < len(s); i++ {
		if (s[i]-s[i-1])%step != 0 {
			return 0, fmt.Errorf("aggregate log intervals start at %d and %d: not multiples of one interval length", s[i-1], s[i])
		}
	}
	return step, nil
}

func (a *aggLog) totals() interval {
	var t interval
	t.min = math.MaxInt64
	for _, it := range a.intervals {
		t.add(*it)
	}
	return t
}

// fromAggLog makes a result of aggregate logs alone.
func fromAggLog(r *results.Result, a *aggLog) error {
	step, err := a.step()
	if err != nil {
		return err
	}
	t := a.totals()
	s := a.starts()
	fails := t.serFail + t.dlFail
	r.LoadGenerators = 1
	r.Operations.Count = t.n + fails
	if fails > 0 {
		r.Errors.Count = i64(fails)
		r.Errors.Rate = f64(float64(fails) / float64(r.Operations.Count))
	}
	r.Dropped = t.skipped
	r.Retries = i64(t.retries)
	r.DurationS = float64(s[len(s)-1]-s[0]+step) / 1
	r.Notes = append(r.Notes,
		fmt.Sprintf("counts and duration from the aggregate log alone (%d intervals of %d s): pgbench does not write the last, partial interval, so counts fall short of the run's", len(s), step),
		"the aggregate log counts failures only with --failures-detailed: errors are null unless it recorded some")
	return nil
}

func (a *aggLog) latency(r *results.Result) {
	t := a.totals()
	if t.n == 0 {
		return
	}
	mean := t.sum / float64(t.n)
	sd := math.Sqrt(math.Max(t.sumSq/float64(t.n)-mean*mean, 0))
	ms := func(us float64) *float64 { v := us / 1000; return &v }
	r.LatencyMs = results.Latency{Source: results.LatencyAggregateLog, Per: "transaction", Avg: ms(mean), Stddev: ms(sd), Min: ms(float64(t.min)), Max: ms(float64(t.max))}
	r.Notes = append(r.Notes, "latency from the aggregate log: average, stddev, min and max of the intervals written (no percentiles: use -l without --aggregate-interval for them)")
}

func (a *aggLog) window(r *results.Result) {
	step, err := a.step()
	if err != nil {
		return
	}
	s := a.starts()
	st := time.Unix(s[0], 0).UTC().Format(time.RFC3339Nano)
	en := time.Unix(s[len(s)-1]+step, 0).UTC().Format(time.RFC3339Nano)
	r.StartedAt, r.EndedAt = &st, &en
}

// checkAggCount refuses an aggregate log holding more transactions than the
// output (it may hold fewer: the last interval is not written).
func checkAggCount(r *results.Result, a *aggLog) error {
	t := a.totals()
	if got := t.n + t.serFail + t.dlFail; got > r.Operations.Count {
		return fmt.Errorf("the aggregate log holds %d transactions, more than the output's %d: a log of another run", got, r.Operations.Count)
	}
	return nil
}
