package render_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/synth"
)

// BenchmarkRender measures load (CUE evaluation and decoding) plus render
// of the real lab and of synthetic labs; compare ns/op across sizes for
// linear growth (scripts/bench-render.sh also compares with cue export).
func BenchmarkRender(b *testing.B) {
	repo, _ := filepath.Abs("../../..")
	b.Run("lab", func(b *testing.B) { benchRender(b, repo) })
	for _, n := range []int{100, 1000} {
		dir := b.TempDir()
		if err := synth.Write(repo, dir, n); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("synthetic-%d", n), func(b *testing.B) { benchRender(b, dir) })
	}
}

func benchRender(b *testing.B, root string) {
	b.ReportAllocs()
	files := 0
	for i := 0; i < b.N; i++ {
		src, err := load.Load(root)
		if err != nil {
			b.Fatal(err)
		}
		t, err := render.Lab(src, render.Options{})
		if err != nil {
			b.Fatal(err)
		}
		files = t.Len()
	}
	b.ReportMetric(float64(files), "files")
}
