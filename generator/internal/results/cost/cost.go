// Package cost prices a benchmark run the way OpenCost prices workloads:
// unit prices per CPU core-hour, RAM GiB-hour and storage GiB-month, each
// workload charged for max(request, usage), or whole nodes per hour. All
// functions are pure so that figures can be recomputed from stored results.
package cost

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
)

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// HoursPerMonth is the month length used for monthly figures; OpenCost and
// the cloud price sheets use 730 h (8760 h / 12).
const HoursPerMonth = 730.0

// GiB is 2^30 bytes; memory and storage prices are per GiB.
const GiB = 1 << 30

// OpenCost's published default prices (configs/default.json, "Default prices
// based on GCP us-central1"), used for custom and on-prem clusters.
const (
	DefaultCPUCoreHour = 0.031611
	DefaultRAMGiBHour  = 0.004237
	// OpenCost lists storage as 0.00005479452 per GiB-hour, which is
	// 0.04 per GiB-month at 730 h.
	DefaultStorageGiBMonth = 0.04
	DefaultCurrency        = "USD"
)

// Model holds unit prices. The lab's CUE schema mirrors these fields and
// JSON names exactly.
type Model struct {
	// CPUCoreHour is the price of one CPU core for one hour.
	CPUCoreHour float64 `json:"cpuCoreHour"`
	// RAMGiBHour is the price of one GiB of memory for one hour.
	RAMGiBHour float64 `json:"ramGiBHour"`
	// StorageGiBMonth is the price of one GiB of persistent storage for a
	// 730-hour month.
	StorageGiBMonth float64 `json:"storageGiBMonth"`
	// NodeHour maps a node type (instance type or pool name) to its price
	// per hour, for node-hour pricing.
	NodeHour map[string]float64 `json:"nodeHour,omitempty"`
	// Currency is an ISO 4217 code, e.g. USD.
	Currency string `json:"currency"`
}

// Default returns OpenCost's default price sheet.
func Default() Model {
	return Model{
		CPUCoreHour:     DefaultCPUCoreHour,
		RAMGiBHour:      DefaultRAMGiBHour,
		StorageGiBMonth: DefaultStorageGiBMonth,
		Currency:        DefaultCurrency,
	}
}

// Validate reports every invalid price.
func (m Model) Validate() error {
	var errs []error
	check := func(name string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			errs = append(errs, fmt.Errorf("cost model: %s must be a finite non-negative number, got %v", name, v))
		}
	}
	check("cpuCoreHour", m.CPUCoreHour)
	check("ramGiBHour", m.RAMGiBHour)
	check("storageGiBMonth", m.StorageGiBMonth)
	for _, k := range slices.Sorted(maps.Keys(m.NodeHour)) {
		check("nodeHour["+k+"]", m.NodeHour[k])
	}
	if !currencyPattern.MatchString(m.Currency) {
		errs = append(errs, fmt.Errorf("cost model: currency must be a 3-letter ISO 4217 code, got %q", m.Currency))
	}
	return errors.Join(errs...)
}

// Workload is one container's resources over the priced window.
type Workload struct {
	Name string
	// CPURequestCores and CPUUsageCores: usage is the average over the
	// window (core-seconds / window seconds).
	CPURequestCores float64
	CPUUsageCores   float64
	// MemRequestBytes and MemUsageBytes: usage is the peak.
	MemRequestBytes float64
	MemUsageBytes   float64
	// StorageBytes is persistent storage held during the window.
	StorageBytes float64
}

// Node is a group of identical nodes priced per hour.
type Node struct {
	Type  string
	Count int
}

// Estimate is the priced window. JSON names match the normalized result.
type Estimate struct {
	Currency string `json:"currency"`
	// Method is "workload" (max(request, usage) × unit price) or "node"
	// (node-hours × node price).
	Method  string  `json:"method"`
	Hours   float64 `json:"hours"`
	CPU     float64 `json:"cpu"`
	RAM     float64 `json:"ram"`
	Storage float64 `json:"storage"`
	Nodes   float64 `json:"nodes"`
	Total   float64 `json:"total"`
	// PerMillionOperations is the cost of one million operations of the
	// run's unit (requests, transactions, messages, commands, I/O
	// operations); PerTransaction of one transaction (a pgbench
	// transaction, a k6 iteration); PerMillionMessages of one million
	// messages; PerGB of one gigabyte (10^9 bytes) moved. Each is null when
	// the run has nothing of it to divide by.
	PerMillionOperations *float64 `json:"per_million_operations"`
	PerTransaction       *float64 `json:"per_transaction"`
	PerMillionMessages   *float64 `json:"per_million_messages"`
	PerGB                *float64 `json:"per_gb"`
	// MonthlyProjection is Total scaled to a 730-hour month at the same rate.
	MonthlyProjection float64 `json:"monthly_projection"`
}

