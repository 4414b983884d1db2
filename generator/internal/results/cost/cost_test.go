package cost

import (
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestDefaultsAreOpenCosts(t *testing.T) {
	m := Default()
	// OpenCost lists storage per GiB-hour: 0.00005479452 × 730 h.
	if !near(m.StorageGiBMonth/HoursPerMonth, 0.04/730) || math.Abs(m.StorageGiBMonth/HoursPerMonth-0.00005479452) > 1e-11 {
		t.Errorf("storage %v per GiB-month", m.StorageGiBMonth)
	}
	if m.CPUCoreHour != 0.031611 || m.RAMGiBHour != 0.004237 || m.Currency != "USD" {
		t.Errorf("%+v", m)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

func TestWorkloads(t *testing.T) {
	m := Model{CPUCoreHour: 0.04, RAMGiBHour: 0.005, StorageGiBMonth: 0.1, Currency: "EUR"}
	tests := []struct {
		name           string
		w              Workload
		cpu, ram, stor float64
	}{
		// request above usage: charged the request
		{"request wins", Workload{CPURequestCores: 2, CPUUsageCores: 0.5, MemRequestBytes: 4 * GiB, MemUsageBytes: 1 * GiB}, 2 * 0.04 * 2, 4 * 0.005 * 2, 0},
		// usage above request (burst): charged the usage
		{"usage wins", Workload{CPURequestCores: 0.1, CPUUsageCores: 1.5, MemRequestBytes: 0, MemUsageBytes: 2 * GiB}, 1.5 * 0.04 * 2, 2 * 0.005 * 2, 0},
		{"storage", Workload{StorageBytes: 73 * GiB}, 0, 0, 73 * 0.1 / 730 * 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Workloads(m, []Workload{tc.w}, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !near(e.CPU, tc.cpu) || !near(e.RAM, tc.ram) || !near(e.Storage, tc.stor) || !near(e.Total, tc.cpu+tc.ram+tc.stor) {
				t.Errorf("%+v", e)
			}
			if !near(e.MonthlyProjection, e.Total/2*730) || e.Currency != "EUR" || e.Method != "workload" {
				t.Errorf("%+v", e)
			}
		})
	}
}

func TestNodesAndUnits(t *testing.T) {
	m := Default()
	m.NodeHour = map[string]float64{"cx33": 0.0104, "gpu": 1.2}
	e, err := Nodes(m, []Node{{"cx33", 3}, {"gpu", 1}}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := (3*0.0104 + 1.2) * 0.5
	if !near(e.Total, want) || !near(e.Nodes, want) {
		t.Errorf("%+v", e)
	}
	e = e.WithUnits(Units{Operations: 2_000_000, Transactions: 40_000, Messages: 4_000_000, Bytes: 3e9})
	if !near(*e.PerMillionOperations, want/2) || !near(*e.PerTransaction, want/40_000) || !near(*e.PerMillionMessages, want/4) || !near(*e.PerGB, want/3) {
		t.Errorf("%v %v %v %v", *e.PerMillionOperations, *e.PerTransaction, *e.PerMillionMessages, *e.PerGB)
	}
	if e := e.WithUnits(Units{}); e.PerMillionOperations != nil || e.PerTransaction != nil || e.PerMillionMessages != nil || e.PerGB != nil {
		t.Error("per-unit cost without units must be null")
	}
	if _, err := Nodes(m, []Node{{"cx99", 1}}, 1); err == nil || !strings.Contains(err.Error(), `"cx99"`) {
		t.Errorf("unknown node type: %v", err)
	}
}

func TestRejects(t *testing.T) {
	bad := []Model{
		{CPUCoreHour: -1, Currency: "USD"},
		{CPUCoreHour: math.NaN(), Currency: "USD"},
		{RAMGiBHour: math.Inf(1), Currency: "USD"},
		{Currency: "dollars"},
		{Currency: "USD", NodeHour: map[string]float64{"a": -2}},
	}
	for _, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("accepted %+v", m)
		}
	}
	if _, err := Workloads(Default(), nil, 0); err == nil {
		t.Error("zero hours accepted")
	}
	if _, err := Workloads(Default(), []Workload{{Name: "x", CPUUsageCores: -1}}, 1); err == nil {
		t.Error("negative usage accepted")
	}
}

// The price sheet digest changes with any price and never with map order.
func TestDigest(t *testing.T) {
	a := Default()
	a.NodeHour = map[string]float64{"b": 2, "a": 1, "c": 3}
	b := Default()
	b.NodeHour = map[string]float64{"c": 3, "a": 1, "b": 2}
	if a.Digest() != b.Digest() || !strings.HasPrefix(a.Digest(), "sha256:") || len(a.Digest()) != 7+64 {
		t.Fatalf("%s vs %s", a.Digest(), b.Digest())
	}
	b.NodeHour["c"] = 3.0001
	if a.Digest() == b.Digest() {
		t.Error("a changed price kept the digest")
	}
	if Default().Digest() == a.Digest() {
		t.Error("node prices not in the digest")
	}
}
