package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// Every version-1 field lands in its version-2 place; nothing is invented.
func TestMigrateMapsEveryField(t *testing.T) {
	files, _ := filepath.Glob("testdata/v1/*.json")
	if len(files) < 5 {
		t.Fatalf("%d v1 fixtures", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var v1 map[string]any
			if err := json.Unmarshal(data, &v1); err != nil {
				t.Fatal(err)
			}
			r, v, err := DecodeVersion(data, file)
			if err != nil || v != 1 {
				t.Fatalf("version %d: %v", v, err)
			}
			if err := Validate(r, Expect{}); err != nil {
				t.Fatalf("migrated result refused: %v", err)
			}
			num := func(k string) float64 { return v1[k].(float64) }
			if r.SchemaVersion != 2 || r.Operations.Unit != UnitRequests || float64(r.Operations.Count) != num("requests") ||
				r.DurationS != num("duration_s") || r.ThroughputPerS != num("rps") || float64(*r.Iterations) != num("iterations") ||
				float64(r.Dropped) != num("dropped_iterations") || float64(*r.Bytes.In) != num("data_received_bytes") ||
				float64(*r.Bytes.Out) != num("data_sent_bytes") || r.LoadGenerators != int(num("load_generators")) ||
				r.Experiment != v1["experiment"] || r.RunID != v1["run_id"] || r.SourceFormat != v1["source_format"] {
				t.Errorf("figures moved wrongly:\n%s", mustJSON(r))
			}
			if er, ok := v1["error_rate"].(float64); ok && (r.Errors.Rate == nil || *r.Errors.Rate != er) || r.Errors.Count != nil {
				t.Errorf("errors %+v, want rate %v and no count (version 1 had none)", r.Errors, v1["error_rate"])
			}
			if vus, ok := v1["vus_max"].(float64); ok != (r.Clients != nil) || ok && float64(*r.Clients) != vus {
				t.Errorf("clients %v, vus_max %v", r.Clients, v1["vus_max"])
			}
			lat := v1["latency_ms"].(map[string]any)
			for k, got := range map[string]*float64{"avg": r.LatencyMs.Avg, "min": r.LatencyMs.Min, "med": r.LatencyMs.Med, "max": r.LatencyMs.Max, "p90": r.LatencyMs.P90, "p95": r.LatencyMs.P95, "p99": r.LatencyMs.P99} {
				if want, ok := lat[k].(float64); ok != (got != nil) || ok && *got != want {
					t.Errorf("latency %s = %v, want %v", k, got, lat[k])
				}
			}
			if r.LatencyMs.P999 != nil || r.LatencyMs.Stddev != nil || r.AbortedClients != nil || r.Retries != nil || r.Operations.Target != nil {
				t.Error("a figure version 1 never had was invented")
			}
			if files, _ := v1["source_files"].([]any); len(files) != len(r.Sources) {
				t.Errorf("sources %+v from %v", r.Sources, v1["source_files"])
			}
			if c, ok := v1["cost"].(map[string]any); ok {
				if pm, ok := c["per_million_requests"].(float64); ok && *r.Cost.PerMillionOperations != pm {
					t.Errorf("per_million_requests %v -> %v", pm, *r.Cost.PerMillionOperations)
				}
			}
			if run, ok := v1["run"].(map[string]any); ok && run["k6_version"] != "" && (r.Tool.Version == nil || *r.Tool.Version != run["k6_version"]) {
				t.Errorf("k6_version %v -> tool.version %v", run["k6_version"], r.Tool.Version)
			}
			if !strings.Contains(strings.Join(r.Notes, "\n"), MigratedNote) {
				t.Error("no migration note")
			}
		})
	}
}

func mustJSON(r *Result) string {
	b, _ := MarshalIndent(r)
	return string(b)
}

// Reading a v1 file upgrades it in memory only; migrate rewrites it once,
// to exactly the bytes of the in-memory upgrade, and is then a no-op.
func TestMigrateFile(t *testing.T) {
	dir := t.TempDir()
	files, _ := filepath.Glob("testdata/v1/*.json")
	for _, src := range files {
		name := filepath.Base(src)
		orig, _ := os.ReadFile(src)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, orig, 0o640); err != nil {
			t.Fatal(err)
		}
		inMemory, err := LoadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if rs, _, err := Load(p); err != nil || len(rs) != 1 {
			t.Fatalf("Load: %v", err)
		}
		if now, _ := os.ReadFile(p); !bytes.Equal(now, orig) {
			t.Fatalf("%s: reading a v1 file changed it", name)
		}
		if v, err := MigrateFile(p, true); err != nil || v != 1 {
			t.Fatalf("dry run: %d %v", v, err)
		}
		if now, _ := os.ReadFile(p); !bytes.Equal(now, orig) {
			t.Fatalf("%s: the dry run wrote", name)
		}
		if v, err := MigrateFile(p, false); err != nil || v != 1 {
			t.Fatalf("migrate: %d %v", v, err)
		}
		migrated, _ := os.ReadFile(p)
		want, _ := MarshalIndent(inMemory)
		if !bytes.Equal(migrated, want) {
			t.Errorf("%s: the migrated file differs from the in-memory upgrade", name)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, want the original 0640", name, st.Mode().Perm())
		}
		golden.File(t, filepath.Join("testdata", "v1", "migrated", name), migrated)
		if v, err := MigrateFile(p, false); err != nil || v != SchemaVersion {
			t.Fatalf("second migrate: %d %v", v, err)
		}
		if again, _ := os.ReadFile(p); !bytes.Equal(again, migrated) {
			t.Errorf("%s: migrating a v2 file changed it", name)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(files) {
		t.Errorf("temp files left: %v", entries)
	}
	if _, err := MigrateFile(filepath.Join(dir, "missing.json"), false); err == nil {
		t.Error("a missing file migrated")
	}
}

// FuzzDecode: any stored file decodes (version 1 upgraded, version 2 as
// is) or is refused with an error naming it; nothing panics, and what
// decodes marshals.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _, err := DecodeVersion(data, "fz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fz.json") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if _, err := MarshalIndent(r); err != nil {
			t.Fatal(err)
		}
		_ = Validate(r, Expect{})
	})
}

func TestDecodeSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	files, _ := filepath.Glob("testdata/v1/*.json")
	more, _ := filepath.Glob("testdata/v1/migrated/*.json")
	if os.Getenv("UPDATE_FUZZ_SEEDS") != "1" {
		if e, err := os.ReadDir(dir); err != nil || len(e) == 0 {
			t.Fatalf("no seed corpus in %s (UPDATE_FUZZ_SEEDS=1 writes it)", dir)
		}
		return
	}
	os.MkdirAll(dir, 0o755)
	for _, f := range append(files, more...) {
		b, _ := os.ReadFile(f)
		name := strings.ReplaceAll(strings.TrimPrefix(f, "testdata/v1/"), "/", "-")
		os.WriteFile(filepath.Join(dir, name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)), 0o644)
	}
}
