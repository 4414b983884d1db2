package results

import (
	"math"
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

func TestPriceWorkloads(t *testing.T) {
	r := good()
	r.DurationS = 1800 // half an hour
	r.Operations.Count = 500_000
	r.Errors.Count = n(500)
	r.SetThroughput()
	r.Iterations = n(250_000)
	r.Resources = &Resources{Containers: []ContainerUsage{
		// 900 core-seconds over 1800 s = 0.5 cores used, 0.25 requested: usage charged.
		{Name: "ns/api/app", CPUCoreSeconds: f(900), CPURequestCores: f(0.25), MemoryPeakBytes: f(1 << 30), MemoryRequestBytes: f(2 << 30)},
	}}
	m := cost.Model{CPUCoreHour: 0.04, RAMGiBHour: 0.01, StorageGiBMonth: 0, Currency: "USD"}
	if err := r.PriceWorkloads(m); err != nil {
		t.Fatal(err)
	}
	c := r.Cost
	wantCPU, wantRAM := 0.5*0.04*0.5, 2*0.01*0.5 // memory request (2 GiB) above peak
	if math.Abs(c.CPU-wantCPU) > 1e-12 || math.Abs(c.RAM-wantRAM) > 1e-12 || c.Hours != 0.5 {
		t.Fatalf("%+v", c)
	}
	total := wantCPU + wantRAM
	if math.Abs(*c.PerMillionOperations-total*2) > 1e-12 || math.Abs(*c.PerTransaction-total/250_000) > 1e-15 || math.Abs(c.MonthlyProjection-total*2*730) > 1e-9 {
		t.Errorf("%+v", c)
	}
	if c.PerMillionMessages != nil || c.PerGB != nil {
		t.Errorf("requests without bytes priced per message or GB: %+v", c)
	}
	if r.PriceSheetDigest != m.Digest() {
		t.Errorf("price sheet digest %q, want %q", r.PriceSheetDigest, m.Digest())
	}
	if err := Validate(r, Expect{}); err != nil {
		t.Error(err)
	}

	r.Resources.Containers[0].CPUCoreSeconds, r.Resources.Containers[0].CPURequestCores = nil, nil
	if err := r.PriceWorkloads(m); err == nil || !strings.Contains(err.Error(), "ns/api/app") {
		t.Errorf("unknown CPU priced: %v", err)
	}
	r.Resources = nil
	if err := r.PriceWorkloads(m); err == nil {
		t.Error("priced without resources")
	}
	m.NodeHour = map[string]float64{"m5.large": 0.096}
	if err := r.PriceNodes(m, []cost.Node{{Type: "m5.large", Count: 2}}); err != nil || math.Abs(r.Cost.Total-0.096) > 1e-12 {
		t.Errorf("nodes: %v %+v", err, r.Cost)
	}
}

// Each unit prices what it counts: pgbench transactions, nats messages,
// fio bytes.
func TestCostUnits(t *testing.T) {
	m := cost.Model{CPUCoreHour: 3.6, RAMGiBHour: 0, Currency: "USD"}
	for _, tc := range []struct {
		unit           string
		iters, in, out *int64
		perTx, perMsg  bool
		gb             float64 // 0: no per_gb
	}{
		{unit: UnitTransactions, perTx: true},
		{unit: UnitMessages, perMsg: true, out: n(2e9), gb: 2},
		{unit: UnitRequests, iters: n(250), in: n(1e9), out: n(1e9), perTx: true, gb: 2},
		{unit: UnitIOOperations, in: n(5e8), gb: 0.5},
		{unit: UnitCommands},
	} {
		r := good()
		r.Operations.Unit, r.Operations.Count = tc.unit, 1000
		r.Errors.Count = n(0)
		r.DurationS = 10
		r.SetThroughput()
		r.Iterations, r.Bytes = tc.iters, Bytes{In: tc.in, Out: tc.out}
		r.Resources = &Resources{Containers: []ContainerUsage{{Name: "ns/p/c", CPUCoreSeconds: f(10), MemoryPeakBytes: f(0)}}}
		if err := r.PriceWorkloads(m); err != nil {
			t.Fatal(err)
		}
		c := r.Cost // 1 core for 10 s at 3.6/h = 0.01
		if math.Abs(c.Total-0.01) > 1e-12 || math.Abs(*c.PerMillionOperations-10) > 1e-9 {
			t.Errorf("%s: total %v per 1M %v", tc.unit, c.Total, *c.PerMillionOperations)
		}
		if tc.perTx != (c.PerTransaction != nil) || tc.perMsg != (c.PerMillionMessages != nil) || (tc.gb > 0) != (c.PerGB != nil) {
			t.Errorf("%s: per transaction %v, per 1M messages %v, per GB %v", tc.unit, c.PerTransaction, c.PerMillionMessages, c.PerGB)
		}
		if tc.gb > 0 && math.Abs(*c.PerGB-0.01/tc.gb) > 1e-12 {
			t.Errorf("%s: per GB %v, want %v", tc.unit, *c.PerGB, 0.01/tc.gb)
		}
		if tc.unit == UnitTransactions && math.Abs(*c.PerTransaction-0.01/1000) > 1e-15 {
			t.Errorf("per transaction %v", *c.PerTransaction)
		}
		if err := Validate(r, Expect{}); err != nil {
			t.Error(err)
		}
	}
}
