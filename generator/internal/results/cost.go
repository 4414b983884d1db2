package results

import (
	"fmt"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// Workloads turns the recorded container usage into cost inputs: CPU usage
// is averaged over the run (core-seconds / duration), memory is the peak.
func (r *Result) Workloads() ([]cost.Workload, error) {
	if r.Resources == nil || len(r.Resources.Containers) == 0 {
		return nil, fmt.Errorf("result has no resource usage to price")
	}
	if r.DurationS <= 0 {
		return nil, fmt.Errorf("result has no duration to price over")
	}
	ws := make([]cost.Workload, 0, len(r.Resources.Containers))
	val := func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	}
	for _, c := range r.Resources.Containers {
		if c.CPUCoreSeconds == nil && c.CPURequestCores == nil {
			return nil, fmt.Errorf("container %s: neither CPU usage nor request known", c.Name)
		}
		if c.MemoryPeakBytes == nil && c.MemoryRequestBytes == nil {
			return nil, fmt.Errorf("container %s: neither memory usage nor request known", c.Name)
		}
		ws = append(ws, cost.Workload{
			Name:            c.Name,
			CPURequestCores: val(c.CPURequestCores),
			CPUUsageCores:   val(c.CPUCoreSeconds) / r.DurationS,
			MemRequestBytes: val(c.MemoryRequestBytes),
			MemUsageBytes:   val(c.MemoryPeakBytes),
		})
	}
	return ws, nil
}

// CostUnits are what the run's cost is divided by: its operations, its
// transactions (pgbench transactions, or k6 iterations), its messages and
// the bytes it moved.
func (r *Result) CostUnits() cost.Units {
	u := cost.Units{Operations: r.Operations.Count}
	switch r.Operations.Unit {
	case UnitTransactions:
		u.Transactions = r.Operations.Count
	case UnitMessages:
		u.Messages = r.Operations.Count
	}
	if r.Iterations != nil && u.Transactions == 0 {
		u.Transactions = *r.Iterations
	}
	if r.Bytes.In != nil || r.Bytes.Out != nil {
		if r.Bytes.In != nil {
			u.Bytes += *r.Bytes.In
		}
		if r.Bytes.Out != nil {
			u.Bytes += *r.Bytes.Out
		}
	}
	return u
}

// PriceWorkloads fills r.Cost from its resource usage under model m, for
// the run's duration, and records the price sheet's digest.
func (r *Result) PriceWorkloads(m cost.Model) error {
	ws, err := r.Workloads()
	if err != nil {
		return err
	}
	e, err := cost.Workloads(m, ws, r.DurationS/3600)
	if err != nil {
		return err
	}
	e = e.WithUnits(r.CostUnits())
	r.Cost = &e
	r.PriceSheetDigest = m.Digest()
	return nil
}

// PriceNodes fills r.Cost from node-hour prices for the run's duration.
func (r *Result) PriceNodes(m cost.Model, nodes []cost.Node) error {
	e, err := cost.Nodes(m, nodes, r.DurationS/3600)
	if err != nil {
		return err
	}
	e = e.WithUnits(r.CostUnits())
	r.Cost = &e
	r.PriceSheetDigest = m.Digest()
	return nil
}
