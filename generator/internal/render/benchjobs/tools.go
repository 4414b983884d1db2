package benchjobs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/markers"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// The pinned images of the load tools other than k6, one `const` a line:
// Renovate's regex for Go reads that form (docs/chart-pins.md).
const PgbenchImage = "postgres:17.11"
const RedisBenchmarkImage = "redis:8.10.1"
const KafkaPerfImage = "quay.io/strimzi/kafka:0.51.0-kafka-4.2.0"
const PerfTestImage = "pivotalrabbitmq/perf-test:2.25.0"

// The lab's own tool images (loadtools/<tool>/Dockerfile, built and signed
// by .github/workflows/images.yml), tagged with the lab's release. They sit
// in a const block, which Renovate's one-const-a-line regex leaves alone.
const (
	NatsBenchImage = "ghcr.io/illm-k8s-ai-lab/natscli:0.1.0"
	FioImage       = "ghcr.io/illm-k8s-ai-lab/fio:0.1.0"
)

// toolSpec is how a tool runs: its image and the image's own non-root user.
type toolSpec struct {
	image string
	uid   int64
}

var toolSpecs = map[string]toolSpec{
	model.ToolK6:             {Image, UID},
	model.ToolPgbench:        {PgbenchImage, 999},        // the image's postgres user
	model.ToolRedisBenchmark: {RedisBenchmarkImage, 999}, // the image's redis user
	model.ToolNatsBench:      {NatsBenchImage, 65532},    // loadtools/natscli/Dockerfile
	model.ToolKafkaPerf:      {KafkaPerfImage, 1001},     // Strimzi's kafka user
	model.ToolPerfTest:       {PerfTestImage, 2000},      // the image's perf-test user
	model.ToolFio:            {FioImage, 65532},          // loadtools/fio/Dockerfile
}

// ToolImage is the pinned image a tool's Jobs run.
func ToolImage(tool string) string { return toolSpecs[tool].image }

// Environment variables the Jobs of the other tools set besides the k6
// ones (LAB_TARGET, LAB_NAMESPACE, LAB_VARIANT, LAB_EXPERIMENT, LAB_RUN):
// where the script finds its files and writes its report, and the
// variant's host and port for the tools that take them apart.
const (
	EnvConfigDir  = "LAB_CONFIG_DIR"  // the ConfigMap's files (/config)
	EnvResultsDir = "LAB_RESULTS_DIR" // the report and the tool's other output (/results)
	EnvDataDir    = "LAB_DATA_DIR"    // fio: each volume is a folder of it (/data/<volume>)
	EnvHost       = "LAB_HOST"        // redis-benchmark: the server's host
	EnvPort       = "LAB_PORT"        // redis-benchmark: the server's port
	EnvPod        = "LAB_POD"         // Kafka: the pod's name, for new consumer groups
)

// Mount points of the Jobs of the other tools.
const (
	configDir = "/config"
	dataDir   = "/data"
)

// RunScript is the key of the script a tool's Job runs (sh); InitScript
// is pgbench's init container's.
const (
	RunScript  = "run.sh"
	InitScript = "init.sh"
)

// Endpoint is a variant's target as one URL, placeholders expanded: the
// k6 target, or the server a tool loads ("" for fio, which loads its own
// volumes). The Job passes it as LAB_TARGET.
func Endpoint(e *model.Experiment, variant string) string {
	l := e.Benchmark.LoadOf(variant)
	x := func(s string) string { return expand(e, variant, s) }
	switch l.Tool {
	case model.ToolK6:
		return Target(e, variant)
	case model.ToolPgbench:
		g := l.Pgbench
		return "postgresql://" + g.User + "@" + x(g.Host) + ":" + strconv.Itoa(g.Port) + "/" + g.Database
	case model.ToolRedisBenchmark:
		return "redis://" + x(l.RedisBenchmark.Host) + ":" + strconv.Itoa(l.RedisBenchmark.Port)
	case model.ToolNatsBench:
		return x(l.NatsBench.URL)
	case model.ToolKafkaPerf:
		return x(l.KafkaPerf.Bootstrap)
	case model.ToolPerfTest:
		return x(l.PerfTest.URI)
	}
	return ""
}

