package fio

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/parse/ptest"
)

// TestLiveFio runs the real fio for a second at a time on an 8 MiB temp
// file and checks the parsed figures against its report and its job.
func TestLiveFio(t *testing.T) {
	bin := ptest.Binary(t, "fio")
	dir := t.TempDir()
	common := []string{"--filename=" + filepath.Join(dir, "testfile"), "--size=8M", "--runtime=1", "--time_based", "--bs=4k"}
	run := func(t *testing.T, rc int, args ...string) (ptest.Result, string) {
		t.Helper()
		out := ptest.Run(t, time.Minute, dir, append(append([]string{bin}, common...), args...)...)
		if out.RC != rc {
			t.Fatalf("rc %d, want %d\n%s", out.RC, rc, out.Combined)
		}
		return out, ptest.WriteFile(t, dir, strings.ReplaceAll(t.Name(), "/", "_")+".json", out.Combined)
	}

	t.Run("randread json", func(t *testing.T) {
		out, path := run(t, 0, "--name=rr", "--rw=randread", "--ioengine=psync", "--output-format=json")
		r, err := ParseFiles([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := results.Validate(r, results.Expect{Duration: time.Second, DurationSlack: 100 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		want := reference(t, out.Stdout)
		if float64(r.Operations.Count) != want.ios || float64(*r.Bytes.In) != want.in || float64(*r.Bytes.In) != want.ios*4096 || !near(r.ThroughputPerS, want.iops, 1e-6) {
			t.Errorf("%d ops %d bytes %v/s; fio: %v ops %v bytes %v iops", r.Operations.Count, *r.Bytes.In, r.ThroughputPerS, want.ios, want.in, want.iops)
		}
		l := r.LatencyMs
		if l.Source != results.LatencyToolPercentiles || *l.Min > *l.Med || *l.Med > *l.P99 || *l.P99 > *l.Max {
			t.Errorf("latency %+v", l)
		}
		t.Logf("fio %s randread psync: %.0f IOPS, clat p50 %.4f ms p99 %.4f ms", *r.Tool.Version, r.ThroughputPerS, *l.Med, *l.P99)
	})

	t.Run("rw json+ with fsync", func(t *testing.T) {
		out, path := run(t, 0, "--name=rw", "--rw=rw", "--rwmixread=70", "--ioengine=psync", "--fsync=4", "--output-format=json+")
		r, err := ParseFiles([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := results.Validate(r, results.Expect{}); err != nil {
			t.Fatal(err)
		}
		want := reference(t, out.Stdout)
		if r.SourceFormat != FormatJSONPlus || float64(r.Operations.Count) != want.ios || r.LatencyMs.Source != results.LatencyHistogram {
			t.Errorf("%s: %d ops (fio %v), latency %s", r.SourceFormat, r.Operations.Count, want.ios, r.LatencyMs.Source)
		}
		names := map[string]bool{}
		for _, p := range r.Breakdown {
			names[p.Name] = true
		}
		if !names["read"] || !names["write"] || !names["sync"] {
			t.Errorf("breakdown %+v", r.Breakdown)
		}
		t.Logf("fio rw 70/30 psync fsync=4: %.0f IOPS, clat p50 %.4f ms p99 %.4f ms", r.ThroughputPerS, *r.LatencyMs.Med, *r.LatencyMs.P99)
	})

	t.Run("two jobs, group reporting", func(t *testing.T) {
		out, path := run(t, 0, "--name=g", "--rw=randread", "--ioengine=psync", "--numjobs=2", "--group_reporting", "--output-format=json")
		r, err := ParseFiles([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Jobs []any }
		json.Unmarshal(out.Stdout, &doc)
		if len(doc.Jobs) != 1 || *r.Clients != 2 {
			t.Errorf("%d job elements, %d clients: want one group of 2", len(doc.Jobs), *r.Clients)
		}
	})

	t.Run("setup error", func(t *testing.T) {
		_, path := run(t, 1, "--name=bad", "--rw=randread", "--ioengine=nosuchengine", "--output-format=json")
		r, err := ParseFiles([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := results.Validate(r, results.Expect{}); err == nil || !strings.Contains(err.Error(), "fio: engine nosuchengine not loadable") {
			t.Errorf("refusal %v", err)
		}
	})
}
