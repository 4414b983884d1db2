// Package kyverno compiles the lab's policies (lab.policies) to Kyverno's
// CEL policy kinds, policies.kyverno.io/v1 ValidatingPolicy and
// ImageValidatingPolicy, never the legacy ClusterPolicy. Each policy is
// written to policies/<name>.yaml and its Kyverno CLI test (kyverno-test.yaml,
// resources.yaml, values.yaml) to policies/<name>/, so that
// `kubectl-kyverno test policies/` runs every test. An ArgoCD directory
// source on policies/ (not recursive) syncs the policies and never the
// test fixtures.
package kyverno

import (
	"fmt"
	"maps"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

// APIVersion is the Kyverno CEL policies' API version.
const APIVersion = "policies.kyverno.io/v1"

// Dir is the folder of the rendered policies.
const Dir = "policies"

// Annotation keys Kyverno's policy reports and catalogue read.
const (
	annTitle       = "policies.kyverno.io/title"
	annCategory    = "policies.kyverno.io/category"
	annSeverity    = "policies.kyverno.io/severity"
	annDescription = "policies.kyverno.io/description"
)

// Policy is a rendered Kyverno CEL policy.
type Policy struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata is the policy's object metadata.
type Metadata struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// Spec holds the fields ValidatingPolicy and ImageValidatingPolicy share,
// and the image-only ones (empty for a ValidatingPolicy).
type Spec struct {
	ValidationActions        []string                 `json:"validationActions"`
	MatchConstraints         MatchConstraints         `json:"matchConstraints"`
	MatchImageReferences     []ImageReference         `json:"matchImageReferences,omitempty"`
	ValidationConfigurations *ValidationConfiguration `json:"validationConfigurations,omitempty"`
	Attestors                []Attestor               `json:"attestors,omitempty"`
	Variables                []model.PolicyVariable   `json:"variables,omitempty"`
	Validations              []model.PolicyValidation `json:"validations"`
}

// MatchConstraints selects the admission requests a policy evaluates.
type MatchConstraints struct {
	ResourceRules     []ResourceRule `json:"resourceRules"`
	NamespaceSelector *Selector      `json:"namespaceSelector,omitempty"`
}

// ResourceRule is one admissionregistration rule with operations.
type ResourceRule struct {
	APIGroups   []string `json:"apiGroups"`
	APIVersions []string `json:"apiVersions"`
	Operations  []string `json:"operations"`
	Resources   []string `json:"resources"`
}

// Selector is a label selector of match expressions.
type Selector struct {
	MatchExpressions []Requirement `json:"matchExpressions"`
}

// Requirement is one label selector requirement.
type Requirement struct {
	Key      string `json:"key"`
	Operator string `json:"operator"`
}

// ImageReference selects the images an ImageValidatingPolicy verifies.
type ImageReference struct {
	Glob string `json:"glob"`
}

// ValidationConfiguration tunes image verification.
type ValidationConfiguration struct {
	Required     bool `json:"required"`
	MutateDigest bool `json:"mutateDigest"`
	VerifyDigest bool `json:"verifyDigest"`
}

// Attestor is a named Cosign verifier.
type Attestor struct {
	Name   string  `json:"name"`
	Cosign *Cosign `json:"cosign"`
}

// Cosign is keyless (Sigstore) verification.
type Cosign struct {
	Keyless Keyless `json:"keyless"`
	CTLog   CTLog   `json:"ctlog"`
}

// Keyless lists the accepted signer identities.
type Keyless struct {
	Identities []Identity `json:"identities"`
}

// Identity is an OIDC issuer and a certificate subject pattern.
type Identity struct {
	Issuer        string `json:"issuer"`
	SubjectRegExp string `json:"subjectRegExp"`
}

// CTLog is the transparency log entries are checked against.
type CTLog struct {
	URL string `json:"url"`
}

// AttestorName is the attestor an ImageValidatingPolicy's validations
// call as attestors.cosign.
const AttestorName = "cosign"

// Build compiles one policy.
func Build(p *model.Policy) *Policy {
	out := &Policy{
		APIVersion: APIVersion,
		Kind:       p.Kind,
		Metadata: Metadata{
			Name: p.Name,
			Annotations: map[string]string{
				annTitle:       p.Title,
				annCategory:    p.Category,
				annSeverity:    p.Severity,
				annDescription: p.Description,
			},
		},
		Spec: Spec{
			ValidationActions: []string{p.Action},
			Variables:         p.Variables,
			Validations:       p.Validations,
		},
	}
	for _, r := range p.Match.Resources {
		out.Spec.MatchConstraints.ResourceRules = append(out.Spec.MatchConstraints.ResourceRules, ResourceRule{
			APIGroups: r.APIGroups, APIVersions: r.APIVersions, Operations: r.Operations, Resources: r.Resources,
		})
	}
	if len(p.Match.NamespaceLabels) > 0 {
		sel := &Selector{}
		for _, k := range p.Match.NamespaceLabels {
			sel.MatchExpressions = append(sel.MatchExpressions, Requirement{Key: k, Operator: "Exists"})
		}
		out.Spec.MatchConstraints.NamespaceSelector = sel
	}
	if img := p.Images; img != nil {
		for _, g := range img.Match {
			out.Spec.MatchImageReferences = append(out.Spec.MatchImageReferences, ImageReference{Glob: g})
		}
		ids := make([]Identity, len(img.Identities))
		for i, id := range img.Identities {
			ids[i] = Identity{Issuer: id.Issuer, SubjectRegExp: id.SubjectRegExp}
		}
		out.Spec.Attestors = []Attestor{{Name: AttestorName, Cosign: &Cosign{Keyless: Keyless{Identities: ids}, CTLog: CTLog{URL: img.CTLogURL}}}}
		// Tags stay as written: rewriting them to digests (mutateDigest)
		// would make ArgoCD see drift on every pod it did not render.
		out.Spec.ValidationConfigurations = &ValidationConfiguration{Required: true, MutateDigest: false, VerifyDigest: false}
	}
	return out
}

// Test is a Kyverno CLI test (cli.kyverno.io/v1alpha1 Test).
type Test struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   Metadata     `json:"metadata"`
	Policies   []string     `json:"policies"`
	Resources  []string     `json:"resources"`
	Variables  string       `json:"variables,omitempty"`
	Results    []TestResult `json:"results"`
}

