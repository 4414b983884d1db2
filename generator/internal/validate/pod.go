package validate

import (
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	validationIsConfigMapKey     = utilvalidation.IsConfigMapKey
	validationIsValidLabelValue  = utilvalidation.IsValidLabelValue
	validationIsValidPortNum     = utilvalidation.IsValidPortNum
	validationIsValidPortName    = utilvalidation.IsValidPortName
	intstrString                 = intstr.String
	supportedRestartPolicies     = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
	supportedPullPolicies        = []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}
	supportedProtocols           = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	supportedDNSPolicies         = []corev1.DNSPolicy{corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone}
	supportedTerminationMsgPolic = []corev1.TerminationMessagePolicy{corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError}
)

// validatePodSpec mirrors the parts of k8s.io/kubernetes' ValidatePodSpec that rendered
// workloads can get wrong: containers, their names, ports, env, volume mounts and resources,
// volumes, and the enumerated fields. isPod adds the rules for bare Pods (an image is
// required; templates may leave it to admission).
func validatePodSpec(spec *corev1.PodSpec, p *field.Path, isPod bool) field.ErrorList {
	var errs field.ErrorList
	volumes := sets.New[string]()
	for i, v := range spec.Volumes {
		vp := p.Child("volumes").Index(i)
		errs = append(errs, dnsLabel(v.Name, vp.Child("name"))...)
		if volumes.Has(v.Name) {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		volumes.Insert(v.Name)
		if n := setFields(v.VolumeSource); n == 0 {
			errs = append(errs, field.Required(vp, "must specify a volume type"))
		} else if n > 1 {
			errs = append(errs, field.Forbidden(vp, "may not specify more than 1 volume type"))
		}
	}
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	names := sets.New[string]()
	check := func(c *corev1.Container, cp *field.Path) {
		if c.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		} else {
			errs = append(errs, dnsLabel(c.Name, cp.Child("name"))...)
			if names.Has(c.Name) {
				errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
			}
			names.Insert(c.Name)
		}
		errs = append(errs, validateContainer(c, cp, volumes, isPod)...)
	}
	for i := range spec.InitContainers {
		check(&spec.InitContainers[i], p.Child("initContainers").Index(i))
	}
	for i := range spec.Containers {
		check(&spec.Containers[i], p.Child("containers").Index(i))
	}
	if rp := spec.RestartPolicy; rp != "" && !contains(supportedRestartPolicies, rp) {
		errs = append(errs, field.NotSupported(p.Child("restartPolicy"), rp, supportedRestartPolicies))
	}
	if dp := spec.DNSPolicy; dp != "" && !contains(supportedDNSPolicies, dp) {
		errs = append(errs, field.NotSupported(p.Child("dnsPolicy"), dp, supportedDNSPolicies))
	}
	if spec.DNSPolicy == corev1.DNSNone && (spec.DNSConfig == nil || len(spec.DNSConfig.Nameservers) == 0) {
		errs = append(errs, field.Required(p.Child("dnsConfig", "nameservers"), fmt.Sprintf("must provide at least one DNS nameserver when DNS policy is %s", corev1.DNSNone)))
	}
	errs = append(errs, metav1validation.ValidateLabels(spec.NodeSelector, p.Child("nodeSelector"))...)
	if sa := spec.ServiceAccountName; sa != "" {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(sa, false) {
			errs = append(errs, field.Invalid(p.Child("serviceAccountName"), sa, msg))
		}
	}
	if spec.ActiveDeadlineSeconds != nil && *spec.ActiveDeadlineSeconds <= 0 {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *spec.ActiveDeadlineSeconds, "must be between 1 and 2147483647, inclusive"))
	}
	if g := spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *g, "must be >= 0"))
	}
	for i, s := range spec.ImagePullSecrets {
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	return errs
}

