package reprice

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/collect"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

func f(v float64) *float64 { return &v }

var (
	old = labmodel.CostModel{Currency: "USD", CPUCoreHour: 0.03, RAMGiBHour: 0.004, StorageGiBMonth: 0.04, HoursPerMonth: 730, NodeHour: map[string]float64{"e2-standard-4": 0.134}}
	now = labmodel.CostModel{Currency: "USD", CPUCoreHour: 0.04, RAMGiBHour: 0.005, StorageGiBMonth: 0.04, HoursPerMonth: 730, NodeHour: map[string]float64{"e2-standard-4": 0.15}}
)

// run is an hour-long run of one container requesting 2 cores and 4 GiB
// (using 1 core on average and 3 GiB at peak) on two e2-standard-4 nodes.
func run(id string) *results.Result {
	r := results.New(results.ToolK6, results.UnitRequests)
	r.Experiment, r.Variant, r.RunID = "mesh-benchmark", "istio", id
	r.Operations.Count, r.DurationS = 3_600_000, 3600
	r.SetThroughput()
	r.Resources = &results.Resources{Containers: []results.ContainerUsage{{
		Name: "ns/pod/app", CPUCoreSeconds: f(3600), MemoryPeakBytes: f(3 * cost.GiB),
		CPURequestCores: f(2), MemoryRequestBytes: f(4 * cost.GiB),
	}}}
	r.Run = &results.RunInfo{WindowStart: "2026-11-02T09:00:00Z", WindowEnd: "2026-11-02T10:00:00Z", Nodes: []results.NodeRef{{Name: "n1", InstanceType: "e2-standard-4"}, {Name: "n2", InstanceType: "e2-standard-4"}}}
	return r
}

func priced(t *testing.T, id, pricing string, cm labmodel.CostModel) *results.Result {
	t.Helper()
	r := run(id)
	if err := collect.Price(r, cm, pricing, r.Run.Nodes); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBuild(t *testing.T) {
	unpriced := run("r3")
	noUsage := priced(t, "r4", "resources", old)
	noUsage.Resources = nil
	noNodes := priced(t, "r5", "nodes", old)
	noNodes.Run = nil
	euro := priced(t, "r6", "resources", old)
	euro.Cost.Currency = "EUR"
	runs := map[string][]*results.Result{
		"istio":   {priced(t, "r2", "nodes", old), priced(t, "r1", "resources", old), unpriced, noUsage, noNodes, euro},
		"linkerd": {priced(t, "r1", "resources", now)},
	}
	before, err := json.Marshal(runs)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := Build("mesh-benchmark", "the test sheet", now, runs)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(runs)
	if !bytes.Equal(before, after) {
		t.Error("Build changed the stored results")
	}
	rows := map[string]Row{}
	for _, r := range rp.Variants[0].Rows {
		rows[r.RunID] = r
	}
	// Workload: max(request, usage) = 2 cores and 4 GiB for an hour:
	// stored 2×0.03 + 4×0.004 = 0.076/h = 55.48/month; now 2×0.04 + 4×0.005
	// = 0.1/h = 73/month.
	// Nodes: two e2-standard-4 for an hour: stored 0.268/h = 195.64/month;
	// now 0.3/h = 219/month.
	for _, tc := range []struct {
		id                  string
		stored, repriced, d float64
	}{{"r1", 55.48, 73, 17.52}, {"r2", 195.64, 219, 23.36}} {
		r := rows[tc.id]
		if r.New == nil || r.DeltaMonthly == nil {
			t.Fatalf("%s not repriced: %+v", tc.id, r)
		}
		if math.Abs(r.Stored.MonthlyProjection-tc.stored) > 1e-9 || math.Abs(r.New.MonthlyProjection-tc.repriced) > 1e-9 || math.Abs(*r.DeltaMonthly-tc.d) > 1e-9 {
			t.Errorf("%s: stored %v repriced %v delta %v, want %v %v %v", tc.id, r.Stored.MonthlyProjection, r.New.MonthlyProjection, *r.DeltaMonthly, tc.stored, tc.repriced, tc.d)
		}
		if r.StoredSheet != collect.CostModel(old).Digest() {
			t.Errorf("%s: stored sheet %s", tc.id, r.StoredSheet)
		}
	}
	for id, want := range map[string]string{
		"r3": "not priced when stored",
		"r4": "cannot reprice: result has no resource usage to price",
		"r5": "cannot reprice: pricing is \"nodes\" but no node ran the variant's pods",
		"r6": "currency EUR stored, USD now: no difference computed",
	} {
		if !strings.Contains(rows[id].Note, want) {
			t.Errorf("%s: note %q, want %q", id, rows[id].Note, want)
		}
	}
	if rp.Repriced != 4 || rp.NotRepriced != 3 {
		t.Errorf("repriced %d, not %d; want 4 and 3", rp.Repriced, rp.NotRepriced)
	}
	if v := rp.Variants[1]; v.Rows[0].DeltaMonthly == nil || *v.Rows[0].DeltaMonthly != 0 {
		t.Errorf("linkerd, priced with today's sheet, changes: %+v", v.Rows[0])
	}
	if got := rp.Variants[0]; math.Abs(*got.StoredMedian-(55.48+195.64)/2) > 1e-9 || math.Abs(*got.NewMedian-(73+219)/2.0) > 1e-9 {
		t.Errorf("medians %v %v", *got.StoredMedian, *got.NewMedian)
	}
	var md bytes.Buffer
	if err := rp.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "testdata/reprice.golden.md", md.Bytes())
}

