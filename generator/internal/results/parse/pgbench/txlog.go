package pgbench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// txLog accumulates pgbench -l per-transaction logs: one line per
// transaction, "client_id transaction_no time script_no time_epoch time_us
// [schedule_lag] [retries]", time in µs or skipped/failed/serialization/
// deadlock. Every latency goes into an HDR histogram next to the exact
// count, sum, sum of squares, min and max.
type txLog struct {
	name    string
	hist    *hdrhistogram.Histogram
	n       int64 // transactions with a latency
	failed  int64
	skipped int64
	sum     float64 // µs
	sumSq   float64
	min     int64
	max     int64
	retries int64
	// retriesKnown: every line had the 8th field (--rate and --max-tries);
	// a 7th field alone is schedule lag or retries, which the line does not
	// tell.
	retriesKnown bool
	sevenFields  bool
	startMin     int64 // µs since the epoch: completion - latency
	endMax       int64
	hasT         bool
	sampled      bool
	generators   map[string]bool
	clients      map[string]bool
}

var failureWords = map[string]bool{"failed": true, "serialization": true, "deadlock": true, "other": true}

var rePidName = regexp.MustCompile(`^(.*?\.\d+)(?:\.\d+)?$`)

// generatorOf groups the thread logs of one pgbench process: <prefix>.<pid>
// and <prefix>.<pid>.<n>.
func generatorOf(name string) string {
	base := name
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	if m := rePidName.FindStringSubmatch(base); m != nil {
		return m[1]
	}
	return base
}

func newTxLog(name string) *txLog {
	return &txLog{name: name, hist: newHist(), min: math.MaxInt64, retriesKnown: true, startMin: math.MaxInt64, endMax: math.MinInt64,
		generators: map[string]bool{}, clients: map[string]bool{}}
}

// fields splits a line at runs of blanks into at most len(dst) fields, in
// place; it returns the count (len(dst)+1 when there are more).
func fields(line []byte, dst [][]byte) int {
	n := 0
	for len(line) > 0 {
		if line[0] == ' ' || line[0] == '\t' {
			line = line[1:]
			continue
		}
		j := bytes.IndexByte(line, ' ')
		if t := bytes.IndexByte(line, '\t'); t >= 0 && (j < 0 || t < j) {
			j = t
		}
		if j < 0 {
			j = len(line)
		}
		if n == len(dst) {
			return n + 1
		}
		dst[n] = line[:j]
		n++
		line = line[j:]
	}
	return n
}

