package cmd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// TestMain lets the test binary act as the generator command inside
// scripts, so txtar tests exercise the real CLI in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"generator": func() { os.Exit(Execute()) },
	})
}

// TestScript runs every generator/testdata/script/*.txtar.
func TestScript(t *testing.T) { runScripts(t, "script", nil) }

// runScripts is the one testscript setup of the CLI tests: it runs
// generator/testdata/<dir>/*.txtar with $REPO set to the repository root
// (for scripts that read the real lab), then the suite's own setup.
// UPDATE_SCRIPTS=1 rewrites the scripts' expected output.
func runScripts(t *testing.T, dir string, setup func(*testscript.Env) error) {
	repo := golden.RepoRoot(t)
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(repo, "generator", "testdata", dir),
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			if setup != nil {
				return setup(env)
			}
			return nil
		},
	})
}
