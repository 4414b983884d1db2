package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

func init() { register(newRenderCmd) }

func newRenderCmd() *cobra.Command {
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
			root, _ := cmd.Flags().GetString("root")
			start := time.Now()
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			t, err := render.Lab(src, render.Options{Concurrency: concurrency})
			if err != nil {
				return err
			}
			// Offline API-server validation (validate.go): nothing is written when it fails.
			if validateObjs {
				if rep := validate.Default().Tree(t); len(rep.Errors) > 0 {
					return reportValidation(cmd, rep, "render", start)
				}
			}
			out := cmd.OutOrStdout()
			if check {
				diffs, err := tree.Check(root, t)
				if err != nil {
					return err
				}
				if len(diffs) > 0 {
					for _, d := range diffs {
						fmt.Fprintln(cmd.ErrOrStderr(), d)
					}
					return fmt.Errorf("%d of %d rendered files are out of date: run `go run ./generator render` and commit", len(diffs), t.Len())
				}
				fmt.Fprintf(out, "render --check: %d files up to date (%s)\n", t.Len(), time.Since(start).Round(time.Millisecond))
				return nil
			}
			st, err := tree.Write(root, t)
			if err != nil {
				return err
			}
			for _, k := range st.Kept {
				fmt.Fprintf(cmd.ErrOrStderr(), "kept %s: no longer generated, but edited by hand (no header); delete it yourself\n", k)
			}
			fmt.Fprintf(out, "rendered %d files: %d written, %d unchanged, %d pruned (%s)\n",
				st.Files, st.Written, st.Unchanged, st.Pruned, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	c.Flags().BoolVar(&validateObjs, "validate", true, "validate every rendered object offline before writing (see validate --help)")
	c.Flags().IntVar(&concurrency, "concurrency", 0, "charts rendered at once with the Helm SDK (0: one per CPU); output does not depend on it")
	c.Flags().BoolVar(&check, "check", false, "write nothing; fail listing every file that differs from a fresh render")
	return c
}
