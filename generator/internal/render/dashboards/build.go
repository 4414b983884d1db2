//lint:file-ignore SA1019 the dashboard sidecar and file provisioning load the classic JSON model (schemaVersion 42); the v2 model is served only by Grafana's v2 dashboard API.

package dashboards

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/text"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Windows are the values of a dashboard's $window variable.
var Windows = []string{"1m", "5m", "15m", "1h"}

// DefaultWindow is the $window a dashboard opens with.
const DefaultWindow = "5m"

// grafanaUnit maps a #Metric unit to Grafana's unit id.
var grafanaUnit = map[string]string{
	"cores": "short", "bytes": "bytes", "seconds": "s", "milliseconds": "ms",
	"requests/s": "reqps", "messages/s": "short", "transactions/s": "short",
	"ratio": "percentunit", "count": "short", "bytes/s": "Bps", "series": "short",
}

// throughputUnits are the units of a metric that counts the work done:
// what a cost per transaction divides by.
var throughputUnits = map[string]bool{"requests/s": true, "messages/s": true, "transactions/s": true}

// currencyUnit is Grafana's unit for an ISO 4217 currency.
func currencyUnit(c string) string {
	switch c {
	case "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "BRL", "SEK", "NOK", "DKK", "PLN":
		return "currency" + c
	}
	return "short"
}

func ds() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}
}

// uid is a Grafana dashboard uid (at most 40 characters).
func uid(name string) string {
	u := "illm-" + name
	if len(u) <= 40 {
		return u
	}
	h := sha256.Sum256([]byte(name))
	return u[:31] + "-" + hex.EncodeToString(h[:4])
}

func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	q := prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).Datasource(ds()).Range()
	if legend != "" {
		q = q.LegendFormat(legend)
	}
	return q
}

func refID(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

func series(title, description, unit string, span uint32, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(ds()).Height(8).Span(span)
	for _, q := range qs {
		p = p.WithTarget(q)
	}
	return p
}

func note(title, md string, span uint32) *text.PanelBuilder {
	return text.NewPanelBuilder().Title(title).Mode(text.TextModeMarkdown).Content(md).Height(4).Span(span)
}

func variables(b *dashboard.DashboardBuilder, namespaces []string) *dashboard.DashboardBuilder {
	b = b.WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Prometheus").Type("prometheus").
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("Prometheus")}, Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("prometheus")}}))
	if len(namespaces) > 0 {
		b = b.WithVariable(custom("namespace", "Namespace", namespaces))
	}
	return b.WithVariable(custom("window", "Window", Windows).Current(option(DefaultWindow)))
}

func option(v string) dashboard.VariableOption {
	return dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr(v)}, Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(v)}}
}

func custom(name, label string, values []string) *dashboard.CustomVariableBuilder {
	opts := make([]dashboard.VariableOption, len(values))
	for i, v := range values {
		opts[i] = option(v)
	}
	return dashboard.NewCustomVariableBuilder(name).Label(label).
		Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(values, ","))}).
		Options(opts).Current(option(values[0]))
}

// Panel is one query of a dashboard, for checks: its panel's title and
// the expression Grafana sends (placeholders not substituted).
type Panel struct {
	Title, Expr string
	// Namespace is the $namespace the dashboard opens with ("" when the
	// dashboard has no such variable).
	Namespace string
}

