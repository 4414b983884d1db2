package helm

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestArgoHooks(t *testing.T) {
	cases := []struct {
		name string
		in   map[string]string // annotations; nil: no annotations
		keep bool
		want map[string]string
	}{
		{"not a hook", map[string]string{"a": "b"}, true, map[string]string{"a": "b"}},
		{"pre-install and pre-upgrade", map[string]string{"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5", "helm.sh/hook-delete-policy": "hook-succeeded,before-hook-creation"}, true,
			map[string]string{"argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/sync-wave": "-5", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded"}},
		{"post-install, default delete policy", map[string]string{"helm.sh/hook": "post-install"}, true,
			map[string]string{"argocd.argoproj.io/hook": "PostSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}},
		{"install and delete", map[string]string{"helm.sh/hook": "post-install, pre-delete", "helm.sh/hook-delete-policy": "hook-failed"}, true,
			map[string]string{"argocd.argoproj.io/hook": "PostSync,PreDelete", "argocd.argoproj.io/hook-delete-policy": "HookFailed"}},
		{"post-delete", map[string]string{"helm.sh/hook": "post-delete"}, true,
			map[string]string{"argocd.argoproj.io/hook": "PostDelete", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}},
		{"test hook dropped", map[string]string{"helm.sh/hook": "test"}, false, nil},
		{"test-success dropped", map[string]string{"helm.sh/hook": "test-success", "helm.sh/hook-delete-policy": "hook-succeeded"}, false, nil},
		{"rollback only dropped", map[string]string{"helm.sh/hook": "pre-rollback,post-rollback"}, false, nil},
		{"crd-install is ordinary", map[string]string{"helm.sh/hook": "crd-install", "x": "y"}, true, map[string]string{"x": "y"}},
		{"argo hook wins", map[string]string{"helm.sh/hook": "pre-install", "argocd.argoproj.io/hook": "Sync"}, true,
			map[string]string{"helm.sh/hook": "pre-install", "argocd.argoproj.io/hook": "Sync"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "j"}}}
			o.SetAnnotations(tc.in)
			out := ArgoHooks([]*unstructured.Unstructured{o})
			if !tc.keep {
				if len(out) != 0 {
					t.Fatalf("kept %v; want it dropped", out[0].GetAnnotations())
				}
				return
			}
			if len(out) != 1 {
				t.Fatalf("dropped; want kept")
			}
			if got := out[0].GetAnnotations(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("annotations = %v, want %v", got, tc.want)
			}
		})
	}
}
