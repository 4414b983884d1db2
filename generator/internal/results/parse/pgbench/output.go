package pgbench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// output is one pgbench process's output.
type output struct {
	version string
	// The summary's figures; the *Seen flags say which lines were there.
	sawSummary          bool
	clients             int64
	clientsSeen         bool
	processed           int64
	processedSeen       bool
	target              *int64
	perClient           *int64
	failed              int64
	failedSeen          bool
	skipped             int64
	retries             *int64
	tps                 float64
	tpsSeen             bool
	durationS           float64 // -T, declared
	latAvg, latStddev   *float64
	latComputed         bool
	notes               []string
	scripts, statements []results.Part
	abortedClients      map[string]bool
	toolErrors          []string
}

var (
	reBanner    = regexp.MustCompile(`^pgbench \((.+)\)$`)
	reKeyValue  = regexp.MustCompile(`^([a-z][a-z0-9 .()-]*?): (.*)$`)
	reCountPct  = regexp.MustCompile(`^(\d+) \((\d+(?:\.\d+)?) ?%\)$`)
	reProcessed = regexp.MustCompile(`^(\d+)(?:/(\d+))?$`)
	reDuration  = regexp.MustCompile(`^(\d+) s$`)
	reLatency   = regexp.MustCompile(`^latency (average|stddev) = (\d+(?:\.\d+)?) ms( \(including failures\))?$`)
	reTPS       = regexp.MustCompile(`^tps = (\d+(?:\.\d+)?) \((.+)\)$`)
	reScript    = regexp.MustCompile(`^SQL script (\d+): (.+)$`)
	reScriptTx  = regexp.MustCompile(`^ - (\d+) transactions \((\d+(?:\.\d+)?)% of total, tps = (\d+(?:\.\d+)?)\)$`)
	reScriptLat = regexp.MustCompile(`^ - latency (average|stddev) = (\d+(?:\.\d+)?) ms( \(including failures\))?$`)
	reScriptKV  = regexp.MustCompile(`^ - (number of [a-z ]+): (\d+) \((\d+(?:\.\d+)?)%\)$`)
	reAborted   = regexp.MustCompile(`^pgbench: (?:error|fatal): client (\d+) (?:script \d+ )?aborted`)
	reToolError = regexp.MustCompile(`^pgbench: (?:error|fatal): (.+)$`)
	reProgress  = regexp.MustCompile(`^progress: \d+(?:\.\d+)? s, `)
	reLatLimit  = regexp.MustCompile(`^number of transactions above the (\d+(?:\.\d+)?) ms latency limit: (\d+)/(\d+) \((\d+(?:\.\d+)?) ?%\)$`)
)

const computedNote = "pgbench computed its latency average"

