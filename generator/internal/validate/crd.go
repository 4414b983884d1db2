package validate

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/operation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
)

// Validator validates objects. CRD files are decoded when a kind they define is first met,
// and schemas compiled once per kind and version on first use, then reused: a Validator is
// safe for concurrent use.
type Validator struct {
	mu   sync.Mutex
	defs map[schema.GroupVersionKind]*crdVersion
	// lazy holds the embedded CRD files not decoded yet, by the kind each defines.
	lazy     map[schema.GroupKind]*lazyFile
	compiled map[schema.GroupVersionKind]*compiledOnce
}

type lazyFile struct {
	name string
	once sync.Once
	err  error
}

// crdVersion is one served version of a CRD.
type crdVersion struct {
	crd     *apiextensionsv1.CustomResourceDefinition
	version string
}

type compiledOnce struct {
	once sync.Once
	c    *compiled
	err  error
}

// compiled is what the API server builds per CRD version in customresource_handler.go: the
// structural schema (defaults pruned), the OpenAPI schema validator and the CEL validator.
type compiled struct {
	namespaced bool
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

var (
	defaultOnce sync.Once
	defaultV    *Validator
	defaultErr  error
)

// Default returns the Validator for the vendored CRDs (generator/internal/validate/crds), built once.
// It panics if an embedded CRD cannot be decoded, which the crds package's tests rule out.
func Default() *Validator {
	defaultOnce.Do(func() { defaultV, defaultErr = embedded() })
	if defaultErr != nil {
		panic(fmt.Sprintf("validate: vendored CRDs: %v", defaultErr))
	}
	return defaultV
}

// The group and kind of a CRD manifest, read without decoding megabytes of schema.
var (
	crdGroupRE = regexp.MustCompile(`(?m)^  group: (\S+)$`)
	crdKindRE  = regexp.MustCompile(`(?m)^    kind: (\S+)$`)
)

// embedded indexes the vendored CRD files by the kind each defines, to decode only those the
// objects need (decoding all of them costs most of a cold run). A file whose kind cannot be
// read that way is decoded now.
func embedded() (*Validator, error) {
	v, _ := New(nil)
	for _, f := range crds.Files() {
		b, err := crds.Raw(f)
		if err != nil {
			return nil, err
		}
		g, k := crdGroupRE.FindSubmatch(b), crdKindRE.FindSubmatch(b)
		gk := schema.GroupKind{}
		if g != nil && k != nil {
			gk = schema.GroupKind{Group: string(g[1]), Kind: string(k[1])}
		}
		if _, dup := v.lazy[gk]; dup || gk.Kind == "" || bytes.Count(b, []byte("\nkind: CustomResourceDefinition")) != 1 {
			cs, err := crds.Load(f)
			if err != nil {
				return nil, err
			}
			if err := v.add(cs); err != nil {
				return nil, err
			}
			continue
		}
		v.lazy[gk] = &lazyFile{name: f}
	}
	return v, nil
}

// New returns a Validator knowing the built-in kinds and the kinds of the given CRDs (every
// served version). Two CRDs defining the same kind are an error.
func New(defs []*apiextensionsv1.CustomResourceDefinition) (*Validator, error) {
	v := &Validator{
		defs:     map[schema.GroupVersionKind]*crdVersion{},
		lazy:     map[schema.GroupKind]*lazyFile{},
		compiled: map[schema.GroupVersionKind]*compiledOnce{},
	}
	return v, v.add(defs)
}

// add registers CRDs; the caller holds v.mu or owns v.
func (v *Validator) add(defs []*apiextensionsv1.CustomResourceDefinition) error {
	for _, c := range defs {
		for _, ver := range c.Spec.Versions {
			if !ver.Served {
				continue
			}
			gvk := schema.GroupVersionKind{Group: c.Spec.Group, Version: ver.Name, Kind: c.Spec.Names.Kind}
			if prev, dup := v.defs[gvk]; dup {
				return fmt.Errorf("%s is defined by two CRDs: %s and %s", gvk, prev.crd.Name, c.Name)
			}
			v.defs[gvk] = &crdVersion{crd: c, version: ver.Name}
		}
	}
	return nil
}

// crd returns the CRD version serving a kind, decoding its file on first use; nil if no CRD
// defines it.
func (v *Validator) crd(gvk schema.GroupVersionKind) (*crdVersion, error) {
	v.mu.Lock()
	def, lf := v.defs[gvk], v.lazy[gvk.GroupKind()]
	v.mu.Unlock()
	if def != nil || lf == nil {
		return def, nil
	}
	lf.once.Do(func() {
		cs, err := crds.Load(lf.name)
		if err == nil {
			v.mu.Lock()
			err = v.add(cs)
			v.mu.Unlock()
		}
		lf.err = err
	})
	if lf.err != nil {
		return nil, lf.err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.defs[gvk], nil
}

// schemaFor compiles (once) the validators of a custom kind.
func (v *Validator) schemaFor(gvk schema.GroupVersionKind) (*compiled, error) {
	def, err := v.crd(gvk)
	if err != nil {
		return nil, err
	}
	if def == nil {
		return nil, fmt.Errorf("no CRD for %s", gvk)
	}
	v.mu.Lock()
	co := v.compiled[gvk]
	if co == nil {
		co = &compiledOnce{}
		v.compiled[gvk] = co
	}
	v.mu.Unlock()
	co.once.Do(func() { co.c, co.err = compile(def) })
	return co.c, co.err
}

// compile mirrors crdHandler.getOrCreateServingInfoFor for one version.
func compile(def *crdVersion) (*compiled, error) {
	crd := def.crd
	var val *apiextensionsv1.CustomResourceValidation
	for _, ver := range crd.Spec.Versions {
		if ver.Name == def.version {
			val = ver.Schema
		}
	}
	c := &compiled{namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped}
	internal := &apiextensions.CustomResourceValidation{}
	if val != nil {
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
			return nil, fmt.Errorf("CRD %s %s: converting the schema: %w", crd.Name, def.version, err)
		}
	}
	if internal.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("CRD %s %s has no schema: every custom resource needs one to be validated", crd.Name, def.version)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("CRD %s %s: schema is not structural: %w", crd.Name, def.version, err)
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("CRD %s %s: pruning defaults: %w", crd.Name, def.version, err)
	}
	c.structural = s
	if c.validator, _, err = apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema); err != nil {
		return nil, fmt.Errorf("CRD %s %s: %w", crd.Name, def.version, err)
	}
	// CEL programs (x-kubernetes-validations) are compiled here, once.
	c.cel = cel.NewValidator(s, true, celconfig.PerCallLimit)
	return c, nil
}

