package estimate

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

func cores(v float64) string { return format.Number(v) }

func gib(v float64) string { return format.Number(v / cost.GiB) }

// Text writes the report as a table: one line per component with its
// requests, limits, storage and monthly price, the experiment's total,
// the benchmarks, and everything not priced.
func (r *Report) Text(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cur := r.Currency
	fmt.Fprintln(tw, "experiment\tvariant\tcomponent\tsource\tcpu req\tcpu lim\tmem req GiB\tmem lim GiB\tstorage GiB\t/month\t/month at limits")
	for _, e := range r.Experiments {
		for _, c := range e.Components {
			v := c.Variant
			if v == "" {
				v = "-"
			}
			if !c.Priced() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\tnot priced\tnot priced\n", e.Name, v, c.Name, c.Source)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, v, c.Name, c.Source,
				cores(c.CPURequestCores), cores(c.CPULimitCores), gib(c.MemoryRequestBytes), gib(c.MemoryLimitBytes), gib(c.StorageBytes),
				Money(cur, c.Monthly), Money(cur, c.MonthlyAtLimits))
		}
		fmt.Fprintf(tw, "%s\t\t(total)\t\t\t\t\t\t\t%s\t%s\n", e.Name, Money(cur, e.Monthly), Money(cur, e.MonthlyAtLimits))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\ntotal: %s/month at requests, %s/month at limits, %d experiment(s)", Money(cur, r.Monthly), Money(cur, r.MonthlyAtLimits), len(r.Experiments))
	if r.Cluster != "" {
		fmt.Fprintf(&b, " conducted on cluster %s", r.Cluster)
	}
	b.WriteString("\n")
	var bench []string
	for _, e := range r.Experiments {
		if e.Benchmark != nil {
			bench = append(bench, fmt.Sprintf("  %s: %d Job(s), %s s of load: %s per run (at most %s, to their deadlines)",
				e.Name, e.Benchmark.Jobs, format.Number(e.Benchmark.Seconds), Money(cur, e.Benchmark.Cost), Money(cur, e.Benchmark.MaxCost)))
		}
	}
	if len(bench) > 0 {
		fmt.Fprintf(&b, "benchmarks, one run of each: %s (at most %s)\n%s\n", Money(cur, r.Benchmarks), Money(cur, r.BenchmarksMax), strings.Join(bench, "\n"))
	}
	if len(r.NotPriced) > 0 {
		fmt.Fprintf(&b, "not priced (%d; unknown, not zero):\n", len(r.NotPriced))
		for _, u := range r.NotPriced {
			fmt.Fprintf(&b, "  %s: %s\n", u.where(), u.Reason)
		}
	}
	b.WriteString(pricesLine(r) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
