package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKwokStagesDelaysJobPodCompletion(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.yaml")
	in := "kind: Stage\nmetadata:\n  name: pod-ready\nspec:\n  resourceRef:\n    kind: Pod\n---\nkind: Stage\nmetadata:\n  name: pod-complete\nspec:\n  resourceRef:\n    kind: Pod\n  next:\n    statusTemplate: |\n      startedAt: {{ $now | Quote }}\n"
	if err := os.WriteFile(src, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	p, err := kwokStages(src, out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "name: pod-complete\nspec:\n  delay:\n    durationMilliseconds: 2000\n  resourceRef:"
	if !strings.Contains(string(b), want) {
		t.Errorf("stages:\n%s\nwant the pod-complete stage delayed:\n%s", b, want)
	}
	if !strings.Contains(string(b), "startedAt: {{ $origin.state.running.startedAt | Quote }}") {
		t.Errorf("stages:\n%s\nwant the container's start kept from pod-ready", b)
	}
	if strings.Count(string(b), "delay:") != 1 {
		t.Errorf("only pod-complete is delayed:\n%s", b)
	}
}

func TestKwokStagesRefusesUnknownLayout(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.yaml")
	if err := os.WriteFile(src, []byte("kind: Stage\nmetadata:\n  name: pod-ready\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := kwokStages(src, dir)
	if err == nil || !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), "pod-complete") {
		t.Fatalf("error %v: want it to name %s and the missing stage", err, src)
	}
}
