package chartcheck

import (
	"maps"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
)

// Unused lists the dotted paths of the values the lab sets that the chart
// neither defaults nor reads, sorted. A key is defaulted when the chart's
// values.yaml has it; below a default that is not a map with keys (a
// scalar, a list, {} or null) anything goes, since the chart passes it on
// whole (resources: {}, podAnnotations: {}). A key a default lacks is read
// when the chart's templates refer to it: `.Values.a.b` spelled out, or,
// below a map the templates take whole (`.Values.a` in a with, range or
// index), its own name as a field (.b) or a string ("b"). What is read
// but not defaulted is taken whole: nothing below it is reported; so is
// what lies below a map the templates serialise whole (toYaml, toJson of
// .Values.a: resources with a default of limits.memory passes
// limits.cpu on too). It is a
// reading of the template text, not of Helm's evaluation: a key built at
// render time (index with a variable) is missed. A key naming a subchart
// (its name or alias) is checked against that subchart; global is Helm's.
func Unused(ch *chart.Chart, values map[string]any) []string {
	var out []string
	unused(ch, ch.Values, values, "", &out)
	slices.Sort(out)
	return out
}

func unused(ch *chart.Chart, defaults, values map[string]any, prefix string, out *[]string) {
	subs := map[string]*chart.Chart{}
	for _, d := range ch.Dependencies() {
		subs[d.Name()] = d
	}
	for _, d := range ch.Metadata.Dependencies {
		if d.Alias != "" {
			if s, ok := subs[d.Name]; ok {
				subs[d.Alias] = s
			}
		}
	}
	text := templates(ch)
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if k == "global" {
			continue
		}
		if sub, ok := subs[k]; ok {
			if m, ok := values[k].(map[string]any); ok {
				// The parent's values.yaml may default the subchart's keys too.
				merged := maps.Clone(sub.Values)
				if merged == nil {
					merged = map[string]any{}
				}
				if pm, ok := defaults[k].(map[string]any); ok {
					for pk, pv := range pm {
						if _, ok := merged[pk]; !ok {
							merged[pk] = pv
						}
					}
				}
				unused(sub, merged, m, prefix+k+".", out)
				continue
			}
		}
		walk(text, defaults, k, values[k], []string{k}, prefix, out)
	}
}

// walk checks one key (path, relative to the chart's .Values) against the
// defaults of its parent map.
func walk(text string, defaults map[string]any, key string, val any, path []string, prefix string, out *[]string) {
	dv, ok := defaults[key]
	if !ok {
		if !read(text, path) && !serialised(text, path) {
			*out = append(*out, prefix+strings.Join(path, "."))
		}
		return
	}
	dm, isMap := dv.(map[string]any)
	vm, valMap := val.(map[string]any)
	if !isMap || len(dm) == 0 || !valMap {
		return // free-form below a scalar, a list, {} or null
	}
	for _, k := range slices.Sorted(maps.Keys(vm)) {
		walk(text, dm, k, vm[k], append(slices.Clone(path), k), prefix, out)
	}
}

// read tells whether the templates refer to the values path.
func read(text string, path []string) bool {
	if refers(text, ".Values."+strings.Join(path, ".")) {
		return true
	}
	if len(path) < 2 {
		return false
	}
	parent, last := path[:len(path)-1], path[len(path)-1]
	return takesWhole(text, ".Values."+strings.Join(parent, ".")) &&
		(refers(text, "."+last) || strings.Contains(text, `"`+last+`"`))
}

// serialised tells whether the templates pass a map above path on whole
// into YAML or JSON (toYaml .Values.a, .Values.a | toYaml), so every key
// below it reaches the rendered object.
func serialised(text string, path []string) bool {
	for i := len(path) - 1; i >= 1; i-- {
		ref := ".Values." + strings.Join(path[:i], ".")
		for _, fn := range serialisers {
			if refers(text, fn+" "+ref) || refers(text, fn+" $"+ref) {
				return true
			}
		}
		for j := 0; ; {
			k := strings.Index(text[j:], ref)
			if k < 0 {
				break
			}
			end := j + k + len(ref)
			if end < len(text) && identChar(text[end]) || end < len(text) && text[end] == '.' {
				j = end
				continue
			}
			rest := strings.TrimLeft(text[end:], " ")
			for _, fn := range serialisers {
				if strings.HasPrefix(rest, "| "+fn) || strings.HasPrefix(rest, "|"+fn) {
					return true
				}
			}
			j = end
		}
	}
	return false
}

// serialisers are the template functions that write a value out whole.
var serialisers = []string{"toYaml", "toJson", "toPrettyJson", "toRawJson"}

// takesWhole tells whether the templates take the map at ref as a whole
// (with, range, index, toYaml): ref not followed by a field of it.
func takesWhole(text, ref string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], ref)
		if j < 0 {
			return false
		}
		end := i + j + len(ref)
		if end == len(text) || !identChar(text[end]) && text[end] != '.' {
			return true
		}
		i = end
	}
}

// refers tells whether ref occurs in text as a whole field path: not
// followed by more of an identifier (.Values.image is not .Values.imageTag).
func refers(text, ref string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], ref)
		if j < 0 {
			return false
		}
		end := i + j + len(ref)
		if end == len(text) || !identChar(text[end]) {
			return true
		}
		i = end
	}
}

func identChar(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// templates is the text of the chart's own templates (not its subcharts').
func templates(ch *chart.Chart) string {
	var b strings.Builder
	for _, f := range ch.Templates {
		b.Write(f.Data)
		b.WriteByte('\n')
	}
	return b.String()
}
