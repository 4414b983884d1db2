package model

// Discovery mirrors #Discovery.
type Discovery struct {
	Schedule   string                      `json:"schedule"`
	Timezone   string                      `json:"timezone"`
	Cluster    string                      `json:"cluster"`
	Namespace  string                      `json:"namespace"`
	Image      DiscoveryImage              `json:"image"`
	SecretName string                      `json:"secretName"`
	ReportDir  string                      `json:"reportDir"`
	Limits     DiscoveryLimits             `json:"limits"`
	Sources    map[string]*DiscoverySource `json:"sources"`
	Scoring    DiscoveryScoring            `json:"scoring"`
	Placement  map[string][]string         `json:"placement"`
	LLM        DiscoveryLLM                `json:"llm"`
}

// DiscoveryImage mirrors #Discovery.image.
type DiscoveryImage struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

// Ref is the pinned image reference.
func (i DiscoveryImage) Ref() string { return i.Repository + ":" + i.Tag }

// DiscoveryLimits mirrors #Discovery.limits.
type DiscoveryLimits struct {
	TimeoutSeconds    int     `json:"timeoutSeconds"`
	MaxBytes          int64   `json:"maxBytes"`
	Retries           int     `json:"retries"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`
}

// DiscoveryScoring mirrors #Discovery.scoring.
type DiscoveryScoring struct {
	P0 float64 `json:"p0"`
	P1 float64 `json:"p1"`
	P2 float64 `json:"p2"`
}

// DiscoveryLLM mirrors #Discovery.llm.
type DiscoveryLLM struct {
	Enabled   bool   `json:"enabled"`
	Model     string `json:"model"`
	MaxTokens int    `json:"maxTokens"`
	Prompt    string `json:"prompt"`
}

// DiscoverySource mirrors #DiscoverySource.
type DiscoverySource struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	URL       string   `json:"url"`
	Weight    float64  `json:"weight"`
	Schedule  string   `json:"schedule"`
	Topics    []string `json:"topics"`
	Query     string   `json:"query,omitempty"`
	MinStars  int      `json:"minStars"`
	MinPoints int      `json:"minPoints"`
	Limit     int      `json:"limit"`
}
