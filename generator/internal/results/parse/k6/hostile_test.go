package k6

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

const okMetric = `{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}` + "\n"
const okDurMetric = `{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}` + "\n"
const okPoint = `{"metric":"http_reqs","type":"Point","data":{"time":"2025-10-15T00:33:08.80655-03:00","value":1,"tags":{"status":"200"}}}` + "\n"

func TestHostileInput(t *testing.T) {
	summary, err := os.ReadFile("testdata/handlesummary-data.json")
	if err != nil {
		t.Fatal(err)
	}
	s := string(summary)
	tests := []struct {
		name, file, content, format string
		want                        []string // substrings of the error
	}{
		{"empty file", "e.json", "", "", []string{"e.json", "empty file"}},
		{"empty ndjson forced", "e.ndjson", "", "ndjson", []string{"e.ndjson", "empty file"}},
		{"empty csv forced", "e.csv", "", "csv", []string{"e.csv", "empty file"}},
		{"only blanks", "b.json", "\n  \n", "", []string{"b.json", "empty"}},
		{"truncated summary", "t.json", s[:2000], "", []string{"t.json", "line", "truncated"}},
		{"summary NaN", "nan.json", strings.Replace(s, `"count": 20`, `"count": NaN`, 1), "", []string{"nan.json", "line 32", "invalid character 'N'"}},
		{"summary negative duration", "neg.json", strings.Replace(s, `"testRunDurationMs": 8301.648`, `"testRunDurationMs": -1`, 1), "", []string{"neg.json", "testRunDurationMs is -1"}},
		{"summary negative count", "negc.json", strings.Replace(s, `"count": 20`, `"count": -20`, 1), "", []string{"negc.json", `"http_reqs"`, "count is -20"}},
		{"summary fractional count", "frac.json", strings.Replace(s, `"count": 20`, `"count": 20.5`, 1), "", []string{"frac.json", "not a whole count"}},
		{"summary unknown metric type", "type.json", strings.Replace(s, `"type": "gauge"`, `"type": "histogram"`, 1), "", []string{"type.json", "unknown metric type \"histogram\""}},
		{"summary builtin with wrong type", "wt.json", strings.Replace(s, `"type": "counter",
            "contains": "default",
            "values": {
                "count": 20`, `"type": "gauge",
            "contains": "default",
            "values": {
                "count": 20`, 1), "", []string{"wt.json", `"http_reqs" has type gauge`}},
		{"summary string value", "str.json", strings.Replace(s, `"count": 20`, `"count": "20"`, 1), "", []string{"str.json", "http_reqs"}},
		{"summary trailing garbage", "tg.json", s + "\n{}", "", []string{"tg.json", "unexpected data after the JSON document"}},
		{"summary without metrics", "nm.json", `{"root_group":{}}`, "", []string{"nm.json", "no \"metrics\""}},
		{"ndjson corrupt line", "c.ndjson", okMetric + okPoint + `{"metric":"http_reqs","type":"Point","data":{"time":"2025-10-15T00:33:08Z","value":1,,}}` + "\n" + okPoint, "", []string{"c.ndjson", "line 3", "byte offset"}},
		{"ndjson truncated last line", "tr.ndjson", okMetric + okPoint + okPoint[:60], "", []string{"tr.ndjson", "line 3", "truncated file?"}},
		{"ndjson NaN value", "nan.ndjson", okMetric + strings.Replace(okPoint, `"value":1`, `"value":NaN`, 1), "", []string{"nan.ndjson", "line 2", "invalid"}},
		{"ndjson negative duration", "neg.ndjson", okMetric + okPoint + okDurMetric + `{"metric":"http_req_duration","type":"Point","data":{"time":"2025-10-15T00:33:08Z","value":-3.5,"tags":{}}}` + "\n", "", []string{"neg.ndjson", "line 4", "negative value -3.5"}},
		{"ndjson unknown metric type", "umt.ndjson", strings.Replace(okMetric, `"type":"counter"`, `"type":"summary"`, 1) + okPoint, "", []string{"umt.ndjson", "line 1", `unknown metric type "summary"`}},
		{"ndjson builtin with wrong type", "bwt.ndjson", strings.Replace(okMetric, `"type":"counter"`, `"type":"trend"`, 1) + okPoint, "", []string{"bwt.ndjson", "line 1", "k6 defines it as counter"}},
		{"ndjson point before metric", "pbm.ndjson", okPoint + okMetric, "", []string{"pbm.ndjson", "line 1", "before its Metric line"}},
		{"ndjson unknown line type", "ult.ndjson", okMetric + strings.Replace(okPoint, `"Point"`, `"Sample"`, 1), "", []string{"ult.ndjson", "line 2", `unknown line type "Sample"`}},
		{"ndjson bad time", "bt.ndjson", okMetric + strings.Replace(okPoint, `2025-10-15T00:33:08.80655-03:00`, `2025-02-30T00:00:00Z`, 1), "", []string{"bt.ndjson", "line 2", "data.time"}},
		{"ndjson value not a number", "vn.ndjson", okMetric + strings.Replace(okPoint, `"value":1`, `"value":"1"`, 1), "", []string{"vn.ndjson", "line 2", "not a number"}},
		{"ndjson only metrics", "om.ndjson", okMetric, "", []string{"om.ndjson", "no samples"}},
		{"ndjson huge latency", "hl.ndjson", okDurMetric + `{"metric":"http_req_duration","type":"Point","data":{"time":"2025-10-15T00:33:08Z","value":1e300,"tags":{}}}` + "\n", "", []string{"hl.ndjson", "line 2", "beyond the 24 h"}},
		{"csv missing column", "mc.csv", "metric_name,timestamp,check\nhttp_reqs,1,\n", "", []string{"mc.csv", "lacks column \"metric_value\""}},
		{"csv bad value", "bv.csv", "metric_name,timestamp,metric_value\nhttp_reqs,1700000000,x\n", "", []string{"bv.csv", "line 2", "metric_value \"x\""}},
		{"csv negative counter", "nc.csv", "metric_name,timestamp,metric_value\nhttp_reqs,1700000000,-1\n", "", []string{"nc.csv", "line 2", "negative"}},
		{"csv NaN", "nan.csv", "metric_name,timestamp,metric_value\nhttp_req_duration,1700000000,NaN\n", "", []string{"nan.csv", "line 2", "not finite"}},
		{"csv truncated row", "tr.csv", "metric_name,timestamp,metric_value\nhttp_reqs,1700000000,1\nhttp_reqs,17000", "", []string{"tr.csv", "line 3", "wrong number of fields"}},
		{"csv unterminated quote", "uq.csv", "metric_name,timestamp,metric_value\nhttp_reqs,1700000000,1\nhttp_reqs,\"17000", "", []string{"uq.csv", "line 3", "extraneous or missing \" in quoted-field"}},
		{"csv bad timestamp", "bts.csv", "metric_name,timestamp,metric_value\nhttp_reqs,yesterday,1\n", "csv", []string{"bts.csv", "line 2", "timestamp"}},
		{"csv only header", "oh.csv", "metric_name,timestamp,metric_value\n", "", []string{"oh.csv", "no samples"}},
		{"log without end", "p.log", "x\nK6_SUMMARY_BEGIN\n" + s, "", []string{"p.log", "truncated log", "no K6_SUMMARY_END"}},
		{"log with corrupt summary", "c.log", "K6_SUMMARY_BEGIN\n" + s[:100] + "\nK6_SUMMARY_END\n", "", []string{"c.log", "between markers", "line"}},
		{"log without summary", "n.log", "just a log line\n", "log", []string{"n.log", "no K6_SUMMARY_BEGIN"}},
		{"not k6 at all", "x.txt", "hello\n", "", []string{"x.txt", "unrecognized k6 output"}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.file)
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := ParseFiles([]string{p}, Options{Format: tc.format})
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// scanLine must accept exactly the objects encoding/json accepts.
func checkScanner(t *testing.T, line []byte) {
	t.Helper()
	var f lineFields
	err := scanLine(line, &f)
	trimmed := strings.TrimLeft(string(line), " \t\r\n")
	isObj := strings.HasPrefix(trimmed, "{")
	valid := json.Valid(line)
	if (err == nil) != (valid && isObj) {
		t.Fatalf("scanLine(%q) = %v, json.Valid = %v", line, err, valid)
	}
	if err != nil || !valid {
		return
	}
	var ref struct {
		Type   any `json:"type"`
		Metric any `json:"metric"`
	}
	if json.Unmarshal(line, &ref) == nil {
		if s, ok := ref.Type.(string); ok && f.typIsStr && !f.typEsc && utf8.Valid(f.typ) && s != string(f.typ) {
			t.Fatalf("type %q vs %q in %q", f.typ, s, line)
		}
	}
}

var scannerSeeds = []string{
	okMetric, okPoint, okDurMetric,
	`{}`, `{"a":[1,2,{"b":null}],"c":true,"d":false}`, `{"type":"Point","data":{"value":-0.5e-3,"time":"x"}}`,
	`{"a":"\u00e9\n\"\\"}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":"\x"}`,
	"{\"a\":\"\x01\"}", `{"a" 1}`, `{"a":1,}`, `[1]`, `"s"`, `{"a":1}}`, `{"a":{"b":[}}`, `{"a":"\u12"}`,
	"{\"a\":\"\xff\xfe\"}", `{"a":1} x`, ` {"a" : [ 1 , 2 ] } `, `{"a":1e+5,"b":1E-5}`,
}

func FuzzScanLine(f *testing.F) {
	for _, s := range scannerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkScanner(t, line) })
}