// parseOutput reads the output line by line. Lines it does not know
// (server WARNINGs, -i progress, lines of later pgbench versions) are
// skipped; a summary line it knows but cannot read is an error.
func parseOutput(rd *input.Reader) (*output, error) {
	o := &output{abortedClients: map[string]bool{}}
	mode := "" // "statements" or "script"
	retryCol := false
	var script *results.Part
	fail := func(format string, args ...any) error { return rd.Errorf(format, args...) }
	num := func(s string) (int64, error) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return 0, fail("%s is not a count", input.Excerpt([]byte(s)))
		}
		return v, nil
	}
	flt := func(s string) (float64, error) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0, fail("%s is not a non-negative number", input.Excerpt([]byte(s)))
		}
		return v, nil
	}
	lines := 0
	for {
		b, err := rd.Line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		lines++
		line := string(b)
		// Blocks: statement latencies and per-script figures.
		if mode == "statements" {
			if st, ok, err := statementLine(line, retryCol); err != nil {
				return nil, fail("%v", err)
			} else if ok {
				if script != nil {
					st.Name = "script " + strings.TrimPrefix(script.Name, "script ") + ": " + st.Name
				}
				o.statements = append(o.statements, st)
				continue
			}
			mode = ""
			if script != nil {
				mode = "script"
			}
		}
		if mode == "script" {
			if m := reScriptTx.FindStringSubmatch(line); m != nil {
				n, err := num(m[1])
				if err != nil {
					return nil, err
				}
				tps, err := flt(m[3])
				if err != nil {
					return nil, err
				}
				script.Operations, script.ThroughputPerS = &n, &tps
				continue
			}
			if m := reScriptLat.FindStringSubmatch(line); m != nil {
				v, err := flt(m[2])
				if err != nil {
					return nil, err
				}
				script.LatencyMs.Source, script.LatencyMs.Per = results.LatencyToolSummary, "transaction"
				if m[1] == "average" {
					script.LatencyMs.Avg = &v
				} else {
					script.LatencyMs.Stddev = &v
				}
				continue
			}
			if m := reScriptKV.FindStringSubmatch(line); m != nil {
				n, err := num(m[2])
				if err != nil {
					return nil, err
				}
				switch m[1] {
				case "number of failed transactions":
					script.Errors = &n
				case "number of transactions retried":
					script.Retries = &n
				}
				continue
			}
			if strings.HasPrefix(line, " - statement latencies in milliseconds") {
				mode, retryCol = "statements", strings.Contains(line, "retries")
				continue
			}
			if strings.HasPrefix(line, " - ") {
				continue // weight, skipped, other per-script lines
			}
			mode, script = "", nil
		}
		if m := reScript.FindStringSubmatch(line); m != nil && o.sawSummary {
			o.scripts = append(o.scripts, results.Part{Name: "script " + m[1] + " (" + m[2] + ")", Kind: "script", LatencyMs: results.Latency{Source: results.LatencyNone}})
			script = &o.scripts[len(o.scripts)-1]
			mode = "script"
			continue
		}
		if strings.HasPrefix(line, "statement latencies in milliseconds") {
			mode, retryCol = "statements", strings.Contains(line, "retries")
			continue
		}

		if m := reBanner.FindStringSubmatch(line); m != nil {
			v := m[1]
			// "15.18 (Debian ...)" or "17.2, server 15.18": the client's.
			if i := strings.Index(v, ", server "); i >= 0 {
				o.notes = append(o.notes, "pgbench and the server differ: "+v)
				v = v[:i]
			}
			o.version = v
			continue
		}
		if m := reAborted.FindStringSubmatch(line); m != nil {
			o.abortedClients[m[1]] = true
			o.toolErrors = appendBounded(o.toolErrors, strings.TrimSpace(line))
			continue
		}
		if m := reToolError.FindStringSubmatch(line); m != nil {
			if strings.HasPrefix(m[1], "Run was aborted") && len(o.abortedClients) > 0 {
				continue // said already by the aborted clients
			}
			o.toolErrors = appendBounded(o.toolErrors, strings.TrimSpace(line))
			continue
		}
		if reProgress.MatchString(line) {
			continue
		}
		if m := reLatency.FindStringSubmatch(line); m != nil {
			v, err := flt(m[2])
			if err != nil {
				return nil, err
			}
			if m[1] == "average" {
				o.latAvg = &v
				if m[3] != "" {
					o.notes = append(o.notes, "pgbench's latency average includes failed transactions")
				}
			} else {
				o.latStddev = &v
			}
			continue
		}
		if m := reTPS.FindStringSubmatch(line); m != nil {
			v, err := flt(m[1])
			if err != nil {
				return nil, err
			}
			switch m[2] {
			case "without initial connection time", "excluding connections establishing":
				o.tps, o.tpsSeen = v, true
			}
			continue
		}
		if m := reLatLimit.FindStringSubmatch(line); m != nil {
			o.notes = append(o.notes, fmt.Sprintf("%s of %s transactions above the %s ms latency limit", m[2], m[3], m[1]))
			continue
		}
		m := reKeyValue.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key, val := m[1], m[2]
		switch key {
		case "transaction type":
			o.sawSummary = true
			o.notes = append(o.notes, "transaction type: "+val)
		case "query mode", "scaling factor", "number of threads", "maximum number of tries":
			o.notes = append(o.notes, key+": "+val)
		case "number of clients":
			n, err := num(val)
			if err != nil {
				return nil, err
			}
			o.clients, o.clientsSeen = n, true
		case "duration":
			dm := reDuration.FindStringSubmatch(val)
			if dm == nil {
				return nil, fail("duration %s: want \"N s\"", input.Excerpt([]byte(val)))
			}
			n, err := num(dm[1])
			if err != nil {
				return nil, err
			}
			o.durationS = float64(n)
		case "number of transactions per client":
			n, err := num(val)
			if err != nil {
				return nil, err
			}
			o.perClient = &n
		case "number of transactions actually processed":
			pm := reProcessed.FindStringSubmatch(val)
			if pm == nil {
				return nil, fail("transactions processed %s: want N or N/M", input.Excerpt([]byte(val)))
			}
			n, err := num(pm[1])
			if err != nil {
				return nil, err
			}
			o.processed, o.processedSeen = n, true
			if pm[2] != "" {
				t, err := num(pm[2])
				if err != nil {
					return nil, err
				}
				o.target = &t
			}
		case "number of failed transactions", "number of transactions skipped", "number of transactions retried",
			"number of serialization failures", "number of deadlock failures":
			cm := reCountPct.FindStringSubmatch(val)
			if cm == nil {
				return nil, fail("%s %s: want \"N (x%%)\"", key, input.Excerpt([]byte(val)))
			}
			n, err := num(cm[1])
			if err != nil {
				return nil, err
			}
			switch key {
			case "number of failed transactions":
				o.failed, o.failedSeen = n, true
			case "number of transactions skipped":
				o.skipped = n
			default:
				o.notes = append(o.notes, key+": "+val)
			}
		case "total number of retries":
			n, err := num(val)
			if err != nil {
				return nil, err
			}
			o.retries = &n
		case "rate limit schedule lag", "initial connection time":
			o.notes = append(o.notes, key+": "+val)
		}
	}
	if lines == 0 {
		return nil, fmt.Errorf("%s: empty file", rd.Name())
	}
	if o.sawSummary && o.latAvg != nil && o.latStddev == nil {
		o.latComputed = true
		o.notes = append(o.notes, computedNote+" from the run time (duration x clients / transactions): run with --progress, --rate or --latency-limit, or give -l logs, for measured latencies")
	}
	if !o.sawSummary && len(o.toolErrors) == 0 {
		return nil, fmt.Errorf("%s: no pgbench summary (\"transaction type:\" ... \"tps =\") in %d line(s)", rd.Name(), lines)
	}
	return o, nil
}

