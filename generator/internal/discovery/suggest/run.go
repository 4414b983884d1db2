package suggest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/analyze"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/publish"
)

// RunOptions configure one discovery run.
type RunOptions struct {
	Root     string
	CacheDir string
	// Date names the run and is "now" for the rules (UTC midnight).
	Date    time.Time
	Only    []string
	Offline bool
	// NoScaffold writes the report alone.
	NoScaffold bool
	// LLM forces the categorizer on (it is otherwise as CUE says);
	// LLMBaseURL points it elsewhere than Anthropic's API (tests).
	LLM                       bool
	LLMBaseURL                string
	GitHubToken, AnthropicKey string
	// Backoff overrides the first retry delay (tests).
	Backoff time.Duration
}

// Outcome is what a run did.
type Outcome struct {
	Analysis  *analyze.Analysis
	Report    string            // repo-relative path
	Markdown  string            // the report
	Scaffolds []string          // repo-relative paths, sorted
	Rendered  map[string][]byte // the re-rendered tree when scaffolds were added
	Elapsed   time.Duration
}

// Run reads the sources, analyses, and writes the report and scaffolds.
// Nothing is written unless the whole run succeeds: scaffolds that do not
// load with the lab are removed again, and the report is written last,
// atomically. At least one source must be read.
func Run(ctx context.Context, o RunOptions) (*Outcome, error) {
	start := time.Now()
	src, err := load.Load(o.Root)
	if err != nil {
		return nil, err
	}
	cfg := src.Lab.Discovery
	if cfg == nil {
		return nil, errors.New("the lab declares no discovery (lab: discovery: {...}, see docs/discovery.md)")
	}
	if len(cfg.Sources) == 0 {
		return nil, errors.New("discovery.sources is empty")
	}
	cache := &sources.Cache{Dir: o.CacheDir}
	client := sources.NewClient(sources.HTTPOptions{
		Timeout: time.Duration(cfg.Limits.TimeoutSeconds) * time.Second, MaxBytes: cfg.Limits.MaxBytes,
		Retries: cfg.Limits.Retries, RequestsPerSecond: cfg.Limits.RequestsPerSecond,
		Cache: cache, Offline: o.Offline, Backoff: o.Backoff,
		// Fetch times are the run's date: cache ages and star growth
		// count in run days, and a run is reproducible.
		Now: func() time.Time { return o.Date.UTC() },
	})
	now := o.Date.UTC()
	// The categorizer first: a missing key fails before any request.
	var cat *analyze.Anthropic
	if o.LLM || cfg.LLM.Enabled {
		if cat, err = analyze.NewAnthropic(cfg.LLM, o.AnthropicKey, o.LLMBaseURL, client.HTTP, cache); err != nil {
			return nil, err
		}
	}
	res, snap, err := sources.Run(ctx, cfg.Sources, sources.Options{Client: client, Cache: cache, GitHubToken: o.GitHubToken, Now: now, Only: o.Only})
	if err != nil {
		return nil, err
	}
	if len(res.Read) == 0 {
		var msgs []string
		for _, f := range res.Failures {
			msgs = append(msgs, f.Source+": "+f.Error)
		}
		return nil, fmt.Errorf("every source failed; nothing written:\n  %s", strings.Join(msgs, "\n  "))
	}
	a, err := analyze.Analyze(src.Lab, cfg, res, now)
	if err != nil {
		return nil, err
	}
	if cat != nil {
		a.ApplyLLM(ctx, cat)
	}
	a.Stats = client.Stats()
	date := now.Format("2006-01-02")
	out := &Outcome{Analysis: a, Report: path.Join(cfg.ReportDir, date+".md")}

	// Scaffolds for the new P0/P1 findings that have a phase.
	files := map[string][]byte{}
	scaffolds := map[string]string{}
	if !o.NoScaffold {
		for _, x := range a.Candidates {
			if x.Category != analyze.New || (x.Priority != "P0" && x.Priority != "P1") || x.Phase == "" {
				continue
			}
			spec := FromCandidate(a, x, date, out.Report)
			if err := spec.Check(src.Lab); err != nil {
				continue // a name the lab has: the report says it all
			}
			f := File(x.Slug)
			if _, err := os.Stat(filepath.Join(src.Root, f)); err == nil {
				continue // proposed before and still there
			}
			b, err := spec.CUE()
			if err != nil {
				return nil, err
			}
			files[f] = b
			scaffolds[x.Slug] = f
		}
	}
	var md bytes.Buffer
	if err := Report(&md, a, date, scaffolds); err != nil {
		return nil, err
	}
	out.Markdown = md.String()
	for _, f := range scaffolds {
		out.Scaffolds = append(out.Scaffolds, f)
	}
	sort.Strings(out.Scaffolds)
	if len(out.Scaffolds) > 0 {
		out.Rendered, err = writeAndRender(src.Root, files)
		if err != nil {
			return nil, err
		}
	}
	if err := sources.WriteFileAtomic(filepath.Join(src.Root, filepath.FromSlash(out.Report)), md.Bytes()); err != nil {
		return nil, err
	}
	if err := cache.SaveSnapshot(snap); err != nil {
		return nil, fmt.Errorf("star snapshot: %w", err)
	}
	out.Elapsed = time.Since(start)
	return out, nil
}