// A bounded mutation run in every test, so the comparison with
// encoding/json runs without the fuzzing engine too.
func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	alphabet := []byte(`{}[]":,\ -+.0123456789eEtruefalsnl` + "\x00\x1f\xff")
	for _, s := range scannerSeeds {
		checkScanner(t, []byte(s))
		for i := 0; i < 3000; i++ {
			b := []byte(s)
			for n := 1 + rng.IntN(3); n > 0; n-- {
				switch op := rng.IntN(3); {
				case op == 0 && len(b) > 0:
					b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
				case op == 1 && len(b) > 0:
					j := rng.IntN(len(b))
					b = append(b[:j], b[j+1:]...)
				default:
					j := rng.IntN(len(b) + 1)
					b = append(b[:j], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[j:]...)...)
				}
			}
			checkScanner(t, b)
		}
	}
}

// Every k6 output as `kubectl logs --timestamps` prints a pod's log: the
// prefix on every line is stripped and the figures are the same.
func TestTimestampsOnEveryLine(t *testing.T) {
	files, _ := filepath.Glob("testdata/*")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".md") || strings.Contains(f, "fuzz") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Parse(f, bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(f, bytes.NewReader(ptest.Prefix(data, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))), Options{})
		if err != nil {
			t.Fatalf("%s prefixed: %v", f, err)
		}
		got.Sources, want.Sources = nil, nil
		a, _ := results.MarshalIndent(got)
		b, _ := results.MarshalIndent(want)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: prefixed differs:\n%s\n%s", f, a, b)
		}
		n++
	}
	if n < 6 {
		t.Fatalf("%d files", n)
	}
	// A prefix missing on one line is refused, naming it.
	data, _ := os.ReadFile("testdata/out-json-head300.ndjson")
	pre := ptest.Prefix(data, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	lines := bytes.SplitAfter(pre, []byte("\n"))
	lines[7] = lines[7][bytes.IndexByte(lines[7], ' ')+1:]
	if _, err := Parse("pod.log", bytes.NewReader(bytes.Join(lines, nil)), Options{}); err == nil || !strings.Contains(err.Error(), "pod.log: line 8") || !strings.Contains(err.Error(), "no kubectl --timestamps prefix") {
		t.Errorf("missing prefix: %v", err)
	}
}

func TestSeeds(t *testing.T) {
	seeds := map[string][]byte{}
	files, _ := filepath.Glob("testdata/*.*")
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds[filepath.Base(f)] = b
	}
	seeds["truncated-ndjson"] = []byte(okMetric + okPoint + okPoint[:60])
	seeds["log-without-end"] = []byte("x\nK6_SUMMARY_BEGIN\n{\"metrics\":{}}\n")
	ptest.WriteSeeds(t, "FuzzParse", seeds)
	ptest.WriteSeeds(t, "FuzzScanLine", map[string][]byte{"metric": []byte(okMetric), "point": []byte(okPoint), "nested": []byte(`{"a":[1,2,{"b":null}],"c":true}`), "escapes": []byte(`{"a":"\u00e9\n\"\\"}`)})
}

// FuzzParse: any input, in every format, is refused with a short error or
// parsed into a result that marshals.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range Formats {
			r, err := Parse("fuzz", bytes.NewReader(data), Options{Format: format})
			ptest.CheckParsed(t, r, err)
		}
	})
}
