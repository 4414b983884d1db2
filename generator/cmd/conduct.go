package cmd

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/conduct"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/nearest"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
)

func init() {
	register(func(s *Settings) *cobra.Command { return newSwitchCmd(s, true) })
	register(func(s *Settings) *cobra.Command { return newSwitchCmd(s, false) })
}

func newSwitchCmd(s *Settings, on bool) *cobra.Command {
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
			root, err := s.Root()
			if err != nil {
				return err
			}
			msg, err := switchExperiment(root, cluster, args[0], on)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	c.Flags().StringVar(&cluster, "cluster", "hub", "the cluster to switch the experiment on or off for")
	return c
}

// switchExperiment edits conduct.File in memory and runs the render
// pipeline with the edit: the file and the tree are written together, or
// neither is.
func switchExperiment(root, cluster, name string, on bool) (string, error) {
	src, err := load.Load(root)
	if err != nil {
		return "", err
	}
	if _, ok := src.Lab.Clusters[cluster]; !ok {
		return "", fmt.Errorf("no cluster %q in the lab%s (clusters: %s)", cluster, nearest.Hint(cluster, slices.Collect(maps.Keys(src.Lab.Clusters))), strings.Join(slices.Sorted(maps.Keys(src.Lab.Clusters)), ", "))
	}
	if _, err := src.Lab.FindExperiment(name); err != nil {
		return "", err
	}
	isOn := slices.Contains(src.Lab.Conduct[cluster], name)
	state := "off"
	if on {
		state = "on"
	}
	if isOn == on {
		return fmt.Sprintf("%s is already switched %s for %s: nothing to do", name, state, cluster), nil
	}
	before, err := os.ReadFile(filepath.Join(root, conduct.File))
	if err != nil {
		return "", err
	}
	after, changed, err := conduct.Edit(conduct.File, before, cluster, name, on)
	if err != nil {
		return "", err
	}
	run := render.Run{Root: root, Edits: render.Edits{conduct.File: after}}
	var out *render.Outcome
	if changed {
		out, err = run.Build()
		if err != nil {
			return "", fmt.Errorf("%w\nnothing written", err)
		}
	}
	// The edit must change what the lab conducts: an experiment switched
	// on in another file stays on whatever conduct.File says.
	if !changed || slices.Contains(out.Source.Lab.Conduct[cluster], name) != on {
		return "", fmt.Errorf("%s is switched on for %s in %s, not in %s: switch it off there; nothing written",
			name, cluster, src.FileOf("conduct", cluster), conduct.File)
	}
	if err := run.Commit(out); err != nil {
		return "", err
	}
	st := out.Stats
	return fmt.Sprintf("%s switched %s for %s; rendered %d files: %d written, %d pruned. Commit to apply.",
		name, state, cluster, st.Files, st.Written, st.Pruned), nil
}
