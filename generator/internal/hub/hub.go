// Package hub talks to a live cluster for the hub workflows: it applies the
// rendered root of a cluster (the lab AppProject and the root Application),
// after which ArgoCD syncs everything else from Git.
package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager owns the fields the lab applies server-side.
const FieldManager = "illm-lab"

// RootFiles are the rendered files, relative to clusters/<cluster>/, that
// bootstrap a cluster: ArgoCD syncs the rest from the root Application.
var RootFiles = []string{"projects/lab.yaml", "root.yaml"}

// Objects reads the root objects of a cluster from the rendered tree.
func Objects(repoRoot, cluster string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, f := range RootFiles {
		p := filepath.Join(repoRoot, "clusters", cluster, filepath.FromSlash(f))
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s (run `go run ./generator render` first): %w", p, err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var o map[string]any
			if err := dec.Decode(&o); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if len(o) == 0 {
				continue
			}
			objs = append(objs, &unstructured.Unstructured{Object: o})
		}
	}
	return objs, nil
}

// Apply server-side applies objs, retrying while their kinds are not
// served yet (ArgoCD's CRDs being installed) until ctx ends.
func Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, dryRun bool) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	cached := memory.NewMemCacheClient(dc)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cached)
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		for {
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err == nil {
				if err := applyOne(ctx, dyn, m, o, dryRun); err != nil {
					return err
				}
				break
			}
			if !meta.IsNoMatchError(err) {
				return err
			}
			cached.Invalidate()
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s %s: kind not served by the cluster (is ArgoCD installed?): %w", gvk.Kind, o.GetName(), ctx.Err())
			case <-time.After(2 * time.Second):
			}
		}
	}
	return nil
}

func applyOne(ctx context.Context, dyn dynamic.Interface, m *meta.RESTMapping, o *unstructured.Unstructured, dryRun bool) error {
	body, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	force := true
	opts := metav1PatchOptions(dryRun, &force)
	if _, err := ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body, opts); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// GVR is a convenience for tests.
func GVR(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}
