package suggest

import (
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/analyze"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/discovery/sources"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
)

// TestLabDiscovery checks the lab's own discovery declaration: every
// source can work, every placement phase exists, the image is pinned.
func TestLabDiscovery(t *testing.T) {
	src, err := load.Load("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	d := src.Lab.Discovery
	if d == nil {
		t.Fatal("the lab declares no discovery")
	}
	if err := sources.CheckSources(d.Sources); err != nil {
		t.Error(err)
	}
	if _, err := analyze.Analyze(src.Lab, d, &sources.Result{}, time.Now()); err != nil {
		t.Error(err)
	}
	if len(d.Placement) != len(src.Lab.Phases) {
		t.Errorf("placement covers %d of %d phases", len(d.Placement), len(src.Lab.Phases))
	}
	kinds := map[string]bool{}
	for _, s := range d.Sources {
		kinds[s.Kind] = true
	}
	for _, k := range []string{"landscape", "github", "feed", "hackernews"} {
		if !kinds[k] {
			t.Errorf("no %s source", k)
		}
	}
}
