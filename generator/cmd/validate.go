package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/chartcheck"
)

func init() { register(newValidateCmd) }

func newValidateCmd(s *Settings) *cobra.Command {
	var disk, withCharts bool
	c := &cobra.Command{
		Use:   "validate",
		Short: "Check every rendered object as the Kubernetes API server would, offline",
		Long: `validate renders the lab in memory (nothing is written) and checks every
object the way the Kubernetes API server checks a create with
fieldValidation=Strict, without a cluster:

  built-in kinds     strictly decoded into their k8s.io/api types (unknown
                     fields, duplicate keys and wrong types are errors), then
                     names, labels, annotations and the kind's own rules
  custom resources   against the vendored CRDs (generator/internal/validate/crds:
                     ArgoCD, Kyverno, Argo Workflows, ...): unknown fields,
                     OpenAPI v3 schema, defaults, list types and CEL rules,
                     by the API server's own code
  ApplicationSets    every Application a list generator will create is
                     rendered (Go template, ArgoCD's functions, templatePatch)
                     and checked against the Application CRD

kustomization.yaml files, Helm values files and Kyverno CLI test inputs are
not cluster objects and are skipped (kubectl-kyverno test checks the latter).
A kind with no known schema is an error.

Every problem is printed as
  <file>: <Kind> <namespace>/<name>: <field>: <what is wrong>
and validate exits non-zero. On success it prints one line counting the
objects validated per kind.

With --disk it checks the files the last render wrote (those listed in
.render-manifest) instead of rendering.

With --charts it also renders, in-process, every component whose chart is
on disk (a local chart, or a remote one vendored by
` + "`generator vendor --all`" + `) with the lab's values, as ArgoCD would, and
reports: objects that fail the same checks; values keys the lab sets that
the chart neither defaults (values.yaml) nor reads (templates); cluster-
scoped objects two components render under one name while they can be
conducted on one cluster; and charts whose clusterObjects claim does not
match what they render. Components whose chart is not on disk are listed.
Run ` + "`generator vendor --all`" + ` (network) then ` + "`generator validate --charts`" + `
before conducting.

render runs the same check before writing (see render --validate).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			start := time.Now()
			var rep *validate.Report
			if disk {
				var err error
				if rep, err = validate.Default().Disk(root); err != nil {
					return err
				}
			} else {
				out, err := render.Run{Root: root}.Build()
				if err != nil {
					return err
				}
				rep = out.Validation
			}
			if !withCharts {
				return reportValidation(cmd, rep, "validate", start)
			}
			if len(rep.Errors) > 0 {
				return reportValidation(cmd, rep, "validate", start)
			}
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			cr, err := chartcheck.Check(root, src.Lab, validate.Default())
			if err != nil {
				return err
			}
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			for _, m := range cr.Missing {
				fmt.Fprintf(out, "not on disk, not checked: %s (go run ./generator vendor --all)\n", m)
			}
			for _, p := range cr.Problems {
				fmt.Fprintln(errw, p)
			}
			if len(cr.Problems) > 0 {
				return fmt.Errorf("validate --charts: %d problems in %d components rendered from %d charts", len(cr.Problems), cr.Rendered, cr.Charts)
			}
			fmt.Fprintf(out, "validate --charts: %s; %d components rendered from %d charts, %d objects valid, no unused values keys, no collisions; %d components not on disk (%s)\n",
				rep.Summary(), cr.Rendered, cr.Charts, cr.Objects, len(cr.Missing), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	c.Flags().BoolVar(&withCharts, "charts", false, "also render every chart on disk (local or vendored: vendor --all) and check its objects, unused values keys and cluster-scoped collisions")
	c.Flags().BoolVar(&disk, "disk", false, "check the rendered files on disk (listed in .render-manifest) instead of rendering in memory")
	return c
}

// reportValidation prints every error to stderr and fails, or prints the summary line.
func reportValidation(cmd *cobra.Command, rep *validate.Report, verb string, start time.Time) error {
	if len(rep.Errors) > 0 {
		for _, e := range rep.Errors {
			fmt.Fprintln(cmd.ErrOrStderr(), e.Error())
		}
		return fmt.Errorf("%s: %d problems in the rendered objects", verb, len(rep.Errors))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%s)\n", verb, rep.Summary(), time.Since(start).Round(time.Millisecond))
	return nil
}
