package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/collect"
)

func newResultsCollectCmd(s *Settings) *cobra.Command {
	var experiment, variant, run, runID, dir string
	var promURL string
	var step, timeout, expectDur, slack time.Duration
	var maxErr rateFlag
	c := &cobra.Command{
		Use:   "collect --experiment E [--variant V] --run r1 --prometheus URL",
		Short: "Collect one run from the cluster and Prometheus, price it and store it (append-only)",
		Long: `collect finds the run's load pods by their labels (lab.illm.dev/experiment,
lab.illm.dev/variant, lab.illm.dev/run) in the variant's namespace, cuts the
report out of their logs (between the results markers) and parses it with
the parser of the pods' load tool (label lab.illm.dev/tool: pgbench,
redis-benchmark, nats-bench, kafka-perf, perftest, fio; none means k6),
merging several pods into one run. nats bench's subscribers or consumers and
Kafka's consumers go in the breakdown; the publishers' and the producer's
messages are the operations. Over the run window (the load containers' start
to finish) it reads from Prometheus each container's CPU (core-seconds) and
peak working-set memory in the namespace, the load pods left out, and every
metric the experiment declares in CUE ($namespace and $window substituted,
reduced by its aggregation). It records the repository commit, chart
versions, image digests, node types and the tool's version, prices the run
with the lab's cost model and stores it.

A run is refused, and nothing stored, when a load pod did not succeed, a log
holds no complete report, the pods ran another tool than the experiment
declares for the variant, the run is shorter than the Job declares (pod
annotation lab.illm.dev/expected-duration, unless --expect-duration is
given), a count-bound tool reports fewer operations than the Job declares
(lab.illm.dev/expected-operations), any query returns no data or a NaN or
negative value, or the result (or a subscriber's or consumer's) fails
validation.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			exp := results.Expect{Duration: expectDur, DurationSlack: slack, MaxErrorRate: maxErr.v}
			if err := results.CheckExpect(exp); err != nil {
				return err
			}
			root, err := s.Root()
			if err != nil {
				return err
			}
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			e, err := src.Lab.FindExperiment(experiment)
			if err != nil {
				return err
			}
			cfg, err := s.KubeConfig()
			if err != nil {
				return err
			}
			kube, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return err
			}
			prom, err := collect.NewPrometheus(promURL, nil)
			if err != nil {
				return err
			}
			prom.Step = step
			ctx := c.Context()
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			path, err := collect.CollectAndStore(ctx, collect.Sources{Kube: kube, Prom: prom}, collect.Options{
				Lab: src.Lab, Experiment: e, Variant: variant, Run: run, RunID: runID, Expect: exp, RepoRoot: root,
			}, dir)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), "stored", path)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&experiment, "experiment", "", "experiment name (required)")
	f.StringVar(&variant, "variant", "", "variant name (required when the experiment has variants)")
	f.StringVar(&run, "run", "", "value of the Job's lab.illm.dev/run label, e.g. r1 (required)")
	f.StringVar(&runID, "run-id", "", "stored run id, unique within the variant (default: --run)")
	f.StringVar(&dir, "dir", "benchmarks/results", "results directory")
	s.AddKubeFlags(f)
	f.StringVar(&promURL, "prometheus", "", "Prometheus base URL, e.g. http://127.0.0.1:9090 (required)")
	f.DurationVar(&step, "step", 15*time.Second, "resolution of the range queries of declared metrics")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	f.DurationVar(&expectDur, "expect-duration", 0, "declared test duration; a shorter run is refused (default: the pods' lab.illm.dev/expected-duration)")
	f.DurationVar(&slack, "duration-slack", results.DefaultDurationSlack, "tolerance on --expect-duration")
	f.Var(&maxErr, "max-error-rate", "refuse runs whose error rate is above this rate in [0, 1] (or unknown)")
	for _, n := range []string{"experiment", "run", "prometheus"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}
