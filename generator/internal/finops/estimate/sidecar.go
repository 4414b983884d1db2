package estimate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// sidecarKeys are the values keys under which mesh charts set the
// resources of the proxy they inject into every pod, not of a workload
// of their own.
var sidecarKeys = map[string]bool{"proxy": true, "sidecar": true, "proxyInit": true}

// injectedNamespaces lists the namespaces of an experiment whose pods get
// a mesh's sidecar: Istio's istio-injection=enabled or istio.io/rev
// label, Linkerd's linkerd.io/inject=enabled annotation.
func injectedNamespaces(files Files, file string) (map[string]string, error) {
	ds, err := docs(file, files[file])
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i, d := range ds {
		var ns struct {
			Metadata struct {
				Name        string            `json:"name"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(d, &ns); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
		}
		m := ns.Metadata
		switch {
		case m.Labels["istio-injection"] == "enabled":
			out[m.Name] = "istio-injection=enabled"
		case m.Labels["istio.io/rev"] != "":
			out[m.Name] = "istio.io/rev=" + m.Labels["istio.io/rev"]
		case m.Annotations["linkerd.io/inject"] == "enabled":
			out[m.Name] = "linkerd.io/inject=enabled"
		}
	}
	return out, nil
}

// sidecars prices each proxy template a variant's mesh sets once per pod
// of the variant's rendered workloads when its namespace is injected, on
// the mesh's component; otherwise it is listed as not priced. A namespace
// injected by a mesh no component of its own configures (a shared
// control plane, lab.shared, whose values hold the proxy's resources)
// has its pods' sidecars listed as not priced on each component with
// pods there.
func sidecars(experiment string, comps []Component, injected map[string]string) {
	templated := map[string]bool{} // variants with a proxy template
	for _, c := range comps {
		if len(c.sidecars) > 0 {
			templated[c.Variant] = true
		}
	}
	for i := range comps {
		c := &comps[i]
		ns := experiment
		if c.Variant != "" {
			ns += "-" + c.Variant
		}
		how, ok := injected[ns]
		if !ok || templated[c.Variant] || len(c.Workloads) == 0 {
			continue
		}
		c.NotPriced = append(c.NotPriced, "sidecars of its pods in "+ns+" ("+how+") are not priced: the proxy's resources are the values of a shared control plane (lab.shared), not of this experiment")
	}
	for i := range comps {
		c := &comps[i]
		for _, sc := range c.sidecars {
			ns := experiment
			if c.Variant != "" {
				ns += "-" + c.Variant
			}
			how, ok := injected[ns]
			if !ok {
				c.NotPriced = append(c.NotPriced, "values "+sc.Name+": a per-pod proxy, but namespace "+ns+" is not injected: no sidecar priced")
				continue
			}
			pods := 0
			for _, o := range comps {
				if o.Variant != c.Variant || o.Source != "rendered" {
					continue
				}
				for _, w := range o.Workloads {
					pods += w.Replicas
				}
			}
			if pods == 0 {
				c.NotPriced = append(c.NotPriced, "values "+sc.Name+": a per-pod proxy in "+ns+" ("+how+"), but the variant renders no pods to count: not priced")
				continue
			}
			w := sc
			w.Kind = "sidecar"
			w.Name = fmt.Sprintf("%s × %d pod(s) of %s (%s)", sc.Name, pods, ns, how)
			w.Replicas = pods
			w.ReplicasAssumed = false
			c.Workloads = append(c.Workloads, w)
			c.NotPriced = append(c.NotPriced, "values "+sc.Name+": sidecars of pods of remote charts in "+ns+" are not counted")
		}
		c.NotPriced = sortedUnique(c.NotPriced)
	}
}

func sortedUnique(s []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func isSidecar(path []string) bool {
	return len(path) > 0 && sidecarKeys[path[len(path)-1]] && !strings.Contains(strings.Join(path, "."), "gateway")
}