// TestResult is the expected result of a policy on some resources.
type TestResult struct {
	Policy                  string   `json:"policy"`
	IsValidatingPolicy      bool     `json:"isValidatingPolicy,omitempty"`
	IsImageValidatingPolicy bool     `json:"isImageValidatingPolicy,omitempty"`
	Kind                    string   `json:"kind"`
	Resources               []string `json:"resources"`
	Result                  string   `json:"result"`
}

// Values is the CLI's values file: the labelled namespaces the test
// resources live in, for namespaceSelector and namespaceObject.
type Values struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   Metadata    `json:"metadata"`
	Namespaces []Namespace `json:"namespaces"`
}

// Namespace is a namespace in the values file.
type Namespace struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
}

// Files are a policy's rendered files, by path under policies/.
type Files map[string][]byte

// Render adds every policy of the lab and its CLI test.
func Render(lab *model.Lab, t *tree.Tree) error {
	for _, name := range slices.Sorted(maps.Keys(lab.Policies)) {
		p := lab.Policies[name]
		source := p.Source
		files, err := Compile(p)
		if err != nil {
			return fmt.Errorf("policy %s (%s): %w", name, source, err)
		}
		for _, fp := range slices.Sorted(maps.Keys(files)) {
			if err := t.Add(Dir+"/"+fp, source, files[fp]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Compile renders one policy and its test.
func Compile(p *model.Policy) (Files, error) {
	pol, err := yaml.Marshal(Build(p))
	if err != nil {
		return nil, err
	}
	files := Files{p.Name + ".yaml": pol}

	if p.Kind == "ImageValidatingPolicy" && len(p.Tests.Skip) > 0 {
		// Checked with kubectl-kyverno v1.19.1: "Not found" for every skip.
		return nil, fmt.Errorf("tests.skip: the Kyverno CLI reports no result for an ImageValidatingPolicy on resources it does not match, so a skip cannot be tested")
	}
	var docs [][]byte
	var results []TestResult
	seen := map[string]bool{}
	for _, group := range []struct {
		result string
		objs   []map[string]any
	}{{"pass", p.Tests.Pass}, {"fail", p.Tests.Fail}, {"skip", p.Tests.Skip}} {
		byKind := map[string][]string{}
		for i, o := range group.objs {
			kind, _ := o["kind"].(string)
			md, _ := o["metadata"].(map[string]any)
			name, _ := md["name"].(string)
			if kind == "" || name == "" {
				return nil, fmt.Errorf("tests.%s[%d]: a test resource needs kind and metadata.name", group.result, i)
			}
			ns, _ := md["namespace"].(string)
			if ns != "" {
				if _, ok := p.Tests.Namespaces[ns]; !ok {
					return nil, fmt.Errorf("tests.%s[%d]: namespace %q is not declared in tests.namespaces", group.result, i, ns)
				}
			}
			// The CLI reports results by kind and name.
			key := kind + "/" + name
			if seen[key] {
				return nil, fmt.Errorf("tests.%s[%d]: two test resources are named %s", group.result, i, key)
			}
			seen[key] = true
			b, err := yaml.Marshal(o)
			if err != nil {
				return nil, err
			}
			docs = append(docs, b)
			byKind[kind] = append(byKind[kind], name)
		}
		for _, kind := range slices.Sorted(maps.Keys(byKind)) {
			r := TestResult{Policy: p.Name, Kind: kind, Resources: byKind[kind], Result: group.result}
			if p.Kind == "ImageValidatingPolicy" {
				r.IsImageValidatingPolicy = true
			} else {
				r.IsValidatingPolicy = true
			}
			results = append(results, r)
		}
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("tests: no test resources: every policy is tested")
	}
	files[p.Name+"/resources.yaml"] = joinDocs(docs)

	test := Test{
		APIVersion: "cli.kyverno.io/v1alpha1",
		Kind:       "Test",
		Metadata:   Metadata{Name: p.Name},
		Policies:   []string{"../" + p.Name + ".yaml"},
		Resources:  []string{"resources.yaml"},
		Results:    results,
	}
	if len(p.Tests.Namespaces) > 0 {
		v := Values{APIVersion: "cli.kyverno.io/v1alpha1", Kind: "Value", Metadata: Metadata{Name: "values"}}
		for _, ns := range slices.Sorted(maps.Keys(p.Tests.Namespaces)) {
			v.Namespaces = append(v.Namespaces, Namespace{APIVersion: "v1", Kind: "Namespace", Metadata: Metadata{Name: ns, Labels: p.Tests.Namespaces[ns]}})
		}
		b, err := yaml.Marshal(v)
		if err != nil {
			return nil, err
		}
		files[p.Name+"/values.yaml"] = b
		test.Variables = "values.yaml"
	}
	b, err := yaml.Marshal(test)
	if err != nil {
		return nil, err
	}
	files[p.Name+"/kyverno-test.yaml"] = b
	return files, nil
}

func joinDocs(docs [][]byte) []byte {
	var out []byte
	for i, d := range docs {
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, d...)
	}
	return out
}
