// Package model is the lab as typed Go values, decoded from the CUE schema
// in schema/. Field names follow the CUE definitions exactly; a test in
// package load keeps the two in agreement.
package model

// Lab mirrors #Lab.
type Lab struct {
	Name            string               `json:"name"`
	RepoURL         string               `json:"repoURL"`
	Revision        string               `json:"revision"`
	CostCenter      string               `json:"costCenter"`
	ArgoCDNamespace string               `json:"argocdNamespace"`
	Clusters        map[string]*Cluster  `json:"clusters"`
	Phases          map[string]*Phase    `json:"phases"`
	Conduct         map[string][]string  `json:"conduct"`
	CostModel       CostModel            `json:"costModel"`
	Policies        map[string]*Policy   `json:"policies"`
	Appendices      map[string]*Appendix `json:"appendices"`
	Discovery       *Discovery           `json:"discovery,omitempty"`
	FinOps          *FinOps              `json:"finops,omitempty"`

	// Files are the repo-relative CUE files declaring the lab's own
	// settings, named by the files generated from them (set by load).
	Files Files `json:"-"`
}

// Files names the CUE files of the lab's own declarations.
type Files struct {
	Lab       string // name, repoURL, clusters: what the root and projects come from
	Conduct   string // lab.conduct
	Policies  string // lab.policies
	Discovery string // lab.discovery
	FinOps    string // lab.finops
}

// Cluster mirrors #Cluster.
type Cluster struct {
	Name              string `json:"name"`
	Provider          string `json:"provider"`
	Server            string `json:"server"`
	KubernetesVersion string `json:"kubernetesVersion"`
	Nodes             Nodes  `json:"nodes"`
}

// Nodes mirrors #Cluster.nodes.
type Nodes struct {
	Count int    `json:"count"`
	Type  string `json:"type"`
}

// Phase mirrors #Phase.
type Phase struct {
	Name        string                 `json:"name"`
	Number      int                    `json:"number"`
	Title       string                 `json:"title"`
	Builds      string                 `json:"builds"`
	Measures    string                 `json:"measures"`
	FinOps      string                 `json:"finops"`
	Experiments map[string]*Experiment `json:"experiments"`
}

// Experiment mirrors #Experiment.
type Experiment struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	Title       string `json:"title"`
	Description string `json:"description"`
	PodSecurity string `json:"podSecurity"`
	CostCenter  string `json:"costCenter,omitempty"`
	// NamespaceLabels are added to every namespace of the experiment.
	NamespaceLabels map[string]string     `json:"namespaceLabels"`
	Components      map[string]*Component `json:"components"`
	Variants        map[string]*Variant   `json:"variants"`
	Measure         Measure               `json:"measure"`
	Cost            CostQuestion          `json:"cost"`
	Compare         Compare               `json:"compare"`
	Benchmark       *Benchmark            `json:"benchmark,omitempty"`
	ADRs            []string              `json:"adrs"`

	// Phase is the name of the phase holding the experiment (set by load).
	Phase string `json:"-"`
	// Source is the repo-relative CUE file that declares it (set by load).
	Source string `json:"-"`
}

// Variant mirrors #Variant.
type Variant struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// NamespaceLabels are added to the variant's namespace.
	NamespaceLabels map[string]string     `json:"namespaceLabels"`
	Components      map[string]*Component `json:"components"`
}

// Component mirrors #Component.
type Component struct {
	Name              string             `json:"name"`
	Chart             *Chart             `json:"chart,omitempty"`
	Path              string             `json:"path,omitempty"`
	Values            map[string]any     `json:"values"`
	Namespace         string             `json:"namespace,omitempty"`
	SyncWave          int                `json:"syncWave"`
	IgnoreDifferences []IgnoreDifference `json:"ignoreDifferences"`
	// Rendered is nil when unset: see Component.IsRendered.
	Rendered *bool `json:"rendered,omitempty"`

	// Replicas lifts the one-replica rule, saying why.
	Replicas *Replicas `json:"replicas,omitempty"`

	// LocalChart tells that Path holds a Helm chart (a Chart.yaml); set by load.
	LocalChart bool `json:"-"`
}

// Replicas mirrors #Component.replicas.
type Replicas struct {
	Max    int    `json:"max"`
	Reason string `json:"reason"`
}

// Chart mirrors #Chart.
type Chart struct {
	Repository string `json:"repository"`
	Name       string `json:"name"`
	Version    string `json:"version"`
}

// IgnoreDifference mirrors #IgnoreDifference (ArgoCD's field of that name).
type IgnoreDifference struct {
	Group             string   `json:"group,omitempty"`
	Kind              string   `json:"kind"`
	Name              string   `json:"name,omitempty"`
	JSONPointers      []string `json:"jsonPointers,omitempty"`
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
}

// Measure mirrors #Measure.
type Measure struct {
	Summary string             `json:"summary"`
	Metrics map[string]*Metric `json:"metrics"`
}

// Metric mirrors #Metric.
type Metric struct {
	Name        string `json:"name"`
	Query       string `json:"query"`
	Unit        string `json:"unit"`
	Description string `json:"description,omitempty"`
	Aggregation string `json:"aggregation"`
}

// CostQuestion mirrors #CostQuestion.
type CostQuestion struct {
	Question string `json:"question"`
	Pricing  string `json:"pricing"`
}

// Compare mirrors #Compare.
type Compare struct {
	Summary      string   `json:"summary"`
	Alternatives []string `json:"alternatives"`
	// Layers orders the variants of a layered composition.
	Layers []string `json:"layers,omitempty"`
}

// CostModel mirrors #CostModel.
type CostModel struct {
	Currency        string             `json:"currency"`
	CPUCoreHour     float64            `json:"cpuCoreHour"`
	RAMGiBHour      float64            `json:"ramGiBHour"`
	StorageGiBMonth float64            `json:"storageGiBMonth"`
	HoursPerMonth   float64            `json:"hoursPerMonth"`
	NodeHour        map[string]float64 `json:"nodeHour"`
}

// Appendix mirrors #Appendix.
type Appendix struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Category string `json:"category"`
	Summary  string `json:"summary,omitempty"`
}

// Namespace is where a component of the experiment (in variant, or shared
// when variant is "") is deployed: its own override, else the variant's
// namespace, else the experiment's.
func (e *Experiment) Namespace(variant string, c *Component) string {
	if c != nil && c.Namespace != "" {
		return c.Namespace
	}
	return e.VariantNamespace(variant)
}

// VariantNamespace is the namespace of a variant ("" for the experiment's
// shared components): variants run side by side, each isolated.
func (e *Experiment) VariantNamespace(variant string) string {
	if variant == "" {
		return e.Name
	}
	return e.Name + "-" + variant
}
