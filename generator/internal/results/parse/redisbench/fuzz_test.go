package redisbench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

func TestSeeds(t *testing.T) {
	seeds := map[string][]byte{}
	files, _ := filepath.Glob("testdata/*.*")
	for _, f := range files {
		if filepath.Ext(f) == ".md" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds[filepath.Base(f)] = b
	}
	ptest.WriteSeeds(t, "FuzzParse", seeds)
}

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range Formats {
			r, err := Parse("fuzz", bytes.NewReader(data), Options{Format: format, Requests: 1000})
			ptest.CheckParsed(t, r, err)
		}
	})
}
