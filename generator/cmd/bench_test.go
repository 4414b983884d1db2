package cmd

import (
	"os"
	"os/exec"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"
)

// TestBenchLocalScript runs generator/testdata/bench_local/*.txtar: real
// builds, a real PostgreSQL and real load, so the scripts see the caches
// and toolchains of the environment (TestScript hides them). CI sets
// LAB_REQUIRE_TOOLS=1, turning a missing prerequisite into a failure.
func TestBenchLocalScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a runtime and PostgreSQL; not in -short")
	}
	missing := t.Skipf
	if os.Getenv("LAB_REQUIRE_TOOLS") == "1" {
		missing = t.Fatalf
	}
	if _, err := exec.LookPath("go"); err != nil {
		missing("go is not on PATH (scripts/runtimes.sh builds the Go runtime with it)")
	}
	if os.Getenv("LAB_DATABASE_URL") == "" && os.Getuid() != 0 {
		if _, err := os.Stat("/usr/lib/postgresql/15/bin/initdb"); err != nil {
			missing("PostgreSQL 15 is not installed: scripts/postgres.sh installs it as root (or set LAB_DATABASE_URL)")
		}
	}
	cache, err := cachedir.Dir(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	runScripts(t, "bench_local", func(env *testscript.Env) error {
		env.Setenv("LAB_CACHE", cache)
		for _, k := range []string{"HOME", "GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOPROXY", "GONOSUMDB", "GOTOOLCHAIN", "LAB_DATABASE_URL"} {
			if v, ok := os.LookupEnv(k); ok {
				env.Setenv(k, v)
			}
		}
		return nil
	})
}
