package estimate

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// replicaKeys are the values keys charts (and operators' custom
// resources) use for a workload's pod count, in order of preference.
var replicaKeys = []string{"replicas", "replicaCount", "instances", "minReplicas"}

// storageContext are map keys under which a "size" is a volume's size.
var storageContext = map[string]bool{
	"persistence": true, "persistentVolume": true, "persistentVolumeClaim": true, "pvc": true,
	"storage": true, "data": true, "volume": true, "dataVolume": true, "fileStore": true,
}

var persistentType = regexp.MustCompile(`(?i)persist|pvc|claim`)

// values prices a remote chart's component from the values the lab sets:
// every map holding resources.requests (or limits) of cpu or memory is a
// workload, with the replica count beside it; every persistence size is
// a volume. The chart's own defaults are unknown here: whatever the
// values leave to them is listed as not priced.
func (p *pricer) values(c *Component, file string) error {
	var v map[string]any
	if err := yaml.Unmarshal(p.files[file], &v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	w := &walker{file: file, c: c}
	w.walk(v, nil, "", nil)
	switch {
	case len(c.Workloads) == 0 && len(c.Volumes) == 0 && len(c.sidecars) > 0:
		c.NotPriced = append(c.NotPriced, "remote chart: only its per-pod proxy resources are set; the chart's own workloads use its defaults, not known here: not priced")
	case len(c.Workloads) == 0 && len(c.Volumes) == 0:
		c.NotPriced = append(c.NotPriced, "remote chart: its values set no resources, replicas or volume sizes, and the chart's defaults are not known here: not priced")
	default:
		c.NotPriced = append(c.NotPriced, "remote chart: priced from the resources its values set; objects left to the chart's defaults are not priced")
	}
	return nil
}

type walker struct {
	file string
	c    *Component
}

// frame is one map on the way down, for replica look-ups.
type frame struct {
	key string
	m   map[string]any
}

func replicasOf(m map[string]any) (int, bool) {
	for _, k := range replicaKeys {
		switch n := m[k].(type) {
		case float64:
			if n >= 0 && n == float64(int(n)) {
				return int(n), true
			}
		case int:
			return n, true
		case int64:
			return int(n), true
		}
	}
	return 0, false
}

func disabled(m map[string]any) bool {
	e, ok := m["enabled"].(bool)
	return ok && !e
}

func label(path []string, fallback string) string {
	if len(path) == 0 {
		return fallback
	}
	return strings.Join(path, ".")
}

func (w *walker) walk(v any, path []string, key string, stack []frame) {
	switch n := v.(type) {
	case map[string]any:
		if len(path) > 0 && disabled(n) {
			return
		}
		stack = append(stack, frame{key: key, m: n})
		w.resources(n, path, stack)
		w.size(n, path, key, stack)
		for _, k := range slices.Sorted(maps.Keys(n)) {
			w.walk(n[k], append(path, k), k, stack)
		}
	case []any:
		for i, e := range n {
			seg := key + "[" + strconv.Itoa(i) + "]"
			if m, ok := e.(map[string]any); ok {
				if kind, ok := m["kind"].(string); ok {
					if md, ok := m["metadata"].(map[string]any); ok {
						if name, ok := md["name"].(string); ok {
							seg = kind + "/" + name
						}
					}
				}
			}
			p := append(append([]string{}, path[:max(0, len(path)-1)]...), seg)
			if len(path) == 0 {
				p = []string{seg}
			}
			w.walk(e, p, key, stack)
		}
	}
}

// resources finds resources blocks in m: "resources" and, for charts that
// name them per workload, "resources<Workload>" (crossplane's
// resourcesCrossplane).
func (w *walker) resources(m map[string]any, path []string, stack []frame) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "resources" && !(strings.HasPrefix(k, "resources") && len(k) > len("resources") && k[len("resources")] >= 'A' && k[len("resources")] <= 'Z') {
			continue
		}
		r, ok := m[k].(map[string]any)
		if !ok {
			continue
		}
		req, _ := r["requests"].(map[string]any)
		lim, _ := r["limits"].(map[string]any)
		cpuReq, okCR := quantity(req["cpu"])
		cpuLim, okCL := quantity(lim["cpu"])
		memReq, okMR := quantity(req["memory"])
		memLim, okML := quantity(lim["memory"])
		if !okCR && !okCL && !okMR && !okML {
			if st, ok := quantity(req["storage"]); ok {
				n, _ := w.replicas(stack)
				w.c.Volumes = append(w.c.Volumes, Volume{Name: "values " + label(path, w.c.Name), Bytes: st, Replicas: n})
			}
			continue
		}
		if !okCR {
			cpuReq = cpuLim
		}
		if !okMR {
			memReq = memLim
		}
		cpuLim, memLim = math.Max(cpuLim, cpuReq), math.Max(memLim, memReq)
		name := label(path, w.c.Name)
		if k != "resources" {
			name = label(append(append([]string{}, path...), strings.TrimPrefix(k, "resources")), w.c.Name)
		}
		n, known := w.replicas(stack)
		if isSidecar(path) && k == "resources" {
			w.c.sidecars = append(w.c.sidecars, Workload{Kind: "sidecar", Name: name, Replicas: 0,
				CPURequestCores: cpuReq, CPULimitCores: cpuLim, MemoryRequestBytes: memReq, MemoryLimitBytes: memLim})
			continue
		}
		wl := Workload{Kind: "values", Name: name, Replicas: n, ReplicasAssumed: !known,
			CPURequestCores: cpuReq, CPULimitCores: cpuLim, MemoryRequestBytes: memReq, MemoryLimitBytes: memLim}
		w.c.Workloads = append(w.c.Workloads, wl)
		if !known {
			w.c.NotPriced = append(w.c.NotPriced, "values "+name+": replicas not set in the values: priced as 1 replica, the chart's default may differ")
		}
		if cpuReq == 0 {
			w.c.NotPriced = append(w.c.NotPriced, "values "+name+": no CPU request: its CPU is not priced")
		}
		if memReq == 0 {
			w.c.NotPriced = append(w.c.NotPriced, "values "+name+": no memory request: its memory is not priced")
		}
	}
}

