// Package contract checks that every runtime of the lab's benchmark API
// (apps/runtimes/<name>) answers a table of requests identically: status
// code, Content-Type and body bytes. It also starts and stops those runtimes
// for local runs.
package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Paths inside the repository.
const (
	ManifestPath = "apps/runtimes/runtimes.json"
	SpecPath     = "apps/runtimes/contract/contract.json"
)

// Manifest lists the runtimes and how to build and start each.
type Manifest struct {
	Comment  string    `json:"comment"`
	Runtimes []Runtime `json:"runtimes"`
}

// Runtime is one implementation of the API.
type Runtime struct {
	Name          string   `json:"name"`
	Source        string   `json:"source"`
	Toolchain     string   `json:"toolchain"`
	BuildableHere bool     `json:"buildableHere"`
	Reason        string   `json:"reason,omitempty"`
	Build         []string `json:"build"`
	Start         []string `json:"start"`
	Image         string   `json:"image"`
}

// LoadManifest reads and validates root/apps/runtimes/runtimes.json.
func LoadManifest(root string) (*Manifest, error) {
	path := filepath.Join(root, ManifestPath)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

func (m *Manifest) validate() error {
	if len(m.Runtimes) == 0 {
		return errors.New("no runtimes")
	}
	seen := map[string]bool{}
	for i, r := range m.Runtimes {
		switch {
		case r.Name == "":
			return fmt.Errorf("runtimes[%d].name: empty", i)
		case seen[r.Name]:
			return fmt.Errorf("runtimes[%d].name: duplicate %q", i, r.Name)
		case len(r.Build) == 0:
			return fmt.Errorf("runtimes[%d] (%s).build: empty", i, r.Name)
		case len(r.Start) == 0:
			return fmt.Errorf("runtimes[%d] (%s).start: empty", i, r.Name)
		case !r.BuildableHere && r.Reason == "":
			return fmt.Errorf("runtimes[%d] (%s).reason: required when buildableHere is false", i, r.Name)
		}
		seen[r.Name] = true
	}
	return nil
}

// Find returns the runtime called name.
func (m *Manifest) Find(name string) (Runtime, bool) {
	for _, r := range m.Runtimes {
		if r.Name == name {
			return r, true
		}
	}
	return Runtime{}, false
}

// Dir is where scripts/runtimes.sh puts this runtime's build.
func (r Runtime) Dir(cache string) string { return filepath.Join(cache, "runtimes", r.Name) }

// StartCommand expands ${RUNTIME_DIR} in the start command.
func (r Runtime) StartCommand(cache string) []string {
	out := make([]string, len(r.Start))
	for i, a := range r.Start {
		out[i] = strings.ReplaceAll(a, "${RUNTIME_DIR}", r.Dir(cache))
	}
	return out
}

// FindRoot walks up from dir to the repository root (the directory holding
// apps/runtimes/runtimes.json).
func FindRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ManifestPath)); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no %s above %s", ManifestPath, dir)
		}
		d = parent
	}
}
