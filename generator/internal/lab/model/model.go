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
	Shared          map[string]*Shared   `json:"shared"`

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
	// CNI is "default" (the provider's) or "none" (made without one).
	CNI string `json:"cni"`
	// KubeProxy false makes the cluster without kube-proxy.
	KubeProxy bool `json:"kubeProxy"`
}

// ClusterRequirement mirrors #ClusterRequirement: nil fields ask nothing.
type ClusterRequirement struct {
	CNI       string `json:"cni,omitempty"`
	KubeProxy *bool  `json:"kubeProxy,omitempty"`
}

// Shared mirrors #Shared: components one cluster holds one copy of.
type Shared struct {
	Name                 string                `json:"name"`
	Description          string                `json:"description"`
	Namespace            string                `json:"namespace"`
	PodSecurity          string                `json:"podSecurity"`
	NamespaceLabels      map[string]string     `json:"namespaceLabels"`
	NamespaceAnnotations map[string]string     `json:"namespaceAnnotations"`
	Components           map[string]*Component `json:"components"`
	Requires             []string              `json:"requires"`
	// NeedsAPIs are API groups another unit on the cluster must provide.
	NeedsAPIs []string `json:"needsAPIs"`

	// Source is the repo-relative CUE file that declares it (set by load).
	Source string `json:"-"`
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
	// NamespaceLabels and NamespaceAnnotations are added to every
	// namespace of the experiment.
	NamespaceLabels      map[string]string `json:"namespaceLabels"`
	NamespaceAnnotations map[string]string `json:"namespaceAnnotations"`
	Requires             []string          `json:"requires"`
	// NeedsAPIs are API groups another unit on the cluster must provide.
	NeedsAPIs  []string              `json:"needsAPIs"`
	Components map[string]*Component `json:"components"`
	Variants   map[string]*Variant   `json:"variants"`
	Measure    Measure               `json:"measure"`
	Cost       CostQuestion          `json:"cost"`
	Compare    Compare               `json:"compare"`
	Benchmark  *Benchmark            `json:"benchmark,omitempty"`
	ADRs       []string              `json:"adrs"`

	// Phase is the name of the phase holding the experiment (set by load).
	Phase string `json:"-"`
	// Source is the repo-relative CUE file that declares it (set by load).
	Source string `json:"-"`
}

// Variant mirrors #Variant.
type Variant struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// NamespaceLabels and NamespaceAnnotations are added to the
	// variant's namespace.
	NamespaceLabels      map[string]string     `json:"namespaceLabels"`
	NamespaceAnnotations map[string]string     `json:"namespaceAnnotations"`
	Requires             []string              `json:"requires"`
	Components           map[string]*Component `json:"components"`
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
	// Requires names the shared components it needs.
	Requires []string `json:"requires"`
	// ProvidesAPIs are the API groups whose CRDs it installs.
	ProvidesAPIs []string `json:"providesAPIs"`
	// RequiresCluster is what it needs of its cluster (nil: nothing).
	RequiresCluster *ClusterRequirement `json:"requiresCluster,omitempty"`
	// Overrides replace the chart's objects of the same kind and name.
	Overrides []map[string]any `json:"overrides"`
	// ClusterObjects overrides the chart's ClusterObjects ("none" too).
	ClusterObjects string `json:"clusterObjects,omitempty"`

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
	// ClusterObjects is how the chart names its cluster-scoped objects:
	// ClusterObjectsFixed, ClusterObjectsRelease, ClusterObjectsRevision,
	// or "" (none).
	ClusterObjects string `json:"clusterObjects,omitempty"`
}

// Values of Chart.ClusterObjects.
const (
	ClusterObjectsFixed   = "fixed"
	ClusterObjectsRelease = "release"
	// ClusterObjectsRevision: every name derives from the values'
	// revision (an Istio control-plane revision).
	ClusterObjectsRevision = "revision"
)

// ClusterObjectsNone is a component's claim that its values turn the
// chart's cluster-scoped objects off.
const ClusterObjectsNone = "none"

// ClusterObjectsOf is how the component's chart, with its values, names
// the cluster-scoped objects it renders: the component's claim, else its
// chart's; "" for none (and for a component without a chart).
func (c *Component) ClusterObjectsOf() string {
	switch {
	case c.ClusterObjects == ClusterObjectsNone:
		return ""
	case c.ClusterObjects != "":
		return c.ClusterObjects
	case c.Chart != nil:
		return c.Chart.ClusterObjects
	}
	return ""
}

// Fullname is the name a chart's release-named objects derive from: the
// values' fullnameOverride, else the release name (the component's name).
func (c *Component) Fullname() string {
	if s, ok := c.Values["fullnameOverride"].(string); ok && s != "" {
		return s
	}
	return c.Name
}

// Revision is the name a chart's revision-named objects derive from: the
// values' revision ("" for none, the default revision).
func (c *Component) Revision() string {
	s, _ := c.Values["revision"].(string)
	return s
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
