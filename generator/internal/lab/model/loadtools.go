package model

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// The load tools a benchmark names (#Benchmark.tool, schema/loadtools.cue).
// A tool's name is also its value of the lab.illm.dev/tool label, the
// component label of its Jobs and the middle of their names.
const (
	ToolK6             = "k6"
	ToolPgbench        = "pgbench"
	ToolRedisBenchmark = "redis-benchmark"
	ToolNatsBench      = "nats-bench"
	ToolKafkaPerf      = "kafka-perf"
	ToolPerfTest       = "perftest"
	ToolFio            = "fio"
)

// Tools lists every load tool, k6 first.
var Tools = []string{ToolK6, ToolPgbench, ToolRedisBenchmark, ToolNatsBench, ToolKafkaPerf, ToolPerfTest, ToolFio}

// ToolBlock is the schema field holding a tool's parameters ("" for k6,
// whose fields are the benchmark's own).
func ToolBlock(tool string) string {
	return map[string]string{
		ToolPgbench:        "pgbench",
		ToolRedisBenchmark: "redisBenchmark",
		ToolNatsBench:      "natsBench",
		ToolKafkaPerf:      "kafkaPerf",
		ToolPerfTest:       "perfTest",
		ToolFio:            "fio",
	}[tool]
}

// VariantLoad mirrors #VariantLoad: a variant's own tool and parameters.
type VariantLoad struct {
	Tool           string          `json:"tool"`
	Pgbench        *Pgbench        `json:"pgbench,omitempty"`
	RedisBenchmark *RedisBenchmark `json:"redisBenchmark,omitempty"`
	NatsBench      *NatsBench      `json:"natsBench,omitempty"`
	KafkaPerf      *KafkaPerf      `json:"kafkaPerf,omitempty"`
	PerfTest       *PerfTest       `json:"perfTest,omitempty"`
	Fio            *Fio            `json:"fio,omitempty"`
	Runner         *Runner         `json:"runner,omitempty"`
}

// SecretKeyRef mirrors #SecretKeyRef.
type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Pgbench mirrors #Pgbench.
type Pgbench struct {
	Host           string        `json:"host"`
	Port           int           `json:"port"`
	Database       string        `json:"database"`
	User           string        `json:"user"`
	PasswordSecret *SecretKeyRef `json:"passwordSecret,omitempty"`
	Scale          int           `json:"scale"`
	Clients        int           `json:"clients"`
	Threads        int           `json:"threads"`
	Duration       string        `json:"duration"`
	Builtin        string        `json:"builtin,omitempty"`
	Script         string        `json:"script,omitempty"`
	Protocol       string        `json:"protocol"`
	Init           bool          `json:"init"`
	InitTimeout    string        `json:"initTimeout"`
	Progress       string        `json:"progress"`
	Rate           *int          `json:"rate,omitempty"`
	LatencyLimit   *float64      `json:"latencyLimit,omitempty"`
}

// RedisBenchmark mirrors #RedisBenchmark.
type RedisBenchmark struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Tests    []string `json:"tests"`
	Requests int      `json:"requests"`
	Clients  int      `json:"clients"`
	Pipeline int      `json:"pipeline"`
	DataSize int      `json:"dataSize"`
	Keyspace *int     `json:"keyspace,omitempty"`
	Threads  *int     `json:"threads,omitempty"`
	Timeout  string   `json:"timeout"`
}

