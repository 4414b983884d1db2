package cmd

import (
	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/catalog"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
)

func init() { register(newShowCmd) }

func newShowCmd(s *Settings) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show EXPERIMENT",
		Short: "Show one experiment: how to deploy, measure, cost and compare it",
		Long: `show prints one experiment and answers its four questions:

  DEPLOY   every component (shared, then per variant) with chart@version or
           local path, namespace and sync wave
  MEASURE  the PromQL metrics, with unit and aggregation ($namespace is the
           variant's namespace, $window the run's length)
  COST     the cost question and how it is priced
  COMPARE  what it is compared with

An unknown name fails and suggests the closest ones. --json prints the same
data as JSON.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			d, err := catalog.Find(src.Lab, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd, d)
			}
			return catalog.WriteDetail(cmd.OutOrStdout(), d)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	return c
}
