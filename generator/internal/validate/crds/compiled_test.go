package crds

import (
	"bytes"
	"path"
	"testing"
)

// TestCompiledMatchesData: every data/ file has its JSON twin in compiled/,
// byte for byte what Compile makes of it today, and nothing else is there.
func TestCompiledMatchesData(t *testing.T) {
	want := map[string]bool{"README.md": true}
	for _, f := range Files() {
		raw, err := Raw(f)
		if err != nil {
			t.Fatal(err)
		}
		j, err := Compile(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := CompiledName(f)
		want[name] = true
		got, err := files.ReadFile(path.Join(compiledDir, name))
		if err != nil {
			t.Errorf("%s has no compiled twin %s: run scripts/refresh-crds.sh", f, name)
			continue
		}
		if !bytes.Equal(got, j) {
			t.Errorf("compiled/%s is out of date with data/%s: run scripts/refresh-crds.sh", name, f)
		}
		fromYAML, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		fromJSON, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(fromYAML) != len(fromJSON) || fromYAML[0].Name != fromJSON[0].Name {
			t.Errorf("%s: YAML and JSON decode to different CRDs", f)
		}
	}
	var extra []string
	walk(t, compiledDir, func(p string) {
		if !want[p] {
			extra = append(extra, p)
		}
	})
	if len(extra) > 0 {
		t.Errorf("compiled/ has files with no data/ source: %v", extra)
	}
}

func walk(t *testing.T, dir string, f func(string)) {
	entries, err := files.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		if e.IsDir() {
			walk(t, p, f)
			continue
		}
		f(p[len(compiledDir)+1:])
	}
}
