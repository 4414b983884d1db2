package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
)

var crdResource = apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")

// specHashAnnotation records what InstallCRDs applied, so installing the same CRDs again (each
// test of a package sharing one server) skips re-applying megabytes of schema.
const specHashAnnotation = labels.CRDSpecSHA256

// InstallCRDs server-side applies the CRDs (client-side apply cannot: the last-applied
// annotation of the ApplicationSet CRD alone exceeds the annotation size limit) and waits until
// each is Established. CRDs already installed with the same content are left alone.
func InstallCRDs(ctx context.Context, cfg *rest.Config, crds []*apiextensionsv1.CustomResourceDefinition) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return err
	}
	present, err := mc.Resource(crdResource).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list CRDs: %w", err)
	}
	installed := map[string]string{}
	for _, m := range present.Items {
		installed[m.Name] = m.Annotations[specHashAnnotation]
	}
	for _, c := range crds {
		c = c.DeepCopy()
		c.APIVersion = apiextensionsv1.SchemeGroupVersion.String()
		c.Kind = "CustomResourceDefinition"
		c.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(c)
		if err != nil {
			return fmt.Errorf("CRD %s: %w", c.Name, err)
		}
		delete(m, "status")
		unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("CRD %s: %w", c.Name, err)
		}
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:])
		if installed[c.Name] == hash {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		ann := u.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[specHashAnnotation] = hash
		u.SetAnnotations(ann)
		if _, err := dyn.Resource(crdResource).Apply(ctx, c.Name, u, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
			return fmt.Errorf("apply CRD %s: %w", c.Name, err)
		}
	}
	for _, c := range crds {
		if err := waitEstablished(ctx, dyn, c.Name); err != nil {
			return err
		}
	}
	return nil
}

func waitEstablished(ctx context.Context, dyn dynamic.Interface, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last string
	for {
		u, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			var c apiextensionsv1.CustomResourceDefinition
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &c); err != nil {
				return err
			}
			last = "no Established condition yet"
			for _, cond := range c.Status.Conditions {
				switch {
				case cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue:
					return nil
				case cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse:
					return fmt.Errorf("CRD %s: names not accepted: %s", name, cond.Message)
				case cond.Type == apiextensionsv1.Established:
					last = cond.Reason + ": " + cond.Message
				}
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRD %s not Established: %s", name, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
