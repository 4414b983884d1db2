package results

import "sort"

// MetricValue is one of the experiment's declared PromQL metrics, reduced to
// one number over the run window.
type MetricValue struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Aggregation is how the range was reduced: max, avg, min or last.
	Aggregation string `json:"aggregation"`
	// Query is the PromQL sent, with $namespace and $window substituted.
	Query string `json:"query"`
}

// RunInfo records where and with what a run happened, so that two results
// can be told apart by more than their figures.
type RunInfo struct {
	Namespace string `json:"namespace"`
	// WindowStart and WindowEnd bound the run (RFC 3339, UTC): the load
	// containers' start and finish times.
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	// GitCommit is the lab repository's HEAD when the result was collected.
	GitCommit string `json:"git_commit"`
	// ScriptSHA256 is the digest of the script the load pods ran ("" when
	// the pods do not carry it). The tool's version is in Result.Tool.
	ScriptSHA256 string     `json:"script_sha256"`
	Charts       []ChartRef `json:"charts"`
	Images       []ImageRef `json:"images"`
	Nodes        []NodeRef  `json:"nodes"`
}

// ChartRef is one Helm chart the experiment's variant deploys.
type ChartRef struct {
	Component  string `json:"component"`
	Repository string `json:"repository"`
	Chart      string `json:"chart"`
	Version    string `json:"version"`
}

// ImageRef is one container image as the kubelet resolved it.
type ImageRef struct {
	// Container is namespace/pod/container.
	Container string `json:"container"`
	Image     string `json:"image"`
	// ImageID is the pod status imageID (a digest reference).
	ImageID string `json:"image_id"`
}

// NodeRef is one node a pod of the run was scheduled on.
type NodeRef struct {
	Name string `json:"name"`
	// InstanceType is the node.kubernetes.io/instance-type label ("" when absent).
	InstanceType string `json:"instance_type"`
}

func (ri *RunInfo) normalize() {
	sort.Slice(ri.Charts, func(i, j int) bool { return ri.Charts[i].Component < ri.Charts[j].Component })
	sort.Slice(ri.Images, func(i, j int) bool { return ri.Images[i].Container < ri.Images[j].Container })
	sort.Slice(ri.Nodes, func(i, j int) bool { return ri.Nodes[i].Name < ri.Nodes[j].Name })
	if ri.Charts == nil {
		ri.Charts = []ChartRef{}
	}
	if ri.Images == nil {
		ri.Images = []ImageRef{}
	}
	if ri.Nodes == nil {
		ri.Nodes = []NodeRef{}
	}
}