// RedisTests are the tests of redis-benchmark's built-in list that -t
// selects, as the tool names them in lower case.
var RedisTests = []string{"ping_inline", "ping_mbulk", "set", "get", "incr", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop", "zadd", "zpopmin", "lrange_100", "lrange_300", "lrange_500", "lrange_600", "mset"}

// NatsBench mirrors #NatsBench.
type NatsBench struct {
	URL         string         `json:"url"`
	Subject     string         `json:"subject"`
	Messages    int            `json:"messages"`
	Size        int            `json:"size"`
	Publishers  int            `json:"publishers"`
	Subscribers int            `json:"subscribers"`
	Throughput  *int           `json:"throughput,omitempty"`
	Duration    string         `json:"duration,omitempty"`
	JetStream   *NatsJetStream `json:"jetstream,omitempty"`
	Timeout     string         `json:"timeout"`
}

// NatsJetStream mirrors #NatsBench.jetstream.
type NatsJetStream struct {
	Storage  string `json:"storage"`
	Publish  string `json:"publish"`
	Batch    int    `json:"batch"`
	Replicas int    `json:"replicas"`
	Consumer string `json:"consumer"`
}

// KafkaPerf mirrors #KafkaPerf.
type KafkaPerf struct {
	Bootstrap     string            `json:"bootstrap"`
	Topic         string            `json:"topic"`
	Records       int               `json:"records"`
	RecordSize    int               `json:"recordSize"`
	Throughput    int               `json:"throughput"`
	Acks          string            `json:"acks"`
	Producer      map[string]string `json:"producer"`
	WarmupRecords *int              `json:"warmupRecords,omitempty"`
	Consumers     int               `json:"consumers"`
	HeapMiB       int               `json:"heapMiB"`
	Timeout       string            `json:"timeout"`
}

// PerfTest mirrors #PerfTest.
type PerfTest struct {
	URI          string `json:"uri"`
	Producers    int    `json:"producers"`
	Consumers    int    `json:"consumers"`
	Size         int    `json:"size"`
	Duration     string `json:"duration"`
	Rate         *int   `json:"rate,omitempty"`
	ConsumerRate *int   `json:"consumerRate,omitempty"`
	Confirm      *int   `json:"confirm,omitempty"`
	Persistent   bool   `json:"persistent"`
	QueueType    string `json:"queueType"`
	Queues       int    `json:"queues"`
	ExchangeType string `json:"exchangeType"`
}

// Fio mirrors #Fio.
type Fio struct {
	Volumes  map[string]*FioVolume `json:"volumes"`
	Jobs     map[string]*FioJob    `json:"jobs"`
	RampTime string                `json:"rampTime,omitempty"`
}

// FioVolume mirrors #Fio.volumes.
type FioVolume struct {
	Medium       string `json:"medium"`
	Size         string `json:"size"`
	StorageClass string `json:"storageClass,omitempty"`
}

// The media of a fio volume.
const (
	FioMemory   = "memory"
	FioNodeDisk = "node-disk"
	FioClaim    = "claim"
)

// FioJob mirrors #FioJob.
type FioJob struct {
	Volume    string `json:"volume"`
	RW        string `json:"rw"`
	BS        string `json:"bs"`
	Size      string `json:"size"`
	IOEngine  string `json:"ioengine"`
	IODepth   int    `json:"iodepth"`
	Direct    bool   `json:"direct"`
	Fsync     int    `json:"fsync"`
	NumJobs   int    `json:"numjobs"`
	RWMixRead *int   `json:"rwmixread,omitempty"`
	Runtime   string `json:"runtime"`
}

// JobNames are the fio jobs in the order they run: by name.
func (f *Fio) JobNames() []string { return slices.Sorted(maps.Keys(f.Jobs)) }

// Load is what one variant's Jobs run: a tool and its parameters (exactly
// the one block of that tool is set) and the pod's size.
type Load struct {
	Tool           string
	Pgbench        *Pgbench
	RedisBenchmark *RedisBenchmark
	NatsBench      *NatsBench
	KafkaPerf      *KafkaPerf
	PerfTest       *PerfTest
	Fio            *Fio
	Runner         Runner
}

// LoadOf is what the benchmark runs against a variant ("" without
// variants): the variant's own entry, else the benchmark's tool.
func (b *Benchmark) LoadOf(variant string) Load {
	if v, ok := b.Variants[variant]; ok && variant != "" {
		l := Load{Tool: v.Tool, Pgbench: v.Pgbench, RedisBenchmark: v.RedisBenchmark, NatsBench: v.NatsBench,
			KafkaPerf: v.KafkaPerf, PerfTest: v.PerfTest, Fio: v.Fio, Runner: b.Runner}
		if v.Runner != nil {
			l.Runner = *v.Runner
		}
		return l
	}
	tool := b.Tool
	if tool == "" {
		tool = ToolK6
	}
	return Load{Tool: tool, Pgbench: b.Pgbench, RedisBenchmark: b.RedisBenchmark, NatsBench: b.NatsBench,
		KafkaPerf: b.KafkaPerf, PerfTest: b.PerfTest, Fio: b.Fio, Runner: b.Runner}
}

// ToolOf is the tool run against a variant.
func (b *Benchmark) ToolOf(variant string) string { return b.LoadOf(variant).Tool }

// Seconds parses a tool's duration parameter, which must be a whole
// number of seconds (pgbench, PerfTest and fio take seconds).
func Seconds(what, d string) (time.Duration, error) {
	x, err := time.ParseDuration(d)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %v", what, d, err)
	}
	if x < time.Second || x%time.Second != 0 {
		return 0, fmt.Errorf("%s %q: must be a whole number of seconds (the tool takes seconds)", what, d)
	}
	return x, nil
}

// Measured is how long one measured run of the load lasts as declared,
// when the tool runs for a duration (0 for tools that run to a count:
// redis-benchmark, Kafka's perf tests, nats bench without duration).
func (l Load) Measured() time.Duration {
	switch l.Tool {
	case ToolPgbench:
		d, _ := Seconds("duration", l.Pgbench.Duration)
		return d
	case ToolPerfTest:
		d, _ := Seconds("duration", l.PerfTest.Duration)
		return d
	case ToolNatsBench:
		if l.NatsBench.Duration != "" {
			d, _ := time.ParseDuration(l.NatsBench.Duration)
			return d
		}
	case ToolFio:
		var total time.Duration
		ramp, _ := time.ParseDuration(l.Fio.RampTime)
		for _, n := range l.Fio.JobNames() {
			d, _ := Seconds("runtime", l.Fio.Jobs[n].Runtime)
			total += d + ramp
		}
		return total
	}
	return 0
}

// ExpectedOperations is the least number of operations a complete run of
// a count-bound tool performs (0 when the tool runs for a duration): the
// collector refuses a run that reports fewer.
func (l Load) ExpectedOperations() int {
	switch l.Tool {
	case ToolRedisBenchmark:
		return l.RedisBenchmark.Requests * len(l.RedisBenchmark.Tests)
	case ToolNatsBench:
		if l.NatsBench.Duration == "" {
			return l.NatsBench.Messages
		}
	case ToolKafkaPerf:
		return l.KafkaPerf.Records
	}
	return 0
}
