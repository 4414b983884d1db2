package contract

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadManifestRepository(t *testing.T) {
	root := repoRoot(t)
	m, err := LoadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go", "rust", "dotnet", "node", "bun"} {
		rt, ok := m.Find(name)
		if !ok {
			t.Errorf("runtime %s missing from %s", name, ManifestPath)
			continue
		}
		for _, p := range []string{rt.Source, rt.Image} {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// TestBuildScriptAgrees: scripts/runtimes.sh builds by default exactly the
// runtimes the manifest calls buildable here.
func TestBuildScriptAgrees(t *testing.T) {
	root := repoRoot(t)
	m, err := LoadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "runtimes.sh"), "buildable").Output()
	if err != nil {
		t.Fatalf("scripts/runtimes.sh buildable: %v", err)
	}
	var want []string
	for _, r := range m.Runtimes {
		if r.BuildableHere {
			want = append(want, r.Name)
		}
	}
	if got := strings.Fields(string(out)); !reflect.DeepEqual(got, want) {
		t.Errorf("scripts/runtimes.sh buildable = %q, %s says %q", got, ManifestPath, want)
	}
}

func TestLoadManifestRejects(t *testing.T) {
	tests := []struct {
		name, json, wantErr string
	}{
		{"empty", `{"runtimes":[]}`, "no runtimes"},
		{"unknown field", `{"runtimes":[],"extra":1}`, `unknown field "extra"`},
		{"no name", `{"runtimes":[{"build":["b"],"start":["s"],"buildableHere":true}]}`, "runtimes[0].name: empty"},
		{"duplicate", `{"runtimes":[{"name":"go","build":["b"],"start":["s"],"buildableHere":true},{"name":"go","build":["b"],"start":["s"],"buildableHere":true}]}`, `runtimes[1].name: duplicate "go"`},
		{"no build", `{"runtimes":[{"name":"go","start":["s"],"buildableHere":true}]}`, "(go).build: empty"},
		{"no start", `{"runtimes":[{"name":"go","build":["b"],"buildableHere":true}]}`, "(go).start: empty"},
		{"skip without reason", `{"runtimes":[{"name":"rust","build":["b"],"start":["s"]}]}`, "(rust).reason: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, ManifestPath)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadManifest(root)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want it to name %s and contain %q", err, path, tt.wantErr)
			}
		})
	}
}

func TestStartCommand(t *testing.T) {
	rt := Runtime{Name: "node", Start: []string{"${RUNTIME_DIR}/run", "--flag=${RUNTIME_DIR}"}}
	got := rt.StartCommand("/cache")
	want := []string{"/cache/runtimes/node/run", "--flag=/cache/runtimes/node"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("StartCommand = %q, want %q", got, want)
	}
}

func TestSpecCases(t *testing.T) {
	spec, err := LoadSpec(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	all := append(Cases(spec), DatabaseDownCases(spec)...)
	t.Logf("%d cases", len(all))
	for _, c := range all {
		if seen[c.Name] {
			t.Errorf("duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
		if c.WantStatus == 0 || c.WantBody == nil {
			t.Errorf("%s: every case needs an exact status and body", c.Name)
		}
		if c.WantStatus == 405 && c.WantAllow == "" {
			t.Errorf("%s: a 405 case must name its Allow header", c.Name)
		}
		if strings.HasPrefix(string(c.WantBody), "no known prime") {
			t.Errorf("%s: %s", c.Name, c.WantBody)
		}
	}
}
