package validate

import (
	"fmt"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// isBuiltin tells whether a kind is one of Kubernetes' own (client-go's scheme).
func isBuiltin(gvk schema.GroupVersionKind) bool {
	return scheme.Scheme.Recognizes(gvk)
}

// clusterScoped are the built-in kinds that live outside namespaces.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ComponentStatus": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "StorageClass": true, "CSIDriver": true,
	"CSINode": true, "VolumeAttachment": true, "PriorityClass": true, "RuntimeClass": true,
	"IngressClass": true, "CertificateSigningRequest": true, "CustomResourceDefinition": true,
	"APIService": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
	"FlowSchema": true, "PriorityLevelConfiguration": true, "DeviceClass": true,
	"ResourceSlice": true, "IPAddress": true, "ServiceCIDR": true, "VolumeAttributesClass": true,
	"StorageVersionMigration": true, "ClusterTrustBundle": true,
}

// typeErrRE reads encoding/json's type error, which names the field path but is not an
// exported type in sigs.k8s.io/json.
var typeErrRE = regexp.MustCompile(`cannot unmarshal (.+) into Go struct field [A-Za-z0-9_]+\.(\S+) of type (\S+)`)

// builtin strictly decodes a built-in object into its Go type, then validates it.
func builtin(gvk schema.GroupVersionKind, js []byte) field.ErrorList {
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("kind"), gvk.Kind, err.Error())}
	}
	strict, err := kjson.UnmarshalStrict(js, obj)
	if err != nil {
		if m := typeErrRE.FindStringSubmatch(err.Error()); m != nil {
			return field.ErrorList{&field.Error{Type: field.ErrorTypeTypeInvalid, Field: m[2], BadValue: m[1],
				Detail: "must be of type " + m[3]}}
		}
		return field.ErrorList{field.Invalid(nil, nil, strings.TrimPrefix(err.Error(), "json: "))}
	}
	var errs field.ErrorList
	for _, e := range strict {
		p := ""
		if fe, ok := e.(kjson.FieldError); ok {
			p = fe.FieldPath()
		}
		if strings.HasPrefix(e.Error(), "duplicate field") {
			errs = append(errs, field.Duplicate(pathOf(p), nil))
		} else {
			errs = append(errs, unknownField(p))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return validateBuiltin(gvk, obj)
}

func unknownField(p string) *field.Error {
	return &field.Error{Type: field.ErrorTypeForbidden, Field: p, Detail: "unknown field"}
}

// pathOf turns a dotted path from a decoder into a field.Path (for rendering only).
func pathOf(p string) *field.Path {
	if p == "" {
		return nil
	}
	parts := strings.Split(p, ".")
	return field.NewPath(parts[0], parts[1:]...)
}

// validateBuiltin checks what the API server checks on create that can be checked with the
// apimachinery helpers (k8s.io/kubernetes' validation is not importable): object metadata with
// the name rule of the kind, and the kind-specific rules below, mirrored from
// pkg/apis/*/validation for the kinds the lab renders.
func validateBuiltin(gvk schema.GroupVersionKind, obj runtime.Object) field.ErrorList {
	md := field.NewPath("metadata")
	acc, ok := obj.(metav1.Object)
	if !ok {
		return field.ErrorList{field.InternalError(md, fmt.Errorf("%T has no object metadata", obj))}
	}
	namespaced := !clusterScoped[gvk.Kind]
	if namespaced && acc.GetNamespace() == "" {
		// Applied without a namespace, it goes to the one it is applied in.
		acc.SetNamespace(metav1.NamespaceDefault)
	}
	if !namespaced {
		// The API server drops a namespace given to a cluster-scoped object.
		acc.SetNamespace("")
	}
	nameFn := apimachineryvalidation.NameIsDNSSubdomain
	switch gvk.Kind {
	case "Namespace":
		nameFn = apimachineryvalidation.NameIsDNSLabel
	case "Service":
		nameFn = apimachineryvalidation.NameIsDNS1035Label
	case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
		nameFn = rbacName
	}
	errs := apimachineryvalidation.ValidateObjectMetaAccessor(acc, namespaced, nameFn, md)

	switch o := obj.(type) {
	case *corev1.ConfigMap:
		errs = append(errs, validateConfigMap(o)...)
	case *corev1.Secret:
		errs = append(errs, validateSecret(o)...)
	case *corev1.Service:
		errs = append(errs, validateService(o)...)
	case *corev1.PersistentVolumeClaim:
		errs = append(errs, validatePVC(o)...)
	case *rbacv1.RoleBinding:
		errs = append(errs, validateRoleRef(o.RoleRef, o.Subjects, true)...)
	case *rbacv1.ClusterRoleBinding:
		errs = append(errs, validateRoleRef(o.RoleRef, o.Subjects, false)...)
	case *corev1.Pod:
		errs = append(errs, validatePodSpec(&o.Spec, field.NewPath("spec"), true)...)
	case *batchv1.Job:
		errs = append(errs, validateJob(o.Name, &o.Spec, field.NewPath("spec"))...)
	case *batchv1.CronJob:
		errs = append(errs, validateCronJob(o)...)
	case *appsv1.Deployment:
		errs = append(errs, validateWorkload(o.Spec.Replicas, o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
	case *appsv1.StatefulSet:
		errs = append(errs, validateWorkload(o.Spec.Replicas, o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
	case *appsv1.ReplicaSet:
		errs = append(errs, validateWorkload(o.Spec.Replicas, o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
	case *appsv1.DaemonSet:
		errs = append(errs, validateWorkload(nil, o.Spec.Selector, &o.Spec.Template, field.NewPath("spec"))...)
	}
	return errs
}

// maxDataSize is corev1.MaxSecretSize, the limit for ConfigMaps and Secrets alike.
const maxDataSize = corev1.MaxSecretSize

func validateConfigMap(cm *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for k, v := range cm.Data {
		errs = append(errs, validateDataKey(k, field.NewPath("data").Key(k))...)
		if _, dup := cm.BinaryData[k]; dup {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(k), k, "duplicate of key present in data"))
		}
		size += len(k) + len(v)
	}
	for k, v := range cm.BinaryData {
		errs = append(errs, validateDataKey(k, field.NewPath("binaryData").Key(k))...)
		size += len(k) + len(v)
	}
	if size > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", maxDataSize))
	}
	return errs
}

func validateDataKey(k string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validationIsConfigMapKey(k) {
		errs = append(errs, field.Invalid(p, k, msg))
	}
	return errs
}

func validateSecret(s *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	// The API server folds stringData into data before validating.
	data := map[string][]byte{}
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	size := 0
	for k, v := range data {
		errs = append(errs, validateDataKey(k, field.NewPath("data").Key(k))...)
		size += len(v)
	}
	if size > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxDataSize))
	}
	need := func(keys ...string) {
		for _, k := range keys {
			if _, ok := data[k]; !ok {
				errs = append(errs, field.Required(field.NewPath("data").Key(k), ""))
			}
		}
	}
	switch s.Type {
	case corev1.SecretTypeServiceAccountToken:
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg:
		need(corev1.DockerConfigKey)
	case corev1.SecretTypeDockerConfigJson:
		need(corev1.DockerConfigJsonKey)
	case corev1.SecretTypeBasicAuth:
		_, u := data[corev1.BasicAuthUsernameKey]
		_, pw := data[corev1.BasicAuthPasswordKey]
		if !u && !pw {
			errs = append(errs, field.Required(field.NewPath("data").Key(corev1.BasicAuthUsernameKey), ""),
				field.Required(field.NewPath("data").Key(corev1.BasicAuthPasswordKey), ""))
		}
	case corev1.SecretTypeSSHAuth:
		need(corev1.SSHAuthPrivateKey)
	case corev1.SecretTypeTLS:
		need(corev1.TLSCertKey, corev1.TLSPrivateKeyKey)
	}
	return errs
}

func validateJob(name string, spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	// The Job controller labels its pods with the Job's name (batch.kubernetes.io/job-name),
	// so the name must also be a valid label value.
	for _, msg := range validationIsValidLabelValue(name) {
		errs = append(errs, field.Invalid(p.Child("template", "metadata", "labels").Key(batchv1.JobNameLabel), name, msg))
	}
	nonneg := func(v *int32, f string) {
		if v != nil && *v < 0 {
			errs = append(errs, field.Invalid(p.Child(f), *v, "must be greater than or equal to 0"))
		}
	}
	nonneg(spec.Parallelism, "parallelism")
	nonneg(spec.Completions, "completions")
	nonneg(spec.BackoffLimit, "backoffLimit")
	nonneg(spec.TTLSecondsAfterFinished, "ttlSecondsAfterFinished")
	if spec.ActiveDeadlineSeconds != nil && *spec.ActiveDeadlineSeconds <= 0 {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *spec.ActiveDeadlineSeconds, "must be greater than 0"))
	}
	if spec.Selector != nil && (spec.ManualSelector == nil || !*spec.ManualSelector) {
		errs = append(errs, field.Invalid(p.Child("selector"), spec.Selector, "`selector` will be auto-generated"))
	}
	if spec.CompletionMode != nil {
		switch *spec.CompletionMode {
		case batchv1.NonIndexedCompletion:
		case batchv1.IndexedCompletion:
			if spec.Completions == nil {
				errs = append(errs, field.Required(p.Child("completions"), "when completion mode is Indexed"))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("completionMode"), *spec.CompletionMode, []batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
		}
	}
	tp := p.Child("template")
	errs = append(errs, metav1validation.ValidateLabels(spec.Template.Labels, tp.Child("metadata", "labels"))...)
	errs = append(errs, apimachineryvalidation.ValidateAnnotations(spec.Template.Annotations, tp.Child("metadata", "annotations"))...)
	rp := spec.Template.Spec.RestartPolicy
	if rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever {
		if rp == "" {
			rp = corev1.RestartPolicyAlways // defaulted, then refused
		}
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), rp, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	}
	if spec.PodFailurePolicy != nil && rp != corev1.RestartPolicyNever {
		errs = append(errs, field.Invalid(tp.Child("spec", "restartPolicy"), rp, "only \"Never\" is supported when podFailurePolicy is specified"))
	}
	errs = append(errs, validatePodSpec(&spec.Template.Spec, tp.Child("spec"), false)...)
	return errs
}

