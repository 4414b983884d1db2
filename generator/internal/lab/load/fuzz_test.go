package load

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

const fuzzLab = `package phases

import "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/schema"

lab: schema.#Lab & {
	name:    "fuzz"
	repoURL: "https://git.example.test/lab.git"
	clusters: hub: {}
	costModel: nodeHour: "kind-node": 0
}
`

// smallLab is a lab of one phases/ file (fuzzLab) with the repository's
// schema, in a temporary folder.
func smallLab(tb testing.TB) string {
	tb.Helper()
	repo := golden.RepoRoot(tb)
	root := tb.TempDir()
	for _, d := range []string{"cue.mod", "schema"} {
		if err := os.CopyFS(filepath.Join(root, d), os.DirFS(filepath.Join(repo, d))); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "phases"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "phases", "lab.cue"), []byte(fuzzLab), 0o644); err != nil {
		tb.Fatal(err)
	}
	return root
}

// FuzzLoad feeds arbitrary CUE as a phases/ file of a small lab: load
// never panics, and every problem it reports names a file.
func FuzzLoad(f *testing.F) {
	root := smallLab(f)
	for _, seed := range []string{
		"package phases\n",
		"package phases\n\nlab: conduct: hub: []\n",
		"package phases\n\nlbs: conduct: hub: []\n",
		"lab: conduct: hub: []\n",
		"package other\n",
		"package phases\n\nlab: phases: p: {number: 1, title: \"t\", builds: \"b\", measures: \"m\", finops: \"f\"}\n",
		"package phases\n\n_x: 1\n_x: 2\n",
		"package phases\n\nlab: revision: \"{{.name}}\"\n",
		"package phases\n\nlab: phases: p: experiments: e: components: c: path: \"../../etc\"\n",
		"package phases\nlab: {\n",
		"\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := LoadWith(root, map[string][]byte{"phases/fuzz.cue": src})
		if err == nil {
			return
		}
		var es Errors
		if !errors.As(err, &es) {
			if !strings.Contains(err.Error(), "phases/") {
				t.Fatalf("an error that names no file: %v", err)
			}
			return
		}
		for _, e := range es {
			if e.File == "" {
				t.Fatalf("an error without a file: %+v", e)
			}
		}
	})
}