func appendBounded(s []string, v string) []string {
	if len(v) > 300 {
		v = v[:300] + "..."
	}
	if len(s) < maxToolErrors+1 {
		s = append(s, v)
	}
	return s
}

// statementLine reads one line of the -r table: the average latency, the
// failures (PostgreSQL 15), the retries (with --max-tries), the command.
func statementLine(line string, retries bool) (results.Part, bool, error) {
	fs := strings.Fields(line)
	need := 2
	if retries {
		need = 3
	}
	if !strings.HasPrefix(line, " ") || len(fs) < need+1 {
		return results.Part{}, false, nil
	}
	lat, err := strconv.ParseFloat(fs[0], 64)
	if err != nil {
		return results.Part{}, false, nil
	}
	if math.IsNaN(lat) || math.IsInf(lat, 0) || lat < 0 {
		return results.Part{}, false, fmt.Errorf("statement latency %s is not a non-negative number", input.Excerpt([]byte(fs[0])))
	}
	p := results.Part{Kind: "statement", LatencyMs: results.Latency{Source: results.LatencyToolSummary, Per: "statement", Avg: &lat}}
	counts := []**int64{&p.Errors}
	if retries {
		counts = append(counts, &p.Retries)
	}
	for i, dst := range counts {
		n, err := strconv.ParseInt(fs[1+i], 10, 64)
		if err != nil || n < 0 {
			return results.Part{}, false, nil
		}
		*dst = &n
	}
	// The command is what follows the numeric columns.
	rest := line
	for i := 0; i < need; i++ {
		rest = strings.TrimLeft(rest, " \t")
		rest = rest[len(fs[i]):]
	}
	p.Name = strings.TrimSpace(rest)
	if len(p.Name) > 200 {
		p.Name = p.Name[:200] + "..."
	}
	return p, true, nil
}

// complete refuses an output whose summary lacks a line every pgbench 15
// run prints.
func (o *output) complete(name string) error {
	var missing []string
	if !o.clientsSeen {
		missing = append(missing, "number of clients")
	}
	if !o.processedSeen {
		missing = append(missing, "number of transactions actually processed")
	}
	if !o.failedSeen {
		missing = append(missing, "number of failed transactions")
	}
	if !o.tpsSeen {
		missing = append(missing, "tps = ... (without initial connection time)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: the pgbench summary lacks %s (cut short?)", name, strings.Join(missing, ", "))
	}
	if o.target == nil && o.perClient != nil {
		t := *o.perClient * o.clients
		o.target = &t
	}
	return nil
}

// duration is the run's time without the initial connection time:
// processed / tps, as pgbench computed tps. Without a successful
// transaction it falls back on the declared -T duration.
func (o *output) duration() (float64, string) {
	if o.processed > 0 && o.tps > 0 {
		return float64(o.processed) / o.tps, fmt.Sprintf("duration_s is pgbench's run time without the initial connection time (processed / tps); pgbench reported tps = %s (successful transactions only)", strconv.FormatFloat(o.tps, 'f', -1, 64))
	}
	if o.durationS > 0 {
		return o.durationS, "duration_s is the declared -T duration: no transaction succeeded, so pgbench's tps gives none"
	}
	return 0, ""
}
