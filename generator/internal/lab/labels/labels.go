// Package labels names every label and annotation key the lab puts on what
// it renders or reads back: cost allocation (FinOps), identity, the
// contract between the benchmark Jobs and the results collector, and the
// ArgoCD and Kubernetes keys the generators set. Cost tools (OpenCost, the
// results collector) aggregate by these keys, so they never change
// lightly; a key declared here is the only spelling of it in the program.
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
	// SharedSet names the shared component set (lab.shared) an object
	// belongs to, where an experiment's objects carry Experiment.
	SharedSet = prefix + "shared"
	// Tool labels the Jobs and pods of a benchmark whose load tool is not
	// k6 with that tool (pgbench, redis-benchmark, nats-bench, kafka-perf,
	// perftest, fio): the collector picks the parser of the report between
	// the results markers by it. No label means k6.
	Tool = prefix + "tool"
)

// Shared is the variant label value of an experiment's components that
// every variant shares (label values cannot be empty in selectors).
const Shared = "shared"

// Annotations the lab writes for its own readers.
const (
	// Chart records, on every rendered object, the chart and version it
	// came from.
	Chart = prefix + "chart"
	// ScriptSHA256 and ExpectedDuration are the contract between the
	// benchmark Jobs and the results collector: the collector refuses a
	// run made with another script, or shorter than the Job declares.
	// ScriptSHA256 is the k6 script's digest, or the digest of another
	// tool's configuration (benchjobs.ConfigDigest); ExpectedDuration is
	// absent for tools that run to a count rather than for a duration.
	ScriptSHA256     = prefix + "script-sha256"
	ExpectedDuration = prefix + "expected-duration"
	// ExpectedOperations is the least number of operations (requests,
	// messages, records) a complete run of a count-bound tool reports:
	// the collector refuses a run that reports fewer.
	ExpectedOperations = prefix + "expected-operations"
	// CRDSpecSHA256 marks a CRD with the digest of the spec the lab's
	// installer applied, so installing the same CRDs again is skipped.
	CRDSpecSHA256 = prefix + "crd-spec-sha256"
)

// Standard Kubernetes labels.
const (
	PartOf    = "app.kubernetes.io/part-of"
	ManagedBy = "app.kubernetes.io/managed-by"
	Name      = "app.kubernetes.io/name"
)

// Pod Security admission labels of a namespace.
const (
	PodSecurityEnforce = "pod-security.kubernetes.io/enforce"
	PodSecurityWarn    = "pod-security.kubernetes.io/warn"
)

// ArgoCD's keys.
const (
	// ArgoSyncWave orders resources within a sync.
	ArgoSyncWave = "argocd.argoproj.io/sync-wave"
	// ArgoHook and ArgoHookDeletePolicy make a resource a sync hook.
	ArgoHook             = "argocd.argoproj.io/hook"
	ArgoHookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
	// ArgoSyncOptions are per-resource sync options.
	ArgoSyncOptions = "argocd.argoproj.io/sync-options"
	// ArgoIgnoreHealthCheck ("true") leaves a resource out of its
	// Application's health.
	ArgoIgnoreHealthCheck = "argocd.argoproj.io/ignore-healthcheck"
	// ArgoSecretType marks a Secret ArgoCD reads as a repository.
	ArgoSecretType = "argocd.argoproj.io/secret-type"
)
