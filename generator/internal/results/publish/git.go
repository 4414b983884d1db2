// Package publish puts new benchmark results up for review: it reads the
// baseline from the base branch with go-git (never the working tree),
// commits the new result files and the report's plots to a branch and
// pushes it (retrying when the remote moved meanwhile), and opens or
// updates the pull request with one report comment kept up to date in
// place, its images linked to the pushed commit.
package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// ReadResults reads the stored results of an experiment from the tree of
// ref (a branch, remote branch or commit) in the repository holding
// repoDir, by variant. dir is the results directory relative to the
// repository root (e.g. benchmarks/results). A ref without that
// experiment's results gives an empty map.
func ReadResults(repoDir, ref, dir, experiment string) (map[string][]*results.Result, error) {
	files, err := ReadTreeFiles(repoDir, ref, path.Join(filepath.ToSlash(dir), experiment))
	if err != nil {
		return nil, err
	}
	return DecodeResults(files)
}

// DecodeResults decodes files named <variant>/<run-id>.json (relative to
// the experiment's folder), strictly, each validated.
func DecodeResults(files map[string][]byte) (map[string][]*results.Result, error) {
	out := map[string][]*results.Result{}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		parts := strings.Split(n, "/")
		if len(parts) != 2 || !strings.HasSuffix(parts[1], ".json") {
			continue
		}
		r, err := results.Decode(files[n], n)
		if err != nil {
			return nil, err
		}
		if err := results.Validate(r, results.Expect{}); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out[parts[0]] = append(out[parts[0]], r)
	}
	return out, nil
}

// ReadTreeFiles returns the files below sub (slash-separated, relative to
// the repository root) in the tree of ref, keyed by path relative to sub.
func ReadTreeFiles(repoDir, ref, sub string) (map[string][]byte, error) {
	repo, err := git.PlainOpenWithOptions(repoDir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("git repository at %s: %w", repoDir, err)
	}
	h, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, fmt.Errorf("resolve %q in %s: %w", ref, repoDir, err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", h, err)
	}
	return treeFiles(c, sub)
}

func treeFiles(c *object.Commit, sub string) (map[string][]byte, error) {
	root, err := c.Tree()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	t := root
	if sub != "" && sub != "." {
		t, err = root.Tree(sub)
		if errors.Is(err, object.ErrDirectoryNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s at %s: %w", sub, c.Hash, err)
		}
	}
	err = t.Files().ForEach(func(f *object.File) error {
		s, err := f.Contents()
		if err != nil {
			return fmt.Errorf("%s/%s: %w", sub, f.Name, err)
		}
		out[f.Name] = []byte(s)
		return nil
	})
	return out, err
}

// NewFiles lists the files below sub in the working tree of repoDir that
// ref does not have (repo-relative, slash-separated, sorted), with their
// content. A file that ref has with other content is an error: stored
// results are append-only (a version-1 result rewritten by `results
// migrate` is the one edit allowed; it is not new).
func NewFiles(repoDir, ref, sub string) (map[string][]byte, error) {
	base, err := ReadTreeFiles(repoDir, ref, sub)
	if err != nil {
		return nil, err
	}
	root, err := repoRoot(repoDir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	top := filepath.Join(root, filepath.FromSlash(sub))
	err = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && p == top {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(top, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if old, ok := base[rel]; ok {
			if !bytes.Equal(old, data) && !results.IsMigration(old, data) {
				return fmt.Errorf("%s/%s differs from %s: stored results are append-only", sub, rel, ref)
			}
			return nil
		}
		out[path.Join(sub, rel)] = data
		return nil
	})
	return out, err
}

func repoRoot(dir string) (string, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return "", fmt.Errorf("git repository at %s: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	return wt.Filesystem.Root(), nil
}

// PushOptions say what to push where.
type PushOptions struct {
	// URL is the remote repository (http or https).
	URL string
	// Username and Token authenticate over HTTP basic auth (GitHub takes
	// any username with a token; x-access-token is conventional).
	Username, Token string
	// Branch receives the commit; it is created from Base when missing.
	Branch, Base string
	// Files are repo-relative paths and their content. Files the branch
	// already has with the same content are not committed again.
	Files map[string][]byte
	// Generated are files derived from the results (plots): written over
	// whatever the branch holds at their path. They alone never create the
	// branch: without a new file in Files on a missing branch nothing is
	// pushed.
	Generated map[string][]byte
	Message   string
	Author    object.Signature
	// MaxAttempts bounds the retries when the remote branch moves between
	// fetch and push (default 5).
	MaxAttempts int
	// Now stamps the commit (default time.Now).
	Now func() time.Time

	// beforePush lets tests push a competing commit inside the race window.
	beforePush func(attempt int)
}

// PushResult says what happened.
type PushResult struct {
	// Commit is the pushed commit, or the branch head when nothing changed.
	Commit string
	// Changed is false when the branch already held every file.
	Changed bool
	// BranchExists is false when nothing was pushed and the branch is
	// absent (the base branch already has every file).
	BranchExists bool
	Attempts     int
}

// errRace means the remote branch moved between our fetch and our push.
var errRace = errors.New("remote branch moved")

// Push commits o.Files on top of the remote branch and pushes it. It works
// on an in-memory clone, so the caller's checkout is never touched. When
// another push lands first, it fetches the new head, re-creates the commit
// on it (result files are append-only, so they never conflict) and pushes
// again, up to MaxAttempts times. The token never appears in errors.
func Push(ctx context.Context, o PushOptions) (*PushResult, error) {
	res, err := push(ctx, o)
	return res, Redact(err, append([]string{o.Token}, URLSecrets(o.URL)...)...)
}

func push(ctx context.Context, o PushOptions) (*PushResult, error) {
	if o.URL == "" || o.Branch == "" || o.Base == "" {
		return nil, errors.New("push: URL, branch and base are required")
	}
	if o.Branch == o.Base {
		return nil, fmt.Errorf("push: branch %q is the base branch: results go through a pull request", o.Branch)
	}
	for p := range o.Generated {
		if _, ok := o.Files[p]; ok {
			return nil, fmt.Errorf("push: %s is both a result and a generated file", p)
		}
	}
	max := o.MaxAttempts
	if max <= 0 {
		max = 5
	}
	var last error
	for attempt := 1; attempt <= max; attempt++ {
		res, err := pushOnce(ctx, o, attempt)
		if err == nil {
			res.Attempts = attempt
			return res, nil
		}
		if !errors.Is(err, errRace) {
			return nil, err
		}
		last = err
		// Back off a little so that racing publishers interleave.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 50 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("push to %s: gave up after %d attempts: %w", o.Branch, max, last)
}

func (o PushOptions) auth() *githttp.BasicAuth {
	if o.Token == "" && o.Username == "" {
		return nil
	}
	u := o.Username
	if u == "" {
		u = "x-access-token"
	}
	return &githttp.BasicAuth{Username: u, Password: o.Token}
}

// remoteHeads lists the remote's branches.
func remoteHeads(ctx context.Context, o PushOptions) (map[string]plumbing.Hash, error) {
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{o.URL}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: o.auth()})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", SafeURL(o.URL), err)
	}
	out := map[string]plumbing.Hash{}
	for _, r := range refs {
		if r.Name().IsBranch() && r.Type() == plumbing.HashReference {
			out[r.Name().Short()] = r.Hash()
		}
	}
	return out, nil
}

