// Package bootstrap renders what task hub:bootstrap reads before ArgoCD
// runs on a cluster, into clusters/<cluster>/bootstrap/: the kind
// configuration the cluster is made from (its CNI and kube-proxy settings,
// its nodes) and, for a cluster made without a CNI, the script that
// installs the component that is its CNI: nothing else can start without
// pod networking, ArgoCD included. ArgoCD adopts that release when it
// syncs the experiment.
package bootstrap

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/defaults"
	kindv1alpha4 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/yamlenc"
)

// Files of the bootstrap folder.
const (
	KindFile = "kind.yaml"
	CNIFile  = "cni.sh"
)

// noProxy is kind's kubeProxyMode that makes a cluster without kube-proxy
// (sigs.k8s.io/kind v0.33.0 pkg/internal/apis/config: NoneProxyMode; the
// public v1alpha4 package has the type but not the constant).
const noProxy kindv1alpha4.ProxyMode = "none"

// NodeImage is the node image of a cluster: kind's own default image
// (pinned by digest, and moving with the kind version in go.mod) when the
// cluster's Kubernetes version is that image's, else kind's image of that
// version by tag.
func NodeImage(kubernetesVersion string) string {
	v := "v" + strings.TrimPrefix(kubernetesVersion, "v")
	name, rest, _ := strings.Cut(defaults.Image, ":")
	if tag, _, _ := strings.Cut(rest, "@"); tag == v {
		return defaults.Image
	}
	return name + ":" + v
}

// Kind is the kind configuration of a kind cluster: one control-plane
// node and nodes.count-1 workers, without the default CNI when cni is
// "none" and without kube-proxy when kubeProxy is false.
func Kind(cl *model.Cluster) *kindv1alpha4.Cluster {
	img := NodeImage(cl.KubernetesVersion)
	c := &kindv1alpha4.Cluster{
		TypeMeta: kindv1alpha4.TypeMeta{APIVersion: "kind.x-k8s.io/v1alpha4", Kind: "Cluster"},
		Name:     cl.Name,
		Nodes:    []kindv1alpha4.Node{{Role: kindv1alpha4.ControlPlaneRole, Image: img}},
	}
	for i := 1; i < cl.Nodes.Count; i++ {
		c.Nodes = append(c.Nodes, kindv1alpha4.Node{Role: kindv1alpha4.WorkerRole, Image: img})
	}
	c.Networking.DisableDefaultCNI = cl.CNI == "none"
	if !cl.KubeProxy {
		c.Networking.KubeProxyMode = noProxy
	}
	return c
}

// KindYAML is Kind encoded as the file task hub:bootstrap passes to
// kind create cluster --config.
func KindYAML(cl *model.Cluster) ([]byte, error) { return yamlenc.Encode(Kind(cl)) }

// Providers lists the units conducted on a cluster that bring what the
// cluster is made without (a CNI, kube-proxy's job), each once, in the
// conduct list's order.
func Providers(lab *model.Lab, cl *model.Cluster) []model.Unit {
	var out []model.Unit
	seen := map[string]bool{}
	for _, e := range lab.Conducted(cl.Name) {
		for _, nd := range lab.ClusterNeeds(e) {
			brings := nd.Req.CNI == "none" && cl.CNI == "none" ||
				nd.Req.KubeProxy != nil && !*nd.Req.KubeProxy && !cl.KubeProxy
			if brings && !seen[nd.Unit.Name()] {
				seen[nd.Unit.Name()] = true
				out = append(out, nd.Unit)
			}
		}
	}
	return out
}

// CNIScript is the script installing the providers before ArgoCD, with
// the lab's values, as ArgoCD will render them (release = component).
// It takes the kube context as its argument and needs helm (and kubectl
// for a rendered component) on PATH.
func CNIScript(cl *model.Cluster, providers []model.Unit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Cluster %s is made without ", cl.Name)
	switch {
	case cl.CNI == "none" && !cl.KubeProxy:
		b.WriteString("a CNI and without kube-proxy")
	case cl.CNI == "none":
		b.WriteString("a CNI")
	default:
		b.WriteString("kube-proxy")
	}
	b.WriteString(": nothing runs on it, ArgoCD\n# included, until the component bringing it does. task hub:bootstrap runs\n# this before installing ArgoCD, which adopts the release when it syncs\n# the experiment. Usage: cni.sh KUBE_CONTEXT (helm and kubectl on PATH),\n# from the repository root.\nset -euo pipefail\nctx=\"$1\"\n")
	for _, u := range providers {
		c := u.Component
		fmt.Fprintf(&b, "\n# %s of %s (%s)\n", u.Where(), u.Owner(), u.File())
		switch u.Source() {
		case model.SourceChart:
			ref, repo := c.Chart.Name, "--repo "+quote(c.Chart.Repository)+" "
			if c.Chart.IsOCI() {
				ref, repo = strings.TrimSuffix(c.Chart.Repository, "/")+"/"+c.Chart.Name, ""
			}
			fmt.Fprintf(&b, "helm upgrade --install %s %s %s--version %s \\\n  --namespace %s --create-namespace --values %s \\\n  --kube-context \"$ctx\" --wait --timeout 10m\n",
				quote(c.Name), quote(ref), repo, quote(c.Chart.Version), quote(u.Namespace), quote(u.ValuesFile()))
		case model.SourceLocalChart:
			fmt.Fprintf(&b, "helm upgrade --install %s %s \\\n  --namespace %s --create-namespace --values %s \\\n  --kube-context \"$ctx\" --wait --timeout 10m\n",
				quote(c.Name), quote(c.Path), quote(u.Namespace), quote(u.ValuesFile()))
		case model.SourceRendered:
			fmt.Fprintf(&b, "kubectl --context \"$ctx\" create namespace %s --dry-run=client -o yaml | kubectl --context \"$ctx\" apply -f -\nkubectl --context \"$ctx\" apply --server-side -k %s\n",
				quote(u.Namespace), quote(u.RenderedDir()))
		default:
			fmt.Fprintf(&b, "kubectl --context \"$ctx\" create namespace %s --dry-run=client -o yaml | kubectl --context \"$ctx\" apply -f -\nkubectl --context \"$ctx\" --namespace %s apply --server-side -f %s\n",
				quote(u.Namespace), quote(u.Namespace), quote(c.Path))
		}
	}
	return b.String()
}

// quote makes s one shell word.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
