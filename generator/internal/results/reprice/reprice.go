// Package reprice recomputes the cost of stored results under a price
// sheet (today's, the lab's lab.costModel, or another) from what each
// result recorded (its containers' usage and requests, or the nodes it ran
// on, and its duration), with the pricing rule collect applies, and puts
// the stored cost beside the new one. Stored results are never changed.
package reprice

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/format"
	labmodel "github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/collect"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results/cost"
)

// Row is one run: its stored cost and the cost under the new sheet. New is
// nil, with Note saying why, when the run cannot be repriced.
type Row struct {
	RunID       string         `json:"run_id"`
	Method      string         `json:"method"`
	StoredSheet string         `json:"stored_price_sheet"`
	Stored      *cost.Estimate `json:"stored"`
	New         *cost.Estimate `json:"new"`
	// DeltaMonthly and DeltaPct compare the monthly projections; nil when
	// either side is missing or the currencies differ.
	DeltaMonthly *float64 `json:"delta_monthly"`
	DeltaPct     *float64 `json:"delta_pct"`
	Note         string   `json:"note,omitempty"`
}

// Variant is the runs of one variant, with the medians of the monthly
// projections over the runs repriced.
type Variant struct {
	Name         string   `json:"name"`
	Rows         []Row    `json:"rows"`
	StoredMedian *float64 `json:"stored_monthly_median"`
	NewMedian    *float64 `json:"new_monthly_median"`
}

// Reprice is an experiment's stored costs against a price sheet.
type Reprice struct {
	Experiment string `json:"experiment"`
	// Sheet names the price sheet; Digest is its cost.Model digest, the
	// one a result priced with it records.
	Sheet    string    `json:"sheet"`
	Digest   string    `json:"price_sheet_digest"`
	Currency string    `json:"currency"`
	Variants []Variant `json:"variants"`
	// Repriced and NotRepriced count runs.
	Repriced    int `json:"repriced"`
	NotRepriced int `json:"not_repriced"`
}

// pricing is collect's pricing name of a stored estimate's method.
func pricing(method string) (string, error) {
	switch method {
	case "workload":
		return "resources", nil
	case "node":
		return "nodes", nil
	}
	return "", fmt.Errorf("unknown cost method %q", method)
}

// Build reprices every run of the experiment under cm (named sheet).
func Build(experiment, sheet string, cm labmodel.CostModel, runs map[string][]*results.Result) (*Reprice, error) {
	m := collect.CostModel(cm)
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("price sheet %s: %w", sheet, err)
	}
	rp := &Reprice{Experiment: experiment, Sheet: sheet, Digest: m.Digest(), Currency: m.Currency, Variants: []Variant{}}
	names := make([]string, 0, len(runs))
	for v := range runs {
		names = append(names, v)
	}
	sort.Strings(names)
	for _, name := range names {
		rs := append([]*results.Result(nil), runs[name]...)
		sort.Slice(rs, func(i, j int) bool { return rs[i].RunID < rs[j].RunID })
		v := Variant{Name: name, Rows: []Row{}}
		var old, cur []float64
		for _, r := range rs {
			row := one(r, cm)
			if row.New != nil {
				rp.Repriced++
				if row.DeltaMonthly != nil {
					old = append(old, row.Stored.MonthlyProjection)
					cur = append(cur, row.New.MonthlyProjection)
				}
			} else {
				rp.NotRepriced++
			}
			v.Rows = append(v.Rows, row)
		}
		v.StoredMedian, v.NewMedian = median(old), median(cur)
		rp.Variants = append(rp.Variants, v)
	}
	if len(rp.Variants) == 0 {
		return nil, fmt.Errorf("reprice %s: no stored results", experiment)
	}
	return rp, nil
}

func one(r *results.Result, cm labmodel.CostModel) Row {
	row := Row{RunID: r.RunID, StoredSheet: r.PriceSheetDigest, Stored: r.Cost}
	if r.Cost == nil {
		row.Note = "not priced when stored: nothing to reprice"
		return row
	}
	row.Method = r.Cost.Method
	p, err := pricing(r.Cost.Method)
	if err != nil {
		row.Note = err.Error()
		return row
	}
	var nodes []results.NodeRef
	if r.Run != nil {
		nodes = r.Run.Nodes
	}
	c := *r // Price fills the copy's cost and digest only.
	c.Cost, c.PriceSheetDigest = nil, ""
	if err := collect.Price(&c, cm, p, nodes); err != nil {
		row.Note = "cannot reprice: " + err.Error()
		return row
	}
	row.New = c.Cost
	switch {
	case r.Cost.Currency != c.Cost.Currency:
		row.Note = fmt.Sprintf("currency %s stored, %s now: no difference computed", r.Cost.Currency, c.Cost.Currency)
	default:
		d := c.Cost.MonthlyProjection - r.Cost.MonthlyProjection
		row.DeltaMonthly = &d
		if r.Cost.MonthlyProjection != 0 {
			pct := d / math.Abs(r.Cost.MonthlyProjection) * 100
			row.DeltaPct = &pct
		}
	}
	return row
}

