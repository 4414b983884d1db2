// Package argocdenv is the end-to-end harness: a local hub (package
// cluster/local: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok nodes with the lab's node types, Redis, Gitea and
// ArgoCD's repo server, application and ApplicationSet controllers and API
// server) brought up by the same code as `generator hub local up`, for a
// copy of the lab pushed to its Gitea. Everything runs attached to the test
// binary (parent-death signal, process groups) inside a private network
// namespace, and is stopped and removed when the test ends.
//
//	func TestMain(m *testing.M) { os.Exit(argocdenv.RunMain(m)) }
package argocdenv

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/local"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// RunMain runs the package's tests inside a private network namespace when
// the system allows one (else on the host's loopback, with free ports).
func RunMain(m *testing.M) int {
	flag.Parse()
	if os.Getenv(inNetns) == "" && !testing.Short() && os.Getenv("LAB_TEST_NETNS_OFF") == "" {
		code, err := reexecInNetns()
		if err == nil {
			return code
		}
		fmt.Fprintf(os.Stderr, "argocdenv: no private network namespace (%v); running on the host's loopback\n", err)
	}
	if os.Getenv(inNetns) == "1" {
		if err := loopbackUp(); err != nil {
			fmt.Fprintln(os.Stderr, "argocdenv:", err)
			return 1
		}
	}
	return m.Run()
}

// InNetns says whether the tests run in their private network namespace.
func InNetns() bool { return os.Getenv(inNetns) == "1" }

// Tools resolves the hub's tools for a test (missing ones skip it, or fail
// it under LAB_REQUIRE_TOOLS=1, as testenv.Tool).
func Tools(t testing.TB) local.Tools {
	t.Helper()
	var tl local.Tools
	dst := []*string{&tl.Etcd, &tl.APIServer, &tl.ControllerManager, &tl.Scheduler, &tl.Kwok, &tl.ArgoCD, &tl.Gitea, &tl.Helm, &tl.Kustomize}
	for i, n := range local.ToolNames {
		*dst[i] = testenv.Tool(t, n)
	}
	var err error
	if tl.Redis, err = exec.LookPath("redis-server"); err != nil {
		if testenv.RequireTools() {
			t.Fatal("redis-server is not installed: bash scripts/services.sh install")
		}
		t.Skip("redis-server is not installed: bash scripts/services.sh install")
	}
	if tl.Git, err = exec.LookPath("git"); err != nil {
		t.Fatal("git is not on PATH")
	}
	return tl
}

// Env is a local hub with a copy of the lab pushed to its Gitea and the
// cluster's root applied.
type Env struct {
	*local.Hub
	// Root is the copy of the lab (a git checkout whose remote hub-local
	// is the hub's Gitea); RepoURL its Gitea repository.
	Root, RepoURL string
	// Revision is the first commit pushed.
	Revision string
	Kube     kubernetes.Interface
	Dyn      dynamic.Interface
	Cfg      *rest.Config
	// Started is when Up began; UpTime how long it took (hub start, push,
	// root applied).
	Started time.Time
	UpTime  time.Duration
}

// Options tune Start.
type Options struct {
	// Prepare edits the copy of the lab before it is rendered and pushed
	// (the lab's CUE; the render runs after it).
	Prepare func(root string) error
	// Log receives the hub's progress (default: the test log).
	Log io.Writer
}

// Start copies the lab at repo (the repository root) into a temporary git
// checkout, brings a local hub up for it with local.Up (attached to the
// test), and stops it and removes everything when the test ends.
func Start(t testing.TB, repo string, opt Options) *Env {
	t.Helper()
	tools := Tools(t)
	root := t.TempDir()
	if err := CopyLab(repo, root); err != nil {
		t.Fatal(err)
	}
	if opt.Prepare != nil {
		if err := opt.Prepare(root); err != nil {
			t.Fatal(err)
		}
	}
	Git(t, root, "init", "-q", "-b", "main")
	Git(t, root, "add", "-A")
	Git(t, root, "commit", "-q", "-m", "the lab")
	logw := opt.Log
	if logw == nil {
		logw = testWriter{t}
	}
	dir, err := os.MkdirTemp("", "argocdenv-hub-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	began := time.Now()
	res, err := local.Up(ctx, local.UpOptions{Root: root, Dir: dir, Tools: tools, Log: logw})
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	e := &Env{Hub: res.Hub, Root: root, RepoURL: res.RepoURL, Revision: res.Revision, Started: began, UpTime: time.Since(began)}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(e.LogTails())
		}
		if err := e.Stop(); err != nil {
			t.Error(err)
		}
	})
	e.Cfg = e.Config()
	e.Kube = kubernetes.NewForConfigOrDie(e.Cfg)
	e.Dyn = dynamic.NewForConfigOrDie(e.Cfg)
	return e
}

// CopyLab copies what the lab is made of (its CUE, the rendered tree, local
// charts and apps, vendored charts, ADRs) from repo to dir.
func CopyLab(repo, dir string) error {
	out, err := exec.Command("git", "-C", repo, "ls-files", "-co", "--exclude-standard", "--",
		"cue.mod", "schema", "phases", "apps", "charts", "benchmarks", "policies", "clusters", "docs/adr",
		".render-manifest", ".gitignore").Output()
	if err != nil {
		return fmt.Errorf("git ls-files in %s: %w", repo, err)
	}
	for _, rel := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if rel == "" || rel == local.RepoURLFile {
			continue
		}
		b, err := os.ReadFile(filepath.Join(repo, rel))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Git runs git in dir, failing the test on error, and returns its output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=lab", "GIT_AUTHOR_EMAIL=lab@example.invalid",
		"GIT_COMMITTER_NAME=lab", "GIT_COMMITTER_EMAIL=lab@example.invalid", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
