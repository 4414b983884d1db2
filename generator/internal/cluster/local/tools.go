package local

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ToolsTable is the pinned tool list shared with scripts/tools.sh, relative
// to the repository root.
const ToolsTable = "hack/tools/tools.tsv"

// ToolSpec is one row of the tools table.
type ToolSpec struct {
	Name, Version, Binary, Module string
}

// ErrToolMissing is wrapped when a pinned tool has not been built.
var ErrToolMissing = errors.New("tool not built")

// ReadTools reads the tools table at repoRoot.
func ReadTools(repoRoot string) (map[string]ToolSpec, error) {
	f, err := os.Open(filepath.Join(repoRoot, ToolsTable))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tab := map[string]ToolSpec{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fs := strings.Split(s, "\t")
		if len(fs) != 4 {
			return nil, fmt.Errorf("%s:%d: want 4 tab-separated fields, got %d", ToolsTable, line, len(fs))
		}
		tab[fs[0]] = ToolSpec{Name: fs[0], Version: fs[1], Binary: fs[2], Module: fs[3]}
	}
	return tab, sc.Err()
}

// ToolPath is where scripts/tools.sh puts a pinned tool in the cache, or an
// error wrapping ErrToolMissing naming the command that builds it.
func ToolPath(tab map[string]ToolSpec, cache, name string) (string, error) {
	spec, ok := tab[name]
	if !ok {
		return "", fmt.Errorf("unknown tool %q (see %s)", name, ToolsTable)
	}
	p := filepath.Join(cache, "tools", spec.Name+"-"+spec.Version, spec.Binary)
	if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w: %s %s is not at %s; build it with: bash scripts/tools.sh %s", ErrToolMissing, name, spec.Version, p, name)
	}
	return p, nil
}

// Tools are the programs a hub runs.
type Tools struct {
	Etcd, APIServer, ControllerManager, Scheduler, Kwok, ArgoCD, Gitea, Helm, Kustomize string
	// Redis is Debian's redis-server; Git the git the repo server and the
	// pushes run.
	Redis, Git string
}

// ToolNames are the tools.tsv rows a hub needs.
var ToolNames = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "argocd", "gitea", "helm", "kustomize"}

// FindTools resolves every tool of a hub: the pinned ones from the cache
// (scripts/tools.sh builds them), redis-server and git from PATH. All
// missing ones are reported at once.
func FindTools(repoRoot, cache string) (Tools, error) {
	tab, err := ReadTools(repoRoot)
	if err != nil {
		return Tools{}, err
	}
	var t Tools
	var errs []error
	var missing []string
	dst := []*string{&t.Etcd, &t.APIServer, &t.ControllerManager, &t.Scheduler, &t.Kwok, &t.ArgoCD, &t.Gitea, &t.Helm, &t.Kustomize}
	for i, n := range ToolNames {
		p, err := ToolPath(tab, cache, n)
		if errors.Is(err, ErrToolMissing) {
			missing = append(missing, n)
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
		*dst[i] = p
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s; build them with: bash scripts/tools.sh %s", ErrToolMissing, strings.Join(missing, ", "), strings.Join(missing, " ")))
	}
	if t.Redis, err = exec.LookPath("redis-server"); err != nil {
		errs = append(errs, errors.New("redis-server is not on PATH (Debian: apt-get install redis-server; or bash scripts/services.sh install)"))
	}
	if t.Git, err = exec.LookPath("git"); err != nil {
		errs = append(errs, errors.New("git is not on PATH"))
	}
	for _, p := range []struct{ tool, file string }{
		{t.Kwok, "stages.yaml"}, {t.ArgoCD, "git-verify-wrapper.sh"}, {t.ArgoCD, "install.yaml"}, {t.Gitea, "static"},
	} {
		if p.tool == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(p.tool), p.file)); err != nil {
			errs = append(errs, fmt.Errorf("%s is missing beside %s: run bash scripts/tools.sh %s", p.file, p.tool, filepath.Base(p.tool)))
		}
	}
	return t, errors.Join(errs...)
}
