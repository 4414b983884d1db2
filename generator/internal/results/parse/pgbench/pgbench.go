// Package pgbench turns PostgreSQL's pgbench output into normalized
// results: the run's output (the summary pgbench prints on stdout, with
// the progress and error lines of stderr as a pod log or `2>&1` holds
// them), its per-transaction logs (-l) and its aggregate logs
// (-l --aggregate-interval). Formats are PostgreSQL 15's (see
// docs/results.md for what is read).
//
// Operations are transactions, failed ones included: pgbench's own tps
// counts successful transactions only, over the run without the initial
// connection time; the duration is that time (processed / tps).
package pgbench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/input"
)

// Formats.
const (
	FormatAuto         = "auto"
	FormatOutput       = "output"
	FormatLog          = "log"
	FormatAggregateLog = "aggregate-log"
)

// Formats lists the values of Options.Format.
var Formats = []string{FormatAuto, FormatAggregateLog, FormatLog, FormatOutput}

// Options control parsing.
type Options struct {
	// Format is one of Formats; empty means auto-detect per file.
	Format string
}

// maxToolErrors bounds the tool errors a result keeps (the first ones).
const maxToolErrors = 20

// file is one parsed input.
type file struct {
	name   string
	format string
	src    input.Source
	out    *output
	txlog  *txLog
	agg    *aggLog
}

// ParseFiles parses the files of one pgbench run: each pgbench process's
// output and, optionally, its -l logs (one per thread). Outputs of several
// processes are merged (counts summed); logs give the latency distribution
// of every transaction of every process.
func ParseFiles(paths []string, opt Options) (*results.Result, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input files")
	}
	if err := input.Distinct(paths); err != nil {
		return nil, err
	}
	var files []*file
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		pf, err := parseFile(p, f, opt.Format)
		f.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, pf)
	}
	return merge(files)
}

// Parse parses one stream; name labels errors.
func Parse(name string, r io.Reader, opt Options) (*results.Result, error) {
	f, err := parseFile(name, r, opt.Format)
	if err != nil {
		return nil, err
	}
	return merge([]*file{f})
}

func parseFile(name string, r io.Reader, format string) (*file, error) {
	if format == "" {
		format = FormatAuto
	}
	if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	rd, err := input.NewReader(name, r, input.Options{})
	if err != nil {
		return nil, err
	}
	if format == FormatAuto {
		if format, err = detect(rd); err != nil {
			return nil, err
		}
	}
	f := &file{name: name, format: format}
	switch format {
	case FormatOutput:
		f.out, err = parseOutput(rd)
	case FormatLog:
		f.txlog, err = parseTxLog(rd)
	case FormatAggregateLog:
		f.agg, err = parseAggLog(rd)
	}
	if err != nil {
		return nil, err
	}
	if f.src, err = rd.Finish(); err != nil {
		return nil, err
	}
	return f, nil
}

// detect tells an output from the two log formats by the first lines.
func detect(rd *input.Reader) (string, error) {
	head, err := rd.Peek(64 << 10)
	if err != nil {
		return "", fmt.Errorf("%s: read: %w", rd.Name(), err)
	}
	if i := strings.IndexByte(string(head), 0); i >= 0 {
		return "", fmt.Errorf("%s: binary data (a NUL byte at byte offset %d): not a pgbench output", rd.Name(), i)
	}
	lines := strings.Split(string(head), "\n")
	if len(lines) > 1 && len(head) == 64<<10 {
		lines = lines[:len(lines)-1] // the last one may be cut
	}
	seen := false
	for _, l := range lines {
		_, rest, ok := splitTS(l)
		if ok {
			l = rest
		}
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		seen = true
		switch {
		case strings.HasPrefix(l, "pgbench (") || strings.HasPrefix(l, "transaction type: ") ||
			strings.HasPrefix(l, "pgbench: ") || strings.HasPrefix(l, "starting vacuum") || strings.HasPrefix(l, "progress: "):
			return FormatOutput, nil
		}
		fs := strings.Fields(l)
		switch {
		case len(fs) == aggFields && allInts(fs):
			return FormatAggregateLog, nil
		case len(fs) >= 6 && len(fs) <= 8 && allInts(fs[:2]) && allInts(fs[3:]):
			return FormatLog, nil
		}
	}
	if !seen {
		if len(head) == 0 {
			return "", fmt.Errorf("%s: empty file", rd.Name())
		}
		return "", fmt.Errorf("%s: only blanks: empty output", rd.Name())
	}
	return "", fmt.Errorf("%s: unrecognized pgbench output (no \"transaction type:\" summary, per-transaction log or aggregate log line)", rd.Name())
}

func splitTS(l string) (time.Time, string, bool) {
	if len(l) < 20 || l[4] != '-' || l[10] != 'T' {
		return time.Time{}, "", false
	}
	i := strings.IndexByte(l, ' ')
	if i < 0 {
		i = len(l)
	}
	t, err := time.Parse(time.RFC3339Nano, l[:i])
	if err != nil {
		return time.Time{}, "", false
	}
	if i == len(l) {
		return t, "", true
	}
	return t, l[i+1:], true
}

func allInts(fs []string) bool {
	for _, f := range fs {
		if f == "" {
			return false
		}
		for i, c := range f {
			if (c < '0' || c > '9') && !(i == 0 && c == '-' && len(f) > 1) {
				return false
			}
		}
	}
	return true
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

// Histogram of transaction latencies in microseconds: 1 µs to 24 h at three
// significant digits.
func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 24*3600*1_000_000, 3) }

