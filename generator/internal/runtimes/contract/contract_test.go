package contract

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"
)

// requireTools: CI sets LAB_REQUIRE_TOOLS=1, turning a missing prerequisite
// into a failure instead of a skip.
var requireTools = os.Getenv("LAB_REQUIRE_TOOLS") == "1"

func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireTools {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// startPostgres returns LAB_DATABASE_URL, or starts a throwaway cluster with
// scripts/postgres.sh on a free port and stops it when the test ends.
func startPostgres(t *testing.T, root string) string {
	t.Helper()
	if u := os.Getenv("LAB_DATABASE_URL"); u != "" {
		return u
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "scripts", "postgres.sh")
	env := append(os.Environ(), "LAB_PG_PORT="+strconv.Itoa(port))
	cmd := exec.Command("bash", script, "start")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		missing(t, "PostgreSQL: scripts/postgres.sh start failed (or set LAB_DATABASE_URL): %v\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		stop := exec.Command("bash", script, "stop")
		stop.Env = env
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("scripts/postgres.sh stop: %v\n%s", err, out)
		}
	})
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// build runs the runtime's build command from the manifest (it is
// incremental: Go's build cache, cached Node/Bun toolchains).
func build(t *testing.T, root string, rt Runtime) {
	t.Helper()
	readSources(t, filepath.Join(root, rt.Source))
	cmd := exec.Command(rt.Build[0], rt.Build[1:]...)
	cmd.Dir = root
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		missing(t, "%s: %s failed (scripts/runtimes.sh builds it): %v\n%s", rt.Name, strings.Join(rt.Build, " "), err, out)
	}
	t.Logf("%s: built in %s", rt.Name, time.Since(start).Round(time.Millisecond))
}

// readSources reads every source file of a runtime: the runtime is built in
// a subprocess, so without this go test's result cache would not notice a
// changed source and would replay a stale pass.
func readSources(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "bin" || d.Name() == "obj" || d.Name() == "target") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			_, err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContract starts every runtime buildable here against a real
// PostgreSQL and checks each answers the whole request table exactly, stops
// gracefully on SIGTERM, and answers 503 when its database is unreachable.
func TestContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and every runtime; not in -short")
	}
	root := repoRoot(t)
	spec, err := LoadSpec(root)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := LoadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := cachedir.Dir(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	dbURL := startPostgres(t, root)
	// Nothing listens on this port: the runtime's pool gets connection refused.
	downPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	downURL := fmt.Sprintf("postgres://lab:lab@127.0.0.1:%d/lab?sslmode=disable", downPort)

	cases := Cases(spec)
	ctx := context.Background()
	client := &http.Client{Timeout: 20 * time.Second}
	answers := map[string]map[string]Response{}
	var ran []string

	for _, rt := range manifest.Runtimes {
		t.Run(rt.Name, func(t *testing.T) {
			if !rt.BuildableHere {
				t.Skipf("%s is not buildable on this machine: %s", rt.Name, rt.Reason)
			}
			build(t, root, rt)
			argv := rt.StartCommand(cache)

			in, err := Start(ctx, argv, StartOptions{DatabaseURL: dbURL, PoolSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Response{}
			for _, c := range cases {
				r, err := c.Do(ctx, client, in.URL)
				if err != nil {
					t.Errorf("%s: %s %s: %v", c.Name, c.Method, c.Target, err)
					continue
				}
				got[c.Name] = r
				for _, d := range c.Check(spec, r) {
					t.Errorf("%s: %s %s: %s", c.Name, c.Method, c.Target, d)
				}
			}
			if err := in.Stop(25 * time.Second); err != nil {
				t.Errorf("graceful shutdown: %v", err)
			}

			down, err := Start(ctx, argv, StartOptions{DatabaseURL: downURL, PoolSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range DatabaseDownCases(spec) {
				r, err := c.Do(ctx, client, down.URL)
				if err != nil {
					t.Errorf("database down: %s: %v", c.Name, err)
					continue
				}
				got["db down: "+c.Name] = r
				for _, d := range c.Check(spec, r) {
					t.Errorf("database down: %s: %s %s: %s", c.Name, c.Method, c.Target, d)
				}
			}
			if err := down.Stop(25 * time.Second); err != nil {
				t.Errorf("graceful shutdown (database down): %v", err)
			}
			answers[rt.Name] = got
			ran = append(ran, rt.Name)
		})
	}

	// Every case has an exact expectation, so agreement follows from the
	// checks above; this names the runtimes that disagree when one drifts.
	for i := 1; i < len(ran); i++ {
		a, b := answers[ran[0]], answers[ran[i]]
		for name, ra := range a {
			rb, ok := b[name]
			if !ok {
				continue
			}
			if ra.Status != rb.Status || ra.ContentType != rb.ContentType || ra.Allow != rb.Allow || !bytes.Equal(ra.Body, rb.Body) {
				t.Errorf("%s: %s and %s differ: %d %q %q vs %d %q %q", name, ran[0], ran[i],
					ra.Status, ra.ContentType, clip(ra.Body), rb.Status, rb.ContentType, clip(rb.Body))
			}
		}
	}
	t.Logf("runtimes checked: %s", strings.Join(ran, ", "))
}

// TestRustCore runs the Rust runtime's unit tests of its pure module (the
// /json bytes against document.json, parameter syntax, primes) offline with
// Debian's crates: the part of the Rust runtime this machine can check.
func TestRustCore(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Rust; not in -short")
	}
	root := repoRoot(t)
	if _, err := exec.LookPath("cargo"); err != nil {
		missing(t, "cargo not found: the offline Rust check (scripts/runtimes.sh check-rust-core) needs a Rust toolchain")
	}
	readSources(t, filepath.Join(root, "apps/runtimes/rust"))
	readSources(t, filepath.Join(root, "apps/runtimes/contract"))
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "runtimes.sh"), "check-rust-core")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/runtimes.sh check-rust-core: %v\n%s", err, out)
	}
}