// replicas is the replica count of the nearest map that sets one: the
// map holding the resources, or its parent when that map is a chart's
// "container" sub-block.
func (w *walker) replicas(stack []frame) (int, bool) {
	for i := len(stack) - 1; i >= 0; i-- {
		if n, ok := replicasOf(stack[i].m); ok {
			return n, true
		}
		if stack[i].key != "container" && stack[i].key != "spec" {
			break
		}
	}
	return 1, false
}

// size finds a persistence size: a "size" quantity in a map that is about
// storage (by its key, its type or its storage class).
func (w *walker) size(m map[string]any, path []string, key string, stack []frame) {
	s, ok := m["size"].(string)
	if !ok {
		return
	}
	b, ok := quantity(s)
	if !ok || b < 1<<20 {
		return
	}
	t, _ := m["type"].(string)
	_, sc := m["storageClass"]
	_, scn := m["storageClassName"]
	_, am := m["accessModes"]
	if !(storageContext[key] || persistentType.MatchString(t) || sc || scn || am) {
		return
	}
	if t != "" && !persistentType.MatchString(t) {
		return // emptyDir, hostPath, memory: no claim
	}
	n, _ := w.replicas(stack)
	if len(stack) >= 2 {
		if r, ok := replicasOf(stack[len(stack)-2].m); ok {
			n = r
		}
	}
	w.c.Volumes = append(w.c.Volumes, Volume{Name: "values " + label(path, w.c.Name) + ".size", Bytes: b, Replicas: n})
}

// quantity reads a Kubernetes quantity from a values scalar.
func quantity(v any) (float64, bool) {
	switch x := v.(type) {
	case string:
		q, err := resource.ParseQuantity(x)
		if err != nil {
			return 0, false
		}
		return q.AsApproximateFloat64(), true
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}
