package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/suggest"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
)

func init() { register(newNewCmd) }

func newNewCmd(s *Settings) *cobra.Command {
	c := &cobra.Command{
		Use:   "new",
		Short: "Scaffold lab content",
	}
	var (
		phase, kind, title, desc string
		charts                   []string
	)
	exp := &cobra.Command{
		Use:   "experiment NAME",
		Short: "Scaffold a backlog experiment in a phase and re-render",
		Long: `new experiment writes phases/experiment-NAME.cue: a backlog experiment of
the given kind in the phase, with TODOs for what to measure, its cost and its
alternatives, then checks the lab loads and re-renders. It refuses a name the
lab already has. A comparison needs two variants, each a pinned chart:

  generator new experiment beyla-vs-otel --phase observability --kind comparison \
    --chart beyla=https://grafana.github.io/helm-charts/beyla@1.9.2 \
    --chart otel=https://open-telemetry.github.io/opentelemetry-helm-charts/opentelemetry-collector@0.140.0

Other kinds may add components the same way (--chart NAME=REPO/CHART@VERSION)
or leave them for later. If the lab does not load or render afterwards, the
file is removed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			name := args[0]
			src, err := load.Load(root)
			if err != nil {
				return err
			}
			spec := &suggest.Spec{Name: name, Phase: phase, Kind: kind, Title: title, Description: desc, MeasureWhat: name, CostWhat: name,
				Header: []string{"Scaffolded by `generator new experiment`: fill in the TODOs, then set its status."}}
			if spec.Title == "" {
				spec.Title = name
			}
			if spec.Description == "" {
				spec.Description = "TODO: what " + name + " shows."
			}
			for _, s := range charts {
				ch, err := suggest.ParseChart(s)
				if err != nil {
					return err
				}
				spec.Charts = append(spec.Charts, ch)
			}
			if err := spec.Check(src.Lab); err != nil {
				return err
			}
			rel := "phases/experiment-" + name + ".cue"
			file := filepath.Join(src.Root, filepath.FromSlash(rel))
			if _, err := os.Stat(file); err == nil {
				return fmt.Errorf("%s already exists", rel)
			}
			b, err := spec.CUE()
			if err != nil {
				return err
			}
			out, err := render.Run{Root: src.Root, Edits: render.Edits{rel: b}}.Write()
			if err != nil {
				return fmt.Errorf("%w\nnothing written", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s %s in phase %s, status backlog); rendered %d files. Fill in its TODOs, then commit.\n",
				rel, kind, name, phase, out.Stats.Files)
			return nil
		},
	}
	f := exp.Flags()
	f.StringVar(&phase, "phase", "", "phase to add it to (required)")
	f.StringVar(&kind, "kind", "tutorial", "tutorial | comparison | benchmark | capstone")
	f.StringVar(&title, "title", "", "title (default NAME)")
	f.StringVar(&desc, "description", "", "one-line description")
	f.StringArrayVar(&charts, "chart", nil, "NAME=REPOSITORY/CHART@VERSION: a component (a variant, for a comparison), pinned")
	_ = exp.MarkFlagRequired("phase")
	c.AddCommand(exp)
	return c
}