func checkHours(hours float64) error {
	if math.IsNaN(hours) || math.IsInf(hours, 0) || hours <= 0 {
		return fmt.Errorf("cost: window must be a positive number of hours, got %v", hours)
	}
	return nil
}

// Workloads prices containers for hours: each resource is charged for
// max(request, usage), as OpenCost allocates.
func Workloads(m Model, ws []Workload, hours float64) (Estimate, error) {
	if err := m.Validate(); err != nil {
		return Estimate{}, err
	}
	if err := checkHours(hours); err != nil {
		return Estimate{}, err
	}
	e := Estimate{Currency: m.Currency, Method: "workload", Hours: hours}
	for _, w := range ws {
		for _, f := range []struct {
			n string
			v float64
		}{{"cpu request", w.CPURequestCores}, {"cpu usage", w.CPUUsageCores}, {"memory request", w.MemRequestBytes}, {"memory usage", w.MemUsageBytes}, {"storage", w.StorageBytes}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
				return Estimate{}, fmt.Errorf("cost: workload %q: %s must be finite and non-negative, got %v", w.Name, f.n, f.v)
			}
		}
		e.CPU += math.Max(w.CPURequestCores, w.CPUUsageCores) * m.CPUCoreHour * hours
		e.RAM += math.Max(w.MemRequestBytes, w.MemUsageBytes) / GiB * m.RAMGiBHour * hours
		e.Storage += w.StorageBytes / GiB * m.StorageGiBMonth / HoursPerMonth * hours
	}
	e.Total = e.CPU + e.RAM + e.Storage
	e.MonthlyProjection = Monthly(e.Total, hours)
	return e, nil
}

// Nodes prices whole nodes for hours from m.NodeHour.
func Nodes(m Model, ns []Node, hours float64) (Estimate, error) {
	if err := m.Validate(); err != nil {
		return Estimate{}, err
	}
	if err := checkHours(hours); err != nil {
		return Estimate{}, err
	}
	e := Estimate{Currency: m.Currency, Method: "node", Hours: hours}
	for _, n := range ns {
		p, ok := m.NodeHour[n.Type]
		if !ok {
			return Estimate{}, fmt.Errorf("cost: no nodeHour price for node type %q (known: %v)", n.Type, slices.Sorted(maps.Keys(m.NodeHour)))
		}
		if n.Count < 0 {
			return Estimate{}, fmt.Errorf("cost: node type %q: negative count %d", n.Type, n.Count)
		}
		e.Nodes += float64(n.Count) * p * hours
	}
	e.Total = e.Nodes
	e.MonthlyProjection = Monthly(e.Total, hours)
	return e, nil
}

// Monthly scales a cost over hours to a 730-hour month.
func Monthly(total, hours float64) float64 {
	if hours <= 0 {
		return 0
	}
	return total / hours * HoursPerMonth
}

// PerMillion is the cost of one million operations, or nil without any.
func PerMillion(total float64, operations int64) *float64 {
	if operations <= 0 {
		return nil
	}
	v := total / float64(operations) * 1e6
	return &v
}

// PerTransaction is the cost of one transaction (e.g. one k6 iteration),
// or nil without transactions.
func PerTransaction(total float64, transactions int64) *float64 {
	if transactions <= 0 {
		return nil
	}
	v := total / float64(transactions)
	return &v
}

// PerGB is the cost of moving one gigabyte (10^9 bytes), or nil without
// bytes.
func PerGB(total float64, bytes int64) *float64 {
	if bytes <= 0 {
		return nil
	}
	v := total / (float64(bytes) / 1e9)
	return &v
}

// Units are what a run did, to divide its cost by. Zero means "none" (the
// figure is then null).
type Units struct {
	Operations   int64
	Transactions int64
	Messages     int64
	Bytes        int64
}

// WithUnits fills the per-unit figures of e.
func (e Estimate) WithUnits(u Units) Estimate {
	e.PerMillionOperations = PerMillion(e.Total, u.Operations)
	e.PerTransaction = PerTransaction(e.Total, u.Transactions)
	e.PerMillionMessages = PerMillion(e.Total, u.Messages)
	e.PerGB = PerGB(e.Total, u.Bytes)
	return e
}

// Digest is the price sheet's identity: "sha256:" and the hex SHA-256 of
// its canonical JSON (fields in declaration order, node types sorted), so
// that a result records which prices it was computed with.
func (m Model) Digest() string {
	b, err := json.Marshal(m) // maps marshal with sorted keys
	if err != nil {
		panic(err) // a struct of floats, strings and a map of floats
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
