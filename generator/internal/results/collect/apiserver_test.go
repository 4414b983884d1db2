package collect

import (
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// apiserverClient is a client of a fresh real kube-apiserver (skips when
// the pinned binaries are missing, fails under LAB_REQUIRE_TOOLS=1).
func apiserverClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	s := testenv.StartAPIServer(t)
	c, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
