// Package dashboards renders the lab's dashboards and alerts as code, from
// the same CUE metrics the experiments are measured with: one Grafana
// dashboard per experiment (its declared metrics, RED, resources, cost),
// the lab's cost-efficiency dashboard (cost per transaction over time, cost
// by experiment and component from OpenCost's allocation metrics grouped by
// the lab's cost labels, TCO self-managed against managed from
// lab.finops.tco), and the cost-anomaly rules as a PrometheusRule.
//
// Dashboards are ConfigMaps that kube-prometheus-stack's Grafana sidecar
// loads; an Application per cluster syncs them into the namespace of the
// platform's kube-prometheus-stack, for the experiments conducted there.
// Every PromQL expression is parsed by Prometheus' parser first.
package dashboards

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/argocd"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/yamlenc"
)

// The Grafana sidecar of kube-prometheus-stack 88.5.3 loads every ConfigMap
// labelled grafana_dashboard: "1" in any namespace (its values.yaml,
// grafana.sidecar.dashboards: label grafana_dashboard, labelValue "1",
// searchNamespace ALL; charts/kube-prometheus-stack/values.yaml lines
// 1536-1542 at tag kube-prometheus-stack-88.5.3 of
// prometheus-community/helm-charts). Its Prometheus data source has uid
// "prometheus" (grafana.sidecar.datasources.uid, line 1563).
const (
	SidecarLabel      = "grafana_dashboard"
	SidecarLabelValue = "1"
	// Chart is the chart whose Grafana loads the dashboards.
	Chart = "kube-prometheus-stack"
)

// Dir is where the dashboards and rules are rendered.
const Dir = "apps/dashboards"

// AppName is the per-cluster Application syncing them.
const AppName = "lab-dashboards"

// Host is where the dashboards go: the kube-prometheus-stack component of
// an experiment (the platform) and its namespace.
type Host struct {
	Experiment *model.Experiment
	Component  *model.Component
	Namespace  string
}

// FindHost is the first experiment (in render order) deploying
// kube-prometheus-stack as a shared component with Grafana on; nil when
// the lab has none (then nothing is rendered).
func FindHost(exps []*model.Experiment) *Host {
	for _, e := range exps {
		for _, cn := range slices.Sorted(maps.Keys(e.Components)) {
			c := e.Components[cn]
			if c.Chart == nil || c.Chart.Name != Chart {
				continue
			}
			if g, ok := c.Values["grafana"].(map[string]any); ok {
				if on, ok := g["enabled"].(bool); ok && !on {
					continue
				}
			}
			return &Host{Experiment: e, Component: c, Namespace: e.Namespace("", c)}
		}
	}
	return nil
}

// Files is what Render adds, for tests: path to the panels' queries.
type Files map[string][]Panel

// Render adds apps/dashboards/ (a ConfigMap per experiment's dashboard, the
// cost-efficiency dashboard, the cost PrometheusRule) and, for each
// cluster conducting the host experiment, clusters/<cluster>/dashboards.yaml.
func Render(lab *model.Lab, exps []*model.Experiment, t *tree.Tree) error {
	_, err := render(lab, exps, t)
	return err
}

// Panels renders the lab's dashboards and rules into a scratch tree and
// returns their queries by file, for checks against a real Prometheus.
func Panels(lab *model.Lab) (Files, error) {
	return render(lab, lab.Experiments(), tree.New())
}