func TestBuildErrors(t *testing.T) {
	bad := now
	bad.CPUCoreHour = -1
	if _, err := Build("e", "bad sheet", bad, map[string][]*results.Result{"v": {run("r1")}}); err == nil || !strings.Contains(err.Error(), "price sheet bad sheet: cost model: cpuCoreHour must be a finite non-negative number") {
		t.Errorf("negative price: %v", err)
	}
	if _, err := Build("e", "s", now, map[string][]*results.Result{}); err == nil || !strings.Contains(err.Error(), "reprice e: no stored results") {
		t.Errorf("nothing stored: %v", err)
	}
}

func TestReadSheet(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"ok.json", `{"currency": "EUR", "cpuCoreHour": 0.05, "ramGiBHour": 0.006, "storageGiBMonth": 0.1, "hoursPerMonth": 720, "nodeHour": {"big": 1}}`, ""},
		{"unknown.json", "{\n  \"currency\": \"USD\",\n  \"cpuPerHour\": 1\n}", `unknown.json: line 3: unknown field "cpuPerHour" (the fields: currency`},
		{"syntax.json", "{\n  \"currency\": \"USD\",\n  \"cpuCoreHour\": ,\n}", `syntax.json: line 3`},
		{"type.json", `{"currency": "USD", "cpuCoreHour": "cheap"}`, `type.json: line 1`},
		{"negative.json", `{"currency": "USD", "cpuCoreHour": -0.1}`, `negative.json: cost model: cpuCoreHour must be a finite non-negative number`},
		{"currency.json", `{"currency": "dollars"}`, `currency.json: cost model: currency must be a 3-letter ISO 4217 code`},
		{"hours.json", `{"currency": "USD", "hoursPerMonth": -5}`, `hours.json: hoursPerMonth must be a positive number`},
		{"trailing.json", `{"currency": "USD"} {}`, `trailing.json: trailing data`},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		cm, err := ReadSheet(p)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want == "" && (cm.Currency != "EUR" || cm.CPUCoreHour != 0.05 || cm.HoursPerMonth != 720 || cm.NodeHour["big"] != 1):
			t.Errorf("%s: read %+v", tc.name, cm)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}
