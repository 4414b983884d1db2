package validate_test

import (
	"strings"
	"testing"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/bootstrap"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
)

// The kind configuration render writes for each cluster is one kind reads:
// strictly decoded into kind's v1alpha4 types, with its settings intact.
func TestKindConfigOfEveryClusterShape(t *testing.T) {
	for _, cl := range []*model.Cluster{
		{Name: "hub", KubernetesVersion: "1.37.0", Nodes: model.Nodes{Count: 1}, CNI: "default", KubeProxy: true},
		{Name: "mesh", KubernetesVersion: "1.37.0", Nodes: model.Nodes{Count: 3}, CNI: "none", KubeProxy: false},
		{Name: "old", KubernetesVersion: "1.35.1", Nodes: model.Nodes{Count: 2}, CNI: "none", KubeProxy: true},
	} {
		b, err := bootstrap.KindYAML(cl)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.KindConfig(b); err != nil {
			t.Errorf("%s: kind would refuse the rendered configuration: %v\n%s", cl.Name, err, b)
		}
		s := string(b)
		if got, want := strings.Count(s, "role: worker"), cl.Nodes.Count-1; got != want {
			t.Errorf("%s: %d workers, want %d", cl.Name, got, want)
		}
		if got := strings.Contains(s, "disableDefaultCNI: true"); got != (cl.CNI == "none") {
			t.Errorf("%s: disableDefaultCNI %v, want %v", cl.Name, got, cl.CNI == "none")
		}
		if got := strings.Contains(s, "kubeProxyMode: none"); got != !cl.KubeProxy {
			t.Errorf("%s: kubeProxyMode none %v, want %v", cl.Name, got, !cl.KubeProxy)
		}
		if !strings.Contains(s, "kindest/node:v"+cl.KubernetesVersion) {
			t.Errorf("%s: node image is not kind's image of %s:\n%s", cl.Name, cl.KubernetesVersion, s)
		}
	}
}

func TestKindConfigRefuses(t *testing.T) {
	const ok = "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes:\n- role: control-plane\n  image: kindest/node:v1.37.0\n"
	if err := validate.KindConfig([]byte(ok)); err != nil {
		t.Fatalf("a minimal configuration: %v", err)
	}
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown field":    {ok + "networking:\n  disableDefaultCni: true\n", "disableDefaultCni"},
		"wrong version":    {strings.Replace(ok, "v1alpha4", "v1alpha3", 1), "kind reads kind.x-k8s.io/v1alpha4 Cluster"},
		"bad role":         {strings.Replace(ok, "control-plane", "master", 1), `nodes[0].role "master"`},
		"no control plane": {strings.Replace(ok, "control-plane", "worker", 1), "no control-plane node"},
		"bad proxy mode":   {ok + "networking:\n  kubeProxyMode: userspace\n", `kubeProxyMode "userspace"`},
		"bad subnet":       {ok + "networking:\n  podSubnet: 10.244.0.0\n", "networking.podSubnet"},
		"untagged image":   {strings.Replace(ok, "kindest/node:v1.37.0", "kindest/node", 1), `nodes[0].image "kindest/node"`},
		"wrong type":       {ok + "networking:\n  apiServerPort: high\n", "into int32"},
	} {
		err := validate.KindConfig([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", name, err, tc.want)
		}
	}
}