func render(lab *model.Lab, exps []*model.Experiment, t *tree.Tree) (Files, error) {
	h := FindHost(exps)
	if h == nil {
		return nil, nil
	}
	out := Files{}
	finopsSource := lab.Files.FinOps
	if lab.FinOps == nil {
		finopsSource = h.Experiment.Source
	}
	for _, e := range exps {
		d, panels, err := Experiment(lab, e, e.Namespaces())
		if err != nil {
			return nil, err
		}
		j, err := JSON(d)
		if err != nil {
			return nil, err
		}
		p := Dir + "/experiments/" + e.Name + ".yaml"
		if err := add(t, p, e.Source, configMap(lab, h, "grafana-dashboard-"+e.Name, e.Name, e.Name+".json", j)); err != nil {
			return nil, err
		}
		out[p] = panels
	}
	d, panels, err := CostEfficiency(lab, exps)
	if err != nil {
		return nil, err
	}
	j, err := JSON(d)
	if err != nil {
		return nil, err
	}
	p := Dir + "/lab/cost-efficiency.yaml"
	if err := add(t, p, finopsSource, configMap(lab, h, "grafana-dashboard-"+lab.Name+"-cost-efficiency", "", "cost-efficiency.json", j)); err != nil {
		return nil, err
	}
	out[p] = panels
	rl := map[string]string{labels.PartOf: lab.Name}
	rule := PrometheusRule(lab, h.Namespace, rl)
	var rp []Panel
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			if err := Check(finopsSource+": "+g.Name+"/"+name, r.Expr.String()); err != nil {
				return nil, err
			}
			rp = append(rp, Panel{Title: name, Expr: r.Expr.String()})
		}
	}
	p = Dir + "/lab/cost-anomalies.yaml"
	if err := add(t, p, finopsSource, rule); err != nil {
		return nil, err
	}
	out[p] = rp
	for _, cn := range slices.Sorted(maps.Keys(lab.Clusters)) {
		cl := lab.Clusters[cn]
		var on []string
		hosted := false
		for _, en := range lab.Conduct[cn] {
			on = append(on, "experiments/"+en+".yaml")
			hosted = hosted || en == h.Experiment.Name
		}
		if !hosted {
			continue
		}
		slices.Sort(on)
		if err := add(t, "clusters/"+cn+"/dashboards.yaml", "phases/conduct.cue", application(lab, cl, h, append([]string{"lab/*.yaml"}, on...))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func add(t *tree.Tree, path, source string, obj any) error {
	b, err := yamlenc.Encode(obj)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return t.Add(path, source, b)
}

func configMap(lab *model.Lab, h *Host, name, experiment, key string, body []byte) *corev1.ConfigMap {
	l := map[string]string{SidecarLabel: SidecarLabelValue, labels.PartOf: lab.Name}
	if experiment != "" {
		l[labels.Experiment] = experiment
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: h.Namespace, Labels: l},
		Data:       map[string]string{key: string(body)},
	}
}

// application syncs the dashboards of the lab and of the experiments
// conducted on the cluster into the host's namespace, in the host's
// phase project (which lists that namespace), once its CRDs exist.
func application(lab *model.Lab, cl *model.Cluster, h *Host, include []string) map[string]any {
	return map[string]any{
		"apiVersion": argocd.APIVersion,
		"kind":       "Application",
		"metadata": map[string]any{
			"name":        AppName,
			"namespace":   lab.ArgoCDNamespace,
			"labels":      map[string]any{labels.PartOf: lab.Name},
			"annotations": map[string]any{labels.ArgoSyncWave: "1"},
			"finalizers":  []any{"resources-finalizer.argocd.argoproj.io"},
		},
		"spec": map[string]any{
			"project": h.Experiment.Phase,
			"source": map[string]any{
				"repoURL":        lab.RepoURL,
				"path":           Dir,
				"targetRevision": lab.Revision,
				"directory":      map[string]any{"recurse": true, "include": "{" + strings.Join(include, ",") + "}"},
			},
			"destination": map[string]any{"server": cl.Server, "namespace": h.Namespace},
			"syncPolicy": map[string]any{
				"automated": map[string]any{"prune": true, "selfHeal": true},
				// The PrometheusRule CRD comes with kube-prometheus-stack.
				"syncOptions": []any{"ServerSideApply=true", "SkipDryRunOnMissingResource=true"},
				"retry":       map[string]any{"limit": 10, "backoff": map[string]any{"duration": "30s", "factor": 2, "maxDuration": "5m"}},
			},
		},
	}
}