func validateCronJob(cj *batchv1.CronJob) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	// The controller appends an 11-character suffix to name its Jobs.
	if len(cj.Name) > 52 {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), cj.Name, "must be no more than 52 characters"))
	}
	if strings.TrimSpace(cj.Spec.Schedule) == "" {
		errs = append(errs, field.Required(p.Child("schedule"), ""))
	}
	switch cj.Spec.ConcurrencyPolicy {
	case "", batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
	default:
		errs = append(errs, field.NotSupported(p.Child("concurrencyPolicy"), cj.Spec.ConcurrencyPolicy, []batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}))
	}
	jt := cj.Spec.JobTemplate
	errs = append(errs, validateJob("", &jt.Spec, p.Child("jobTemplate", "spec"))...)
	return errs
}

// validateWorkload checks the apps/v1 controllers: a selector is required and must select the
// pod template's labels; their pods restart Always.
func validateWorkload(replicas *int32, sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if replicas != nil && *replicas < 0 {
		errs = append(errs, field.Invalid(p.Child("replicas"), *replicas, "must be greater than or equal to 0"))
	}
	tp := p.Child("template")
	if sel == nil {
		errs = append(errs, field.Required(p.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(p.Child("selector"), sel, "empty selector is invalid for deployment"))
		}
		if s, err := metav1.LabelSelectorAsSelector(sel); err == nil && !s.Matches(labels.Set(tmpl.Labels)) {
			errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), tmpl.Labels, "`selector` does not match template `labels`"))
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(tmpl.Labels, tp.Child("metadata", "labels"))...)
	errs = append(errs, apimachineryvalidation.ValidateAnnotations(tmpl.Annotations, tp.Child("metadata", "annotations"))...)
	if rp := tmpl.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), rp, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	errs = append(errs, validatePodSpec(&tmpl.Spec, tp.Child("spec"), false)...)
	return errs
}

