package e2e

import (
	"os"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/argocdenv"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

func TestDebugHold(t *testing.T) {
	if os.Getenv("E2E_HOLD") == "" {
		t.Skip()
	}
	repo, _ := testenv.RepoRoot()
	e := argocdenv.Start(t, repo, argocdenv.Options{})
	os.WriteFile("/work/scratch/argocd/hold.kubeconfig", []byte(e.Kubeconfig), 0o644)
	os.WriteFile("/work/scratch/argocd/hold.root", []byte(e.Root), 0o644)
	t.Logf("kubeconfig %s root %s", e.Kubeconfig, e.Root)
	for i := 0; i < 1200; i++ {
		if _, err := os.Stat("/work/scratch/argocd/hold"); err != nil {
			return
		}
		time.Sleep(time.Second)
	}
}
