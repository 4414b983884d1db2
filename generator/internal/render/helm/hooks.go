package helm

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
)

// Helm's hook annotations (ArgoCD's are in package labels).
const (
	helmHook         = "helm.sh/hook"
	helmHookWeight   = "helm.sh/hook-weight"
	helmHookDelete   = "helm.sh/hook-delete-policy"
	defaultArgoClean = "BeforeHookCreation" // Helm's default delete policy too
)

// argoPhase maps a Helm hook event to the ArgoCD hook that runs at the
// same moment of a sync; events without one (rollbacks, tests) map to "".
var argoPhase = map[string]string{
	"pre-install":  "PreSync",
	"pre-upgrade":  "PreSync",
	"post-install": "PostSync",
	"post-upgrade": "PostSync",
	"pre-delete":   "PreDelete",
	"post-delete":  "PostDelete",
}

var argoDelete = map[string]string{
	"before-hook-creation": "BeforeHookCreation",
	"hook-succeeded":       "HookSucceeded",
	"hook-failed":          "HookFailed",
}

// ArgoHooks rewrites Helm hooks as ArgoCD hooks, so rendered manifests say
// explicitly what ArgoCD would infer from a chart it rendered itself:
// install/upgrade hooks become PreSync/PostSync, delete hooks
// PreDelete/PostDelete, the hook weight the sync wave and the delete
// policy ArgoCD's. Test hooks (helm test) and hooks that only fire on
// rollback never run on a sync and are dropped; crd-install (Helm 2) makes
// an ordinary object. Objects that already carry an ArgoCD hook annotation
// are left as they are.
func ArgoHooks(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := objs[:0:0]
	for _, o := range objs {
		ann := o.GetAnnotations()
		events, isHook := ann[helmHook]
		if !isHook {
			out = append(out, o)
			continue
		}
		if _, argo := ann[labels.ArgoHook]; argo {
			out = append(out, o)
			continue
		}
		phases := map[string]bool{}
		ordinary := false
		for _, ev := range strings.Split(events, ",") {
			ev = strings.TrimSpace(ev)
			if p := argoPhase[ev]; p != "" {
				phases[p] = true
			}
			if ev == "crd-install" {
				ordinary = true
			}
		}
		delete(ann, helmHook)
		weight, hasWeight := ann[helmHookWeight]
		delete(ann, helmHookWeight)
		policies := ann[helmHookDelete]
		delete(ann, helmHookDelete)
		if ordinary {
			setAnnotations(o, ann)
			out = append(out, o)
			continue
		}
		if len(phases) == 0 {
			continue // test or rollback hook
		}
		ann[labels.ArgoHook] = strings.Join(sortedSet(phases), ",")
		if hasWeight && strings.TrimSpace(weight) != "" {
			ann[labels.ArgoSyncWave] = strings.TrimSpace(weight)
		}
		var del []string
		for _, p := range strings.Split(policies, ",") {
			if d := argoDelete[strings.TrimSpace(p)]; d != "" {
				del = append(del, d)
			}
		}
		if len(del) == 0 {
			del = []string{defaultArgoClean}
		}
		sort.Strings(del)
		ann[labels.ArgoHookDeletePolicy] = strings.Join(del, ",")
		setAnnotations(o, ann)
		out = append(out, o)
	}
	return out
}

func setAnnotations(o *unstructured.Unstructured, ann map[string]string) {
	if len(ann) == 0 {
		o.SetAnnotations(nil)
		return
	}
	o.SetAnnotations(ann)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
