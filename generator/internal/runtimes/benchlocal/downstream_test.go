package benchlocal

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/report"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/stats"
)

// TestResultsFeedDownstream stores local results, reads them back like
// `results compare` does, and feeds stats.Compare and the PR report
// unchanged: the local results are ordinary normalized results.
func TestResultsFeedDownstream(t *testing.T) {
	in := fixture(t)
	dir := t.TempDir()
	for _, r := range in.Results {
		if _, err := results.Store(dir, r, results.Expect{}); err != nil {
			t.Fatal(err)
		}
	}
	goRuns, files, err := results.Load(filepath.Join(dir, Experiment, "go-database"))
	if err != nil {
		t.Fatal(err)
	}
	nodeRuns, _, err := results.Load(filepath.Join(dir, Experiment, "node-database"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || filepath.Base(files[0]) != "20261126T070000Z-r1.json" {
		t.Fatalf("stored files = %v", files)
	}
	cmp, err := stats.Compare(goRuns, nodeRuns)
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := cmp.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| throughput | 199.7 requests/s", "| p99 latency |", "| cost per 1M requests |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("compare lacks %q:\n%s", want, md.String())
		}
	}
	rep, err := report.Build(report.Input{Experiment: Experiment, BaseRef: "main",
		Current: map[string][]*results.Result{"go-database": goRuns, "node-database": nodeRuns}})
	if err != nil {
		t.Fatal(err)
	}
	md.Reset()
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "go-database") || !strings.Contains(md.String(), "USD") {
		t.Errorf("PR report lacks the variant or the currency:\n%s", md.String())
	}
	// Stored files are append-only: the same run again is refused.
	if _, err := results.Store(dir, in.Results[0], results.Expect{}); err == nil {
		t.Error("storing a run twice succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, Experiment, "go-health")); err != nil {
		t.Error(err)
	}
}
