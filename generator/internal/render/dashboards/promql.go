package dashboards

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// Placeholders the lab's queries use (#Metric): the variant's namespace
// and the run's window. Grafana substitutes its dashboard variables of
// the same names; Check substitutes example values first.
const (
	NamespaceVar = "$namespace"
	WindowVar    = "$window"
)

var promql = parser.NewParser(parser.Options{})

// Substitute replaces the placeholders as Grafana (or the collector) would.
func Substitute(q, namespace, window string) string {
	return strings.NewReplacer(NamespaceVar, namespace, WindowVar, window).Replace(q)
}

// Check parses q with Prometheus' own parser after substituting an
// example namespace and window; a query Grafana would send broken is an
// error naming where it comes from.
func Check(where, q string) error {
	if _, err := promql.ParseExpr(Substitute(q, "lab-check", "5m")); err != nil {
		return fmt.Errorf("%s: PromQL does not parse: %w (query: %s)", where, err, q)
	}
	return nil
}

// Parse parses an already substituted expression.
func Parse(q string) (parser.Expr, error) { return promql.ParseExpr(q) }

// Label names of the lab's cost labels as OpenCost exports them on
// kube_pod_labels and kube_namespace_labels: label_ and the Kubernetes key
// with every character outside [a-zA-Z0-9_] replaced by "_"
// (opencost pkg/metrics/podlabelmetrics.go, namespacemetrics.go).
const (
	promExperiment = "label_lab_illm_dev_experiment"
	promVariant    = "label_lab_illm_dev_variant"
	promComponent  = "label_lab_illm_dev_component"
	promPhase      = "label_lab_illm_dev_phase"
)

// OpenCost's allocation and price metrics (opencost pkg/costmodel/metrics.go):
// container_cpu_allocation (cores) and container_memory_allocation_bytes
// by namespace, pod, container and node; node_cpu_hourly_cost (per core)
// and node_ram_hourly_cost (per GiB) by node.
const (
	cpuCost = `container_cpu_allocation%s * on (node) group_left () max by (node) (node_cpu_hourly_cost)`
	ramCost = `container_memory_allocation_bytes%s / 1073741824 * on (node) group_left () max by (node) (node_ram_hourly_cost)`
)

func sel(matchers string) string {
	if matchers == "" {
		return ""
	}
	return "{" + matchers + "}"
}

// HourlyCost is the hourly cost of CPU and memory OpenCost allocates to
// the containers matched, summed by the labels given.
func HourlyCost(matchers, by string) string {
	s := sel(matchers)
	return fmt.Sprintf("sum by (%s) (%s) + sum by (%s) (%s)", by, fmt.Sprintf(cpuCost, s), by, fmt.Sprintf(ramCost, s))
}

// HourlyCostTotal is the hourly cost of the containers matched, one series.
func HourlyCostTotal(matchers string) string {
	s := sel(matchers)
	return fmt.Sprintf("sum (%s) + sum (%s)", fmt.Sprintf(cpuCost, s), fmt.Sprintf(ramCost, s))
}

// HourlyCostByPodLabels is the hourly cost of every pod carrying the lab's
// cost labels, by the pod labels given (OpenCost's kube_pod_labels).
func HourlyCostByPodLabels(by ...string) string {
	l := strings.Join(by, ", ")
	// topk keeps one label set per pod while a relabelled pod's old and new
	// series overlap (a many-to-many match would fail the whole query).
	join := fmt.Sprintf(` * on (namespace, pod) group_left (%s) topk by (namespace, pod) (1, max by (namespace, pod, %s) (kube_pod_labels{%s!=""}))`, l, l, by[len(by)-1])
	return fmt.Sprintf("sum by (%s) (sum by (namespace, pod) (%s)%s) + sum by (%s) (sum by (namespace, pod) (%s)%s)",
		l, fmt.Sprintf(cpuCost, ""), join, l, fmt.Sprintf(ramCost, ""), join)
}

// HourlyCostByNamespaceLabel is the hourly cost of every namespace by one
// of its labels (OpenCost's kube_namespace_labels): what the lab's
// namespaces carry covers the pods of remote charts too.
func HourlyCostByNamespaceLabel(label string) string {
	join := fmt.Sprintf(` * on (namespace) group_left (%s) topk by (namespace) (1, max by (namespace, %s) (kube_namespace_labels{%s!=""}))`, label, label, label)
	return fmt.Sprintf("sum by (%s) ((%s)%s)", label, HourlyCost("", "namespace"), join)
}
