package estimate

import (
	"bytes"
	"path"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/publish"
)

// FromTree is the files of a tree rendered in memory.
func FromTree(t *tree.Tree) Files {
	fs := Files{}
	for _, p := range t.Paths() {
		b, _ := t.File(p)
		fs[p] = b
	}
	return fs
}

// generatedRoots are the folders render writes (tree's roots) that hold
// what the estimate reads.
var generatedRoots = []string{"apps", "benchmarks", "clusters"}

// FromGit is the generated files committed at ref in the repository
// holding repoDir, read with go-git: nothing is checked out or written.
// Only files carrying the render header count, as render itself prunes
// only those.
func FromGit(repoDir, ref string) (Files, error) {
	fs := Files{}
	for _, root := range generatedRoots {
		files, err := publish.ReadTreeFiles(repoDir, ref, root)
		if err != nil {
			return nil, err
		}
		for p, b := range files {
			if bytes.HasPrefix(b, []byte(tree.HeaderPrefix)) {
				fs[path.Join(root, p)] = b
			}
		}
	}
	return fs, nil
}
