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
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/scaleup"
)

func newResultsScaleUpCmd(s *Settings) *cobra.Command {
	var experiment, variant, run, runID, dir, deployment string
	var settle, poll, timeout time.Duration
	var target, baseline int32
	c := &cobra.Command{
		Use:   "scaleup --experiment E [--variant V] --run r1 --deployment NAME",
		Short: "Measure scale-up time live: from load start to N ready replicas and back, stored beside the run",
		Long: `scaleup watches a Deployment of the variant's namespace through the API
server while a run's load pods (lab.illm.dev/experiment, lab.illm.dev/variant,
lab.illm.dev/run) run: start it before the run's Job starts (the replicas at
the load's start must have been seen). When every load pod has succeeded it
watches --settle longer for the way back, then measures over the load window
(the load containers' start to finish): the time from the load's start to
--target ready replicas (default: the most ready during the load) and from
the load's end back to the replicas ready at its start (or --baseline). The
result is stored append-only as DIR/<experiment>/<variant>/<run-id>.scaleup.json.

Refused, and nothing stored: a failed load pod, a Deployment that does not
exist or is deleted during the run, a watch begun after the load started, no
scale-up above the starting replicas, a --timeout reached first.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if settle <= 0 || poll <= 0 || timeout <= 0 {
				return fmt.Errorf("--settle, --poll and --timeout must be positive")
			}
			if target < 0 || baseline < -1 {
				return fmt.Errorf("--target must not be negative, --baseline at least 0 (or -1: the replicas at the load's start)")
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
			if variant != "" {
				if _, ok := e.Variants[variant]; !ok {
					return fmt.Errorf("experiment %s has no variant %q", e.Name, variant)
				}
			} else if len(e.Variants) > 0 {
				return fmt.Errorf("experiment %s has variants: name one with --variant", e.Name)
			}
			if runID == "" {
				runID = run
			}
			vl := collect.VariantLabel(variant)
			for _, f := range []struct{ n, v string }{{"run", run}, {"run id", runID}} {
				if err := results.CheckName(f.n, f.v); err != nil {
					return err
				}
			}
			cfg, err := s.KubeConfig()
			if err != nil {
				return err
			}
			kube, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return err
			}
			o := scaleup.MeasureOptions{Experiment: e.Name, Variant: vl, RunID: runID, Namespace: e.VariantNamespace(variant),
				Deployment: deployment, Selector: collect.RunSelector(e.Name, vl, run), Settle: settle, Poll: poll, Target: target}
			if baseline >= 0 {
				o.Baseline = &baseline
			}
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			fmt.Fprintf(c.ErrOrStderr(), "watching deployment %s/%s until run %s's load pods finish, then %s\n", o.Namespace, deployment, run, settle)
			r, err := scaleup.Measure(ctx, kube, o)
			if err != nil {
				return err
			}
			path, err := scaleup.Store(dir, r)
			if err != nil {
				return err
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "%d -> %d ready replicas: %s; back to %d: %s\n", r.BaselineReplicas, r.TargetReplicas, secondsOrNever(r.TimeToTargetSeconds), r.BaselineReplicas, secondsOrNever(r.TimeToBaselineSeconds))
			fmt.Fprintln(w, "stored", path)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&experiment, "experiment", "", "experiment name (required)")
	f.StringVar(&variant, "variant", "", "variant name (required when the experiment has variants)")
	f.StringVar(&run, "run", "", "value of the Job's lab.illm.dev/run label, e.g. r1 (required)")
	f.StringVar(&runID, "run-id", "", "stored run id (default: --run)")
	f.StringVar(&deployment, "deployment", "", "the scaled Deployment in the variant's namespace (required)")
	f.StringVar(&dir, "dir", "benchmarks/results", "results directory")
	f.DurationVar(&settle, "settle", 5*time.Minute, "how long to keep watching after the load ends, for the way back")
	f.DurationVar(&poll, "poll", 2*time.Second, "how often the load pods are listed")
	f.DurationVar(&timeout, "timeout", 2*time.Hour, "give up after this long")
	f.Int32Var(&target, "target", 0, "the N of time to N ready (0: the most ready during the load)")
	f.Int32Var(&baseline, "baseline", -1, "the replicas that count as back (-1: those ready at the load's start)")
	s.AddKubeFlags(f)
	for _, n := range []string{"experiment", "run", "deployment"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}

func secondsOrNever(s *float64) string {
	if s == nil {
		return "not within the window"
	}
	return fmt.Sprintf("%.3f s", *s)
}
