package cmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/runtimes/benchlocal"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/runtimes/contract"
)

func init() { register(newBenchCmd) }

func newBenchCmd(s *Settings) *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Run benchmarks outside a cluster",
	}
	c.AddCommand(newBenchLocalCmd(s))
	return c
}

func newBenchLocalCmd(s *Settings) *cobra.Command {
	o := benchlocal.Defaults()
	var out, report string
	c := &cobra.Command{
		Use:   "local [RUNTIME...]",
		Short: "Benchmark the runtimes on this machine (loopback, real PostgreSQL, vegeta at fixed rates)",
		Long: `local builds each runtime of apps/runtimes (default: every one buildable here),
starts it on 127.0.0.1 against a real PostgreSQL (--database-url, LAB_DATABASE_URL,
or a throwaway cluster from scripts/postgres.sh), measures its cold start, then
sends each endpoint alone at a constant arrival rate (vegeta, open model) after a
warm-up, --repetitions times. Each (runtime, endpoint, repetition) is one result
of experiment runtime-comparison, variant <runtime>-<endpoint>, run id
<UTC start>-r<n>, priced with the lab's cost model and stored append-only under
--out; refused runs (no requests, errors above --max-error-rate, rate not held)
are listed, never stored. The Markdown report goes to --report.

Bounded: rate <= 5000/s, duration <= 60s, warm-up <= 30s, repetitions <= 20,
total planned load <= 30m; every target and the database are loopback only.`,
		RunE: func(c *cobra.Command, args []string) error {
			o.Runtimes = args
			if o.DatabaseURL == "" {
				o.DatabaseURL = os.Getenv("LAB_DATABASE_URL")
			}
			if err := o.Validate(); err != nil {
				return err
			}
			rootFlag, err := s.Root()
			if err != nil {
				return err
			}
			root, err := filepath.Abs(rootFlag)
			if err != nil {
				return err
			}
			m, err := contract.LoadManifest(root)
			if err != nil {
				return err
			}
			rts, err := benchlocal.Select(m, args)
			if err != nil {
				return err
			}
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			cm := src.Lab.CostModel
			model := cost.Model{CPUCoreHour: cm.CPUCoreHour, RAMGiBHour: cm.RAMGiBHour, StorageGiBMonth: cm.StorageGiBMonth, NodeHour: cm.NodeHour, Currency: cm.Currency}
			if err := model.Validate(); err != nil {
				return err
			}
			cache, err := cachedir.Dir(os.Getenv)
			if err != nil {
				return err
			}
			if !filepath.IsAbs(out) {
				out = filepath.Join(root, out)
			}
			ctx := c.Context()
			machine := benchlocal.Machine()
			r := &benchlocal.Runner{Root: root, Cache: cache, Options: o, Model: model, Out: out,
				Log: c.ErrOrStderr(), Session: time.Now().UTC().Truncate(time.Second)}
			res, runErr := r.Run(ctx, rts)
			if res == nil {
				return runErr
			}
			res.Report.Settings.Machine = machine
			var md bytes.Buffer
			if err := benchlocal.Render(&md, res.Report); err != nil {
				return err
			}
			if report == "" || report == "-" {
				if _, err := c.OutOrStdout().Write(md.Bytes()); err != nil {
					return err
				}
			} else if err := os.WriteFile(report, md.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.ErrOrStderr(), "stored %d result(s) under %s; refused %d\n", len(res.Stored), filepath.Join(out, benchlocal.Experiment), len(res.Report.Refused))
			if runErr != nil {
				return runErr
			}
			if len(res.Stored) == 0 {
				return fmt.Errorf("no run was valid: nothing stored")
			}
			return nil
		},
	}
	f := c.Flags()
	f.IntVar(&o.Rate, "rate", o.Rate, fmt.Sprintf("requests per second, constant (1..%d)", benchlocal.MaxRate))
	f.DurationVar(&o.Duration, "duration", o.Duration, fmt.Sprintf("length of one measured run (1s..%s)", benchlocal.MaxDuration))
	f.DurationVar(&o.Warmup, "warmup", o.Warmup, "warm-up per endpoint before the first repetition, not recorded")
	f.IntVar(&o.Repetitions, "repetitions", o.Repetitions, "measured runs per endpoint (interleaved across endpoints)")
	f.IntVar(&o.ColdStarts, "cold-starts", o.ColdStarts, "process starts timed to the first 200 on /health")
	f.StringSliceVar(&o.Endpoints, "endpoints", o.Endpoints, "endpoints: "+strings.Join(benchlocal.EndpointNames(), ","))
	f.IntVar(&o.ComputeN, "compute-n", o.ComputeN, "n of GET /compute?n= (the k6 mix uses 1000)")
	f.Float64Var(&o.MaxErrorRate, "max-error-rate", o.MaxErrorRate, "refuse (do not store) a run whose share of non-2xx answers is above this")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "per-request timeout")
	f.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL with the contract's schema on loopback (default LAB_DATABASE_URL, else a throwaway cluster)")
	f.StringVar(&out, "out", "benchmarks/results", "results store root (relative to --root)")
	f.StringVar(&report, "report", "-", "Markdown report file ('-': stdout)")
	return c
}