func validateContainer(c *corev1.Container, p *field.Path, volumes sets.Set[string], isPod bool) field.ErrorList {
	var errs field.ErrorList
	if isPod && c.Image == "" {
		errs = append(errs, field.Required(p.Child("image"), ""))
	}
	if c.Image != strings.TrimSpace(c.Image) {
		errs = append(errs, field.Invalid(p.Child("image"), c.Image, "must not have leading or trailing whitespace"))
	}
	if pp := c.ImagePullPolicy; pp != "" && !contains(supportedPullPolicies, pp) {
		errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), pp, supportedPullPolicies))
	}
	if tp := c.TerminationMessagePolicy; tp != "" && !contains(supportedTerminationMsgPolic, tp) {
		errs = append(errs, field.NotSupported(p.Child("terminationMessagePolicy"), tp, supportedTerminationMsgPolic))
	}
	portNames := sets.New[string]()
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		if port.Name != "" {
			for _, msg := range utilvalidation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
			if portNames.Has(port.Name) {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			portNames.Insert(port.Name)
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(pp.Child("containerPort"), ""))
		} else {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.ContainerPort)) {
				errs = append(errs, field.Invalid(pp.Child("containerPort"), port.ContainerPort, msg))
			}
		}
		if port.HostPort != 0 {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.HostPort)) {
				errs = append(errs, field.Invalid(pp.Child("hostPort"), port.HostPort, msg))
			}
		}
		if port.Protocol != "" && !contains(supportedProtocols, port.Protocol) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, supportedProtocols))
		}
	}
	for i, ev := range c.Env {
		ep := p.Child("env").Index(i)
		if ev.Name == "" {
			errs = append(errs, field.Required(ep.Child("name"), ""))
		} else {
			for _, msg := range utilvalidation.IsRelaxedEnvVarName(ev.Name) {
				errs = append(errs, field.Invalid(ep.Child("name"), ev.Name, msg))
			}
		}
		if ev.ValueFrom != nil {
			n := setFields(*ev.ValueFrom)
			if n == 0 {
				errs = append(errs, field.Invalid(ep.Child("valueFrom"), "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"))
			} else if n > 1 {
				errs = append(errs, field.Invalid(ep.Child("valueFrom"), "", "may not have more than one field specified at a time"))
			}
			if ev.Value != "" && n > 0 {
				errs = append(errs, field.Invalid(ep.Child("valueFrom"), "", "may not be specified when `value` is not empty"))
			}
		}
	}
	mounts := sets.New[string]()
	for i, vm := range c.VolumeMounts {
		mp := p.Child("volumeMounts").Index(i)
		if vm.Name == "" {
			errs = append(errs, field.Required(mp.Child("name"), ""))
		} else if !volumes.Has(vm.Name) {
			errs = append(errs, field.NotFound(mp.Child("name"), vm.Name))
		}
		if vm.MountPath == "" {
			errs = append(errs, field.Required(mp.Child("mountPath"), ""))
		} else if mounts.Has(vm.MountPath) {
			errs = append(errs, field.Invalid(mp.Child("mountPath"), vm.MountPath, "must be unique"))
		}
		mounts.Insert(vm.MountPath)
	}
	if sc := c.SecurityContext; sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		if sc.Privileged != nil && *sc.Privileged {
			errs = append(errs, field.Invalid(p.Child("securityContext"), "", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
		}
		if sc.Capabilities != nil {
			for _, cp := range sc.Capabilities.Add {
				if cp == "SYS_ADMIN" || cp == "CAP_SYS_ADMIN" {
					errs = append(errs, field.Invalid(p.Child("securityContext"), "", "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
				}
			}
		}
	}
	rp := p.Child("resources")
	for name, q := range c.Resources.Limits {
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(rp.Child("limits").Key(string(name)), q.String(), "must be greater than or equal to 0"))
		}
	}
	for name, q := range c.Resources.Requests {
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(rp.Child("requests").Key(string(name)), q.String(), "must be greater than or equal to 0"))
		}
		if l, ok := c.Resources.Limits[name]; ok && q.Cmp(l) > 0 {
			errs = append(errs, field.Invalid(rp.Child("requests").Key(string(name)), q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, l.String())))
		}
	}
	return errs
}

func dnsLabel(s string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Label(s) {
		errs = append(errs, field.Invalid(p, s, msg))
	}
	return errs
}

// setFields counts the non-nil pointer fields of a one-of struct (VolumeSource, EnvVarSource).
func setFields(v any) int {
	rv := reflect.ValueOf(v)
	n := 0
	for i := 0; i < rv.NumField(); i++ {
		if f := rv.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			n++
		}
	}
	return n
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
