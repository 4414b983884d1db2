package load

import (
	"maps"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// checkLoads checks the tools of a benchmark: which variants run which
// tool, that only the blocks of tools that run are set, and each tool's
// parameters against what the tool accepts.
func (s *Source) checkLoads(e *model.Experiment, bp func(...string) cue.Path, add adder) {
	b := e.Benchmark
	for _, v := range slices.Sorted(maps.Keys(b.Variants)) {
		if _, ok := e.Variants[v]; !ok {
			add(bp("variants", v), "no variant %q in experiment %s (variants: %s)", v, e.Name, list(slices.Sorted(maps.Keys(e.Variants))))
		}
	}
	runsK6 := false
	for _, v := range e.BenchmarkVariants() {
		if b.ToolOf(v) == model.ToolK6 {
			runsK6 = true
		}
	}
	tool := b.Tool
	if tool == "" {
		tool = model.ToolK6
	}
	if !runsK6 {
		k6Fields := map[string]bool{
			"target":     b.Target != "",
			"targets":    len(b.Targets) > 0,
			"warmup":     b.Warmup != nil,
			"scenarios":  len(b.Scenarios) > 0,
			"requests":   len(b.Requests) > 0,
			"thresholds": len(b.Thresholds) > 0,
			// The defaults (false) cannot be told from unset: only true is a mistake.
			"noConnectionReuse":     b.NoConnectionReuse,
			"insecureSkipTLSVerify": b.InsecureSkipTLSVerify,
		}
		for _, f := range slices.Sorted(maps.Keys(k6Fields)) {
			if k6Fields[f] {
				add(bp(f), "%s is a k6 field, and no variant runs k6 (tool: %s)", f, tool)
			}
		}
	}
	own := model.Load{Tool: tool, Pgbench: b.Pgbench, RedisBenchmark: b.RedisBenchmark, NatsBench: b.NatsBench,
		KafkaPerf: b.KafkaPerf, PerfTest: b.PerfTest, Fio: b.Fio, Runner: b.Runner}
	strayBlocks(own, bp, add)
	// The benchmark's own tool is checked even when every variant has its
	// own: it is what a variant added later would run.
	if tool != model.ToolK6 {
		checkLoad(own, bp, add)
	}
	for _, v := range slices.Sorted(maps.Keys(b.Variants)) {
		if _, ok := e.Variants[v]; !ok {
			continue
		}
		vp := func(more ...string) cue.Path { return bp(append([]string{"variants", v}, more...)...) }
		l := b.LoadOf(v)
		strayBlocks(l, vp, add)
		checkLoad(l, vp, add)
	}
}

// strayBlocks refuses the parameter blocks of tools the load does not run:
// a block under the wrong tool is a mistake, not a spare.
func strayBlocks(l model.Load, p func(...string) cue.Path, add adder) {
	set := map[string]bool{
		model.ToolPgbench:        l.Pgbench != nil,
		model.ToolRedisBenchmark: l.RedisBenchmark != nil,
		model.ToolNatsBench:      l.NatsBench != nil,
		model.ToolKafkaPerf:      l.KafkaPerf != nil,
		model.ToolPerfTest:       l.PerfTest != nil,
		model.ToolFio:            l.Fio != nil,
	}
	for _, t := range model.Tools {
		if set[t] && t != l.Tool {
			add(p(model.ToolBlock(t)), "%s holds %s's parameters, but the tool here is %s", model.ToolBlock(t), t, l.Tool)
		}
	}
}

// checkLoad checks one tool's parameters; p is the path of the block's
// parent (the benchmark, or its entry for a variant).
func checkLoad(l model.Load, p func(...string) cue.Path, add adder) {
	bl := func(more ...string) cue.Path { return p(append([]string{model.ToolBlock(l.Tool)}, more...)...) }
	dur := func(field, d string) time.Duration {
		x, err := time.ParseDuration(d)
		if err != nil {
			add(bl(field), "%s %q: %v", field, d, err)
		}
		return x
	}
	secs := func(field, d string) time.Duration {
		x, err := model.Seconds(field, d)
		if err != nil {
			add(bl(field), "%v", err)
		}
		return x
	}
	mem, memErr := resource.ParseQuantity(l.Runner.Memory)
	switch l.Tool {
	case model.ToolPgbench:
		g := l.Pgbench
		d := secs("duration", g.Duration)
		if pr := secs("progress", g.Progress); pr > 0 && d > 0 && pr > d {
			add(bl("progress"), "progress interval %s is longer than the run (%s): pgbench would print no progress", g.Progress, g.Duration)
		}
		dur("initTimeout", g.InitTimeout)
		if g.Threads > g.Clients {
			add(bl("threads"), "threads %d exceed clients %d: pgbench refuses more threads than clients", g.Threads, g.Clients)
		}
		if g.Builtin != "" && g.Script != "" {
			add(bl("script"), "builtin %s and script are both set: choose one", g.Builtin)
		}
	case model.ToolRedisBenchmark:
		r := l.RedisBenchmark
		if len(r.Tests) == 0 {
			add(bl("tests"), "no tests: name at least one of redis-benchmark's tests")
		}
		seen := map[string]bool{}
		for i, t := range r.Tests {
			if !slices.Contains(model.RedisTests, t) {
				add(bl("tests").Append(cue.Index(i)), "unknown test %q (redis-benchmark's tests: %s)", t, strings.Join(model.RedisTests, ", "))
			}
			if seen[t] {
				add(bl("tests").Append(cue.Index(i)), "test %s is listed twice", t)
			}
			seen[t] = true
		}
		dur("timeout", r.Timeout)
	case model.ToolNatsBench:
		n := l.NatsBench
		to := dur("timeout", n.Timeout)
		if n.Duration != "" {
			if n.Throughput == nil {
				add(bl("duration"), "duration needs throughput: nats bench derives the message count from both")
			}
			if d := secs("duration", n.Duration); d > 0 && to > 0 && to <= d {
				add(bl("timeout"), "timeout %s is not longer than the run (%s)", n.Timeout, n.Duration)
			}
		}
		if n.JetStream != nil {
			// nats bench makes its stream with --maxbytes 1GB (the default).
			msgs := n.Messages
			if n.Duration != "" && n.Throughput != nil {
				if d, err := time.ParseDuration(n.Duration); err == nil {
					msgs = *n.Throughput * int(d/time.Second)
				}
			}
			if int64(msgs)*int64(n.Size) > 1_000_000_000 {
				add(bl("messages"), "%d messages of %d bytes exceed the 1 GB stream nats bench makes: send fewer or smaller messages", msgs, n.Size)
			}
		}
		if n.JetStream == nil && n.Subscribers > 0 && n.Duration != "" {
			add(bl("subscribers"), "Core NATS subscribers wait for a message count: run a fixed count of messages (no duration) with subscribers")
		}
	case model.ToolKafkaPerf:
		k := l.KafkaPerf
		dur("timeout", k.Timeout)
		if k.WarmupRecords != nil && *k.WarmupRecords >= k.Records {
			add(bl("warmupRecords"), "warmupRecords %d must be fewer than records %d", *k.WarmupRecords, k.Records)
		}
		// The consumers run at once, each its own JVM; the producer alone.
		jvms := max(1, k.Consumers)
		need := resource.MustParse("128Mi") // per JVM beyond its heap: metaspace, threads, buffers
		need.Add(*resource.NewQuantity(int64(k.HeapMiB)<<20, resource.BinarySI))
		total := resource.NewQuantity(need.Value()*int64(jvms), resource.BinarySI)
		if memErr == nil && total.Cmp(mem) > 0 {
			add(bl("consumers"), "%d JVM(s) of %d MiB heap (+128 MiB each) need %s, more than the runner's memory %s: raise runner.memory or lower heapMiB", jvms, k.HeapMiB, total, l.Runner.Memory)
		}
	case model.ToolPerfTest:
		pt := l.PerfTest
		secs("duration", pt.Duration)
		if pt.Producers == 0 && pt.Consumers == 0 {
			add(bl("producers"), "no producers and no consumers: nothing would be measured")
		}
		if pt.Queues > 1 && pt.Consumers > 0 && pt.Consumers < pt.Queues {
			add(bl("consumers"), "%d consumers for %d queues: PerfTest spreads consumers over the queues, so some queues would have none", pt.Consumers, pt.Queues)
		}
	case model.ToolFio:
		f := l.Fio
		if f.RampTime != "" {
			secs("rampTime", f.RampTime)
		}
		var tmpfs resource.Quantity
		for _, vn := range slices.Sorted(maps.Keys(f.Volumes)) {
			v := f.Volumes[vn]
			q, err := resource.ParseQuantity(v.Size)
			if err != nil {
				add(bl("volumes", vn, "size"), "size %q: %v", v.Size, err)
				continue
			}
			if v.StorageClass != "" && v.Medium != model.FioClaim {
				add(bl("volumes", vn, "storageClass"), "a storage class applies to a claim, not to medium %s", v.Medium)
			}
			if v.Medium == model.FioMemory {
				tmpfs.Add(q)
			}
		}
		if memErr == nil && !tmpfs.IsZero() && tmpfs.Cmp(mem) >= 0 {
			add(bl("volumes"), "memory volumes of %s do not fit the runner's memory %s (tmpfs is charged to the pod's limit)", tmpfs.String(), l.Runner.Memory)
		}
		used := map[string]bool{}
		for _, jn := range f.JobNames() {
			j := f.Jobs[jn]
			secs("jobs."+jn+".runtime", j.Runtime)
			v, ok := f.Volumes[j.Volume]
			if !ok {
				add(bl("jobs", jn, "volume"), "no volume %q (volumes: %s)", j.Volume, list(slices.Sorted(maps.Keys(f.Volumes))))
				continue
			}
			used[j.Volume] = true
			if j.Direct && v.Medium == model.FioMemory {
				add(bl("jobs", jn, "direct"), "direct I/O on volume %s: tmpfs (medium memory) refuses O_DIRECT", j.Volume)
			}
			if j.RWMixRead != nil && j.RW != "rw" && j.RW != "randrw" {
				add(bl("jobs", jn, "rwmixread"), "rwmixread applies to rw and randrw, not %s", j.RW)
			}
			if j.Fsync > 0 && (j.RW == "read" || j.RW == "randread") {
				add(bl("jobs", jn, "fsync"), "fsync on a %s job: reads issue no fsync", j.RW)
			}
		}
		for _, vn := range slices.Sorted(maps.Keys(f.Volumes)) {
			if !used[vn] {
				add(bl("volumes", vn), "no job uses volume %s", vn)
			}
		}
	}
}
