package history

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// Load reads every stored result of an experiment from the working tree
// (root/dir/<experiment>/<variant>/*.json, each decoded strictly and
// validated) and, when root is in a Git repository, the commit that added
// each file on HEAD's history.
func Load(root, dir, experiment string) (map[string][]Run, error) {
	if err := results.CheckName("experiment", experiment); err != nil {
		return nil, err
	}
	sub := path.Join(filepath.ToSlash(dir), experiment)
	top := filepath.Join(root, filepath.FromSlash(sub))
	es, err := os.ReadDir(top)
	if err != nil {
		return nil, fmt.Errorf("results of %s: %w", experiment, err)
	}
	stored, err := StoredCommits(root, sub)
	if err != nil {
		return nil, err
	}
	out := map[string][]Run{}
	for _, e := range es {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "plots" {
			continue
		}
		rs, files, err := results.Load(filepath.Join(top, e.Name()))
		if err != nil {
			return nil, err
		}
		for i, r := range rs {
			rel := path.Join(sub, e.Name(), filepath.Base(files[i]))
			if r.Variant != e.Name() || r.Experiment != experiment {
				return nil, fmt.Errorf("%s: field experiment/variant is %s/%s, but the file is stored under %s/%s", rel, r.Experiment, r.Variant, experiment, e.Name())
			}
			run := Run{Result: r, File: rel}
			if c, ok := stored[rel]; ok {
				run.Stored = &c
			}
			out[e.Name()] = append(out[e.Name()], run)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("results of %s: no variant folder with results in %s", experiment, sub)
	}
	return out, nil
}

// StoredCommits maps every file below sub (repository-relative, slash
// separated) in HEAD's history to the earliest commit holding it: the one
// that stored it (results are append-only). Outside a Git repository, or
// in one without commits, it returns an empty map.
func StoredCommits(root, sub string) (map[string]Commit, error) {
	out := map[string]Commit{}
	repo, err := git.PlainOpenWithOptions(root, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("git repository at %s: %w", root, err)
	}
	head, err := repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("HEAD of %s: %w", root, err)
	}
	// The repository root may be above root (a results folder in a
	// subdirectory of the repository): sub is relative to root.
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	top, err := filepath.EvalSymlinks(wt.Filesystem.Root())
	if err != nil {
		return nil, err
	}
	here, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	prefix, err := filepath.Rel(top, here)
	if err != nil || prefix == ".." || strings.HasPrefix(prefix, "../") {
		return nil, fmt.Errorf("%s is not inside the work tree %s of its repository", root, top)
	}
	inRepo := path.Join(filepath.ToSlash(prefix), sub)
	log, err := repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", root, err)
	}
	// The files of each distinct folder tree, walked once: most commits
	// leave the results folder as it was.
	names := map[plumbing.Hash][]string{}
	err = log.ForEach(func(c *object.Commit) error {
		t, err := c.Tree()
		if err != nil {
			return err
		}
		st, err := t.Tree(inRepo)
		if errors.Is(err, object.ErrDirectoryNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s at %s: %w", inRepo, c.Hash, err)
		}
		files, ok := names[st.Hash]
		if !ok {
			if files, err = treeFiles(st); err != nil {
				return fmt.Errorf("%s at %s: %w", inRepo, c.Hash, err)
			}
			names[st.Hash] = files
		}
		when := c.Committer.When.UTC()
		for _, name := range files {
			rel := path.Join(sub, name)
			if prev, ok := out[rel]; !ok || when.Before(prev.Time) || when.Equal(prev.Time) && c.Hash.String() < prev.Hash {
				out[rel] = Commit{Hash: c.Hash.String(), Time: when}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// treeFiles lists the regular files below a tree, without reading them.
func treeFiles(t *object.Tree) ([]string, error) {
	w := object.NewTreeWalker(t, true, nil)
	defer w.Close()
	var out []string
	for {
		name, e, err := w.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Mode.IsFile() {
			out = append(out, name)
		}
	}
}