func merge(files []*file) (*results.Result, error) {
	r := results.New(results.ToolPgbench, results.UnitTransactions)
	var (
		outs  []*file
		logs  []*txLog
		aggs  []*aggLog
		srcs  []input.Source
		rsrcs []results.Source
	)
	for _, f := range files {
		srcs = append(srcs, f.src)
		n := f.src.Bytes
		rsrcs = append(rsrcs, results.Source{File: filepath.Base(f.name), Format: f.format, SHA256: f.src.SHA256, Bytes: &n})
		switch {
		case f.out != nil:
			outs = append(outs, f)
		case f.txlog != nil:
			logs = append(logs, f.txlog)
		case f.agg != nil:
			aggs = append(aggs, f.agg)
		}
	}
	if err := input.DistinctContent(srcs); err != nil {
		return nil, err
	}
	if len(logs) > 0 && len(aggs) > 0 {
		return nil, fmt.Errorf("per-transaction and aggregate logs given together: one run writes one kind (-l with or without --aggregate-interval)")
	}
	r.SetSources(rsrcs)
	var lg *txLog
	if len(logs) > 0 {
		lg = mergeTxLogs(logs)
	}
	var ag *aggLog
	if len(aggs) > 0 {
		var err error
		if ag, err = mergeAggLogs(aggs); err != nil {
			return nil, err
		}
	}
	switch {
	case len(outs) > 0:
		if err := fromOutputs(r, outs); err != nil {
			return nil, err
		}
		if lg != nil {
			if err := checkLogCount(r, lg); err != nil {
				return nil, err
			}
		}
		if ag != nil {
			if err := checkAggCount(r, ag); err != nil {
				return nil, err
			}
		}
	case lg != nil:
		if err := fromTxLog(r, lg); err != nil {
			return nil, err
		}
	case ag != nil:
		if err := fromAggLog(r, ag); err != nil {
			return nil, err
		}
	}
	if lg != nil || ag != nil {
		// The logs' latencies replace the summary's average.
		r.Notes = slices.DeleteFunc(r.Notes, func(n string) bool { return strings.HasPrefix(n, computedNote) })
	}
	switch {
	case lg != nil:
		lg.latency(r)
		lg.window(r)
	case ag != nil:
		ag.latency(r)
		ag.window(r)
	}
	r.SetThroughput()
	r.Normalize()
	return r, nil
}

// fromOutputs takes the counts and the duration from the outputs of one or
// more pgbench processes.
func fromOutputs(r *results.Result, outs []*file) error {
	r.LoadGenerators = len(outs)
	var (
		processed, failed, skipped, retries int64
		haveRetries                         = true
		target                              int64
		haveTarget                          = true
		clients                             int64
		avgWeighted                         float64
		haveAvg                             = true
		versions                            []string
		aborted                             int64
	)
	for _, f := range outs {
		o := f.out
		if !o.sawSummary {
			if len(o.toolErrors) > 0 {
				r.ToolErrors = append(r.ToolErrors, o.toolErrors...)
				continue
			}
			return fmt.Errorf("%s: no pgbench summary (\"transaction type:\" ... \"tps =\") in the output", f.name)
		}
		if err := o.complete(f.name); err != nil {
			return err
		}
		processed += o.processed
		failed += o.failed
		skipped += o.skipped
		if o.retries != nil {
			retries += *o.retries
		} else {
			haveRetries = false
		}
		if o.target != nil {
			target += *o.target
		} else {
			haveTarget = false
		}
		clients += o.clients
		aborted += int64(len(o.abortedClients))
		if o.latAvg != nil && o.processed+o.failed > 0 {
			avgWeighted += *o.latAvg * float64(o.processed+o.failed)
		} else {
			haveAvg = false
		}
		if o.version != "" && !slices.Contains(versions, o.version) {
			versions = append(versions, o.version)
		}
		d, note := o.duration()
		if d > r.DurationS {
			r.DurationS = d
		}
		if note != "" {
			r.Notes = append(r.Notes, note)
		}
		r.Notes = append(r.Notes, o.notes...)
		r.ToolErrors = append(r.ToolErrors, o.toolErrors...)
	}
	if len(r.ToolErrors) > maxToolErrors {
		n := len(r.ToolErrors)
		r.ToolErrors = append(r.ToolErrors[:maxToolErrors], fmt.Sprintf("... and %d more", n-maxToolErrors))
	}
	r.Operations.Count = processed + failed
	if haveTarget && target > 0 {
		r.Operations.Target = &target
	}
	r.Errors.Count = i64(failed)
	if total := processed + failed; total > 0 {
		r.Errors.Rate = f64(float64(failed) / float64(total))
	}
	r.Dropped = skipped
	if haveRetries {
		r.Retries = &retries
	}
	r.Clients = &clients
	r.AbortedClients = &aborted
	sort.Strings(versions)
	if len(versions) > 0 {
		v := strings.Join(versions, ", ")
		r.Tool.Version = &v
	}
	if len(outs) == 1 {
		o := outs[0].out
		r.Breakdown = append(r.Breakdown, o.scripts...)
		r.Breakdown = append(r.Breakdown, o.statements...)
		if o.latAvg != nil {
			r.LatencyMs = results.Latency{Source: results.LatencyToolSummary, Per: "transaction", Avg: o.latAvg, Stddev: o.latStddev}
		}
		return nil
	}
	if haveAvg && r.Operations.Count > 0 {
		r.LatencyMs = results.Latency{Source: results.LatencyToolSummary, Per: "transaction", Avg: f64(avgWeighted / float64(r.Operations.Count))}
	}
	r.Notes = append(r.Notes,
		"several pgbench outputs merged: counts summed, duration the longest, latency average weighted by transactions; no per-script or per-statement breakdown",
	)
	return nil
}
