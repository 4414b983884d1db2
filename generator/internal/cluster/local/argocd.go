package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/kube"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
)

// ArgoCDNamespace is where the local hub runs ArgoCD.
const ArgoCDNamespace = "argocd"

// The ArgoCD components the local hub runs (ARGOCD_BINARY_NAME values and
// the names of their Deployments in ArgoCD's install manifest).
const (
	RepoServer     = "argocd-repo-server"
	AppController  = "argocd-application-controller"
	AppSetControl  = "argocd-applicationset-controller"
	ArgoCDServer   = "argocd-server"
	installfile    = "install.yaml"
	settingsLabel  = labels.PartOf
	settingsLabelV = "argocd"
)

// EnvRef is one environment variable of an ArgoCD component in the
// install manifest that the real install fills from a ConfigMap or Secret.
type EnvRef struct {
	Name string
	// ConfigMap and Key, or Secret and Key, say where the value comes from.
	ConfigMap, Secret, Key string
}

// InstallEnv reads ArgoCD's install manifest (install.yaml, kept beside
// the argocd binary by scripts/tools.sh) and returns, per component, the
// environment variables it takes from ConfigMaps and Secrets: how
// argocd-cm and argocd-cmd-params-cm reach each process.
func InstallEnv(manifest []byte) (map[string][]EnvRef, error) {
	out := map[string][]EnvRef{}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 64*1024)
	for {
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		u := unstructured.Unstructured{Object: o}
		if k := u.GetKind(); k != "Deployment" && k != "StatefulSet" {
			continue
		}
		cs, _, _ := unstructured.NestedSlice(o, "spec", "template", "spec", "containers")
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			env, _ := cm["env"].([]any)
			for _, e := range env {
				em, _ := e.(map[string]any)
				name, _ := em["name"].(string)
				ref := EnvRef{Name: name}
				str := func(field, key string) string {
					v, _, _ := unstructured.NestedString(em, "valueFrom", field, key)
					return v
				}
				switch {
				case str("configMapKeyRef", "name") != "":
					ref.ConfigMap, ref.Key = str("configMapKeyRef", "name"), str("configMapKeyRef", "key")
				case str("secretKeyRef", "name") != "":
					ref.Secret, ref.Key = str("secretKeyRef", "name"), str("secretKeyRef", "key")
				default:
					continue
				}
				out[u.GetName()] = append(out[u.GetName()], ref)
			}
			break // the first container is the component
		}
	}
	for _, c := range []string{RepoServer, AppController, AppSetControl, ArgoCDServer} {
		if len(out[c]) == 0 {
			return nil, fmt.Errorf("install manifest: no %s with environment from ConfigMaps", c)
		}
	}
	return out, nil
}

// settingsEnv is what the real install would put in a component's
// environment from the lab's settings.
func settingsEnv(refs []EnvRef, st Settings, redisPassword string) []string {
	var env []string
	for _, r := range refs {
		var v string
		var ok bool
		switch {
		case r.ConfigMap == "argocd-cm":
			v, ok = st.CM[r.Key]
		case r.ConfigMap == "argocd-cmd-params-cm":
			v, ok = st.CmdParams[r.Key]
		case r.Secret == "argocd-redis" && r.Key == "auth":
			v, ok = redisPassword, true
		}
		if ok {
			env = append(env, r.Name+"="+v)
		}
	}
	sort.Strings(env)
	return env
}

// Insecure says whether argocd-server serves plain HTTP (server.insecure).
func (st Settings) Insecure() bool { return st.CmdParams["server.insecure"] == "true" }

func (s *starter) argocd(ctx context.Context) error {
	manifest, err := os.ReadFile(filepath.Join(filepath.Dir(s.o.Tools.ArgoCD), installfile))
	if err != nil {
		return fmt.Errorf("ArgoCD's install manifest (bash scripts/tools.sh argocd puts it beside the binary): %w", err)
	}
	refs, err := InstallEnv(manifest)
	if err != nil {
		return err
	}
	if err := s.step("ArgoCD CRDs and settings", func() error { return s.argocdObjects(ctx) }); err != nil {
		return err
	}
	return s.step("ArgoCD components", func() error { return s.argocdProcesses(ctx, refs) })
}

// argocdObjects installs what ArgoCD reads from the cluster: its CRDs (the
// vendored ones, pinned to the same release), namespace, settings and the
// default project.
func (s *starter) argocdObjects(ctx context.Context) error {
	files := []string{"argo-cd/application-crd.yaml", "argo-cd/applicationset-crd.yaml", "argo-cd/appproject-crd.yaml"}
	cs, err := crds.Load(files...)
	if err != nil {
		return err
	}
	if err := kube.InstallCRDs(ctx, s.Config(), cs); err != nil {
		return err
	}
	a, err := kube.NewApplier(s.Config())
	if err != nil {
		return err
	}
	cm := func(name string, data map[string]string) map[string]any {
		d := map[string]any{}
		for k, v := range data {
			d[k] = v
		}
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name), "data": d}
	}
	objs := []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ArgoCDNamespace}},
		cm("argocd-cm", s.o.ArgoCD.CM),
		cm("argocd-cmd-params-cm", s.o.ArgoCD.CmdParams),
		cm("argocd-rbac-cm", s.o.ArgoCD.RBAC),
		{"apiVersion": "v1", "kind": "Secret", "metadata": meta("argocd-secret"), "stringData": map[string]any{"server.secretkey": randomHex(32)}},
		{"apiVersion": "v1", "kind": "Secret", "metadata": meta("argocd-redis"), "stringData": map[string]any{"auth": s.RedisPassword}},
		// argocd-server makes it on start too; the controllers may run first.
		{"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": meta("default"), "spec": map[string]any{
			"sourceRepos":              []any{"*"},
			"destinations":             []any{map[string]any{"server": "*", "namespace": "*"}},
			"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
		}},
	}
	for _, o := range objs {
		if err := a.Apply(ctx, &unstructured.Unstructured{Object: o}, nil); err != nil {
			return err
		}
	}
	return nil
}

