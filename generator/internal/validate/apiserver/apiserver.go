// Package apiserver submits rendered objects to a real Kubernetes API server: namespaces
// are created for real, then every object is server-side applied with dryRun=All and
// fieldValidation=Strict, so the server runs its full decoding, defaulting, validation and
// admission on each one without storing it. Its tests run the whole rendered lab through
// the server and check that the offline validator (package validate) agrees with it.
package apiserver

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/kube"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
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

	a *kube.Applier
}

// New connects to the server at cfg.
func New(cfg *rest.Config) (*Checker, error) {
	w := &Warnings{Count: map[string]int{}}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = w
	a, err := kube.NewApplier(cfg)
	if err != nil {
		return nil, err
	}
	a.FieldManager = FieldManager
	// Unknown and duplicate fields are errors, not silently pruned.
	a.Strict = true
	a.KindWait = 5 * time.Second
	return &Checker{Warnings: w, a: a}, nil
}

// Check creates the items' Namespaces for real (those rendered, then any other namespace an
// item lives in, with its default ServiceAccount), then dry-run applies every item. It
// returns one Result per item, in order.
func (c *Checker) Check(ctx context.Context, items []Item) ([]Result, error) {
	results := make([]Result, len(items))
	done := make([]bool, len(items))
	c.a.DryRun = false
	for i, it := range items {
		if it.Obj.GroupVersionKind() == corev1.SchemeGroupVersion.WithKind("Namespace") && it.Via == "" {
			results[i] = Result{Item: it, Err: c.a.Apply(ctx, it.Obj, it.Raw)}
			done[i] = true
		}
	}
	objs := make([]*unstructured.Unstructured, len(items))
	for i, it := range items {
		objs[i] = it.Obj
	}
	if err := c.a.EnsureNamespaces(ctx, objs); err != nil {
		return nil, err
	}
	c.a.DryRun = true
	for i, it := range items {
		if !done[i] {
			results[i] = Result{Item: it, Err: c.a.Apply(ctx, it.Obj, it.Raw)}
		}
	}
	return results, nil
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
