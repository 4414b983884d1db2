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
		Long: `collect finds the run's k6 pods by their labels (lab.illm.dev/experiment,
lab.illm.dev/variant, lab.illm.dev/run) in the variant's namespace, cuts the
summary out of their logs and merges the pods into one run. Over the run
window (the k6 containers' start to finish) it reads from Prometheus each
container's CPU (core-seconds) and peak working-set memory in the namespace,
k6's own pods left out, and every metric the experiment declares in CUE
($namespace and $window substituted, reduced by its aggregation). It records
the repository commit, chart versions, image digests, node types and the k6
version, prices the run with the lab's cost model and stores it.

A run is refused, and nothing stored, when a load pod did not succeed, a log
holds no complete summary, the run is shorter than the Job declares (pod
annotation lab.illm.dev/expected-duration, unless --expect-duration is given),
any query returns no data or a NaN or negative value, or the result fails
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
