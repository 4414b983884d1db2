package estimate

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
)

// Marker identifies the cost-diff comment on a pull request, so that it
// is edited in place instead of posted again.
const Marker = "<!-- illm-lab:cost-diff -->"

// epsilon is the smallest monthly change worth a line (a thousandth of a
// cent).
const epsilon = 1e-5

// Change is the monthly price of one component (or benchmark) on both sides.
type Change struct {
	Experiment string  `json:"experiment"`
	Variant    string  `json:"variant,omitempty"`
	Component  string  `json:"component,omitempty"`
	Base       float64 `json:"base"`
	Current    float64 `json:"current"`
	Delta      float64 `json:"delta"`
	// Status is added, removed or changed.
	Status string `json:"status"`
	// NotPriced is true when a component of it could not be priced on
	// either side: its figures are then lower bounds.
	NotPriced bool `json:"not_priced,omitempty"`
}

// Diff compares the tree of a change with the tree of its base.
type Diff struct {
	BaseRef  string  `json:"base_ref"`
	Currency string  `json:"currency"`
	Base     *Report `json:"base"`
	Current  *Report `json:"current"`
	// Monthly, MonthlyAtLimits and Benchmarks are current minus base.
	Monthly         float64 `json:"monthly"`
	MonthlyAtLimits float64 `json:"monthly_at_limits"`
	Benchmarks      float64 `json:"benchmarks"`
	// Components changed, largest change first; Groups the same by
	// experiment and variant.
	Components      []Change   `json:"components"`
	Groups          []Change   `json:"groups"`
	BenchmarkChange []Change   `json:"benchmark_changes"`
	NotPricedAdded  []Unpriced `json:"not_priced_added"`
	NotPricedGone   []Unpriced `json:"not_priced_removed"`
}

func key(parts ...string) string { return strings.Join(parts, "\x00") }

// Compare diffs the current report against the base report.
func Compare(baseRef string, base, cur *Report) *Diff {
	d := &Diff{BaseRef: baseRef, Currency: cur.Currency, Base: base, Current: cur,
		Monthly: cur.Monthly - base.Monthly, MonthlyAtLimits: cur.MonthlyAtLimits - base.MonthlyAtLimits,
		Benchmarks: cur.Benchmarks - base.Benchmarks,
		Components: []Change{}, Groups: []Change{}, BenchmarkChange: []Change{}, NotPricedAdded: []Unpriced{}, NotPricedGone: []Unpriced{}}
	type side struct {
		base, cur *float64
		unpriced  bool
	}
	comps := map[string]*side{}
	groups := map[string]*side{}
	bench := map[string]*side{}
	names := map[string][3]string{}
	put := func(m map[string]*side, k string, n [3]string, v float64, isBase, priced bool) {
		s := m[k]
		if s == nil {
			s = &side{}
			m[k] = s
		}
		s.unpriced = s.unpriced || !priced
		names[k] = n
		p := &s.cur
		if isBase {
			p = &s.base
		}
		if *p == nil {
			*p = new(float64)
		}
		**p += v
	}
	for i, r := range []*Report{base, cur} {
		for _, e := range r.Experiments {
			for _, c := range e.Components {
				put(comps, key("c", e.Name, c.Variant, c.Name), [3]string{e.Name, c.Variant, c.Name}, c.Monthly, i == 0, c.Priced())
				put(groups, key("g", e.Name, c.Variant), [3]string{e.Name, c.Variant, ""}, c.Monthly, i == 0, c.Priced())
			}
			if e.Benchmark != nil {
				put(bench, key("b", e.Name), [3]string{e.Name, "", ""}, e.Benchmark.Cost, i == 0, true)
			}
		}
	}
	changes := func(m map[string]*side) []Change {
		out := []Change{}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			s, n := m[k], names[k]
			c := Change{Experiment: n[0], Variant: n[1], Component: n[2], Status: "changed", NotPriced: s.unpriced}
			switch {
			case s.base == nil:
				c.Status, c.Current = "added", *s.cur
			case s.cur == nil:
				c.Status, c.Base = "removed", *s.base
			default:
				c.Base, c.Current = *s.base, *s.cur
			}
			c.Delta = c.Current - c.Base
			if math.Abs(c.Delta) < epsilon && c.Status == "changed" {
				continue
			}
			out = append(out, c)
		}
		sort.SliceStable(out, func(i, j int) bool { return math.Abs(out[i].Delta) > math.Abs(out[j].Delta) })
		return out
	}
	d.Components, d.Groups, d.BenchmarkChange = changes(comps), changes(groups), changes(bench)
	in := func(list []Unpriced) map[Unpriced]bool {
		m := map[Unpriced]bool{}
		for _, u := range list {
			m[u] = true
		}
		return m
	}
	bu, cu := in(base.NotPriced), in(cur.NotPriced)
	for _, u := range cur.NotPriced {
		if !bu[u] {
			d.NotPricedAdded = append(d.NotPricedAdded, u)
		}
	}
	for _, u := range base.NotPriced {
		if !cu[u] {
			d.NotPricedGone = append(d.NotPricedGone, u)
		}
	}
	return d
}

