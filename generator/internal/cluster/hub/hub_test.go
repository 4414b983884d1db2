package hub_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/hub"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/synth"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunMain(m)) }

// TestApplyRoot bootstraps a cluster the way task hub:bootstrap does once
// ArgoCD is installed: the rendered lab project and root Application are
// server-side applied to a real kube-apiserver, and applying again is a
// no-op. Before ArgoCD's CRDs exist, Apply waits and then says why.
func TestApplyRoot(t *testing.T) {
	s := testenv.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	root := t.TempDir()
	repo, _ := filepath.Abs("../../../..")
	if err := synth.Write(repo, root, 3); err != nil {
		t.Fatal(err)
	}
	src, err := load.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Lab(src, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.Write(root, tr); err != nil {
		t.Fatal(err)
	}
	objs, err := hub.Objects(root, "hub")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Fatalf("want the lab AppProject and the root Application, got %d objects", len(objs))
	}

	// Without ArgoCD's CRDs, Apply waits for them until its deadline.
	short, cancelShort := context.WithTimeout(ctx, 3*time.Second)
	err = hub.Apply(short, s.Config, objs, false)
	cancelShort()
	if err == nil {
		t.Fatal("want an error while ArgoCD's CRDs are not installed")
	}
	t.Logf("before CRDs: %v", err)

	all, err := crds.All()
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.InstallCRDs(ctx, s.Config, all); err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(s.Config)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := hub.Apply(ctx, s.Config, objs, false); err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(s.Config)
	app, err := dyn.Resource(hub.GVR("argoproj.io", "v1alpha1", "applications")).Namespace("argocd").Get(ctx, "lab-hub", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path, _, _ := unstructuredString(app.Object, "spec", "source", "path")
	if path != "clusters/hub" {
		t.Errorf("root Application syncs %q, want clusters/hub", path)
	}
	if _, err := dyn.Resource(hub.GVR("argoproj.io", "v1alpha1", "appprojects")).Namespace("argocd").Get(ctx, "lab", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	rv := app.GetResourceVersion()
	if err := hub.Apply(ctx, s.Config, objs, false); err != nil {
		t.Fatal(err)
	}
	again, _ := dyn.Resource(hub.GVR("argoproj.io", "v1alpha1", "applications")).Namespace("argocd").Get(ctx, "lab-hub", metav1.GetOptions{})
	if again.GetResourceVersion() != rv {
		t.Errorf("re-applying the same root changed the object (resourceVersion %s -> %s)", rv, again.GetResourceVersion())
	}
}

func unstructuredString(obj map[string]any, fields ...string) (string, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur = m[f]
	}
	s, ok := cur.(string)
	return s, ok, nil
}
