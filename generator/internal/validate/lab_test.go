package validate

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

var (
	labOnce sync.Once
	labTree *tree.Tree
	labErr  error
)

// renderLab reads the repository's own rendered lab, once per test binary
// (CI's render --check keeps it equal to a fresh render).
func renderLab(tb testing.TB) *tree.Tree {
	tb.Helper()
	labOnce.Do(func() {
		root, err := filepath.Abs("../../..")
		if err != nil {
			labErr = err
			return
		}
		labTree, labErr = tree.Read(root)
	})
	if labErr != nil {
		tb.Fatal(labErr)
	}
	return labTree
}

// TestLabIsValid validates the whole rendered lab: every object, and every Application the
// ApplicationSets generate.
func TestLabIsValid(t *testing.T) {
	r := Default().Tree(renderLab(t))
	for _, e := range r.Errors {
		t.Error(e)
	}
	t.Log(r.Summary())
	if r.Validated["ApplicationSet (argoproj.io)"] == 0 || r.Validated["Application (argoproj.io, generated)"] == 0 {
		t.Errorf("no ApplicationSet or generated Application validated: %v", r.Validated)
	}
}

// BenchmarkValidateLab validates the whole rendered lab (rendered once, outside the timer),
// with compiled schemas cached in the shared Validator as in the CLI.
func BenchmarkValidateLab(b *testing.B) {
	t := renderLab(b)
	v := Default()
	objects := 0
	b.ReportAllocs()
	for b.Loop() {
		r := v.Tree(t)
		objects = r.Objects() + len(r.Errors)
	}
	b.ReportMetric(float64(objects), "objects/op")
}

// BenchmarkValidateLabCold includes what one `generator validate` run pays after rendering:
// indexing the vendored CRD files, decoding those the lab uses and compiling their schemas.
func BenchmarkValidateLabCold(b *testing.B) {
	t := renderLab(b)
	b.ReportAllocs()
	for b.Loop() {
		v, err := embedded()
		if err != nil {
			b.Fatal(err)
		}
		v.Tree(t)
	}
}
