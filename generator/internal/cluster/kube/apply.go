// Package kube applies objects to a Kubernetes API server the one way the
// lab does it: server-side apply, kinds resolved through discovery (waiting
// for CRDs that were just installed), namespaces created first when asked.
// The hub workflow, the test harness and the API-server check all use it.
package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager owns the fields the lab applies.
const FieldManager = "illm-lab"

// Applier server-side applies objects with Force, so its field manager
// takes ownership of what it sets.
type Applier struct {
	// FieldManager names the applier to the server (default FieldManager).
	FieldManager string
	// DryRun asks the server to validate and admit without storing.
	DryRun bool
	// Strict makes unknown and duplicate fields errors instead of being
	// pruned (fieldValidation=Strict).
	Strict bool
	// KindWait bounds the wait for a kind discovery does not know yet; 0
	// waits as long as the context allows.
	KindWait time.Duration

	dyn    dynamic.Interface
	kube   kubernetes.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	// noMatch remembers kinds still unknown after a full wait.
	noMatch map[schema.GroupVersionKind]error
}

// NewApplier connects to the server at cfg.
func NewApplier(cfg *rest.Config) (*Applier, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Applier{
		FieldManager: FieldManager,
		dyn:          dyn,
		kube:         kube,
		mapper:       restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kube.Discovery())),
		noMatch:      map[schema.GroupVersionKind]error{},
	}, nil
}

// Mapping resolves a kind, refreshing discovery while it is unknown (a CRD
// that just became Established takes a moment to appear there), for up to
// KindWait or until ctx ends.
func (a *Applier) Mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	if err, ok := a.noMatch[gvk]; ok {
		return nil, err
	}
	var deadline time.Time
	if a.KindWait > 0 {
		deadline = time.Now().Add(a.KindWait)
	}
	for {
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			return m, nil
		}
		if !meta.IsNoMatchError(err) {
			return nil, err
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			a.noMatch[gvk] = err
			return nil, err
		}
		a.mapper.Reset()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (%v)", err, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Apply server-side applies one object. body, when not nil, is the object
// as written (JSON or YAML), sent as is so the server sees duplicate keys
// under Strict; otherwise the object is encoded.
func (a *Applier) Apply(ctx context.Context, o *unstructured.Unstructured, body []byte) error {
	gvk := o.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return errors.New("apiVersion and kind are required")
	}
	m, err := a.Mapping(ctx, gvk)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = a.dyn.Resource(m.Resource).Namespace(ns)
	}
	if body == nil {
		if body, err = json.Marshal(o.Object); err != nil {
			return err
		}
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: a.FieldManager, Force: &force}
	if a.Strict {
		opts.FieldValidation = metav1.FieldValidationStrict
	}
	if a.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body, opts)
	return err
}

// EnsureNamespaces creates, for real, each namespace a namespaced object of
// objs lives in ("default" when none), with the "default" ServiceAccount
// the controller manager would make: admission refuses even dry-run
// objects in a namespace that does not exist. Objects of unknown kinds are
// left for Apply to report.
func (a *Applier) EnsureNamespaces(ctx context.Context, objs []*unstructured.Unstructured) error {
	set := map[string]bool{}
	for _, o := range objs {
		m, err := a.Mapping(ctx, o.GroupVersionKind())
		if err != nil || m.Scope.Name() != meta.RESTScopeNameNamespace {
			continue
		}
		ns := o.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		set[ns] = true
	}
	names := make([]string, 0, len(set))
	for ns := range set {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		_, err := a.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{FieldManager: a.FieldManager})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", ns, err)
		}
		_, err = a.kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{FieldManager: a.FieldManager})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create service account %s/default: %w", ns, err)
		}
	}
	return nil
}