// validateService mirrors the port rules of ValidateService.
func validateService(svc *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	switch svc.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		if len(svc.Spec.Ports) == 0 && !headless {
			errs = append(errs, field.Required(p.Child("ports"), ""))
		}
	case corev1.ServiceTypeExternalName:
	default:
		errs = append(errs, field.NotSupported(p.Child("type"), svc.Spec.Type, []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}))
	}
	names := map[string]bool{}
	for i, port := range svc.Spec.Ports {
		pp := p.Child("ports").Index(i)
		if len(svc.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), ""))
		}
		if port.Name != "" {
			errs = append(errs, dnsLabel(port.Name, pp.Child("name"))...)
			if names[port.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		for _, msg := range validationIsValidPortNum(int(port.Port)) {
			errs = append(errs, field.Invalid(pp.Child("port"), port.Port, msg))
		}
		if port.Protocol != "" && !contains(supportedProtocols, port.Protocol) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, supportedProtocols))
		}
		tp := port.TargetPort
		if tp.Type == intstrString {
			for _, msg := range validationIsValidPortName(tp.StrVal) {
				errs = append(errs, field.Invalid(pp.Child("targetPort"), tp.StrVal, msg))
			}
		} else if tp.IntVal != 0 {
			for _, msg := range validationIsValidPortNum(int(tp.IntVal)) {
				errs = append(errs, field.Invalid(pp.Child("targetPort"), tp.IntVal, msg))
			}
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(svc.Spec.Selector, p.Child("selector"))...)
	return errs
}

