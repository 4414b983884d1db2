package cmd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/analyze"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/suggest"
)

func init() { register(newDiscoverCmd) }

func newDiscoverCmd(s *Settings) *cobra.Command {
	var (
		o       suggest.RunOptions
		date    string
		pub     bool
		po      suggest.PublishOptions
		timeout time.Duration
	)
	c := &cobra.Command{
		Use:   "discover",
		Short: "Find new technology for the lab and suggest experiments",
		Long: `discover reads the sources declared in lab.discovery (phases/discovery.cue):
the CNCF landscape, GitHub repositories by topic, tech blogs' feeds and
Hacker News. It matches what it finds against the lab's components and
experiments, scores each finding by rules the report spells out, and writes
<reportDir>/<date>.md; for each new P0/P1 finding it adds a backlog experiment
scaffold phases/discovered-<name>.cue and re-renders.

Requests are rate limited per host, retried with backoff, bounded in time and
size, conditional (ETag, Last-Modified) and cached under --cache. A source
that fails is reported and skipped; if every source fails nothing is written.

GITHUB_TOKEN authenticates GitHub (and --publish); ANTHROPIC_API_KEY the
optional LLM categorizer (lab.discovery.llm, or --llm).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := s.Root()
			if err != nil {
				return err
			}
			o.Root = root
			if o.CacheDir == "" {
				d, err := sources.DefaultCacheDir()
				if err != nil {
					return err
				}
				o.CacheDir = d
			}
			if date == "" {
				o.Date = time.Now().UTC().Truncate(24 * time.Hour)
			} else {
				d, err := time.Parse("2006-01-02", date)
				if err != nil {
					return fmt.Errorf("--date %q: want YYYY-MM-DD", date)
				}
				o.Date = d
			}
			o.GitHubToken = os.Getenv("GITHUB_TOKEN")
			o.AnthropicKey = os.Getenv("ANTHROPIC_API_KEY")
			o.LLMBaseURL = os.Getenv("ANTHROPIC_BASE_URL")
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			out, err := suggest.Run(ctx, o)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			a := out.Analysis
			failed := []string{}
			for _, f := range a.Failures {
				if !f.Partial {
					failed = append(failed, f.Source)
				}
			}
			fmt.Fprintf(w, "read %d of %d sources", len(a.Read), len(a.Read)+len(failed))
			if len(failed) > 0 {
				fmt.Fprintf(w, " (failed: %s)", strings.Join(failed, ", "))
			}
			s := a.Stats
			fmt.Fprintf(w, "; %d findings: %d P0, %d P1, %d P2, %d noise; %d requests, %d not modified, %d from cache (%s)\n",
				len(a.Candidates), a.Counts["P0"], a.Counts["P1"], a.Counts["P2"], a.Counts[analyze.Noise], s.Requests, s.NotModified, s.Fresh, out.Elapsed.Round(time.Millisecond))
			for _, f := range a.Failures {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: source %s: %s\n", f.Source, f.Error)
			}
			for _, x := range a.Candidates {
				if x.Priority == "P0" || x.Priority == "P1" {
					fmt.Fprintf(w, "  %s\n", suggest.Headline(a, x))
				}
			}
			fmt.Fprintf(w, "wrote %s\n", out.Report)
			for _, f := range out.Scaffolds {
				fmt.Fprintf(w, "wrote %s (re-rendered)\n", f)
			}
			if pub {
				if po.RemoteURL == "" {
					src := a.Lab
					po.RemoteURL = src.RepoURL
				}
				po.Token = os.Getenv("GITHUB_TOKEN")
				msg, err := suggest.Publish(ctx, o.Root, out, o.Date.Format("2006-01-02"), po)
				if err != nil {
					return fmt.Errorf("publish: %w", err)
				}
				fmt.Fprintf(w, "published: %s\n", msg)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.CacheDir, "cache", "", "cache directory (default ${LAB_CACHE:-~/.cache/illm-lab}/discover)")
	f.StringVar(&date, "date", "", "the run's date, YYYY-MM-DD (default today, UTC): names the report, dates the rules")
	f.StringSliceVar(&o.Only, "source", nil, "read only these sources (repeatable)")
	f.BoolVar(&o.Offline, "offline", false, "use cached answers only; no network")
	f.BoolVar(&o.NoScaffold, "no-scaffold", false, "write the report only, no experiment scaffolds")
	f.BoolVar(&o.LLM, "llm", false, "use the LLM categorizer even if lab.discovery.llm.enabled is false (needs ANTHROPIC_API_KEY)")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "bound on the whole run")
	f.BoolVar(&pub, "publish", false, "push the report and scaffolds to branch discovery/<date> and open a pull request (GITHUB_TOKEN)")
	f.StringVar(&po.RemoteURL, "remote", "", "git remote to push to (default the lab's repoURL)")
	f.StringVar(&po.Repo, "repo", "", "owner/name for the pull request (default from the remote)")
	f.StringVar(&po.APIURL, "api-url", "", "forge REST API (default GitHub's)")
	f.StringVar(&po.Base, "base", "main", "branch the pull request targets")
	f.StringVar(&po.Username, "username", "", "git username for the push (default x-access-token)")
	f.DurationVar(&o.Backoff, "backoff", 0, "first retry delay (default 500ms)")
	_ = f.MarkHidden("backoff")
	return c
}
