package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/charts"
)

func init() { register(newVendorCmd) }

func newVendorCmd(s *Settings) *cobra.Command {
	var plainHTTP, all bool
	c := &cobra.Command{
		Use:   "vendor",
		Short: "Download the pinned remote charts of rendered components into charts/",
		Long: `vendor is the only verb that reaches chart repositories. It pulls the remote
chart of every component marked rendered: true, at its pinned version, into
charts/<name>-<version>.tgz (HTTP repositories through their index.yaml, OCI
registries through Helm's registry client) and records each file's sha256 in
charts/lock.json. Charts no longer needed are removed.

render then works offline: it reads charts/ and verifies every checksum, and
fails naming the chart when one is missing. Commit charts/ with the lab.

With --all it pulls every remote chart of the lab, those ArgoCD renders
too, for validate --charts to render them offline; a later vendor without
--all removes those again.

Concurrent runs wait for each other (charts/.lock); files are written to a
temporary file and renamed into place.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			refs := charts.Needed(src.Lab)
			if all {
				refs = charts.All(src.Lab)
			}
			rep, err := charts.Vendor(cmd.Context(), root, refs, charts.Options{PlainHTTP: plainHTTP})
			out := cmd.OutOrStdout()
			if rep != nil {
				for _, e := range rep.Pulled {
					fmt.Fprintf(out, "pulled %s/%s (%s) sha256:%s\n", charts.Dir, e.File, e.Repository, e.SHA256)
				}
				why := "no rendered component uses it"
				if all {
					why = "no component uses it"
				}
				for _, f := range rep.Pruned {
					fmt.Fprintf(out, "removed %s/%s: %s\n", charts.Dir, f, why)
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "vendored %d charts: %d pulled, %d up to date, %d removed (%s)\n",
				len(refs), len(rep.Pulled), len(rep.Kept), len(rep.Pruned), charts.LockFile)
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "pull every remote chart of the lab, not only those of rendered components (for validate --charts)")
	c.Flags().BoolVar(&plainHTTP, "plain-http", false, "talk to OCI registries over plain http (a local registry)")
	return c
}