// Experiment builds the dashboard of one experiment: its declared metrics,
// RED from those metrics by unit, the lab's resource footprint and what
// OpenCost allocates to the namespace, per $namespace of the experiment.
func Experiment(lab *model.Lab, e *model.Experiment, namespaces []string) (dashboard.Dashboard, []Panel, error) {
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
			panels = append(panels, Panel{Title: title, Expr: pq.Expr, Namespace: namespaces[0]})
		}
		return qs
	}
	cur := lab.CostModel.Currency
	b := dashboard.NewDashboardBuilder(e.Title).Uid(uid(e.Name)).
		Description(e.Description).
		Tags([]string{"illm-lab", "phase:" + e.Phase, "experiment:" + e.Name}).
		Time("now-6h", "now").Refresh("1m").Timezone(common.TimeZoneUtc).Readonly()
	b = variables(b, namespaces)

	names := slices.Sorted(maps.Keys(e.Measure.Metrics))
	b = b.WithRow(dashboard.NewRowBuilder("Declared metrics"))
	if len(names) == 0 {
		b = b.WithPanel(note("No declared metrics", "The experiment declares no measure.metrics in CUE: nothing to chart here.", 24))
	}
	var rate, errs, dur []string
	for _, n := range names {
		m := e.Measure.Metrics[n]
		desc := m.Description
		if desc == "" {
			desc = n
		}
		b = b.WithPanel(series(n, desc+" (reduced with "+m.Aggregation+" over a run)", grafanaUnit[m.Unit], 12, add(n, query("A", m.Query, "{{namespace}}"))...))
		switch {
		case throughputUnits[m.Unit]:
			rate = append(rate, n)
		case m.Unit == "seconds" || m.Unit == "milliseconds":
			dur = append(dur, n)
		case strings.Contains(n, "error") || strings.Contains(n, "fail") || strings.Contains(n, "rollback") || strings.Contains(n, "drop"):
			errs = append(errs, n)
		}
	}

	b = b.WithRow(dashboard.NewRowBuilder("RED: rate, errors, duration"))
	for _, red := range []struct {
		what  string
		names []string
	}{{"Rate", rate}, {"Errors", errs}, {"Duration", dur}} {
		if len(red.names) == 0 {
			b = b.WithPanel(note(red.what, "No declared metric of this experiment measures "+strings.ToLower(red.what)+" on the cluster; k6 measures it during a benchmark (benchmarks/results, `generator results`).", 8))
			continue
		}
		var qs []*prometheus.DataqueryBuilder
		for i, n := range red.names {
			qs = append(qs, query(refID(i), e.Measure.Metrics[n].Query, n+" {{namespace}}"))
		}
		b = b.WithPanel(series(red.what, red.what+" from the declared metrics "+strings.Join(red.names, ", "), grafanaUnit[e.Measure.Metrics[red.names[0]].Unit], 8, add(red.what, qs...)...))
	}

	b = b.WithRow(dashboard.NewRowBuilder("Resources"))
	if lab.FinOps != nil {
		for _, n := range slices.Sorted(maps.Keys(lab.FinOps.Resources)) {
			m := lab.FinOps.Resources[n]
			b = b.WithPanel(series(n, m.Description, grafanaUnit[m.Unit], 8, add(n, query("A", m.Query, ""))...))
		}
	}

	b = b.WithRow(dashboard.NewRowBuilder("Cost (OpenCost allocation)"))
	hourly := HourlyCostTotal(`namespace="$namespace"`)
	hpm := lab.CostModel.HoursPerMonth
	b = b.WithPanel(series("Hourly cost", "CPU and memory OpenCost allocates to the namespace's containers (max of request and usage), at its node prices", currencyUnit(cur), 8,
		add("Hourly cost", query("A", hourly, "$namespace"))...))
	b = b.WithPanel(stat.NewPanelBuilder().Title("Monthly at this rate").Description(fmt.Sprintf("The hourly cost times %g hours (lab.costModel.hoursPerMonth)", hpm)).
		Unit(currencyUnit(cur)).Datasource(ds()).Height(8).Span(8).WithTarget(add("Monthly at this rate", query("A", fmt.Sprintf("(%s) * %g", hourly, hpm), ""))[0]))
	if len(rate) > 0 {
		m := e.Measure.Metrics[rate[0]]
		b = b.WithPanel(series("Cost per million "+strings.TrimSuffix(m.Unit, "/s"), "The hourly cost over "+rate[0]+" × 3600, per million", currencyUnit(cur), 8,
			add("Cost per million", query("A", fmt.Sprintf("(%s) / (%s * 3600) * 1e6", hourly, m.Query), ""))...))
	} else {
		b = b.WithPanel(note("Cost per transaction", "No declared metric counts transactions (unit requests/s, messages/s or transactions/s): the cost per transaction comes from benchmark results (`generator results`).", 8))
	}
	d, err := b.Build()
	if err == nil {
		err = addErr
	}
	if err != nil {
		return dashboard.Dashboard{}, nil, fmt.Errorf("dashboard of %s: %w", e.Name, err)
	}
	return d, panels, nil
}

// JSON encodes a dashboard with sorted keys and a final newline.
func JSON(d dashboard.Dashboard) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	// Through a generic value: map keys sorted, stable across SDK field order.
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	// Every panel and row its own id, in order (the SDK leaves them unset
	// or 0, and Grafana links panels by id).
	if ps, ok := v["panels"].([]any); ok {
		for i, p := range ps {
			if m, ok := p.(map[string]any); ok {
				m["id"] = i + 1
			}
		}
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
