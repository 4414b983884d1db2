// Command refresh re-vendors the CRD manifests embedded by package crds from pinned Go module
// zips and rewrites lock.json with each file's source and sha256. Run it through
// scripts/refresh-crds.sh from the repository root.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
)

// source names the files to take from one module version. Dir is a folder in the module;
// Files, when set, limits the copy to those names, otherwise every *.yaml in Dir but
// kustomization.yaml is taken.
type source struct {
	Module  string
	Version string
	Dir     string
	Files   []string
	Into    string // folder under data/
}

// sources is the pinned set. Bump a Version here, then run scripts/refresh-crds.sh.
var sources = []source{
	{
		Module: "github.com/argoproj/argo-cd/v3", Version: "v3.6.1",
		Dir:   "manifests/crds",
		Files: []string{"application-crd.yaml", "applicationset-crd.yaml", "appproject-crd.yaml"},
		Into:  "argo-cd",
	},
	{
		Module: "github.com/kyverno/kyverno", Version: "v1.19.1",
		Dir:  "config/crds/policies.kyverno.io",
		Into: "kyverno",
	},
	{
		// v4 is the only Argo Workflows major the module proxy serves; only its CRD schema is used.
		Module: "github.com/argoproj/argo-workflows/v4", Version: "v4.0.5",
		Dir:   "manifests/base/crds/full",
		Files: []string{"argoproj.io_cronworkflows.yaml"},
		Into:  "argo-workflows",
	},
	{
		// The operator the cloudnative-pg chart 0.29.1 installs; the lab's
		// runtime chart renders its Cluster.
		Module: "github.com/cloudnative-pg/cloudnative-pg", Version: "v1.30.0",
		Dir:   "config/crd/bases",
		Files: []string{"postgresql.cnpg.io_clusters.yaml", "postgresql.cnpg.io_backups.yaml", "postgresql.cnpg.io_scheduledbackups.yaml", "postgresql.cnpg.io_poolers.yaml"},
		Into:  "cloudnative-pg",
	},
	{
		// The operator kube-prometheus-stack 88.5.3 deploys (its Chart.yaml
		// appVersion v0.93.1); the lab renders its cost-anomaly PrometheusRule.
		Module: "github.com/prometheus-operator/prometheus-operator", Version: "v0.93.1",
		Dir:   "example/prometheus-operator-crd",
		Files: []string{"monitoring.coreos.com_prometheusrules.yaml"},
		Into:  "prometheus-operator",
	},
}

// Entry is one vendored file in lock.json.
type Entry struct {
	File      string `json:"file"` // path under data/
	Module    string `json:"module"`
	Version   string `json:"version"`
	ModuleSum string `json:"moduleSum"` // the go.sum h1: hash of the module zip
	Path      string `json:"path"`      // path inside the module
	SHA256    string `json:"sha256"`
}

func main() {
	pkgDir := flag.String("dir", "generator/internal/validate/crds", "package folder holding data/ and lock.json")
	flag.Parse()
	if err := run(*pkgDir); err != nil {
		fmt.Fprintln(os.Stderr, "refresh-crds:", err)
		os.Exit(1)
	}
}

func run(pkgDir string) error {
	dataDir := filepath.Join(pkgDir, "data")
	tmp := dataDir + ".tmp"
	compiled := filepath.Join(pkgDir, "compiled")
	for _, d := range []string{tmp, compiled + ".tmp"} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	var entries []Entry
	for _, s := range sources {
		es, err := fetch(s, tmp)
		if err != nil {
			os.RemoveAll(tmp)
			os.RemoveAll(compiled + ".tmp")
			return fmt.Errorf("%s@%s: %w", s.Module, s.Version, err)
		}
		entries = append(entries, es...)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].File < entries[j].File })
	lock, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dataDir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dataDir); err != nil {
		return err
	}
	readme, err := os.ReadFile(filepath.Join(compiled, "README.md"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(compiled+".tmp", "README.md"), readme, 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(compiled); err != nil {
		return err
	}
	if err := os.Rename(compiled+".tmp", compiled); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(pkgDir, "lock.json"), append(lock, '\n'), 0o644); err != nil {
		return err
	}
	for _, e := range entries {
		fmt.Printf("%s\t%s@%s\t%s\t%s\n", e.File, e.Module, e.Version, e.Path, e.SHA256)
	}
	return nil
}

type download struct {
	Zip, Sum, Error string
}

func fetch(s source, out string) ([]Entry, error) {
	cmd := exec.Command("go", "mod", "download", "-json", s.Module+"@"+s.Version)
	// Outside any module, so the project's go.mod is neither read nor touched.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, runErr := cmd.Output()
	var d download
	if err := json.Unmarshal(stdout, &d); err != nil {
		return nil, fmt.Errorf("go mod download: %v: %s", runErr, stderr.String())
	}
	// A module whose go.mod wants a newer Go is still downloaded and verified (Zip and Sum are
	// set); only the files are needed here, so that error is not fatal.
	if d.Zip == "" || d.Sum == "" {
		return nil, fmt.Errorf("go mod download: %s %s", d.Error, stderr.String())
	}
	zr, err := zip.OpenReader(d.Zip)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	prefix := s.Module + "@" + s.Version + "/" + s.Dir + "/"
	want := map[string]bool{}
	for _, f := range s.Files {
		want[f] = true
	}
	var entries []Entry
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, prefix) {
			continue
		}
		name := strings.TrimPrefix(f.Name, prefix)
		if strings.Contains(name, "/") || !strings.HasSuffix(name, ".yaml") || name == "kustomization.yaml" {
			continue
		}
		if len(s.Files) > 0 && !want[name] {
			continue
		}
		delete(want, name)
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		rel := path.Join(s.Into, name)
		dst := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
		j, err := crds.Compile(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		cdst := filepath.Join(filepath.Dir(out), "compiled.tmp", filepath.FromSlash(crds.CompiledName(rel)))
		if err := os.MkdirAll(filepath.Dir(cdst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(cdst, j, 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		entries = append(entries, Entry{
			File: rel, Module: s.Module, Version: s.Version, ModuleSum: d.Sum,
			Path: s.Dir + "/" + name, SHA256: hex.EncodeToString(sum[:]),
		})
	}
	if len(want) > 0 {
		var missing []string
		for f := range want {
			missing = append(missing, f)
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("not found in %s: %s", s.Dir, strings.Join(missing, ", "))
	}
	if len(entries) == 0 {
		return nil, errors.New("no YAML files in " + s.Dir)
	}
	return entries, nil
}