func meta(name string) map[string]any {
	// Unlabelled, the components do not see their settings ("configmap
	// argocd-cm not found").
	return map[string]any{"name": name, "namespace": ArgoCDNamespace, "labels": map[string]any{settingsLabel: settingsLabelV}}
}

func (s *starter) argocdProcesses(ctx context.Context, refs map[string][]EnvRef) error {
	dir := filepath.Join(s.Dir, "argocd")
	sub := func(n string) string { return filepath.Join(dir, n) }
	for _, d := range []string{"tls", "ssh", "gpg-keys", "gnupg", "home", "helm", "tmp", "bin"} {
		if err := os.MkdirAll(sub(d), 0o700); err != nil {
			return err
		}
	}
	path := strings.Join([]string{
		filepath.Dir(s.o.Tools.ArgoCD), // git-verify-wrapper.sh
		filepath.Dir(s.o.Tools.Helm), filepath.Dir(s.o.Tools.Kustomize), filepath.Dir(s.o.Tools.Git),
		"/usr/local/bin", "/usr/bin", "/bin",
	}, string(os.PathListSeparator))
	redis := s.url("redis")
	repo := s.url("repo-server")
	base := func(component, limitKey string) []string {
		env := []string{
			"ARGOCD_BINARY_NAME=" + component,
			"KUBECONFIG=" + s.Kubeconfig,
			// The in-cluster destination is the kubeconfig's cluster.
			"ARGOCD_FAKE_IN_CLUSTER=true",
			"HOME=" + sub("home"), "TMPDIR=" + sub("tmp"), "PATH=" + path, "LANG=C.UTF-8",
			"ARGOCD_TLS_DATA_PATH=" + sub("tls"), "ARGOCD_SSH_DATA_PATH=" + sub("ssh"),
			"ARGOCD_GPG_DATA_PATH=" + sub("gpg-keys"), "ARGOCD_GNUPGHOME=" + sub("gnupg"), "ARGOCD_GPG_ENABLED=false",
			"HELM_CACHE_HOME=" + sub("helm"), "HELM_CONFIG_HOME=" + sub("helm"), "HELM_DATA_HOME=" + sub("helm"),
		}
		if l := s.o.ArgoCD.Limits[limitKey]; l.CPU > 0 || l.Memory > 0 {
			if l.CPU > 0 {
				env = append(env, "GOMAXPROCS="+strconv.Itoa(l.CPU))
			}
			if l.Memory > 0 {
				env = append(env, "GOMEMLIMIT="+strconv.FormatInt(l.Memory, 10))
			}
		}
		return append(env, settingsEnv(refs[component], s.o.ArgoCD, s.RedisPassword)...)
	}
	port := func(n string) string { return strconv.Itoa(s.Ports[n]) }
	type comp struct {
		name, limits string
		args         []string
		ready        string
	}
	comps := []comp{
		{RepoServer, "repo-server", []string{
			"--disable-tls", "--client-ca-path=", "--address=127.0.0.1", "--port=" + port("repo-server"),
			"--metrics-address=127.0.0.1", "--metrics-port=" + port("repo-server-metrics"),
			"--redis=" + redis, "--logformat=text",
		}, "http://" + s.url("repo-server-metrics") + "/metrics"},
		{AppController, "application-controller", []string{
			// Its metrics listener takes no address: it binds every interface.
			"--repo-server=" + repo, "--repo-server-plaintext", "--redis=" + redis,
			"--metrics-port=" + port("application-controller-metrics"), "--logformat=text",
		}, "http://" + s.url("application-controller-metrics") + "/healthz"},
		{AppSetControl, "applicationset-controller", []string{
			"--argocd-repo-server=" + repo, "--repo-server-plaintext",
			"--metrics-addr=" + s.url("applicationset-metrics"), "--probe-addr=" + s.url("applicationset-probe"),
			"--webhook-addr=" + s.url("applicationset-webhook"), "--logformat=text",
		}, "http://" + s.url("applicationset-metrics") + "/metrics"},
		{ArgoCDServer, "server", []string{
			"--address=127.0.0.1", "--port=" + port("server"),
			"--metrics-address=127.0.0.1", "--metrics-port=" + port("server-metrics"),
			"--repo-server=" + repo, "--repo-server-plaintext", "--redis=" + redis, "--logformat=text",
		}, "http://" + s.url("server-metrics") + "/metrics"},
	}
	scheme := "https://"
	if s.o.ArgoCD.Insecure() {
		scheme = "http://"
	}
	s.ArgoCDURL = scheme + s.url("server")
	procs := make([]*Process, len(comps))
	for i, c := range comps {
		p, err := s.spawn(c.name, s.o.Tools.ArgoCD, base(c.name, c.limits), c.args...)
		if err != nil {
			return err
		}
		procs[i] = p
	}
	for i, c := range comps {
		if err := waitFor(ctx, c.name, 90*time.Second, procs[i], httpOK(http.DefaultClient, c.ready, "")); err != nil {
			return err
		}
	}
	return nil
}
