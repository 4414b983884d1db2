package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
)

func init() { register(newRenderCmd) }

func newRenderCmd(s *Settings) *cobra.Command {
	var check, validateObjs bool
	var concurrency int
	c := &cobra.Command{
		Use:   "render",
		Short: "Compile the lab's CUE into clusters/, apps/, policies/ and benchmarks/",
		Long: `render loads the lab from cue.mod/, schema/ and phases/, validates it, and
writes the GitOps tree ArgoCD syncs:

  clusters/<cluster>/   root Application, AppProjects, one ApplicationSet per
                        experiment switched on for the cluster (lab.conduct)
  apps/<phase>/<exp>/   namespaces with cost labels, one values file per
                        component, a kustomization.yaml

Output is deterministic. Files are written atomically (staged, then moved
into place); files an earlier render generated and that are no longer
produced are pruned, as listed in .render-manifest. A file render did not
generate is never overwritten or deleted.

On bad input every error is printed with file:line:column and field path,
and nothing is written.

With --check nothing is written: render exits non-zero listing every file
that differs from what it would write (the CI drift gate).

Before writing (or checking), every rendered object is validated as the API
server would (see validate --help); on any problem render prints them all,
writes nothing and fails. --validate=false skips this.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			start := time.Now()
			run := render.Run{Root: root, SkipValidation: !validateObjs, Options: render.Options{Concurrency: concurrency}}
			var out *render.Outcome
			if check {
				out, err = run.Check()
			} else {
				out, err = run.Write()
			}
			if err != nil {
				return err
			}
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if check {
				if len(out.Diffs) > 0 {
					for _, d := range out.Diffs {
						fmt.Fprintln(stderr, d)
					}
					return fmt.Errorf("%d of %d rendered files are out of date: run `go run ./generator render` and commit", len(out.Diffs), out.Tree.Len())
				}
				fmt.Fprintf(stdout, "render --check: %d files up to date (%s)\n", out.Tree.Len(), time.Since(start).Round(time.Millisecond))
				return nil
			}
			st := out.Stats
			for _, k := range st.Kept {
				fmt.Fprintf(stderr, "kept %s: no longer generated, but edited by hand (no header); delete it yourself\n", k)
			}
			fmt.Fprintf(stdout, "rendered %d files: %d written, %d unchanged, %d pruned (%s)\n",
				st.Files, st.Written, st.Unchanged, st.Pruned, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	c.Flags().BoolVar(&validateObjs, "validate", true, "validate every rendered object offline before writing (see validate --help)")
	c.Flags().IntVar(&concurrency, "concurrency", 0, "charts rendered at once with the Helm SDK (0: one per CPU); output does not depend on it")
	c.Flags().BoolVar(&check, "check", false, "write nothing; fail listing every file that differs from a fresh render")
	return c
}