// Money prints an amount with its currency: $12.35 for USD, 12.35 EUR otherwise.
func Money(currency string, v float64) string {
	if currency == "USD" || currency == "" {
		if v < 0 {
			return "-$" + format.Number(-v)
		}
		return "$" + format.Number(v)
	}
	return format.Number(v) + " " + currency
}

// Signed prints an amount with its sign: +$12.35, -$3.
func Signed(currency string, v float64) string {
	if v >= 0 {
		return "+" + Money(currency, v)
	}
	return Money(currency, v)
}

// Where names a change: experiment, experiment/variant or experiment/variant/component.
func (c Change) Where() string {
	s := c.Experiment
	if c.Variant != "" {
		s += "/" + c.Variant
	}
	if c.Component != "" {
		s += "/" + c.Component
	}
	return s
}

func (u Unpriced) where() string {
	return Change{Experiment: u.Experiment, Variant: u.Variant, Component: u.Component}.Where()
}

// Headline is the one-line summary of the change: "+$X/month: +$Y
// mesh-benchmark/istio, ..." (at most five groups, largest first).
func (d *Diff) Headline() string {
	if len(d.Groups) == 0 && math.Abs(d.Monthly) < epsilon {
		return "No change in what the tree asks for: " + Money(d.Currency, d.Current.Monthly) + "/month."
	}
	var parts []string
	for i, g := range d.Groups {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(d.Groups)-5))
			break
		}
		s := Signed(d.Currency, g.Delta) + " " + g.Where()
		switch {
		case g.NotPriced && g.Status != "changed":
			s = g.Where() + " (" + g.Status + ", not priced)"
			if math.Abs(g.Delta) >= epsilon {
				s = Signed(d.Currency, g.Delta) + " " + g.Where() + " (" + g.Status + ", partly priced)"
			}
		case g.Status != "changed":
			s += " (" + g.Status + ")"
		}
		parts = append(parts, s)
	}
	return Signed(d.Currency, d.Monthly) + "/month: " + strings.Join(parts, ", ")
}

// Markdown writes the pull-request comment, marker first. The output
// depends only on the two reports.
func (d *Diff) Markdown(w io.Writer) error {
	var b strings.Builder
	cur := d.Currency
	b.WriteString(Marker + "\n")
	fmt.Fprintf(&b, "## Cost of this change: %s/month\n\n", Signed(cur, d.Monthly))
	fmt.Fprintf(&b, "**%s**\n\n", d.Headline())
	base := "`" + d.BaseRef + "`"
	fmt.Fprintf(&b, "What the rendered tree asks for, priced before anything is deployed: %s/month at requests (%s on %s), %s/month at limits (%s).",
		Money(cur, d.Current.Monthly), Money(cur, d.Base.Monthly), base, Money(cur, d.Current.MonthlyAtLimits), Signed(cur, d.MonthlyAtLimits))
	if d.Current.Cluster != "" {
		fmt.Fprintf(&b, " Experiments conducted on cluster `%s` only.", d.Current.Cluster)
	}
	b.WriteString("\n")
	if len(d.Components) > 0 {
		b.WriteString("\n| experiment | variant | component | " + d.BaseRef + " | this change | delta |\n|---|---|---|---|---|---|\n")
		for _, c := range d.Components {
			v := c.Variant
			if v == "" {
				v = "(shared)"
			}
			bs, cs := Money(cur, c.Base), Money(cur, c.Current)
			if c.NotPriced && c.Base == 0 {
				bs = "not priced"
			}
			if c.NotPriced && c.Current == 0 {
				cs = "not priced"
			}
			if c.Status == "added" {
				bs = "—"
			}
			if c.Status == "removed" {
				cs = "—"
			}
			delta := Signed(cur, c.Delta)
			if c.NotPriced {
				delta += " (not priced: unknown)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.Experiment, v, c.Component, bs, cs, delta)
		}
	}
	if len(d.BenchmarkChange) > 0 {
		b.WriteString("\nBenchmarks, one run of each (every Job for its measured load time):\n\n")
		for _, c := range d.BenchmarkChange {
			fmt.Fprintf(&b, "- %s: %s per run (%s → %s)\n", c.Experiment, Signed(cur, c.Delta), Money(cur, c.Base), Money(cur, c.Current))
		}
	}
	if len(d.NotPricedAdded) > 0 {
		b.WriteString("\nNot priced, new in this change (not counted as zero: unknown):\n\n")
		for _, u := range d.NotPricedAdded {
			fmt.Fprintf(&b, "- %s: %s\n", u.where(), u.Reason)
		}
	}
	if len(d.NotPricedGone) > 0 {
		fmt.Fprintf(&b, "\n%d item(s) not priced on %s are gone or now priced.\n", len(d.NotPricedGone), base)
	}
	fmt.Fprintf(&b, "\n%d item(s) of the tree are not priced in all (`go run ./generator cost` lists them). %s\n", len(d.Current.NotPriced), pricesLine(d.Current))
	_, err := io.WriteString(w, b.String())
	return err
}

func pricesLine(r *Report) string {
	return fmt.Sprintf("Prices: the lab's cost model (%s), %s h a month.", r.Currency, format.Number(r.HoursPerMonth))
}