func expand(e *model.Experiment, variant, s string) string {
	return strings.NewReplacer(
		"$namespace", e.VariantNamespace(variant),
		"$variant", model.VariantLabel(variant),
		"$experiment", e.Name,
	).Replace(s)
}

// ConfigDigest is the digest of a tool's ConfigMap data, recorded on its
// pods (lab.illm.dev/script-sha256) for the collector: SHA-256 over the
// keys in order, each as key, NUL, length, NUL, value.
func ConfigDigest(data map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(h, "%s\x00%d\x00%s", k, len(data[k]), data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Config is the ConfigMap data of a variant's Jobs when its tool is not
// k6: the script the Job runs (run.sh) and the tool's own files. It holds
// nothing variant-specific (the Job's environment does), so variants that
// run the same load share one digest. source names the CUE file.
func Config(e *model.Experiment, variant, source string) (map[string]string, error) {
	l := e.Benchmark.LoadOf(variant)
	c := &config{files: map[string]string{}}
	c.header(l.Tool, e, source)
	var err error
	switch l.Tool {
	case model.ToolPgbench:
		err = c.pgbench(l.Pgbench)
	case model.ToolRedisBenchmark:
		err = c.redis(l.RedisBenchmark)
	case model.ToolNatsBench:
		err = c.nats(l.NatsBench)
	case model.ToolKafkaPerf:
		err = c.kafka(e, source, l.KafkaPerf)
	case model.ToolPerfTest:
		err = c.perfTest(l.PerfTest)
	case model.ToolFio:
		err = c.fio(e, source, l.Fio)
	default:
		return nil, fmt.Errorf("no configuration for tool %q", l.Tool)
	}
	if err != nil {
		return nil, err
	}
	c.p(`# The report, between the results markers, where the collector finds it.
if [ -s "$report" ]; then
  printf '\n%%s\n' %s
  cat "$report"
  printf '%%s\n' %s
fi
exit "$rc"
`, sq(markers.Begin), sq(markers.End))
	c.files[RunScript] = c.run.String()
	return c.files, nil
}

type config struct {
	run   strings.Builder
	files map[string]string
}

func (c *config) p(format string, args ...any) { fmt.Fprintf(&c.run, format, args...) }

// targetMeaning says what LAB_TARGET holds, per tool.
var targetMeaning = map[string]string{
	model.ToolPgbench:        "the database's URL; libpq reads PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD",
	model.ToolRedisBenchmark: "the server's URL; LAB_HOST and LAB_PORT are its parts",
	model.ToolNatsBench:      "the NATS server's URL",
	model.ToolKafkaPerf:      "the brokers' bootstrap address",
	model.ToolPerfTest:       "the broker's AMQP URI",
}

func (c *config) header(tool string, e *model.Experiment, source string) {
	c.p("#!/bin/sh\n")
	c.p("# %s benchmark of experiment %s, generated from %s\n", tool, e.Name, source)
	c.p("# by `go run ./generator render`; do not edit.\n")
	if d := e.Benchmark.Description; d != "" {
		c.p("#\n")
		for _, line := range strings.Split(strings.TrimSpace(d), "\n") {
			c.p("# %s\n", line)
		}
	}
	first := EnvTarget + " (" + targetMeaning[tool] + ")"
	if tool == model.ToolFio {
		first = EnvDataDir + " (each volume is a folder of it)"
	}
	c.p(`#
# The Job sets %s,
# %s, %s, %s and %s; the files are in
# %s, the tool's output goes to %s.
set -u
`, first, EnvNamespace, EnvVariant, EnvExperiment, EnvRun, "$"+EnvConfigDir, "$"+EnvResultsDir)
}

func (c *config) pgbench(g *model.Pgbench) error {
	d, err := model.Seconds("duration", g.Duration)
	if err != nil {
		return err
	}
	progress, err := model.Seconds("progress", g.Progress)
	if err != nil {
		return err
	}
	args := []string{"pgbench"}
	if g.Init {
		// The init container vacuumed the fresh tables.
		args = append(args, "--no-vacuum")
	}
	args = append(args,
		"--client="+strconv.Itoa(g.Clients),
		"--jobs="+strconv.Itoa(g.Threads),
		"--time="+secs(d),
		"--protocol="+g.Protocol,
		"--progress="+secs(progress),
	)
	switch {
	case g.Script != "":
		c.files["script.sql"] = g.Script
		args = append(args, `--file="$`+EnvConfigDir+`/script.sql"`)
	case g.Builtin != "":
		args = append(args, "--builtin="+g.Builtin)
	default:
		args = append(args, "--builtin=tpcb-like")
	}
	if g.Rate != nil {
		args = append(args, "--rate="+strconv.Itoa(*g.Rate))
	}
	if g.LatencyLimit != nil {
		args = append(args, "--latency-limit="+strconv.FormatFloat(*g.LatencyLimit, 'f', -1, 64))
	}
	c.p(`report="$%s/report.txt"
# The summary goes to stdout (the report); progress lines to stderr.
%s >"$report"
rc=$?
`, EnvResultsDir, strings.Join(args, " "))
	if g.Init {
		to, err := time.ParseDuration(g.InitTimeout)
		if err != nil {
			return fmt.Errorf("initTimeout %q: %v", g.InitTimeout, err)
		}
		c.files[InitScript] = fmt.Sprintf(`#!/bin/sh
# pgbench's tables at scale %d, rebuilt before every repetition so each run
# starts from the same data; generated by `+"`go run ./generator render`"+`.
set -u
exec timeout %s pgbench --initialize --scale=%d --quiet
`, g.Scale, secs(to), g.Scale)
	}
	return nil
}

func (c *config) redis(r *model.RedisBenchmark) error {
	to, err := time.ParseDuration(r.Timeout)
	if err != nil {
		return err
	}
	args := []string{"timeout", secs(to), "redis-benchmark", `-h "$` + EnvHost + `"`, `-p "$` + EnvPort + `"`,
		"-t", strings.Join(r.Tests, ","),
		"-n", strconv.Itoa(r.Requests),
		"-c", strconv.Itoa(r.Clients),
		"-P", strconv.Itoa(r.Pipeline),
		"-d", strconv.Itoa(r.DataSize),
	}
	if r.Keyspace != nil {
		args = append(args, "-r", strconv.Itoa(*r.Keyspace))
	}
	if r.Threads != nil {
		args = append(args, "--threads", strconv.Itoa(*r.Threads))
	}
	args = append(args, "--csv")
	c.p(`report="$%[1]s/report.csv"
# redis-benchmark waits forever for a server that does not answer: ask first.
if [ "$(timeout 30 redis-cli -h "$%[2]s" -p "$%[3]s" ping)" != PONG ]; then
  echo "redis-benchmark: no PONG from $%[4]s" >&2
  exit 1
fi
# One CSV row per test (requests per second, latency percentiles in ms).
%[5]s >"$report"
rc=$?
`, EnvResultsDir, EnvHost, EnvPort, EnvTarget, strings.Join(args, " "))
	return nil
}

// natsMessages is the count every side moves: the declared count, or
// throughput x duration (nats bench derives it so with --duration).
func natsMessages(n *model.NatsBench) int {
	if n.Duration != "" && n.Throughput != nil {
		d, err := time.ParseDuration(n.Duration)
		if err == nil {
			return *n.Throughput * int(d/time.Second)
		}
	}
	return n.Messages
}

func (c *config) nats(n *model.NatsBench) error {
	to, err := time.ParseDuration(n.Timeout)
	if err != nil {
		return err
	}
	msgs := natsMessages(n)
	nats := `timeout ` + secs(to) + ` nats --server="$` + EnvTarget + `" bench`
	rate := ""
	if n.Throughput != nil {
		rate += " --throughput=" + strconv.Itoa(*n.Throughput)
	}
	if n.Duration != "" {
		rate += " --duration=" + n.Duration
	}
	c.p(`r="$%s"
report="$r/report.txt"
`, EnvResultsDir)
	if js := n.JetStream; js != nil {
		pub := fmt.Sprintf("%s js pub %s %s --create --purge --storage=%s --replicas=%d", nats, js.Publish, n.Subject, js.Storage, js.Replicas)
		if js.Publish == "async" {
			pub += " --batch=" + strconv.Itoa(js.Batch)
		}
		pub += fmt.Sprintf(" --clients=%d --msgs=%d --size=%d --no-progress%s", n.Publishers, n.Messages, n.Size, rate)
		c.p(`# Publish into the stream (created or updated, then purged) ...
%s >"$r/pub.txt"
rc=$?
: >"$r/sub.txt"
`, pub)
		if n.Subscribers > 0 {
			c.p(`# ... then consume every message from it.
if [ "$rc" -eq 0 ]; then
  %s js %s --clients=%d --msgs=%d --no-progress >"$r/sub.txt"
  rc=$?
fi
`, nats, js.Consumer, n.Subscribers, msgs)
		}
		c.p(`cat "$r/pub.txt" "$r/sub.txt" >"$report"
`)
		return nil
	}
	if n.Subscribers == 0 {
		c.p(`%s pub %s --clients=%d --msgs=%d --size=%d --no-progress%s >"$report"
rc=$?
`, nats, n.Subject, n.Publishers, n.Messages, n.Size, rate)
		return nil
	}
	c.p(`# Subscribers first: each expects every message the publishers send.
%[1]s sub %[2]s --clients=%[3]d --msgs=%[4]d --size=%[5]d --no-progress >"$r/sub.txt" 2>"$r/sub.log" &
sub=$!
# Each subscriber logs "expecting" just before it subscribes: wait for all
# of them, then a second for the subscriptions to reach the server.
i=0
while [ "$(grep -c expecting "$r/sub.log")" -lt %[3]d ] && [ "$i" -lt 60 ] && kill -0 "$sub" 2>/dev/null; do
  i=$((i + 1))
  sleep 1
done
sleep 1
%[1]s pub %[2]s --clients=%[6]d --msgs=%[4]d --size=%[5]d --no-progress%[7]s >"$r/pub.txt"
rc=$?
if [ "$rc" -ne 0 ]; then
  kill "$sub" 2>/dev/null
fi
wait "$sub"
src=$?
cat "$r/sub.log" >&2
if [ "$rc" -eq 0 ]; then
  rc=$src
fi
cat "$r/pub.txt" "$r/sub.txt" >"$report"
`, nats, n.Subject, n.Subscribers, msgs, n.Size, n.Publishers, rate)
	return nil
}

func (c *config) kafka(e *model.Experiment, source string, k *model.KafkaPerf) error {
	var props strings.Builder
	fmt.Fprintf(&props, "# Producer configuration of the benchmark of experiment %s, generated from\n# %s by `go run ./generator render`; do not edit.\n", e.Name, source)
	fmt.Fprintf(&props, "acks=%s\n", k.Acks)
	for _, key := range slices.Sorted(maps.Keys(k.Producer)) {
		fmt.Fprintf(&props, "%s=%s\n", key, k.Producer[key])
	}
	c.files["producer.properties"] = props.String()
	prod := fmt.Sprintf(`"$bin/kafka-producer-perf-test.sh" --bootstrap-server "$%s" --topic %s --num-records %d --record-size %d --throughput %d --command-config "$%s/producer.properties"`,
		EnvTarget, sq(k.Topic), k.Records, k.RecordSize, k.Throughput, EnvConfigDir)
	if k.WarmupRecords != nil {
		prod += " --warmup-records " + strconv.Itoa(*k.WarmupRecords)
	}
	c.p(`# The Strimzi image sets KAFKA_HOME (/opt/kafka).
bin="$KAFKA_HOME/bin"
r="$%s"
report="$r/report.txt"
# The producer's window lines and total line ...
%s >"$r/producer.txt"
rc=$?
cat "$r/producer.txt" >"$report"
`, EnvResultsDir, prod)
	if k.Consumers == 0 {
		return nil
	}
	var is []string
	for i := 1; i <= k.Consumers; i++ {
		is = append(is, strconv.Itoa(i))
	}
	c.p(`# ... then the consumers at once, each in a consumer group of its own
# (named after the pod, so new on every run): each reads records from the
# start of the topic, which is fan-out to %[1]d readers. Each prints its
# header and summary line after the producer's.
if [ "$rc" -eq 0 ]; then
  pids=""
  for i in %[2]s; do
    "$bin/kafka-consumer-perf-test.sh" --bootstrap-server "$%[3]s" --topic %[4]s --num-records %[5]d --group "lab-$%[6]s-$i" --timeout 30000 >"$r/consumer-$i.txt" &
    pids="$pids $!"
  done
  for pid in $pids; do
    wait "$pid" || rc=$?
  done
  for i in %[2]s; do
    cat "$r/consumer-$i.txt" >>"$report"
  done
fi
`, k.Consumers, strings.Join(is, " "), EnvTarget, sq(k.Topic), k.Records, EnvPod)
	return nil
}

func (c *config) perfTest(pt *model.PerfTest) error {
	d, err := model.Seconds("duration", pt.Duration)
	if err != nil {
		return err
	}
	args := []string{"java", "-jar", "/perf_test/perf-test.jar",
		`--uri "$` + EnvTarget + `"`,
		`--id "$` + EnvExperiment + `-$` + EnvVariant + `-$` + EnvRun + `"`,
		"--time", secs(d),
		"--producers", strconv.Itoa(pt.Producers),
		"--consumers", strconv.Itoa(pt.Consumers),
		"--size", strconv.Itoa(pt.Size),
	}
	if pt.Rate != nil {
		args = append(args, "--rate", strconv.Itoa(*pt.Rate))
	}
	if pt.ConsumerRate != nil {
		args = append(args, "--consumer-rate", strconv.Itoa(*pt.ConsumerRate))
	}
	if pt.Confirm != nil {
		args = append(args, "--confirm", strconv.Itoa(*pt.Confirm))
	}
	if pt.Persistent {
		args = append(args, "--flag", "persistent")
	}
	if pt.QueueType == "quorum" {
		args = append(args, "--quorum-queue")
	}
	args = append(args, "--auto-delete", "false", "--exchange", "lab-perf", "--type", pt.ExchangeType)
	if pt.Queues == 1 {
		args = append(args, "--queue", "lab-perf")
	} else {
		args = append(args, "--queue-pattern", sq("lab-perf-%d"), "--queue-pattern-from", "1", "--queue-pattern-to", strconv.Itoa(pt.Queues))
	}
	c.p(`report="$%s/report.txt"
# One line a second (rates, latency min/median/75th/95th/99th/max), then the
# stop line and the summary, all on stdout.
%s >"$report"
rc=$?
`, EnvResultsDir, strings.Join(args, " "))
	return nil
}

func (c *config) fio(e *model.Experiment, source string, f *model.Fio) error {
	var j strings.Builder
	fmt.Fprintf(&j, "; fio jobs of the benchmark of experiment %s, generated from %s\n; by `go run ./generator render`; do not edit.\n", e.Name, source)
	j.WriteString(`; They run one after the other (stonewall), in name order; each writes
; its own file on its volume (a folder of $LAB_DATA_DIR) and removes it.
[global]
time_based=1
group_reporting=1
unlink=1
`)
	if f.RampTime != "" {
		rt, err := model.Seconds("rampTime", f.RampTime)
		if err != nil {
			return err
		}
		fmt.Fprintf(&j, "ramp_time=%s\n", secs(rt))
	}
	for _, name := range f.JobNames() {
		jb := f.Jobs[name]
		rt, err := model.Seconds("runtime", jb.Runtime)
		if err != nil {
			return err
		}
		fmt.Fprintf(&j, "\n[%s]\nstonewall\ndirectory=${%s}/%s\nfilename=%s\n", name, EnvDataDir, jb.Volume, name)
		fmt.Fprintf(&j, "rw=%s\nbs=%s\nsize=%s\nioengine=%s\niodepth=%d\ndirect=%d\nfsync=%d\nnumjobs=%d\n",
			jb.RW, jb.BS, jb.Size, jb.IOEngine, jb.IODepth, b2i(jb.Direct), jb.Fsync, jb.NumJobs)
		if jb.RWMixRead != nil {
			fmt.Fprintf(&j, "rwmixread=%d\n", *jb.RWMixRead)
		}
		fmt.Fprintf(&j, "runtime=%s\n", secs(rt))
	}
	c.files["jobs.fio"] = j.String()
	c.p(`report="$%s/report.json"
# One JSON report for all jobs (jobs[], one element per job by name).
fio --output-format=json --output="$report" "$%s/jobs.fio"
rc=$?
`, EnvResultsDir, EnvConfigDir)
	return nil
}

func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sq quotes a word for sh when it holds anything but safe characters.
func sq(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
