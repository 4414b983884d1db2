//lint:file-ignore SA1019 the dashboard sidecar and file provisioning load the classic JSON model (schemaVersion 42); the v2 model is served only by Grafana's v2 dashboard API.

package dashboards

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// CostEfficiencyUID is the uid of the lab's cost-efficiency dashboard.
const CostEfficiencyUID = "illm-lab-cost-efficiency"

// throughputQuery rewrites an experiment's throughput metric for one
// namespace (the query's namespace="$namespace" matcher).
func throughputQuery(q, ns string) (string, bool) {
	if !strings.Contains(q, `namespace="`+NamespaceVar+`"`) {
		return "", false
	}
	return strings.ReplaceAll(q, NamespaceVar, ns), true
}

// CostEfficiency builds the lab's cost dashboard: cost per transaction over
// time for every experiment whose metrics count transactions, cost by
// experiment (namespace labels) and by component (pod labels), and each
// TCO comparison of lab.finops.tco.
func CostEfficiency(lab *model.Lab, exps []*model.Experiment) (dashboard.Dashboard, []Panel, error) {
	var panels []Panel
	var addErr error
	add := func(title string, qs ...*prometheus.DataqueryBuilder) []*prometheus.DataqueryBuilder {
		for _, q := range qs {
			dq, err := q.Build()
			pq, ok := dq.(prometheus.Dataquery)
			if err != nil || !ok {
				addErr = fmt.Errorf("panel %s: query does not build (%v)", title, err)
				continue
			}
			panels = append(panels, Panel{Title: title, Expr: pq.Expr})
		}
		return qs
	}
	cur := currencyUnit(lab.CostModel.Currency)
	hpm := lab.CostModel.HoursPerMonth
	b := dashboard.NewDashboardBuilder(lab.Name+": cost efficiency").Uid(CostEfficiencyUID).
		Description("What the lab's experiments cost as they run, from OpenCost's allocation metrics grouped by the lab's cost labels (lab.illm.dev/*), and self-managed against managed TCO.").
		Tags([]string{"illm-lab", "finops"}).Time("now-7d", "now").Refresh("5m").Timezone(common.TimeZoneUtc).Readonly()
	b = variables(b, nil)

	b = b.WithRow(dashboard.NewRowBuilder("The lab"))
	total := HourlyCostTotal("")
	b = b.WithPanel(stat.NewPanelBuilder().Title("Monthly at this rate").Description(fmt.Sprintf("Every container's CPU and memory allocation at OpenCost's node prices, times %g hours", hpm)).
		Unit(cur).Datasource(ds()).Height(6).Span(8).WithTarget(add("Monthly at this rate", query("A", fmt.Sprintf("(%s) * %g", total, hpm), ""))[0]))
	b = b.WithPanel(series("Hourly cost by experiment", "Namespaces grouped by their lab.illm.dev/experiment label (every pod, remote charts' too)", cur, 16,
		add("Hourly cost by experiment", query("A", HourlyCostByNamespaceLabel(promExperiment), "{{"+promExperiment+"}}"))...))
	b = b.WithPanel(series("Hourly cost by component", "Pods grouped by their lab.illm.dev/experiment and lab.illm.dev/component labels (the lab's rendered charts and benchmark Jobs label their pods)", cur, 12,
		add("Hourly cost by component", query("A", HourlyCostByPodLabels(promExperiment, promComponent), "{{"+promExperiment+"}}/{{"+promComponent+"}}"))...))
	b = b.WithPanel(series("Hourly cost by phase", "Namespaces grouped by their lab.illm.dev/phase label", cur, 12,
		add("Hourly cost by phase", query("A", HourlyCostByNamespaceLabel(promPhase), "{{"+promPhase+"}}"))...))

	b = b.WithRow(dashboard.NewRowBuilder("Cost per transaction"))
	n := 0
	for _, e := range exps {
		names := slices.Sorted(maps.Keys(e.Measure.Metrics))
		var metric *model.Metric
		for _, mn := range names {
			if throughputUnits[e.Measure.Metrics[mn].Unit] {
				metric = e.Measure.Metrics[mn]
				break
			}
		}
		if metric == nil {
			continue
		}
		var qs []*prometheus.DataqueryBuilder
		for i, ns := range e.Namespaces() {
			tq, ok := throughputQuery(metric.Query, ns)
			if !ok {
				continue
			}
			qs = append(qs, query(refID(i), fmt.Sprintf("(%s) / (%s * 3600) * 1e6", HourlyCostTotal(`namespace="`+ns+`"`), tq), ns))
		}
		if len(qs) == 0 {
			continue
		}
		n++
		b = b.WithPanel(series(e.Name+": cost per million "+strings.TrimSuffix(metric.Unit, "/s"),
			"Each namespace's hourly cost over its "+metric.Name+" × 3600, per million", cur, 12, add(e.Name+": cost per million", qs...)...))
	}
	if n == 0 {
		b = b.WithPanel(note("Cost per transaction", "No experiment declares a metric that counts transactions (requests/s, messages/s, transactions/s).", 24))
	}

	if lab.FinOps != nil && len(lab.FinOps.TCO) > 0 {
		b = b.WithRow(dashboard.NewRowBuilder("TCO: self-managed against managed"))
		for _, tn := range slices.Sorted(maps.Keys(lab.FinOps.TCO)) {
			t := lab.FinOps.TCO[tn]
			self := fmt.Sprintf("(%s) * %g", HourlyCostTotal(`namespace="`+t.SelfManaged.Namespace+`"`), hpm)
			desc := t.Description + ". Self-managed: OpenCost's allocation of namespace " + t.SelfManaged.Namespace + " per month"
			if t.SelfManaged.LaborHour != nil {
				self = fmt.Sprintf("%s + %g", self, t.SelfManaged.OpsHoursPerMonth**t.SelfManaged.LaborHour)
				desc += fmt.Sprintf(" plus %g h of operations at %g an hour", t.SelfManaged.OpsHoursPerMonth, *t.SelfManaged.LaborHour)
			} else {
				desc += fmt.Sprintf("; its %g h a month of operations are not priced (no laborHour)", t.SelfManaged.OpsHoursPerMonth)
			}
			managed := fmt.Sprintf("vector(%g)", t.Managed.Monthly)
			for _, un := range slices.Sorted(maps.Keys(t.Managed.Usage)) {
				u := t.Managed.Usage[un]
				managed += fmt.Sprintf(" + (%s) * 3600 * %g * %g", u.PerSecond, hpm, u.UnitPrice)
			}
			desc += ". Managed: " + t.Managed.Offering + ", list prices of " + t.Managed.AsOf + " from " + t.Managed.Source + "."
			b = b.WithPanel(series("TCO "+tn+": monthly", desc, cur, 24,
				add("TCO "+tn, query("A", self, "self-managed"), query("B", managed, "managed"))...))
		}
	}
	d, err := b.Build()
	if err == nil {
		err = addErr
	}
	if err != nil {
		return dashboard.Dashboard{}, nil, fmt.Errorf("cost-efficiency dashboard: %w", err)
	}
	return d, panels, nil
}
