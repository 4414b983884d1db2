package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/conduct"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

func init() {
	register(func() *cobra.Command { return newSwitchCmd(true) })
	register(func() *cobra.Command { return newSwitchCmd(false) })
}

func newSwitchCmd(on bool) *cobra.Command {
	use, short, long := "conduct EXPERIMENT", "Switch an experiment on for a cluster and re-render",
		`conduct adds EXPERIMENT to lab.conduct.<cluster> in phases/conduct.cue and
re-renders, so the cluster's ApplicationSet for it appears in clusters/.
Commit the result and ArgoCD deploys it: conducting is a Git change.
If the re-render fails, phases/conduct.cue is restored.`
	if !on {
		use, short, long = "down EXPERIMENT", "Switch an experiment off for a cluster and re-render",
			`down removes EXPERIMENT from lab.conduct.<cluster> in phases/conduct.cue and
re-renders, pruning its ApplicationSet from clusters/. Commit the result and
ArgoCD deletes its Applications and their resources.`
	}
	var cluster string
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, _ := cmd.Flags().GetString("root")
			name := args[0]
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			if _, ok := src.Lab.Clusters[cluster]; !ok {
				return fmt.Errorf("no cluster %q in the lab", cluster)
			}
			if on && !hasExperiment(src, name) {
				return fmt.Errorf("no experiment %q in the lab (see `generator list`)", name)
			}
			if !on && !slices.Contains(src.Lab.Conduct[cluster], name) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is not switched on for %s: nothing to do\n", name, cluster)
				return nil
			}
			file := filepath.Join(root, conduct.File)
			before, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			changed, err := conduct.Set(file, cluster, name, on)
			if err != nil {
				return err
			}
			if !changed {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is already switched on for %s\n", name, cluster)
				return nil
			}
			restore := func(cause error) error {
				if err := os.WriteFile(file, before, 0o644); err != nil {
					return fmt.Errorf("%w (and restoring %s failed: %v)", cause, conduct.File, err)
				}
				return fmt.Errorf("%w\n%s restored", cause, conduct.File)
			}
			src, err = load.Load(root)
			if err != nil {
				return restore(err)
			}
			t, err := render.Lab(src, render.Options{})
			if err != nil {
				return restore(err)
			}
			st, err := tree.Write(root, t)
			if err != nil {
				return restore(err)
			}
			verb := "switched on"
			if !on {
				verb = "switched off"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s for %s; rendered %d files: %d written, %d pruned. Commit to apply.\n",
				name, verb, cluster, st.Files, st.Written, st.Pruned)
			return nil
		},
	}
	c.Flags().StringVar(&cluster, "cluster", "hub", "the cluster to switch the experiment on or off for")
	return c
}

func hasExperiment(src *load.Source, name string) bool {
	for _, p := range src.Lab.Phases {
		if _, ok := p.Experiments[name]; ok {
			return true
		}
	}
	return false
}
