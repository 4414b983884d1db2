package results_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/k6"
)

const schemaPath = "../../../schema/result.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("result.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("result.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateJSON(t *testing.T, s *jsonschema.Schema, name string, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s.Validate(inst)
}

// fullResult has every optional section filled, as later collection
// steps will.
func fullResult(t *testing.T) *results.Result {
	t.Helper()
	r, err := k6.ParseFiles([]string{"parse/k6/testdata/summary-full.json"}, k6.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Experiment, r.Variant, r.RunID = "gateway", "envoy-v1", "run-001"
	r.Dropped = 0
	v := "v1.8.1"
	r.Tool.Version = &v
	r.Retries = new(int64)
	r.AbortedClients = new(int64)
	target := r.Operations.Count
	r.Operations.Target = &target
	r.Breakdown = []results.Part{{Name: "GET /api", Kind: "test", Operations: &target, ThroughputPerS: &r.ThroughputPerS, Errors: r.Errors.Count, Retries: new(int64), LatencyMs: r.LatencyMs}}
	r.ToolErrors = []string{"shown"}
	r.ManifestsDigest = "sha256:" + strings.Repeat("c", 64)
	f := func(v float64) *float64 { return &v }
	r.Resources = &results.Resources{Containers: []results.ContainerUsage{
		{Name: "demo/api-0/api", CPUCoreSeconds: f(27.5), MemoryPeakBytes: f(300 << 20), CPURequestCores: f(0.5), MemoryRequestBytes: f(256 << 20)},
		{Name: "demo/db-0/postgres", CPUCoreSeconds: f(3), MemoryPeakBytes: f(1 << 30), CPURequestCores: nil, MemoryRequestBytes: f(512 << 20)},
	}}
	if err := r.PriceWorkloads(cost.Default()); err != nil {
		t.Fatal(err)
	}
	r.Metrics = map[string]results.MetricValue{
		"cpu_cores": {Value: 0.75, Unit: "cores", Aggregation: "avg", Query: `sum(rate(container_cpu_usage_seconds_total{namespace="demo"}[60s]))`},
	}
	r.Run = &results.RunInfo{
		Namespace: "demo", WindowStart: "2026-01-02T03:04:05Z", WindowEnd: "2026-01-02T03:05:05Z",
		GitCommit: "0123456789abcdef0123456789abcdef01234567", ScriptSHA256: strings.Repeat("b", 64),
		Charts: []results.ChartRef{{Component: "api", Repository: "https://charts.example.org", Chart: "api", Version: "1.2.3"}},
		Images: []results.ImageRef{{Container: "demo/api-0/api", Image: "example/api:1.0", ImageID: "docker.io/example/api@sha256:" + strings.Repeat("a", 64)}},
		Nodes:  []results.NodeRef{{Name: "node-1", InstanceType: "m6i.large"}},
	}
	return r
}

// Every result the parsers produce, and a fully populated one, must
// validate against schema/result.schema.json: the Go type and the schema
// cannot drift apart.
func TestResultsValidateAgainstSchema(t *testing.T) {
	s := compileSchema(t)
	inputs, _ := filepath.Glob("parse/k6/testdata/*")
	n := 0
	migrated, _ := filepath.Glob("testdata/v1/*.json")
	for _, in := range migrated {
		r, err := results.LoadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := results.MarshalIndent(r)
		if err := validateJSON(t, s, in, b); err != nil {
			t.Errorf("%s migrated: %v", in, err)
		}
		n++
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".md") || strings.HasSuffix(in, "fuzz") {
			continue
		}
		r, err := k6.ParseFiles([]string{in}, k6.Options{})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		b, err := results.MarshalIndent(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateJSON(t, s, in, b); err != nil {
			t.Errorf("%s: %v", in, err)
		}
		n++
	}
	if n < 11 {
		t.Fatalf("only %d inputs validated", n)
	}
	b, err := results.MarshalIndent(fullResult(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateJSON(t, s, "full", b); err != nil {
		t.Errorf("full result: %v\n%s", err, b)
	}
}

// Every result every parser makes of its test data, that Validate
// accepts, validates against the schema too.
func TestEveryParserMatchesSchema(t *testing.T) {
	s := compileSchema(t)
	for _, tool := range parse.Tools() {
		dir := map[string]string{
			results.ToolK6: "k6", results.ToolPgbench: "pgbench", results.ToolRedisBenchmark: "redisbench", results.ToolNatsBench: "natsbench",
			results.ToolFio: "fio", results.ToolKafkaProducer: "kafkaperf", results.ToolKafkaConsumer: "kafkaperf", results.ToolPerfTest: "perftest",
		}[tool.Name]
		files, _ := filepath.Glob(filepath.Join("parse", dir, "testdata", "*"))
		more, _ := filepath.Glob(filepath.Join("parse", dir, "testdata", "*", "*"))
		n := 0
		for _, f := range append(files, more...) {
			if st, err := os.Stat(f); err != nil || st.IsDir() || strings.Contains(f, "fuzz") || strings.HasSuffix(f, ".md") || strings.HasSuffix(f, ".sql") {
				continue
			}
			opt := parse.Options{}
			if tool.TakesRequests {
				opt.Requests = 20000
			}
			r, err := parse.Files(tool.Name, []string{f}, opt)
			if err != nil || results.Validate(r, results.Expect{}) != nil {
				continue // another tool's file, or a refused run on purpose: the schema describes stored results
			}
			if r.Tool.Name != tool.Name {
				t.Errorf("%s: tool %s", f, r.Tool.Name)
			}
			b, err := results.MarshalIndent(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateJSON(t, s, f, b); err != nil {
				t.Errorf("%s (%s): %v", f, tool.Name, err)
			}
			n++
		}
		if n < 2 {
			t.Errorf("%s: only %d results validated", tool.Name, n)
		}
	}
}

// The reverse direction: every property the schema names is produced by
// the full result, so the schema documents no field the code lacks.
func TestSchemaPropertiesAreProduced(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	b, _ := results.MarshalIndent(fullResult(t))
	var inst map[string]any
	json.Unmarshal(b, &inst)
	var missing []string
	var walk func(path string, sch map[string]any, v any)
	walk = func(path string, sch map[string]any, v any) {
		if items, ok := sch["items"].(map[string]any); ok {
			if arr, ok := v.([]any); ok && len(arr) > 0 {
				walk(path+"[]", items, arr[0])
			}
		}
		props, _ := sch["properties"].(map[string]any)
		obj, _ := v.(map[string]any)
		for name, p := range props {
			val, ok := obj[name]
			if !ok {
				missing = append(missing, path+"."+name)
				continue
			}
			walk(path+"."+name, p.(map[string]any), val)
		}
	}
	walk("", schema, inst)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("schema properties not produced by Result: %v", missing)
	}
}

// Hostile documents must fail the schema too.
func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	good, _ := results.MarshalIndent(fullResult(t))
	for _, c := range []struct{ name, from, to string }{
		{"unknown field", `"operations":`, `"bogus": 1, "operations":`},
		{"zero operations", `"count": 3000`, `"count": 0`},
		{"error rate above 1", `"rate": 0.0033333333333333335`, `"rate": 1.5`},
		{"wrong version", `"schema_version": 2`, `"schema_version": 1`},
		{"format of another tool", `"format": "summary"`, `"format": "json+"`},
		{"unknown unit", `"unit": "requests"`, `"unit": "widgets"`},
		{"unknown tool", `"name": "k6"`, `"name": "ab"`},
		{"bad latency source", `"source": "tool-percentiles"`, `"source": "guess"`},
		{"duration 1e-303", `"duration_s": 30.0125`, `"duration_s": 1e-303`},
		{"bad digest", `"manifests_digest": "sha256:`, `"manifests_digest": "md5:`},
		{"bad name", `"experiment": "gateway"`, `"experiment": "../etc"`},
	} {
		bad := strings.Replace(string(good), c.from, c.to, 1)
		if bad == string(good) {
			t.Fatalf("%s: %q not found in\n%s", c.name, c.from, good)
		}
		if err := validateJSON(t, s, c.name, []byte(bad)); err == nil {
			t.Errorf("%s: schema accepted it", c.name)
		}
	}
}
