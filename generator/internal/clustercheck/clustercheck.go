// Package clustercheck submits rendered objects to a real Kubernetes API server: namespaces
// are created for real, then every object is server-side applied with dryRun=All and
// fieldValidation=Strict, so the server runs its full decoding, defaulting, validation and
// admission on each one without storing it. Its tests run the whole rendered lab through
// the server and check that the offline validator (package validate) agrees with it.
package clustercheck

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
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
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// FieldManager names this checker to the server.
const FieldManager = "illm-lab-clustercheck"

// Item is one object to submit, with where it came from.
type Item struct {
	File string // rendered file
	Doc  int    // 1-based document in the file
	Via  string // for Applications generated from an ApplicationSet element
	Obj  *unstructured.Unstructured
	// Raw is the document as rendered, sent as is so that the server judges the text itself
	// (duplicate keys included); nil for generated objects, which are sent as JSON.
	Raw []byte
}

// Key identifies an item for comparing verdicts: file, document and generator element.
func (it Item) Key() string {
	k := fmt.Sprintf("%s#%d", it.File, it.Doc)
	if it.Via != "" {
		k += " " + it.Via
	}
	return k
}

func (it Item) String() string {
	id := it.Obj.GetName()
	if ns := it.Obj.GetNamespace(); ns != "" {
		id = ns + "/" + id
	}
	return fmt.Sprintf("%s: %s %s", it.Key(), it.Obj.GetKind(), id)
}

// Items reads every cluster object of a rendered tree (the files and documents package
// validate checks: kustomizations, Helm values and Kyverno CLI inputs are not objects), plus
// the Applications each ApplicationSet will generate. Documents that cannot be decoded are
// returned as errors.
func Items(t *tree.Tree) ([]Item, []error) {
	var items []Item
	var errs []error
	for _, p := range t.Paths() {
		if validate.Role(p) != "" {
			continue
		}
		b, _ := t.File(p)
		more, err := FileItems(p, b)
		items = append(items, more...)
		errs = append(errs, err...)
	}
	return items, errs
}

// FileItems reads the objects of one rendered file (see Items).
func FileItems(p string, b []byte) ([]Item, []error) {
	docs, err := validate.SplitDocuments(b)
	if err != nil {
		return nil, []error{fmt.Errorf("%s: %w", p, err)}
	}
	var items []Item
	var errs []error
	for i, d := range docs {
		u := &unstructured.Unstructured{}
		js, err := yaml.YAMLToJSON(d)
		if err == nil {
			err = u.UnmarshalJSON(js)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s#%d: %w", p, i+1, err))
			continue
		}
		if u.GroupVersionKind().Group == "cli.kyverno.io" {
			continue
		}
		items = append(items, Item{File: p, Doc: i + 1, Obj: u, Raw: d})
		if gvk := u.GroupVersionKind(); gvk.Group == "argoproj.io" && gvk.Kind == "ApplicationSet" {
			for _, g := range validate.ExpandApplicationSet(u.Object) {
				if g.Err != nil {
					errs = append(errs, fmt.Errorf("%s#%d %s: %v", p, i+1, g.Via, g.Err))
					continue
				}
				items = append(items, Item{File: p, Doc: i + 1, Via: g.Via, Obj: &unstructured.Unstructured{Object: g.Object}})
			}
		}
	}
	return items, errs
}

// Result is the server's verdict on one item.
type Result struct {
	Item Item
	Err  error // nil: accepted
}

// Checker submits objects to one API server.
type Checker struct {
	// Warnings counts the distinct warnings the server returned (deprecated fields, Pod
	// Security "would violate" notices, finalizer name advice).
	Warnings *Warnings

	dyn    dynamic.Interface
	kube   kubernetes.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	// noMatch remembers kinds discovery did not know after waiting, so each is waited for once.
	noMatch map[schema.GroupVersionKind]error
}

// New connects to the server at cfg.
func New(cfg *rest.Config) (*Checker, error) {
	w := &Warnings{Count: map[string]int{}}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = w
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Checker{Warnings: w, dyn: dyn, kube: kube, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kube.Discovery())),
		noMatch: map[schema.GroupVersionKind]error{}}, nil
}

// Check creates the items' Namespaces for real (those rendered, then any other namespace an
// item lives in, with its default ServiceAccount), then dry-run applies every item. It
// returns one Result per item, in order.
func (c *Checker) Check(ctx context.Context, items []Item) ([]Result, error) {
	results := make([]Result, len(items))
	done := make([]bool, len(items))
	for i, it := range items {
		if it.Obj.GroupVersionKind() == corev1.SchemeGroupVersion.WithKind("Namespace") && it.Via == "" {
			results[i] = Result{Item: it, Err: c.apply(ctx, it, false)}
			done[i] = true
		}
	}
	if err := c.ensureNamespaces(ctx, items); err != nil {
		return nil, err
	}
	for i, it := range items {
		if !done[i] {
			results[i] = Result{Item: it, Err: c.apply(ctx, it, true)}
		}
	}
	return results, nil
}

func (c *Checker) ensureNamespaces(ctx context.Context, items []Item) error {
	seen := map[string]bool{}
	for _, it := range items {
		m, err := c.mapping(ctx, it.Obj.GroupVersionKind())
		if err != nil || m.Scope.Name() != meta.RESTScopeNameNamespace {
			continue
		}
		ns := it.Obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		if seen[ns] {
			continue
		}
		seen[ns] = true
		_, err = c.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", ns, err)
		}
		// Admission wants the default ServiceAccount the controller manager would create.
		_, err = c.kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create service account %s/default: %w", ns, err)
		}
	}
	return nil
}

// apply server-side applies one object with fieldValidation=Strict (unknown and duplicate
// fields are errors, not silently pruned), as a dry run unless dryRun is false.
func (c *Checker) apply(ctx context.Context, it Item, dryRun bool) error {
	o := it.Obj
	gvk := o.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return fmt.Errorf("apiVersion and kind are required")
	}
	m, err := c.mapping(ctx, gvk)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = c.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = c.dyn.Resource(m.Resource).Namespace(ns)
	}
	body := it.Raw
	if body == nil {
		if body, err = json.Marshal(o.Object); err != nil {
			return err
		}
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: FieldManager, Force: &force, FieldValidation: metav1.FieldValidationStrict}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body, opts)
	return err
}

// mapping resolves a kind, refreshing discovery for a few seconds when it is unknown (a CRD
// just installed can take a moment to appear).
func (c *Checker) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	if err, ok := c.noMatch[gvk]; ok {
		return nil, err
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		var m *meta.RESTMapping
		if m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
			return m, nil
		}
		if !meta.IsNoMatchError(err) {
			return nil, err
		}
		c.mapper.Reset()
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(250 * time.Millisecond):
		}
	}
	c.noMatch[gvk] = err
	return nil, err
}

// Warnings collects the server's warning headers instead of logging them.
type Warnings struct {
	mu    sync.Mutex
	Count map[string]int
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *Warnings) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	w.Count[text]++
	w.mu.Unlock()
}
