// Package testenv runs real components for tests: the pinned tools that scripts/tools.sh builds
// (etcd, kube-apiserver, the Kyverno and Helm CLIs, Gitea), a real Kubernetes API server, CRD
// installation and server-side dry-run apply.
//
// A test that needs a tool skips when it is missing, naming the script that builds it, unless
// LAB_REQUIRE_TOOLS=1 (as in CI), where a missing tool fails the test. Under go test -short such
// tests are skipped.
package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/cachedir"
)

// toolsTable is the pinned tool list shared with scripts/tools.sh.
const toolsTable = "hack/tools/tools.tsv"

// ToolSpec is one row of hack/tools/tools.tsv.
type ToolSpec struct {
	Name, Version, Binary, Module string
}

var (
	tableOnce sync.Once
	table     map[string]ToolSpec
	tableErr  error
)

// RepoRoot returns the repository root: the folder holding hack/tools/tools.tsv, found from
// this source file's location (go test builds keep it) or else above the working directory.
func RepoRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		if _, err := os.Stat(filepath.Join(root, toolsTable)); err == nil {
			return filepath.Clean(root), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, toolsTable)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s above the working directory", toolsTable)
		}
		dir = parent
	}
}

func loadTable() (map[string]ToolSpec, error) {
	tableOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			tableErr = err
			return
		}
		f, err := os.Open(filepath.Join(root, toolsTable))
		if err != nil {
			tableErr = err
			return
		}
		defer f.Close()
		table = map[string]ToolSpec{}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			s := sc.Text()
			if s == "" || strings.HasPrefix(s, "#") {
				continue
			}
			fs := strings.Split(s, "\t")
			if len(fs) != 4 {
				tableErr = fmt.Errorf("%s:%d: want 4 tab-separated fields, got %d", toolsTable, line, len(fs))
				return
			}
			table[fs[0]] = ToolSpec{Name: fs[0], Version: fs[1], Binary: fs[2], Module: fs[3]}
		}
		tableErr = sc.Err()
	})
	return table, tableErr
}

// ErrToolMissing is wrapped by ToolPath when the pinned binary has not been built.
var ErrToolMissing = errors.New("tool not built")

// ToolPath returns the path of the pinned tool's binary in the cache, or an error wrapping
// ErrToolMissing (saying how to build it) when it is not there.
func ToolPath(name string) (string, error) {
	tab, err := loadTable()
	if err != nil {
		return "", err
	}
	spec, ok := tab[name]
	if !ok {
		return "", fmt.Errorf("unknown tool %q (see %s)", name, toolsTable)
	}
	cache, err := cachedir.Dir(os.Getenv)
	if err != nil {
		return "", err
	}
	p := filepath.Join(cache, "tools", spec.Name+"-"+spec.Version, spec.Binary)
	if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w: %s %s is not at %s; build it with: bash scripts/tools.sh %s", ErrToolMissing, name, spec.Version, p, name)
	}
	return p, nil
}

// RequireTools reports whether LAB_REQUIRE_TOOLS=1: a missing tool fails instead of skipping.
func RequireTools() bool { return os.Getenv("LAB_REQUIRE_TOOLS") == "1" }

// Tool returns the path of a pinned tool for a test. A missing tool skips the test, or fails it
// when LAB_REQUIRE_TOOLS=1. Under -short every test that needs a tool is skipped: -short means
// unit tests only.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: skipping a test that needs %s", name)
	}
	p, err := ToolPath(name)
	if err != nil {
		missing(t, err)
	}
	return p
}

func missing(t testing.TB, err error) {
	t.Helper()
	if RequireTools() || !errors.Is(err, ErrToolMissing) {
		t.Fatal(err)
	}
	t.Skip(err)
}

// Kyverno returns the path of the pinned kubectl-kyverno CLI (see Tool).
func Kyverno(t testing.TB) string {
	t.Helper()
	return Tool(t, "kubectl-kyverno")
}
