package cmd

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/catalog"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
)

func init() { register(newListCmd) }

func newListCmd(s *Settings) *cobra.Command {
	var (
		asJSON     bool
		appendices bool
		f          catalog.Filter
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List the lab's experiments and the progress of each phase",
		Long: `list prints one row per experiment, ordered by phase then name: its kind,
status, how many components it deploys (shared plus every variant's), its
variants and the load tools of its benchmark ("no" without one). The progress table that follows
counts validated experiments per phase.

--phase (key or number), --kind and --status narrow the list; --json prints
the same data as JSON; --appendices lists the optional topics instead.`,
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
			out := cmd.OutOrStdout()
			if appendices {
				as := catalog.Appendices(src.Lab)
				if asJSON {
					return writeJSON(cmd, map[string]any{"appendices": as})
				}
				return catalog.WriteAppendices(out, as)
			}
			cat, err := catalog.Build(src.Lab, f)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd, cat)
			}
			return catalog.WriteTable(out, cat)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	c.Flags().BoolVar(&appendices, "appendices", false, "list the appendices (optional topics) instead of experiments")
	c.Flags().StringVar(&f.Phase, "phase", "", "only this phase (key or number)")
	c.Flags().StringVar(&f.Kind, "kind", "", "only this kind: tutorial, comparison, benchmark or capstone")
	c.Flags().StringVar(&f.Status, "status", "", "only this status: validated, in-progress, backlog or planned")
	return c
}

// writeJSON prints v as indented JSON, one trailing newline.
func writeJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
