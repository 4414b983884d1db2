// Package labels names the labels and annotations the lab puts on what it
// renders: cost allocation (FinOps) and identity. Cost tools (OpenCost,
// the results collector) aggregate by these keys, so they never change
// lightly.
package labels

const prefix = "lab.illm.dev/"

// Cost-allocation label keys.
const (
	Phase      = prefix + "phase"
	Experiment = prefix + "experiment"
	Variant    = prefix + "variant"
	Component  = prefix + "component"
	CostCenter = prefix + "cost-center"
	SyncWave   = prefix + "sync-wave"
	Run        = prefix + "run"
)

// Shared is the variant label value of an experiment's components that
// every variant shares (label values cannot be empty in selectors).
const Shared = "shared"

// Standard Kubernetes labels.
const (
	PartOf    = "app.kubernetes.io/part-of"
	ManagedBy = "app.kubernetes.io/managed-by"
	Name      = "app.kubernetes.io/name"
)

// ArgoCD's annotation ordering resources within a sync.
const ArgoSyncWave = "argocd.argoproj.io/sync-wave"