// count parses a non-negative decimal without allocating.
func count(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func parseTxLog(rd *input.Reader) (*txLog, error) {
	lg := newTxLog(rd.Name())
	gen := generatorOf(rd.Name())
	lg.generators[gen] = true
	// The last transaction number of each client: clients are numbered
	// from 0, a slice holds the usual few thousand.
	var lastNo []int64 // +1: 0 means none yet
	var lastNoMap map[int64]int64
	var fs [8][]byte
	var ints [8]int64
	lines := 0
	for {
		b, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		nf := fields(b, fs[:])
		if nf == 0 {
			continue
		}
		lines++
		if nf < 6 || nf > 8 {
			what := strconv.Itoa(nf)
			if nf > 8 {
				what = "more than 8"
			}
			return nil, rd.Errorf("%s fields, a per-transaction log line has 6 to 8 (%s)", what, input.Excerpt(b))
		}
		for i := 0; i < nf; i++ {
			if i == 2 {
				continue
			}
			v, ok := count(fs[i])
			if !ok {
				return nil, rd.Errorf("field %d %s is not a count", i+1, input.Excerpt(fs[i]))
			}
			ints[i] = v
		}
		client, no := ints[0], ints[1]
		var prev int64
		var ok bool
		if client < 1<<16 {
			if int(client) >= len(lastNo) {
				lastNo = append(lastNo, make([]int64, int(client)+1-len(lastNo))...)
			}
			prev, ok = lastNo[client]-1, lastNo[client] > 0
			lastNo[client] = no + 1
		} else {
			if lastNoMap == nil {
				lastNoMap = map[int64]int64{}
			}
			prev, ok = lastNoMap[client]
			lastNoMap[client] = no
		}
		if ok {
			if no < prev {
				return nil, rd.Errorf("client %d: transaction %d after %d: not a pgbench log", client, no, prev)
			}
			if no > prev+1 {
				lg.sampled = true
			}
		} else if no > 1 {
			lg.sampled = true
		}
		if ints[5] > 999_999 {
			return nil, rd.Errorf("time_us %d is not a fraction of a second", ints[5])
		}
		if ints[4] < minEpoch || ints[4] >= maxEpoch {
			return nil, rd.Errorf("completion time: %v", input.CheckTime(time.Unix(ints[4], ints[5]*1000)))
		}
		end := ints[4]*1_000_000 + ints[5]
		lg.hasT = true
		lg.endMax = max(lg.endMax, end)
		switch nf {
		case 7:
			lg.sevenFields = true
			lg.retriesKnown = false
		case 8:
			lg.retries += ints[7]
		default:
			lg.retriesKnown = false
		}
		t := fs[2]
		lat, ok := count(t)
		if !ok {
			switch {
			case string(t) == "skipped":
				lg.skipped++
			case failureWords[string(t)]:
				lg.failed++
				lg.startMin = min(lg.startMin, end)
			default:
				return nil, rd.Errorf("time %s is neither a latency in µs nor skipped/failed/serialization/deadlock", input.Excerpt(t))
			}
			continue
		}
		if lat > 24*3600*1_000_000 {
			return nil, rd.Errorf("latency %d µs is beyond the 24 h the histogram tracks", lat)
		}
		if err := lg.hist.RecordValue(max(lat, 1)); err != nil {
			return nil, rd.Errorf("record latency %d: %v", lat, err)
		}
		lg.n++
		lg.sum += float64(lat)
		lg.sumSq += float64(lat) * float64(lat)
		lg.min = min(lg.min, lat)
		lg.max = max(lg.max, lat)
		lg.startMin = min(lg.startMin, end-lat)
	}
	if lines == 0 {
		return nil, fmt.Errorf("%s: empty file", rd.Name())
	}
	for c, v := range lastNo {
		if v > 0 {
			lg.clients[gen+"/"+strconv.Itoa(c)] = true
		}
	}
	for c := range lastNoMap {
		lg.clients[gen+"/"+strconv.FormatInt(c, 10)] = true
	}
	return lg, nil
}

// The completion times a log may hold: the years 2000 to 2199.
var (
	minEpoch = time.Date(input.MinYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxEpoch = time.Date(input.MaxYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

func mergeTxLogs(ls []*txLog) *txLog {
	all := newTxLog("")
	for _, l := range ls {
		all.hist.Merge(l.hist)
		all.n += l.n
		all.failed += l.failed
		all.skipped += l.skipped
		all.sum += l.sum
		all.sumSq += l.sumSq
		all.min = min(all.min, l.min)
		all.max = max(all.max, l.max)
		all.retries += l.retries
		all.retriesKnown = all.retriesKnown && l.retriesKnown
		all.sevenFields = all.sevenFields || l.sevenFields
		all.sampled = all.sampled || l.sampled
		if l.hasT {
			all.hasT = true
			all.startMin = min(all.startMin, l.startMin)
			all.endMax = max(all.endMax, l.endMax)
		}
		for g := range l.generators {
			all.generators[g] = true
		}
		for c := range l.clients {
			all.clients[c] = true
		}
	}
	return all
}

// fromTxLog makes a result of logs alone: a log holds every transaction.
func fromTxLog(r *results.Result, lg *txLog) error {
	if lg.sampled {
		return fmt.Errorf("the -l logs are sampled (--sampling-rate: transaction numbers skip): they hold only some transactions; give the run's output too, for the counts")
	}
	r.LoadGenerators = len(lg.generators)
	r.Operations.Count = lg.n + lg.failed
	r.Errors.Count = i64(lg.failed)
	if r.Operations.Count > 0 {
		r.Errors.Rate = f64(float64(lg.failed) / float64(r.Operations.Count))
	}
	r.Dropped = lg.skipped
	if lg.retriesKnown {
		r.Retries = i64(lg.retries)
	}
	r.Clients = i64(int64(len(lg.clients)))
	if lg.hasT && lg.endMax > lg.startMin {
		r.DurationS = float64(lg.endMax-lg.startMin) / 1e6
	}
	r.Notes = append(r.Notes, "counts and duration from the -l logs alone: duration_s spans the first transaction's start to the last one's end; no initial connection time, tps or version (give the run's output too)")
	if lg.sevenFields {
		r.Notes = append(r.Notes, "the logs' 7th field is schedule lag (--rate) or retries (--max-tries): not read")
	}
	return nil
}

// checkLogCount cross-checks complete logs against the output's counts.
func checkLogCount(r *results.Result, lg *txLog) error {
	if lg.sampled {
		r.Notes = append(r.Notes, fmt.Sprintf("the -l logs are sampled (--sampling-rate): latency percentiles from %d of the %d transactions", lg.n+lg.failed, r.Operations.Count))
		return nil
	}
	if got := lg.n + lg.failed; got != r.Operations.Count || lg.skipped != r.Dropped {
		return fmt.Errorf("the -l logs hold %d transactions (%d skipped) but the output %d (%d skipped): logs of another run, or a thread's log (<prefix>.<pid>.<n>) missing", got, lg.skipped, r.Operations.Count, r.Dropped)
	}
	return nil
}

func (lg *txLog) latency(r *results.Result) {
	if lg.n == 0 {
		return
	}
	src := results.LatencyTransactionLog
	if lg.sampled {
		src = results.LatencySampledLog
	}
	ms := func(us float64) *float64 { v := us / 1000; return &v }
	lo, hi := float64(lg.min), float64(lg.max)
	pct := func(q float64) *float64 {
		v := float64(lg.hist.ValueAtPercentile(q))
		return ms(math.Min(math.Max(v, lo), hi))
	}
	mean := lg.sum / float64(lg.n)
	sd := math.Sqrt(math.Max(lg.sumSq/float64(lg.n)-mean*mean, 0))
	r.LatencyMs = results.Latency{Source: src, Per: "transaction", Avg: ms(mean), Min: ms(lo), Max: ms(hi),
		Med: pct(50), P90: pct(90), P95: pct(95), P99: pct(99), P999: pct(99.9), Stddev: ms(sd)}
	r.Notes = append(r.Notes, "latency of successful transactions from the -l logs: exact average, min, max and stddev; percentiles from an HDR histogram (3 significant digits)")
}

func (lg *txLog) window(r *results.Result) {
	if !lg.hasT || lg.startMin > lg.endMax {
		return
	}
	s := time.UnixMicro(lg.startMin).UTC().Format(time.RFC3339Nano)
	e := time.UnixMicro(lg.endMax).UTC().Format(time.RFC3339Nano)
	r.StartedAt, r.EndedAt = &s, &e
}
