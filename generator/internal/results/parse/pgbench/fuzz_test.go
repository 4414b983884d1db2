package pgbench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

// seeds are the real outputs and logs of the test data.
func seeds(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	files, _ := filepath.Glob("testdata/*.log")
	more, _ := filepath.Glob("testdata/*/*")
	for _, f := range append(files, more...) {
		if st, err := os.Stat(f); err != nil || st.IsDir() || filepath.Base(filepath.Dir(f)) == "FuzzParse" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(filepath.Dir(f))+"-"+filepath.Base(f)] = b
	}
	return out
}

// TestSeeds keeps the committed corpus (testdata/fuzz/FuzzParse) in step
// with the test data: UPDATE_FUZZ_SEEDS=1 rewrites it.
func TestSeeds(t *testing.T) { ptest.WriteSeeds(t, "FuzzParse", seeds(t)) }

// FuzzParse: any input is refused with a short error or parsed into a
// result that marshals; nothing panics.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range Formats {
			r, err := Parse("fuzz", bytes.NewReader(data), Options{Format: format})
			ptest.CheckParsed(t, r, err)
		}
	})
}
