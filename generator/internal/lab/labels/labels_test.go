package labels

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// keyLiteral is a quoted label or annotation key of the lab's or of
// Kubernetes' recommended prefixes.
var keyLiteral = regexp.MustCompile(`"(lab\.illm\.dev|app\.kubernetes\.io)/[a-z0-9-]+"`)

// TestKeysDeclaredOnce: outside this package no generator code spells a
// key: a key written twice can be renamed on one side only, and a
// contract between a writer and a reader breaks silently.
func TestKeysDeclaredOnce(t *testing.T) {
	root := filepath.Join("..", "..", "..") // generator/
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || filepath.Dir(p) == filepath.Join(root, "internal", "lab", "labels") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := keyLiteral.FindString(line); m != "" {
				t.Errorf("%s:%d: key %s spelled out: use the constant of lab/labels", p, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
