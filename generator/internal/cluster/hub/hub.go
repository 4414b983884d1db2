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

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/kube"
)

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

// Apply server-side applies objs, waiting while their kinds are not served
// yet (ArgoCD's CRDs being installed) until ctx ends.
func Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, dryRun bool) error {
	a, err := kube.NewApplier(cfg)
	if err != nil {
		return err
	}
	a.DryRun = dryRun
	for _, o := range objs {
		if err := a.Apply(ctx, o, nil); err != nil {
			if meta.IsNoMatchError(err) {
				return fmt.Errorf("%s %s: kind not served by the cluster (is ArgoCD installed?): %w", o.GetKind(), o.GetName(), err)
			}
			return fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// GVR is a convenience for tests.
func GVR(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}
