package report

import (
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/finops/tradeoff"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// tradeoffSection weighs latency against cost over the current runs
// (finops/tradeoff): per variant or layer p99, throughput and $/month with
// intervals, what each layer adds, the Pareto frontier. The analysis is
// nil when it could not be built (the section says why).
func tradeoffSection(experiment string, cur map[string][]*results.Result, layers []string) (string, *tradeoff.Tradeoff) {
	order := layers
	for _, l := range layers {
		if len(cur[l]) == 0 {
			order = nil // a change that reruns only some layers: variants alone
		}
	}
	t, err := tradeoff.Build(experiment, cur, order)
	if err != nil {
		return "\n### Latency against cost\n\nOmitted: " + err.Error() + ".\n", nil
	}
	var b strings.Builder
	b.WriteString("\n")
	if err := t.Markdown(&b); err != nil {
		return "", t
	}
	return b.String(), t
}
