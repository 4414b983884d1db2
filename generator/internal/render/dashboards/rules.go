package dashboards

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Recorded series of the cost rules.
const (
	NamespaceHourlyCost  = "lab:namespace_hourly_cost:sum"
	ExperimentHourlyCost = "lab:experiment_hourly_cost:sum"
)

// RuleGroups are the lab's cost recording rules and cost-anomaly alerts:
// a namespace's or experiment's hourly cost above ratio × its average over
// the baseline window, for a while; and prices missing altogether (costs
// that read as zero because OpenCost exports no prices).
func RuleGroups(lab *model.Lab) []monitoringv1.RuleGroup {
	spike := model.CostSpike{Ratio: 1.5, Baseline: "1d", For: "30m", MinHourly: 0.001}
	if lab.FinOps != nil {
		spike = lab.FinOps.CostSpike
	}
	dur := func(s string) *monitoringv1.Duration { d := monitoringv1.Duration(s); return &d }
	alert := func(name, series, by, what string) monitoringv1.Rule {
		return monitoringv1.Rule{
			Alert: name,
			Expr: intstr.FromString(fmt.Sprintf("%s > %g * avg_over_time(%s[%s]) and %s > %g",
				series, spike.Ratio, series, spike.Baseline, series, spike.MinHourly)),
			For:    dur(spike.For),
			Labels: map[string]string{"severity": "warning", "lab": lab.Name},
			Annotations: map[string]string{
				"summary": fmt.Sprintf("The hourly cost of %s {{ $labels.%s }} is above %g× its %s average", what, by, spike.Ratio, spike.Baseline),
				"description": fmt.Sprintf("%s {{ $labels.%s }} costs {{ $value | printf \"%%.4f\" }} %s an hour (OpenCost allocation), more than %g times its average over %s, for %s.",
					what, by, lab.CostModel.Currency, spike.Ratio, spike.Baseline, spike.For),
			},
		}
	}
	return []monitoringv1.RuleGroup{
		{
			Name:     lab.Name + ".cost.recording",
			Interval: dur("1m"),
			Rules: []monitoringv1.Rule{
				{Record: NamespaceHourlyCost, Expr: intstr.FromString(HourlyCost("", "namespace"))},
				{Record: ExperimentHourlyCost, Expr: intstr.FromString(HourlyCostByNamespaceLabel(promExperiment))},
			},
		},
		{
			Name:     lab.Name + ".cost.anomalies",
			Interval: dur("1m"),
			Rules: []monitoringv1.Rule{
				alert("LabNamespaceCostSpike", NamespaceHourlyCost, "namespace", "namespace"),
				alert("LabExperimentCostSpike", ExperimentHourlyCost, promExperiment, "experiment"),
				{
					Alert:  "LabCostPricesMissing",
					Expr:   intstr.FromString(`absent(node_cpu_hourly_cost) or absent(node_ram_hourly_cost)`),
					For:    dur("1h"),
					Labels: map[string]string{"severity": "warning", "lab": lab.Name},
					Annotations: map[string]string{
						"summary":     "OpenCost exports no node prices: the lab's costs cannot be computed",
						"description": "node_cpu_hourly_cost or node_ram_hourly_cost has been absent for an hour: every cost panel and cost alert reads nothing (not zero). Check the opencost component of the platform experiment.",
					},
				},
			},
		},
	}
}

// PrometheusRule wraps the groups for the Prometheus Operator.
func PrometheusRule(lab *model.Lab, namespace string, l map[string]string) *monitoringv1.PrometheusRule {
	return &monitoringv1.PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
		ObjectMeta: metav1.ObjectMeta{Name: lab.Name + "-cost-anomalies", Namespace: namespace, Labels: l},
		Spec:       monitoringv1.PrometheusRuleSpec{Groups: RuleGroups(lab)},
	}
}
