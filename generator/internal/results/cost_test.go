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