// writeAndRender adds the scaffold files to phases/ and re-renders through
// the render pipeline: the lab is loaded and rendered with the scaffolds in
// memory, validated, and only then are the scaffolds and the tree written.
// It returns the tree's files (the manifest included) for a commit.
func writeAndRender(root string, files map[string][]byte) (map[string][]byte, error) {
	out, err := render.Run{Root: root, Edits: render.Edits(files)}.Write()
	if err != nil {
		return nil, fmt.Errorf("scaffolds not written: %w", err)
	}
	rendered := map[string][]byte{}
	for _, p := range out.Tree.Paths() {
		rendered[p], _ = out.Tree.File(p)
	}
	m, err := os.ReadFile(filepath.Join(root, tree.ManifestPath))
	if err != nil {
		return nil, err
	}
	rendered[tree.ManifestPath] = m
	return rendered, nil
}

// PublishOptions say where the run's pull request goes.
type PublishOptions struct {
	RemoteURL, Username, Token string
	APIURL, Repo               string
	Base                       string
}

// Publish pushes the report, the scaffolds and the re-rendered tree to
// branch discovery/<date>, opens (or updates) the pull request and keeps
// one report comment on it, edited in place on a re-run.
func Publish(ctx context.Context, root string, out *Outcome, date string, o PublishOptions) (string, error) {
	if o.Token == "" {
		return "", errors.New("--publish needs GITHUB_TOKEN")
	}
	if o.Repo == "" {
		r, err := publish.OwnerRepo(o.RemoteURL)
		if err != nil {
			return "", err
		}
		o.Repo = r
	}
	files := map[string][]byte{}
	for p, b := range out.Rendered {
		files[p] = b
	}
	for _, f := range out.Scaffolds {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		files[f] = b
	}
	files[out.Report] = []byte(out.Markdown)
	branch := "discovery/" + date
	c := out.Analysis.Counts
	title := fmt.Sprintf("Tech discovery %s: %d P0, %d P1, %d new experiment scaffold(s)", date, c["P0"], c["P1"], len(out.Scaffolds))
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s\n\n", title)
	for _, f := range append([]string{out.Report}, out.Scaffolds...) {
		fmt.Fprintf(&msg, "- %s\n", f)
	}
	username := o.Username
	if username == "" {
		username = "x-access-token"
	}
	pr, err := publish.Push(ctx, publish.PushOptions{URL: o.RemoteURL, Username: username, Token: o.Token, Branch: branch, Base: o.Base, Files: files, Message: msg.String()})
	if err != nil {
		return "", err
	}
	if !pr.BranchExists {
		return "nothing new to propose", nil
	}
	forge, err := publish.NewForge(o.APIURL, o.Token, o.Repo, nil)
	if err != nil {
		return "", err
	}
	var body strings.Builder
	fmt.Fprintf(&body, "Weekly tech discovery of %s: the report is `%s` and the comment below.\n\n", date, out.Report)
	for _, x := range out.Analysis.Candidates {
		if x.Priority == "P0" || x.Priority == "P1" {
			fmt.Fprintf(&body, "- %s\n", Headline(out.Analysis, x))
		}
	}
	if len(out.Scaffolds) > 0 {
		body.WriteString("\nEach scaffold is a backlog experiment with nothing deployed: pin its charts before switching it on.\n")
	}
	p, err := forge.EnsurePullRequest(ctx, branch, o.Base, title, body.String())
	if err != nil {
		return "", err
	}
	act, err := forge.UpsertComment(ctx, p.Number, Marker, Marker+"\n"+out.Markdown)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pull request #%d %s (report comment %s)", p.Number, p.URL, act), nil
}
