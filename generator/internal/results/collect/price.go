package collect

import (
	"fmt"
	"sort"

	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// CostModel converts the lab's CUE price sheet.
func CostModel(cm labmodel.CostModel) cost.Model {
	return cost.Model{
		CPUCoreHour:     cm.CPUCoreHour,
		RAMGiBHour:      cm.RAMGiBHour,
		StorageGiBMonth: cm.StorageGiBMonth,
		NodeHour:        cm.NodeHour,
		Currency:        cm.Currency,
	}
}

// Price fills r.Cost: per workload (max(request, usage) at unit prices) or,
// when the experiment's cost.pricing is "nodes", per node-hour of the
// nodes the variant's pods ran on. The monthly projection uses the lab's
// hoursPerMonth.
func Price(r *results.Result, cm labmodel.CostModel, pricing string, nodes []results.NodeRef) error {
	m := CostModel(cm)
	switch pricing {
	case "", "resources":
		if err := r.PriceWorkloads(m); err != nil {
			return err
		}
	case "nodes":
		byType := map[string]int{}
		for _, n := range nodes {
			if n.InstanceType == "" {
				return fmt.Errorf("node %s has no %s label: cannot price it per node-hour", n.Name, InstanceTypeLabel)
			}
			byType[n.InstanceType]++
		}
		if len(byType) == 0 {
			return fmt.Errorf("pricing is \"nodes\" but no node ran the variant's pods")
		}
		types := make([]string, 0, len(byType))
		for t := range byType {
			types = append(types, t)
		}
		sort.Strings(types)
		ns := make([]cost.Node, len(types))
		for i, t := range types {
			ns[i] = cost.Node{Type: t, Count: byType[t]}
		}
		if err := r.PriceNodes(m, ns); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown cost pricing %q (want resources or nodes)", pricing)
	}
	if cm.HoursPerMonth > 0 && r.Cost.Hours > 0 {
		r.Cost.MonthlyProjection = r.Cost.Total / r.Cost.Hours * cm.HoursPerMonth
	}
	return nil
}
