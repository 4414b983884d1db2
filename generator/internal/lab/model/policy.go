package model

// Policy mirrors #Policy.
type Policy struct {
	Name        string             `json:"name"`
	Kind        string             `json:"kind"`
	Title       string             `json:"title"`
	Category    string             `json:"category"`
	Severity    string             `json:"severity"`
	Description string             `json:"description"`
	Action      string             `json:"action"`
	Match       PolicyMatch        `json:"match"`
	Variables   []PolicyVariable   `json:"variables"`
	Validations []PolicyValidation `json:"validations"`
	Images      *ImageVerification `json:"images,omitempty"`
	Tests       PolicyTests        `json:"tests"`

	// Source is the repo-relative CUE file that declares the policy (set by load).
	Source string `json:"-"`
}

// PolicyMatch mirrors #PolicyMatch.
type PolicyMatch struct {
	Resources       []ResourceRule `json:"resources"`
	NamespaceLabels []string       `json:"namespaceLabels"`
}

// ResourceRule mirrors #ResourceRule.
type ResourceRule struct {
	APIGroups   []string `json:"apiGroups"`
	APIVersions []string `json:"apiVersions"`
	Resources   []string `json:"resources"`
	Operations  []string `json:"operations"`
}

// PolicyVariable mirrors #PolicyVariable.
type PolicyVariable struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
}

// PolicyValidation mirrors #PolicyValidation.
type PolicyValidation struct {
	Expression string `json:"expression"`
	Message    string `json:"message"`
}

// ImageVerification mirrors #ImageVerification.
type ImageVerification struct {
	Match      []string         `json:"match"`
	Identities []SignerIdentity `json:"identities"`
	CTLogURL   string           `json:"ctlogURL"`
}

// SignerIdentity mirrors #SignerIdentity.
type SignerIdentity struct {
	Issuer        string `json:"issuer"`
	SubjectRegExp string `json:"subjectRegExp"`
}

// PolicyTests mirrors #PolicyTests.
type PolicyTests struct {
	Namespaces map[string]map[string]string `json:"namespaces"`
	Pass       []map[string]any             `json:"pass"`
	Fail       []map[string]any             `json:"fail"`
	Skip       []map[string]any             `json:"skip"`
}
