// Package helm renders Helm charts in-process with the Helm SDK, offline:
// no helm binary, no cluster, no network. It does what `helm template
// --include-crds` does (dependencies, values coalesced and validated against
// values.schema.json, the kubeVersion constraint, CRDs, hooks) with the
// capabilities of the lab's clusters given explicitly, then maps Helm hooks
// to ArgoCD hooks (docs/adr/0008-rendered-manifests.md).
package helm

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// Capabilities are what templates see as .Capabilities: the cluster's
// Kubernetes version and the API versions Helm knows built in (the same set
// `helm template` assumes offline), plus extra API versions.
func Capabilities(kubeVersion string, extraAPIVersions ...string) (*chartutil.Capabilities, error) {
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("kubernetes version %q: %w", kubeVersion, err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	caps.APIVersions = append(append(chartutil.VersionSet{}, caps.APIVersions...), extraAPIVersions...)
	return caps, nil
}

// Release names the Helm release: ArgoCD uses the component's name as the
// release name, so rendered charts see the same .Release.Name.
type Release struct {
	Name      string
	Namespace string
}

// Document is one rendered YAML document and the chart file it came from.
type Document struct {
	Source string // chart-relative path, e.g. runtime-api/templates/service.yaml
	YAML   string
}

// Output is a chart rendered like `helm template --include-crds`.
type Output struct {
	CRDs      []Document // the crds/ folders of the chart and its subcharts
	Manifests []Document // templates that are not hooks
	Hooks     []Document // templates annotated helm.sh/hook, tests included
}

// Render renders a chart with the given values (the user-supplied values:
// the chart's values.yaml defaults are merged in here). The chart is
// mutated (dependencies enabled or disabled by the values), so callers pass
// a freshly loaded chart.
func Render(ch *chart.Chart, values map[string]any, rel Release, caps *chartutil.Capabilities) (*Output, error) {
	if err := checkInstallable(ch); err != nil {
		return nil, err
	}
	if kv := ch.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart %s requires kubeVersion %s, incompatible with the cluster's Kubernetes %s", ch.Name(), kv, caps.KubeVersion.String())
	}
	if err := checkDependencies(ch); err != nil {
		return nil, err
	}
	if values == nil {
		values = map[string]any{}
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, values); err != nil {
		return nil, fmt.Errorf("chart %s dependencies: %w", ch.Name(), err)
	}
	top, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{
		Name: rel.Name, Namespace: rel.Namespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %s", ch.Name(), withValues(err.Error(), values))
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", ch.Name(), err)
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", ch.Name(), err)
	}
	out := &Output{}
	for _, crd := range ch.CRDObjects() {
		for _, doc := range splitDocs(string(crd.File.Data)) {
			out.CRDs = append(out.CRDs, Document{Source: path.Join(ch.ChartFullPath(), crd.Name), YAML: doc})
		}
	}
	for _, m := range manifests {
		out.Manifests = append(out.Manifests, Document{Source: m.Name, YAML: m.Content})
	}
	for _, h := range hooks {
		out.Hooks = append(out.Hooks, Document{Source: h.Path, YAML: h.Manifest})
	}
	// Helm orders documents of one kind by map iteration: fix an order.
	for _, docs := range [][]Document{out.Manifests, out.Hooks} {
		sort.Slice(docs, func(i, j int) bool {
			if docs[i].Source != docs[j].Source {
				return docs[i].Source < docs[j].Source
			}
			return docs[i].YAML < docs[j].YAML
		})
	}
	return out, nil
}

// checkInstallable refuses library charts, as helm install does.
func checkInstallable(ch *chart.Chart) error {
	switch ch.Metadata.Type {
	case "", "application":
		return nil
	}
	return fmt.Errorf("chart %s is of type %q: only application charts render", ch.Name(), ch.Metadata.Type)
}

// checkDependencies fails when Chart.yaml (or Chart.lock) names a subchart
// that is not vendored in the chart's charts/ folder: rendering never
// fetches one.
func checkDependencies(ch *chart.Chart) error {
	var missing []string
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	for _, r := range ch.Metadata.Dependencies {
		if !have[r.Name] {
			missing = append(missing, r.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("chart %s: dependencies %s are in Chart.yaml but not vendored in its charts/ folder (run helm dependency build on the chart)", ch.Name(), strings.Join(missing, ", "))
	}
	return nil
}

// Objects parses the output into objects: CRDs, then manifests, then
// hooks, each in Helm's order; empty documents are dropped.
func (o *Output) Objects() ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, group := range [][]Document{o.CRDs, o.Manifests, o.Hooks} {
		for _, d := range group {
			for _, doc := range splitDocs(d.YAML) {
				var m map[string]any
				if err := sigsyaml.Unmarshal([]byte(doc), &m); err != nil {
					return nil, fmt.Errorf("%s: %w", d.Source, err)
				}
				if len(m) == 0 {
					continue
				}
				u := &unstructured.Unstructured{Object: m}
				if u.GetKind() == "" || u.GetAPIVersion() == "" {
					return nil, fmt.Errorf("%s: an object without apiVersion or kind", d.Source)
				}
				objs = append(objs, u)
			}
		}
	}
	return objs, nil
}

// splitDocs splits a multi-document YAML stream in document order
// (releaseutil.SplitManifests returns a map).
func splitDocs(s string) []string {
	m := releaseutil.SplitManifests(s)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// schemaPath finds the value paths in Helm's schema errors ("- at '/a/b': ...").
var schemaPath = regexp.MustCompile(`(?m)^(\s*- at '(/[^']*)'):(.*)$`)

// withValues adds to each schema error line the value the user gave at
// that path, so the message says what was wrong and where.
func withValues(msg string, values map[string]any) string {
	return schemaPath.ReplaceAllStringFunc(msg, func(line string) string {
		m := schemaPath.FindStringSubmatch(line)
		v, ok := lookup(values, m[2])
		if !ok {
			return line
		}
		b, err := json.Marshal(v)
		if err != nil {
			return line
		}
		return line + " (got " + string(b) + ")"
	})
}

// lookup reads a JSON pointer (/a/0/b) in values.
func lookup(v any, pointer string) (any, bool) {
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}
