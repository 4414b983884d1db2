package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/plots"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/publish"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/report"
)

// reportFlags are shared by report and publish.
type reportFlags struct {
	experiment, dir, base, baseRef string
	layers                         []string
}

func (r *reportFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&r.experiment, "experiment", "", "experiment name (required)")
	c.Flags().StringVar(&r.dir, "dir", "benchmarks/results", "results directory, relative to the repository root")
	c.Flags().StringVar(&r.base, "base", "main", "base branch the results are compared with and the pull request targets")
	c.Flags().StringVar(&r.baseRef, "base-ref", "", "git ref the baseline is read from (default: origin/<base> if it exists, else <base>)")
	c.Flags().StringSliceVar(&r.layers, "layers", nil, "variants of a layered composition in order (default: the experiment's compare.layers in CUE)")
	_ = c.MarkFlagRequired("experiment")
}

// resolve fills the defaults from the lab and the repository.
func (r *reportFlags) resolve(root string) error {
	if err := checkExperimentLayers(root, r); err != nil {
		return err
	}
	if r.baseRef == "" {
		repo, err := git.PlainOpenWithOptions(root, &git.PlainOpenOptions{DetectDotGit: true})
		if err != nil {
			return fmt.Errorf("git repository at %s: %w", root, err)
		}
		r.baseRef = r.base
		if _, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", r.base), true); err == nil {
			r.baseRef = "origin/" + r.base
		}
	}
	return nil
}

// checkExperimentLayers takes the layer order from CUE unless given and
// checks that each layer is a variant.
func checkExperimentLayers(root string, r *reportFlags) error {
	src, err := load.Load(root)
	if err != nil {
		return err
	}
	e, err := src.Lab.FindExperiment(r.experiment)
	if err != nil {
		return err
	}
	if len(r.layers) == 0 {
		r.layers = e.Compare.Layers
	}
	return e.CheckLayers(r.layers)
}

