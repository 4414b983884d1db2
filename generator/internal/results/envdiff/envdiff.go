// Package envdiff tells what differs between the environments two sets of
// results were measured in, from what a stored result records: the load
// tool and its version, the charts and their versions, the images the
// kubelet resolved, the nodes' instance types, the namespace, the load
// script, and the digests of the rendered manifests and of the price sheet.
package envdiff

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/results"
)

// NotRecorded stands for a figure a run does not record.
const NotRecorded = "not recorded"

// Field is one aspect of the environment and its distinct values on each
// side, sorted; NotRecorded when a run of that side lacks it.
type Field struct {
	Name    string   `json:"name"`
	Base    []string `json:"base"`
	Current []string `json:"current"`
}

// Of returns every aspect the runs record, each with its distinct values.
// A run without provenance (no run info) gives NotRecorded for those
// aspects; an aspect no run records at all is left out.
func Of(rs []*results.Result) map[string][]string {
	sets := map[string]map[string]bool{}
	add := func(k, v string) {
		if sets[k] == nil {
			sets[k] = map[string]bool{}
		}
		if v == "" {
			v = NotRecorded
		}
		sets[k][v] = true
	}
	// Per run, the aspects it records; those it lacks are filled in
	// afterwards as NotRecorded.
	per := make([]map[string]bool, len(rs))
	for i, r := range rs {
		seen := map[string]bool{}
		put := func(k, v string) { add(k, v); seen[k] = true }
		tool := r.Tool.Name
		if r.Tool.Version != nil {
			tool += " " + *r.Tool.Version
		} else {
			tool += " (version not recorded)"
		}
		put("tool", tool)
		if r.ManifestsDigest != "" {
			put("manifests digest", r.ManifestsDigest)
		}
		if r.PriceSheetDigest != "" {
			put("price sheet digest", r.PriceSheetDigest)
		}
		if ri := r.Run; ri != nil {
			put("namespace", ri.Namespace)
			if ri.ScriptSHA256 != "" {
				put("load script sha256", ri.ScriptSHA256)
			}
			for _, c := range ri.Charts {
				put("chart "+c.Component, c.Chart+" "+c.Version+" from "+c.Repository)
			}
			for _, im := range ri.Images {
				put("image "+containerName(im.Container), image(im))
			}
			types := map[string]int{}
			for _, n := range ri.Nodes {
				t := n.InstanceType
				if t == "" {
					t = "unlabelled"
				}
				types[t]++
			}
			if len(types) > 0 {
				put("node types", nodeTypes(types))
			}
		}
		per[i] = seen
	}
	for _, seen := range per {
		for k := range sets {
			if !seen[k] {
				sets[k][NotRecorded] = true
			}
		}
	}
	out := map[string][]string{}
	for k, s := range sets {
		vs := make([]string, 0, len(s))
		for v := range s {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		out[k] = vs
	}
	return out
}

// containerName drops the pod from namespace/pod/container: pod names
// change from run to run, the container does not.
func containerName(c string) string {
	parts := strings.Split(c, "/")
	if len(parts) == 3 {
		return parts[0] + "/" + parts[2]
	}
	return c
}

// image is the reference and, when the kubelet resolved one, its digest
// (a tag can move).
func image(im results.ImageRef) string {
	s := im.Image
	if i := strings.LastIndex(im.ImageID, "sha256:"); i >= 0 {
		d := im.ImageID[i:]
		if len(d) > 19 {
			d = d[:19]
		}
		s += " (" + d + ")"
	}
	return s
}

func nodeTypes(types map[string]int) string {
	ks := make([]string, 0, len(types))
	for k := range types {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("%s ×%d", k, types[k])
	}
	return strings.Join(parts, ", ")
}

// Diff lists the aspects whose values differ between base and current,
// sorted by name. An aspect neither side records is not listed.
func Diff(base, cur []*results.Result) []Field {
	b, c := Of(base), Of(cur)
	names := map[string]bool{}
	for k := range b {
		names[k] = true
	}
	for k := range c {
		names[k] = true
	}
	var out []Field
	for _, k := range sortedKeys(names) {
		bv, cv := orNot(b[k]), orNot(c[k])
		if !equal(bv, cv) {
			out = append(out, Field{Name: k, Base: bv, Current: cv})
		}
	}
	return out
}

func orNot(v []string) []string {
	if len(v) == 0 {
		return []string{NotRecorded}
	}
	return v
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Variant is the environment difference of one variant.
type Variant struct {
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

// Markdown writes the "Environment" section of a report: per variant
// measured on both sides, what differs. It writes nothing when no variant
// differs.
func Markdown(w io.Writer, vs []Variant, baseName string) error {
	var b strings.Builder
	any := false
	for _, v := range vs {
		if len(v.Fields) > 0 {
			any = true
		}
	}
	if !any {
		return nil
	}
	fmt.Fprintf(&b, "\n### Environment\n\nThe baseline and the current runs were not measured in the same environment: differences in latency or cost may come from it as well as from the change.\n")
	for _, v := range vs {
		if len(v.Fields) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n\n| what | %s | current |\n|---|---|---|\n", v.Name, baseName)
		for _, f := range v.Fields {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(f.Name), cell(strings.Join(f.Base, "; ")), cell(strings.Join(f.Current, "; ")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell keeps a value inside one Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
