package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/estimate"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/publish"
)

func init() { register(newCostCmd) }

// labPrices is the lab's cost model as the estimate's prices.
func labPrices(m model.CostModel) estimate.Prices {
	return estimate.Prices{
		Model:         cost.Model{CPUCoreHour: m.CPUCoreHour, RAMGiBHour: m.RAMGiBHour, StorageGiBMonth: m.StorageGiBMonth, NodeHour: m.NodeHour, Currency: m.Currency},
		HoursPerMonth: m.HoursPerMonth,
	}
}

func newCostCmd(s *Settings) *cobra.Command {
	var cluster, experiment, base, tokenEnv, apiURL, repoName string
	var asJSON bool
	var pr int
	c := &cobra.Command{
		Use:   "cost [--cluster C] [--experiment E] [--base REF] [--json]",
		Short: "Price what the rendered tree asks for, before anything is deployed (and diff it against a Git ref)",
		Long: `cost renders the lab in memory (nothing is written) and prices, per experiment,
variant and component, what the tree asks for: CPU and memory requests (and
limits) times replicas, persistent volume sizes, and each benchmark's Jobs
times their repetitions and measured duration, at the lab's cost model
(lab.costModel: OpenCost's default unit prices, hoursPerMonth).

Rendered charts are priced from their objects. Remote charts left to ArgoCD
are priced from the values the lab sets (resources, replicas, persistence
sizes); what is left to a chart's defaults is listed as not priced, never
counted as zero.

--cluster keeps the experiments conducted on that cluster (DaemonSets priced
once per node of it); --experiment one experiment.

--base REF prices the generated files committed at REF too (read with git:
nothing is checked out or written) at today's prices, and prints the
Markdown cost-diff comment ("+$X/month: +$Y experiment/variant ...").
--post-pr N keeps that comment, marked ` + estimate.Marker + `, on pull
request N, edited in place (token from --token-env, GitHub's API by default).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			if pr > 0 && base == "" {
				return fmt.Errorf("--post-pr needs --base: the comment is a diff")
			}
			built, err := render.Run{Root: root}.Build()
			if err != nil {
				return err
			}
			src, t := built.Source, built.Tree
			opts := estimate.Options{Prices: labPrices(src.Lab.CostModel), Cluster: cluster, Experiment: experiment}
			if cl, ok := src.Lab.Clusters[cluster]; ok {
				opts.Nodes = cl.Nodes.Count
			}
			cur, err := estimate.Estimate(estimate.FromTree(t), opts)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if base == "" {
				if asJSON {
					return writeResultsJSON(out, cur)
				}
				return cur.Text(out)
			}
			files, err := estimate.FromGit(root, base)
			if err != nil {
				return err
			}
			bopts := opts
			bopts.Experiment = ""
			old, err := estimate.Estimate(files, bopts)
			if err != nil {
				return fmt.Errorf("%s: %w", base, err)
			}
			if experiment != "" {
				old = old.Only(experiment)
			}
			d := estimate.Compare(base, old, cur)
			if asJSON {
				if err := writeResultsJSON(out, d); err != nil {
					return err
				}
			}
			var md bytes.Buffer
			if err := d.Markdown(&md); err != nil {
				return err
			}
			if !asJSON {
				if _, err := out.Write(md.Bytes()); err != nil {
					return err
				}
			}
			if pr == 0 {
				return nil
			}
			token := os.Getenv(tokenEnv)
			if token == "" {
				return fmt.Errorf("no token: set %s", tokenEnv)
			}
			if repoName == "" {
				return fmt.Errorf("--post-pr needs --repo owner/name")
			}
			ctx, cancel := context.WithTimeout(c.Context(), 2*time.Minute)
			defer cancel()
			f, err := publish.NewForge(apiURL, token, repoName, nil)
			if err != nil {
				return err
			}
			state, err := f.UpsertComment(ctx, pr, estimate.Marker, md.String())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.ErrOrStderr(), "cost comment on #%d %s\n", pr, state)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&cluster, "cluster", "", "price only the experiments conducted on this cluster")
	f.StringVar(&experiment, "experiment", "", "price only this experiment")
	f.StringVar(&base, "base", "", "git ref (branch, tag, commit) to diff against: its committed generated files")
	f.BoolVar(&asJSON, "json", false, "print JSON (the report, or the diff with --base)")
	f.IntVar(&pr, "post-pr", 0, "pull request number to keep the cost-diff comment on (needs --base)")
	f.StringVar(&repoName, "repo", "", "owner/name of the repository on the forge (with --post-pr)")
	f.StringVar(&apiURL, "api-url", publish.DefaultAPIURL, "forge REST API base URL (with --post-pr)")
	f.StringVar(&tokenEnv, "token-env", "GITHUB_TOKEN", "environment variable holding the forge token (with --post-pr)")
	return c
}