func newResultsReportCmd(s *Settings) *cobra.Command {
	var rf reportFlags
	var out string
	var drawPlots bool
	c := &cobra.Command{
		Use:   "report --experiment E [--base main] [--out FILE] [--plots=false]",
		Short: "Print the Markdown report of the results the working tree adds over the base branch",
		Long: `report compares the experiment's result files that the working tree adds
(absent from the base ref) with those stored on the base ref, read with git
(not the working tree), variant by variant; adds a mermaid chart and, for a
layered composition, what each layer adds to latency and cost. It prints
what publish posts on the pull request.

It writes the report's SVG plots (latency by percentile, p99 against
monthly cost with the Pareto frontier, each variant's p99 trend with its
change points) to DIR/<experiment>/plots/, replacing the files of the same
name, and embeds them as images: linked relative to --out's folder when the
report is written to a file, else relative to the repository root.
--plots=false draws none.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			if err := rf.resolve(root); err != nil {
				return err
			}
			sub := path.Join(filepath.ToSlash(rf.dir), rf.experiment)
			files, err := publish.NewFiles(root, rf.baseRef, sub)
			if err != nil {
				return err
			}
			if len(files) == 0 {
				return fmt.Errorf("no new results of %s over %s in %s", rf.experiment, rf.baseRef, sub)
			}
			rel := map[string][]byte{}
			for p, b := range files {
				rel[strings.TrimPrefix(p, sub+"/")] = b
			}
			cur, err := publish.DecodeResults(rel)
			if err != nil {
				return err
			}
			base, err := publish.ReadResults(root, rf.baseRef, rf.dir, rf.experiment)
			if err != nil {
				return err
			}
			rep, err := report.Build(report.Input{Experiment: rf.experiment, BaseRef: rf.base, Base: base, Current: cur, Layers: rf.layers, Plots: drawPlots})
			if err != nil {
				return err
			}
			plotDir := filepath.Join(root, filepath.FromSlash(sub), plots.Dir)
			if err := writePlots(plotDir, rep.Plots); err != nil {
				return err
			}
			// Links from where the Markdown is read: --out's folder, else
			// the repository root.
			from := root
			if out != "" {
				abs, err := filepath.Abs(out)
				if err != nil {
					return fmt.Errorf("--out %s: %w", out, err)
				}
				from = filepath.Dir(abs)
			}
			rep.PlotLink = func(file string) string {
				rel, err := filepath.Rel(from, filepath.Join(plotDir, file))
				if err != nil {
					return path.Join(sub, plots.Dir, file)
				}
				return filepath.ToSlash(rel)
			}
			var b bytes.Buffer
			if err := rep.Markdown(&b); err != nil {
				return err
			}
			if out != "" {
				if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
					return fmt.Errorf("report: %w", err)
				}
				if err := writeFileAtomic(out, b.Bytes()); err != nil {
					return fmt.Errorf("report: %w", err)
				}
				return nil
			}
			_, err = c.OutOrStdout().Write(b.Bytes())
			return err
		},
	}
	rf.add(c)
	c.Flags().StringVar(&out, "out", "", "write the Markdown to this file (image links relative to its folder) instead of stdout")
	c.Flags().BoolVar(&drawPlots, "plots", true, "draw the report's SVG plots into DIR/<experiment>/plots/ and embed them")
	return c
}

// writePlots writes each plot to dir, replacing a file of the same name
// (plots are derived from the results, not results themselves).
func writePlots(dir string, ps []plots.Plot) error {
	if len(ps) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	for _, p := range ps {
		if err := writeFileAtomic(filepath.Join(dir, p.File), p.SVG); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	return nil
}

// writeFileAtomic replaces name with data through a temporary file in the
// same folder, so that a reader never sees half a file.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(f.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(f.Name(), name)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}

func newResultsPublishCmd(s *Settings) *cobra.Command {
	var rf reportFlags
	var branch, remote, username, tokenEnv, apiURL, repoName string
	var attempts int
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "publish --experiment E [--base main] [--api-url URL] [--repo owner/name]",
		Short: "Push the new results to a branch and open or update the pull request with the report",
		Long: `publish commits the experiment's new result files (those the base ref lacks)
and the report's SVG plots (DIR/<experiment>/plots/, replaced when redrawn)
to a branch (default benchmarks/<experiment>, created from the base branch)
and pushes it over HTTPS with the token; a push that loses a race is retried
on the new remote head. The comment's images link the plots in the pushed
commit on the forge (<html_url>/raw/<commit>/<path>). It then opens the pull request (or updates the open
one for that branch) and keeps one report comment, marked
` + report.Marker + ` and written by the token's own user, edited
in place; another user's comment quoting the marker is never edited.
Nothing new: no commit and no comment edit. Before pushing anything it
checks the forge: the token's user, the repository, push access and the
base branch.

The token is read from the environment variable named by --token-env, never
from a flag, and never printed; no message shows the credentials of a URL. --api-url points at another forge serving
GitHub's REST API (e.g. Gitea: http://HOST/api/v1/).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			token := os.Getenv(tokenEnv)
			if token == "" {
				return fmt.Errorf("no token: set %s", tokenEnv)
			}
			if err := rf.resolve(root); err != nil {
				return err
			}
			if remote == "" {
				u, err := originURL(root)
				if err != nil {
					return err
				}
				remote = u
			}
			if repoName == "" {
				r, err := publish.OwnerRepo(remote)
				if err != nil {
					return err
				}
				repoName = r
			}
			ctx := c.Context()
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			out, err := publish.Run(ctx, publish.Options{
				RepoDir: root, ResultsDir: rf.dir, Experiment: rf.experiment,
				BaseRef: rf.baseRef, BaseBranch: rf.base, Branch: branch,
				RemoteURL: remote, Username: username, Token: token,
				APIURL: apiURL, Repo: repoName, Layers: rf.layers, MaxAttempts: attempts,
			})
			if err != nil {
				return err
			}
			w := c.OutOrStdout()
			switch {
			case len(out.Files) == 0:
				fmt.Fprintf(w, "nothing to publish: %s has every result of %s\n", rf.baseRef, rf.experiment)
				return nil
			case !out.Push.BranchExists:
				fmt.Fprintf(w, "nothing to publish: %s already has the %d result(s)\n", rf.base, len(out.Files))
				return nil
			case out.Push.Changed:
				fmt.Fprintf(w, "pushed %d result(s) and %d plot(s) to %s: %s (attempt %d)\n", len(out.Files), len(out.Plots), publish.SafeURL(remote), out.Push.Commit, out.Push.Attempts)
			default:
				fmt.Fprintf(w, "branch already has the %d result(s) at %s\n", len(out.Files), out.Push.Commit)
			}
			state := "unchanged"
			if out.PR.Created {
				state = "opened"
			} else if out.PR.Updated {
				state = "updated"
			}
			fmt.Fprintf(w, "pull request #%d %s %s\n", out.PR.Number, state, out.PR.URL)
			fmt.Fprintf(w, "report comment %s\n", out.Comment)
			return nil
		},
	}
	rf.add(c)
	f := c.Flags()
	f.StringVar(&branch, "branch", "", "branch receiving the results (default benchmarks/<experiment>)")
	f.StringVar(&remote, "remote-url", "", "git remote URL (default: the origin remote of the repository)")
	f.StringVar(&username, "username", "x-access-token", "user name sent with the token over HTTP basic auth")
	f.StringVar(&tokenEnv, "token-env", "GITHUB_TOKEN", "environment variable holding the token")
	f.StringVar(&apiURL, "api-url", publish.DefaultAPIURL, "forge REST API base URL, used as given")
	f.StringVar(&repoName, "repo", "", "owner/name on the forge (default: from the remote URL)")
	f.IntVar(&attempts, "attempts", 5, "push attempts when the remote branch moves meanwhile")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return c
}

func originURL(root string) (string, error) {
	repo, err := git.PlainOpenWithOptions(root, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", fmt.Errorf("git repository at %s: %w", root, err)
	}
	rem, err := repo.Remote("origin")
	if err != nil {
		return "", fmt.Errorf("no origin remote: give --remote-url: %w", err)
	}
	return rem.Config().URLs[0], nil
}
