package k6

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// synth writes k6-like outputs of a run with known samples, so tests can
// compare the parser against exactly known figures.
type synth struct {
	requests int
	seed     uint64
	// latency spread: durations are base + exponential(mean).
	base, mean float64
	failEvery  int // every n-th request fails (0: never)
	vus        int
	start      time.Time
	step       time.Duration
}

// sample is one request as the generator drew it.
type sample struct {
	t      time.Time
	dur    float64
	failed bool
}

func (s synth) samples(yield func(sample) bool) {
	rng := rand.New(rand.NewPCG(s.seed, 7))
	for i := 0; i < s.requests; i++ {
		d := s.base + rng.ExpFloat64()*s.mean
		d = float64(int64(d*1000)) / 1000 // k6 writes µs resolution
		failed := s.failEvery > 0 && i%s.failEvery == 0
		if !yield(sample{s.start.Add(time.Duration(i) * s.step), d, failed}) {
			return
		}
	}
}

var synthMetrics = []struct{ name, typ, contains string }{
	{"vus_max", "gauge", "default"},
	{"http_reqs", "counter", "default"},
	{"http_req_duration", "trend", "time"},
	{"http_req_blocked", "trend", "time"},
	{"http_req_failed", "rate", "default"},
	{"checks", "rate", "default"},
	{"data_sent", "counter", "data"},
	{"data_received", "counter", "data"},
	{"iterations", "counter", "default"},
	{"iteration_duration", "trend", "time"},
}

const synthTags = `{"expected_response":"true","group":"","method":"GET","name":"http://127.0.0.1:8080/api/items","proto":"HTTP/1.1","scenario":"default","status":"200","url":"http://127.0.0.1:8080/api/items"}`

// writeNDJSON writes s as --out json.
func (s synth) writeNDJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	seen := map[string]bool{}
	point := func(metric, ts string, v float64, tags string) {
		if !seen[metric] {
			seen[metric] = true
			for _, m := range synthMetrics {
				if m.name == metric {
					fmt.Fprintf(bw, `{"type":"Metric","data":{"name":%q,"type":%q,"contains":%q,"thresholds":[],"submetrics":null},"metric":%q}`+"\n", m.name, m.typ, m.contains, m.name)
				}
			}
		}
		bw.WriteString(`{"metric":"`)
		bw.WriteString(metric)
		bw.WriteString(`","type":"Point","data":{"time":"`)
		bw.WriteString(ts)
		bw.WriteString(`","value":`)
		bw.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
		bw.WriteString(`,"tags":`)
		bw.WriteString(tags)
		bw.WriteString("}}\n")
	}
	first := true
	for smp := range s.samples {
		ts := smp.t.Format("2006-01-02T15:04:05.000000-07:00")
		if first {
			point("vus_max", ts, float64(s.vus), `{}`)
			first = false
		}
		point("http_reqs", ts, 1, synthTags)
		point("http_req_duration", ts, smp.dur, synthTags)
		point("http_req_blocked", ts, 0.004, synthTags)
		f := 0.0
		if smp.failed {
			f = 1
		}
		point("http_req_failed", ts, f, synthTags)
		point("checks", ts, 1-f, `{"check":"status is 200","group":"","scenario":"default"}`)
		point("data_sent", ts, 120, `{"group":"","scenario":"default"}`)
		point("data_received", ts, 512, `{"group":"","scenario":"default"}`)
		point("iterations", ts, 1, `{"group":"","scenario":"default"}`)
		point("iteration_duration", ts, smp.dur+0.5, `{"group":"","scenario":"default"}`)
	}
	return bw.Flush()
}

// writeCSV writes s as --out csv (19 columns).
func (s synth) writeCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata\n")
	row := func(metric string, ts int64, v float64) {
		fmt.Fprintf(bw, "%s,%d,%s,,,,true,,GET,\"http://127.0.0.1:8080/a,b\",HTTP/1.1,default,,200,,,http://127.0.0.1:8080/a,,\n", metric, ts, strconv.FormatFloat(v, 'f', -1, 64))
	}
	first := true
	for smp := range s.samples {
		ts := smp.t.Unix()
		if first {
			row("vus_max", ts, float64(s.vus))
			first = false
		}
		f := 0.0
		if smp.failed {
			f = 1
		}
		row("http_reqs", ts, 1)
		row("http_req_duration", ts, smp.dur)
		row("http_req_failed", ts, f)
		row("checks", ts, 1-f)
		row("data_sent", ts, 120)
		row("data_received", ts, 512)
		row("iterations", ts, 1)
	}
	return bw.Flush()
}
