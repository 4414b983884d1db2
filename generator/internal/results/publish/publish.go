package publish

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/report"
)

// Options configure one publish of an experiment's new results.
type Options struct {
	// RepoDir is the local checkout holding the new result files.
	RepoDir string
	// ResultsDir is the results folder relative to the repository root.
	ResultsDir string
	Experiment string
	// BaseRef is the local ref the baseline is read from (e.g. origin/main);
	// BaseBranch is the remote branch the pull request targets (e.g. main).
	BaseRef, BaseBranch string
	// Branch receives the results (default benchmarks/<experiment>).
	Branch string
	// RemoteURL is the git remote; Username/Token authenticate pushes and
	// the Token the forge API.
	RemoteURL, Username, Token string
	// APIURL is the forge's REST API (default GitHub's); Repo is owner/name.
	APIURL, Repo string
	// Layers orders the variants of a layered composition (may be empty).
	Layers      []string
	HTTPClient  *http.Client
	MaxAttempts int
	Now         func() time.Time
}

// Outcome says what a publish did.
type Outcome struct {
	// Files are the new result files (repo-relative), sorted.
	Files []string
	// Plots are the report's plot files pushed with them (repo-relative,
	// in the report's order).
	Plots   []string
	Push    *PushResult
	PR      *PullRequest
	Comment string
	// Report is the comment body.
	Report string
}

// CommentBody is the report comment: the marker, then the report.
func CommentBody(md string) string { return report.Marker + "\n" + md }

// Run publishes the experiment's new results: the files of the working
// tree that BaseRef lacks are pushed to Branch with the report's plots
// (<results>/<experiment>/plots/, replaced when redrawn), the pull request
// into BaseBranch is opened or updated, and the report comment, its images
// linked to the plots in the pushed commit, is created or edited in
// place. Nothing new: nothing changes.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	out, err := run(ctx, o)
	return out, Redact(err, append([]string{o.Token}, URLSecrets(o.RemoteURL)...)...)
}

func run(ctx context.Context, o Options) (*Outcome, error) {
	if err := results.CheckName("experiment", o.Experiment); err != nil {
		return nil, err
	}
	if o.Branch == "" {
		o.Branch = "benchmarks/" + o.Experiment
	}
	if o.Branch == o.BaseBranch {
		return nil, fmt.Errorf("push: branch %q is the base branch: results go through a pull request", o.Branch)
	}
	sub := path.Join(filepath.ToSlash(o.ResultsDir), o.Experiment)
	files, err := NewFiles(o.RepoDir, o.BaseRef, sub)
	if err != nil {
		return nil, err
	}
	out := &Outcome{}
	if len(files) == 0 {
		return out, nil
	}
	rel := map[string][]byte{}
	for p, b := range files {
		out.Files = append(out.Files, p)
		rel[strings.TrimPrefix(p, sub+"/")] = b
	}
	sort.Strings(out.Files)
	cur, err := DecodeResults(rel)
	if err != nil {
		return nil, err
	}
	base, err := ReadResults(o.RepoDir, o.BaseRef, o.ResultsDir, o.Experiment)
	if err != nil {
		return nil, err
	}
	rep, err := report.Build(report.Input{Experiment: o.Experiment, BaseRef: o.BaseBranch, Base: base, Current: cur, Layers: o.Layers, Plots: true})
	if err != nil {
		return nil, err
	}
	generated := map[string][]byte{}
	for _, p := range rep.Plots {
		rel := path.Join(sub, report.PlotPath(p.File))
		generated[rel] = p.SVG
		out.Plots = append(out.Plots, rel)
	}

	// The forge is checked before anything is pushed: a wrong --api-url,
	// --repo, --base or a read-only token leaves the remote untouched.
	forge, err := NewForge(o.APIURL, o.Token, o.Repo, o.HTTPClient)
	if err != nil {
		return nil, err
	}
	if err := forge.Check(ctx, o.BaseBranch); err != nil {
		return nil, err
	}
	out.Push, err = Push(ctx, PushOptions{
		URL: o.RemoteURL, Username: o.Username, Token: o.Token,
		Branch: o.Branch, Base: o.BaseBranch, Files: files, Generated: generated,
		Message:     commitMessage(o.Experiment, out.Files, out.Plots),
		MaxAttempts: o.MaxAttempts, Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	// The comment shows the plots as the pushed commit holds them: a link
	// that stays right when later publishes move the branch. A forge that
	// names no web address gets links relative to the repository root,
	// which a comment cannot resolve (docs/results.md says so).
	commit := out.Push.Commit
	if !out.Push.BranchExists {
		commit = ""
	}
	rep.PlotLink = func(file string) string {
		rel := path.Join(sub, report.PlotPath(file))
		if u := forge.RawURL(commit, rel); u != "" {
			return u
		}
		return rel
	}
	var md bytes.Buffer
	if err := rep.Markdown(&md); err != nil {
		return nil, err
	}
	out.Report = CommentBody(md.String())
	if !out.Push.BranchExists {
		return out, nil // the base branch already has every file
	}
	title := "Benchmark results: " + o.Experiment
	out.PR, err = forge.EnsurePullRequest(ctx, o.Branch, o.BaseBranch, title, prBody(o.Experiment, cur))
	if err != nil {
		return nil, err
	}
	out.Comment, err = forge.UpsertComment(ctx, out.PR.Number, report.Marker, out.Report)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func commitMessage(experiment string, files, plots []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "benchmarks: %d result(s) of %s\n\n", len(files), experiment)
	for _, f := range files {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	if len(plots) > 0 {
		b.WriteString("\nPlots of the report, drawn from them:\n\n")
		for _, p := range plots {
			fmt.Fprintf(&b, "- %s\n", p)
		}
	}
	return b.String()
}

func prBody(experiment string, cur map[string][]*results.Result) string {
	var vs []string
	n := 0
	for v, rs := range cur {
		vs = append(vs, fmt.Sprintf("%s (%d)", v, len(rs)))
		n += len(rs)
	}
	sort.Strings(vs)
	return fmt.Sprintf("Adds %d benchmark result(s) of experiment `%s`: %s.\n\nThe benchmark report is the comment below; each publish edits it in place.\n", n, experiment, strings.Join(vs, ", "))
}
