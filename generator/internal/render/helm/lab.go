package helm

import (
	"encoding/json"
	"fmt"

	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// Values turns a component's values into what Helm reads from the values
// file ArgoCD would pass: the same YAML-through-JSON decoding (numbers
// become float64, as in helm -f), and a copy the chart cannot mutate.
func Values(v map[string]any) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	vals, err := chartutil.ReadValues(b)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return vals, nil
}

// KubeVersion is the Kubernetes version charts are rendered for: the
// oldest of the lab's clusters, since one rendered folder serves every
// cluster that conducts the experiment and a chart gating on the version
// must not pick an API the oldest cluster lacks.
func KubeVersion(lab *model.Lab) (string, error) {
	var oldest *version.Version
	var s string
	for _, name := range sortedNames(lab.Clusters) {
		cl := lab.Clusters[name]
		v, err := version.ParseSemantic(cl.KubernetesVersion)
		if err != nil {
			return "", fmt.Errorf("cluster %s: kubernetesVersion %q: %w", name, cl.KubernetesVersion, err)
		}
		if oldest == nil || v.LessThan(oldest) {
			oldest, s = v, cl.KubernetesVersion
		}
	}
	if oldest == nil {
		return "", fmt.Errorf("the lab has no cluster to render charts for")
	}
	return s, nil
}

func sortedNames(m map[string]*model.Cluster) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}
