package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/kube"
)

// DefaultFieldManager is the server-side apply field manager used when none is given.
const DefaultFieldManager = kube.FieldManager

// ApplyError is one object the server refused. Index is the object's position in the input.
type ApplyError struct {
	Index           int
	APIVersion      string
	Kind            string
	Namespace, Name string
	Err             error
}

func (e *ApplyError) Error() string {
	id := e.Name
	if e.Namespace != "" {
		id = e.Namespace + "/" + e.Name
	}
	return fmt.Sprintf("%s %s (%s): %v", e.Kind, id, e.APIVersion, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Applier server-side applies unstructured objects (see kube.Applier),
// collecting one *ApplyError per refused object.
type Applier struct {
	// FieldManager names the applier to the server (default DefaultFieldManager).
	FieldManager string
	// DryRun asks the server to validate and admit objects without storing them.
	DryRun bool

	a *kube.Applier
}

// NewApplier builds an Applier for cfg.
func NewApplier(cfg *rest.Config) (*Applier, error) {
	a, err := kube.NewApplier(cfg)
	if err != nil {
		return nil, err
	}
	// A kind still unknown after 5 s is reported, not waited for again.
	a.KindWait = 5 * time.Second
	return &Applier{FieldManager: DefaultFieldManager, a: a}, nil
}

// DryRunApply validates objs against a real server: it creates (for real) every namespace the
// objects live in, then server-side applies each object with dryRun=All. It returns one
// *ApplyError per refused object, naming kind, namespace and name with the server's message
// (which names the offending field); nil means all were accepted.
func DryRunApply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) []error {
	a, err := NewApplier(cfg)
	if err != nil {
		return []error{err}
	}
	a.DryRun = true
	if err := a.EnsureNamespaces(ctx, objs); err != nil {
		return []error{err}
	}
	return a.Apply(ctx, objs)
}

// EnsureNamespaces creates each namespace that a namespaced object in objs lives in, with its
// "default" ServiceAccount (see kube.Applier.EnsureNamespaces).
func (a *Applier) EnsureNamespaces(ctx context.Context, objs []*unstructured.Unstructured) error {
	a.a.FieldManager = a.FieldManager
	return a.a.EnsureNamespaces(ctx, objs)
}

// Apply server-side applies every object (with Force, so this field manager takes ownership
// of what it sets). It returns one *ApplyError per refused object.
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured) []error {
	a.a.FieldManager, a.a.DryRun = a.FieldManager, a.DryRun
	var errs []error
	for i, o := range objs {
		if err := a.a.Apply(ctx, o, nil); err != nil {
			errs = append(errs, &ApplyError{
				Index: i, APIVersion: o.GetAPIVersion(), Kind: o.GetKind(),
				Namespace: o.GetNamespace(), Name: o.GetName(), Err: err,
			})
		}
	}
	return errs
}

// DecodeObjects reads every object of a (multi-document) YAML or JSON stream, skipping empty
// documents. Errors name the document's position.
func DecodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 64*1024)
	var out []*unstructured.Unstructured
	for i := 1; ; i++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// InstallCRDs server-side applies the CRDs and waits until each is Established; CRDs already
// installed with the same content are left alone (see kube.InstallCRDs).
func InstallCRDs(ctx context.Context, cfg *rest.Config, crds []*apiextensionsv1.CustomResourceDefinition) error {
	return kube.InstallCRDs(ctx, cfg, crds)
}