// custom validates a custom resource as the API server does on create with
// fieldValidation=Strict: unknown fields (pruned silently otherwise) are errors, defaults are
// applied, then ObjectMeta, the OpenAPI schema, embedded resources, list types and CEL rules
// are checked. For an ApplicationSet it also validates the Applications it generates.
func (v *Validator) custom(gvk schema.GroupVersionKind, m map[string]any) (field.ErrorList, []generated) {
	c, err := v.schemaFor(gvk)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}, nil
	}
	var gen []generated
	if gvk.Group == "argoproj.io" && gvk.Kind == "ApplicationSet" {
		// Expand before pruning and defaulting change the object.
		gen = v.expandAppSet(m)
	}
	return c.validate(m), gen
}

func runtimeDeepCopy(m map[string]any) map[string]any { return runtime.DeepCopyJSON(m) }

func (c *compiled) validate(m map[string]any) field.ErrorList {
	var errs field.ErrorList
	// Decoding: ObjectMeta is read and its unknown fields found, then everything the schema
	// does not declare is pruned (and reported, as under fieldValidation=Strict).
	meta, _, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(m, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
	}
	unknown := append([]string(nil), metaUnknown...)
	unknown = append(unknown, structuralpruning.PruneWithOptions(m, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(m, c.structural)
	cerr, coerceUnknown := schemaobjectmeta.CoerceWithOptions(nil, m, c.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if cerr != nil {
		errs = append(errs, cerr)
	}
	unknown = append(unknown, coerceUnknown...)
	sort.Strings(unknown)
	for _, p := range unknown {
		errs = append(errs, unknownField(p))
	}
	if len(errs) > 0 {
		// The API server stops at a strict decoding error.
		return errs
	}
	if meta != nil {
		if err := schemaobjectmeta.SetObjectMeta(m, meta); err != nil {
			return field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
		}
	}
	structuraldefaulting.Default(m, c.structural)

	// customResourceStrategy.Validate.
	ctx := context.Background()
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	// A namespaced object without a namespace goes to the namespace it is applied in.
	if c.namespaced && meta.Namespace == "" {
		meta.Namespace = metav1.NamespaceDefault
	}
	if !c.namespaced {
		meta.Namespace = ""
	}
	errs = append(errs, apimachineryvalidation.ValidateObjectMetaDeclaratively(ctx, operation.Create, meta, nil, c.namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"), false)...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, m, c.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, m, c.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, c.structural, m)...)
	// NewValidator returns nil for a schema without x-kubernetes-validations.
	if c.cel == nil {
		return errs
	}
	if blocked, e := hasBlockingErr(errs); blocked {
		errs = append(errs, e)
	} else {
		cerrs, _ := c.cel.Validate(ctx, nil, c.structural, m, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, cerrs...)
	}
	return errs
}

// hasBlockingErr is the API server's (registry/customresource/strategy.go): CEL rules are not
// run over an object with errors that could make their cost unbounded.
func hasBlockingErr(errs field.ErrorList) (bool, *field.Error) {
	for _, err := range errs {
		if err.Type == field.ErrorTypeNotSupported || err.Type == field.ErrorTypeRequired || err.Type == field.ErrorTypeTooLong || err.Type == field.ErrorTypeTooMany || err.Type == field.ErrorTypeTypeInvalid {
			return true, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return false, nil
}

// Extend returns a Validator that also knows the kinds of the given CRDs
// (those a chart installs itself, for its own custom resources); v is
// left as it is.
func (v *Validator) Extend(defs []*apiextensionsv1.CustomResourceDefinition) (*Validator, error) {
	v.mu.Lock()
	n := &Validator{
		defs:     maps.Clone(v.defs),
		lazy:     map[schema.GroupKind]*lazyFile{},
		compiled: map[schema.GroupVersionKind]*compiledOnce{},
	}
	for gk, lf := range v.lazy {
		n.lazy[gk] = &lazyFile{name: lf.name}
	}
	v.mu.Unlock()
	for _, c := range defs {
		// The chart's own definition wins over a vendored one of the kind.
		for _, ver := range c.Spec.Versions {
			delete(n.defs, schema.GroupVersionKind{Group: c.Spec.Group, Version: ver.Name, Kind: c.Spec.Names.Kind})
		}
		delete(n.lazy, schema.GroupKind{Group: c.Spec.Group, Kind: c.Spec.Names.Kind})
	}
	return n, n.add(defs)
}

// ClusterScoped tells whether objects of a kind live outside namespaces,
// and whether the kind is known at all (built in, or a CRD's).
func (v *Validator) ClusterScoped(gvk schema.GroupVersionKind) (scoped, known bool) {
	if gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition" || isBuiltin(gvk) {
		return clusterScoped[gvk.Kind], true
	}
	def, err := v.crd(gvk)
	if err != nil || def == nil {
		return false, false
	}
	return def.crd.Spec.Scope == apiextensionsv1.ClusterScoped, true
}
