// Package cmd holds the generator's CLI: one file per verb.
package cmd

import (
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
)

// verbs are registered by each verb's file in init, so that verbs stay
// independent of each other and of this file.
var verbs []func() *cobra.Command

func register(f func() *cobra.Command) { verbs = append(verbs, f) }

// NewRoot builds the command tree.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "generator",
		Short: "Compile the lab's CUE into GitOps manifests and collect benchmark results",
		Long: `generator is the lab's one program.

It reads the lab described in CUE (cue.mod/, schema/, phases/), renders the
committed GitOps tree (clusters/, apps/, policies/, benchmarks/) and checks it,
and turns k6 and Prometheus output into versioned results with statistics and cost.

Run it from the repository root, or pass --root.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("root", ".", "repository root holding cue.mod/ and phases/")
	cmds := make([]*cobra.Command, 0, len(verbs))
	for _, f := range verbs {
		cmds = append(cmds, f())
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	return root
}

// Execute runs the CLI and returns the process exit code.
func Execute() int {
	if err := NewRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}
