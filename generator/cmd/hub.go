package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/hub"
)

func init() { register(newHubCmd) }

func newHubCmd(s *Settings) *cobra.Command {
	c := &cobra.Command{
		Use:   "hub",
		Short: "Work with a live hub cluster (used by the hub:* tasks)",
	}
	var cluster string
	var dryRun bool
	var timeout time.Duration
	apply := &cobra.Command{
		Use:   "apply-root",
		Short: "Server-side apply the cluster's lab AppProject and root Application",
		Long: `apply-root applies clusters/<cluster>/projects/lab.yaml and
clusters/<cluster>/root.yaml to the cluster with server-side apply. From then
on ArgoCD syncs everything else from Git. It waits (up to --timeout) for
ArgoCD's CRDs to be served.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			objs, err := hub.Objects(root, cluster)
			if err != nil {
				return err
			}
			cfg, err := s.KubeConfig()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := hub.Apply(ctx, cfg, objs, dryRun); err != nil {
				return err
			}
			for _, o := range objs {
				fmt.Fprintf(cmd.OutOrStdout(), "applied %s %s/%s\n", o.GetKind(), o.GetNamespace(), o.GetName())
			}
			return nil
		},
	}
	apply.Flags().StringVar(&cluster, "cluster", "hub", "the cluster whose rendered root to apply")
	s.AddKubeFlags(apply.Flags())
	apply.Flags().BoolVar(&dryRun, "dry-run", false, "ask the API server to validate without persisting")
	apply.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for ArgoCD's CRDs")
	c.AddCommand(apply)
	return c
}