// validatePVC mirrors ValidatePersistentVolumeClaimSpec's required fields.
func validatePVC(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	if len(pvc.Spec.AccessModes) == 0 {
		errs = append(errs, field.Required(p.Child("accessModes"), "at least 1 access mode is required"))
	}
	modes := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod}
	for _, m := range pvc.Spec.AccessModes {
		if !contains(modes, m) {
			errs = append(errs, field.NotSupported(p.Child("accessModes"), m, modes))
		}
	}
	q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		errs = append(errs, field.Required(p.Child("resources").Key(string(corev1.ResourceStorage)), ""))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(p.Child("resources").Key(string(corev1.ResourceStorage)), q.String(), "must be greater than zero"))
	}
	return errs
}

// validateRoleRef mirrors the roleRef and subject rules of ValidateRoleBinding and
// ValidateClusterRoleBinding.
// rbacName is how the API server validates the names of roles and
// bindings, and a binding's roleRef.name: a path segment name, so
// "system:auth-delegator" or "trust-manager:leaderelection" are valid
// (k8s.io/kubernetes@v1.37.2 pkg/apis/rbac/validation: ValidateRBACName
// is content.IsPathSegmentName).
func rbacName(name string, prefix bool) []string {
	if prefix {
		return content.IsPathSegmentPrefix(name)
	}
	return content.IsPathSegmentName(name)
}

func validateRoleRef(ref rbacv1.RoleRef, subjects []rbacv1.Subject, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("roleRef")
	if ref.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	kinds := []string{"ClusterRole"}
	if namespaced {
		kinds = append(kinds, "Role")
	}
	if !contains(kinds, ref.Kind) {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range rbacName(ref.Name, false) {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	for i, s := range subjects {
		sp := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(sp.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(sp.Child("apiGroup"), s.APIGroup, []string{""}))
			}
			if s.Name != "" {
				for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(s.Name, false) {
					errs = append(errs, field.Invalid(sp.Child("name"), s.Name, msg))
				}
			}
			if !namespaced && s.Namespace == "" {
				errs = append(errs, field.Required(sp.Child("namespace"), ""))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != rbacv1.GroupName {
				errs = append(errs, field.NotSupported(sp.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
			}
		default:
			errs = append(errs, field.NotSupported(sp.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
		}
	}
	return errs
}