func pushOnce(ctx context.Context, o PushOptions, attempt int) (*PushResult, error) {
	heads, err := remoteHeads(ctx, o)
	if err != nil {
		return nil, err
	}
	from := o.Branch
	parent, exists := heads[o.Branch]
	if !exists {
		from = o.Base
		if parent, exists = heads[o.Base]; !exists {
			return nil, fmt.Errorf("%s has neither branch %q nor base branch %q", SafeURL(o.URL), o.Branch, o.Base)
		}
	}
	_, branchExists := heads[o.Branch]
	fs := memfs.New()
	repo, err := git.CloneContext(ctx, memory.NewStorage(), fs, &git.CloneOptions{
		URL: o.URL, Auth: o.auth(), ReferenceName: plumbing.NewBranchReferenceName(from), SingleBranch: true,
	})
	if err != nil {
		return nil, fmt.Errorf("clone %s branch %s: %w", SafeURL(o.URL), from, err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	if head.Hash() != parent {
		return nil, fmt.Errorf("%w: %s is at %s, listed at %s", errRace, from, head.Hash(), parent)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	changed := false
	stage := func(p string, data []byte) error {
		if err := writeFile(fs, p, data); err != nil {
			return err
		}
		if _, err := wt.Add(p); err != nil {
			return fmt.Errorf("add %s: %w", p, err)
		}
		changed = true
		return nil
	}
	for _, p := range slices.Sorted(maps.Keys(o.Files)) {
		data := o.Files[p]
		if old, err := readFile(fs, p); err == nil {
			if !bytes.Equal(old, data) {
				return nil, fmt.Errorf("%s on branch %s differs: stored results are append-only", p, from)
			}
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if err := stage(p, data); err != nil {
			return nil, err
		}
	}
	// Generated files (plots) are replaced when redrawn, and never make a
	// branch by themselves.
	if changed || branchExists {
		for _, p := range slices.Sorted(maps.Keys(o.Generated)) {
			data := o.Generated[p]
			if old, err := readFile(fs, p); err == nil && bytes.Equal(old, data) {
				continue
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			if err := stage(p, data); err != nil {
				return nil, err
			}
		}
	}
	if !changed {
		return &PushResult{Commit: parent.String(), Changed: false, BranchExists: branchExists}, nil
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	sig := o.Author
	if sig.Name == "" {
		sig = object.Signature{Name: "illm-lab results", Email: "results@illm-lab.invalid"}
	}
	sig.When = now()
	h, err := wt.Commit(o.Message, &git.CommitOptions{Author: &sig, Committer: &sig})
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	ref := plumbing.NewBranchReferenceName(o.Branch)
	if err := repo.Storer.SetReference(plumbing.NewHashReference(ref, h)); err != nil {
		return nil, err
	}
	if o.beforePush != nil {
		o.beforePush(attempt)
	}
	err = repo.PushContext(ctx, &git.PushOptions{
		RemoteName: "origin",
		Auth:       o.auth(),
		RefSpecs:   []config.RefSpec{config.RefSpec(ref.String() + ":" + ref.String())},
	})
	if err != nil {
		// Tell a lost race (the branch moved or appeared) from a failure.
		if now, lerr := remoteHeads(ctx, o); lerr == nil {
			if cur, ok := now[o.Branch]; ok != branchExists || (ok && cur != parent) {
				return nil, fmt.Errorf("%w: %v", errRace, err)
			}
		}
		return nil, fmt.Errorf("push %s to %s: %w", o.Branch, SafeURL(o.URL), err)
	}
	return &PushResult{Commit: h.String(), Changed: true, BranchExists: true}, nil
}

func readFile(fs billy.Filesystem, p string) ([]byte, error) {
	f, err := fs.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func writeFile(fs billy.Filesystem, p string, data []byte) error {
	if err := fs.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := fs.Create(p)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", p, werr)
	}
	return nil
}