func median(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}

func money(e *cost.Estimate) string {
	if e == nil {
		return "—"
	}
	return format.Number(e.MonthlyProjection) + " " + e.Currency
}

func shortDigest(d string) string {
	if d == "" {
		return "not recorded"
	}
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// Markdown writes the table of stored against new costs. The output
// depends only on rp.
func (rp *Reprice) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Reprice: %s\n\n", rp.Experiment)
	fmt.Fprintf(&b, "Each run's cost recomputed from what it recorded (usage and requests, or its nodes, over its duration) under %s (%s); the stored results are not changed. Monthly projections.\n", rp.Sheet, shortDigest(rp.Digest))
	for _, v := range rp.Variants {
		fmt.Fprintf(&b, "\n### %s\n\n| run | method | stored price sheet | stored | repriced | delta |\n|---|---|---|---|---|---|\n", v.Name)
		var notes []string
		for _, r := range v.Rows {
			delta := "—"
			if r.DeltaMonthly != nil {
				delta = fmt.Sprintf("%+.4g %s", *r.DeltaMonthly, rp.Currency)
				if r.DeltaPct != nil {
					delta += fmt.Sprintf(" (%+.2f%%)", *r.DeltaPct)
				}
			}
			method := r.Method
			if method == "" {
				method = "—"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.RunID, method, shortDigest(r.StoredSheet), money(r.Stored), money(r.New), delta)
			if r.Note != "" {
				notes = append(notes, r.RunID+": "+r.Note)
			}
		}
		if v.StoredMedian != nil && v.NewMedian != nil {
			fmt.Fprintf(&b, "\nMedian monthly: %s %s stored, %s %s repriced (%+.4g %s).\n", format.Number(*v.StoredMedian), rp.Currency, format.Number(*v.NewMedian), rp.Currency, *v.NewMedian-*v.StoredMedian, rp.Currency)
		}
		if len(notes) > 0 {
			b.WriteString("\nNotes:\n")
			for _, n := range notes {
				b.WriteString("- " + n + "\n")
			}
		}
	}
	fmt.Fprintf(&b, "\n%d run(s) repriced, %d not.\n", rp.Repriced, rp.NotRepriced)
	_, err := io.WriteString(w, b.String())
	return err
}

// ReadSheet reads a price sheet from a JSON file with the fields of the
// lab's #CostModel (currency, cpuCoreHour, ramGiBHour, storageGiBMonth,
// hoursPerMonth, nodeHour), strictly: an unknown field or a syntax error is
// named with the file and its line.
func ReadSheet(path string) (labmodel.CostModel, error) {
	var cm labmodel.CostModel
	data, err := os.ReadFile(path)
	if err != nil {
		return cm, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cm); err != nil {
		// encoding/json gives no position for an unknown field: the
		// field's first occurrence as a key is where it is.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			if i := bytes.Index(data, []byte(name)); i >= 0 {
				return cm, fmt.Errorf("%s: line %d: unknown field %s (the fields: currency, cpuCoreHour, ramGiBHour, storageGiBMonth, hoursPerMonth, nodeHour)", path, 1+bytes.Count(data[:i], []byte{'\n'}), name)
			}
		}
		return cm, fmt.Errorf("%s: %w", path, results.DescribeJSONError(data, err))
	}
	if dec.More() {
		return cm, fmt.Errorf("%s: trailing data after the price sheet", path)
	}
	if math.IsNaN(cm.HoursPerMonth) || cm.HoursPerMonth < 0 || math.IsInf(cm.HoursPerMonth, 0) {
		return cm, fmt.Errorf("%s: hoursPerMonth must be a positive number (or absent for 730), got %v", path, cm.HoursPerMonth)
	}
	if err := collect.CostModel(cm).Validate(); err != nil {
		return cm, fmt.Errorf("%s: %w", path, err)
	}
	return cm, nil
}
