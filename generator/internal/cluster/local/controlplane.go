package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// starter starts the components of one hub.
type starter struct {
	*Hub
	o Options
}

// ClusterName is the kubeconfig cluster and context name of a local hub.
const ClusterName = "lab-local"

func clientcmdapiConfig(server, ca, token string) *clientcmdapi.Config {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[ClusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: ca}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	// ArgoCD's components take their namespace from the kubeconfig.
	kc.Contexts[ClusterName] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: "admin", Namespace: "argocd"}
	kc.CurrentContext = ClusterName
	return kc
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// env is the environment of a child: a minimal PATH and HOME in the hub's
// folder, plus extra, with Go's soft memory limit and core count when set.
func (s *starter) env(home string, lim Limits, extra ...string) []string {
	env := []string{"HOME=" + home, "TMPDIR=" + filepath.Join(s.Dir, "tmp"), "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	if lim.CPU > 0 {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(lim.CPU))
	}
	if lim.Memory > 0 {
		env = append(env, "GOMEMLIMIT="+strconv.FormatInt(lim.Memory, 10))
	}
	return append(env, extra...)
}

func (s *starter) spawn(name, bin string, env []string, args ...string) (*Process, error) {
	p, err := spawn(s.Dir, name, bin, env, args, s.o.Detach)
	if err != nil {
		return nil, err
	}
	s.add(p)
	return p, nil
}

func (s *starter) url(port string) string { return "127.0.0.1:" + strconv.Itoa(s.Ports[port]) }

// Control-plane memory bounds (soft limits for the Go runtime): enough for
// the lab with every experiment conducted, small enough for a laptop.
var controlPlaneLimits = map[string]Limits{
	"etcd":                    {Memory: 512 << 20},
	"kube-apiserver":          {Memory: 1536 << 20},
	"kube-controller-manager": {Memory: 384 << 20},
	"kube-scheduler":          {Memory: 256 << 20},
	"kwok":                    {Memory: 256 << 20},
}

// controllers: everything but what needs volumes, pod networks or metrics
// (kwok fakes nodes; nothing provisions volumes). node-lifecycle-controller
// stays: the API server taints every new Node not-ready and only it lifts
// the taint once kwok reports the node Ready.
const controllers = "*,-node-ipam-controller,-persistentvolume-binder-controller," +
	"-persistentvolume-attach-detach-controller,-persistentvolume-expander-controller," +
	"-ephemeral-volume-controller,-persistentvolumeclaim-protection-controller," +
	"-persistentvolume-protection-controller,-horizontal-pod-autoscaler-controller," +
	"-resourceclaim-controller,-device-taint-eviction-controller,-selinux-warning-controller"

func (s *starter) controlPlane(ctx context.Context) error {
	dir := s.Dir
	for _, d := range []string{"certs", "tmp", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	s.Token = randomHex(24)
	s.CAFile = filepath.Join(dir, "certs", "apiserver.crt")
	s.Kubeconfig = filepath.Join(dir, "kubeconfig")
	s.APIServer = "https://" + s.url("kube-apiserver")
	if err := writeServerFiles(dir, s.Token); err != nil {
		return err
	}
	home := filepath.Join(dir, "home")
	etcdClient, etcdPeer := "http://"+s.url("etcd"), "http://"+s.url("etcd-peer")
	err := s.step("etcd", func() error {
		p, err := s.spawn("etcd", s.o.Tools.Etcd, s.env(home, controlPlaneLimits["etcd"]),
			"--name=lab", "--data-dir="+filepath.Join(dir, "etcd"),
			"--listen-client-urls="+etcdClient, "--advertise-client-urls="+etcdClient,
			"--listen-peer-urls="+etcdPeer, "--initial-advertise-peer-urls="+etcdPeer,
			"--initial-cluster=lab="+etcdPeer,
			// Throw-away data: skipping fsync makes every write much faster.
			"--unsafe-no-fsync=true", "--quota-backend-bytes="+strconv.Itoa(2<<30), "--log-level=warn")
		if err != nil {
			return err
		}
		return waitFor(ctx, "etcd", 30*time.Second, p, httpOK(http.DefaultClient, etcdClient+"/health", ""))
	})
	if err != nil {
		return err
	}
	err = s.step("kube-apiserver", func() error {
		p, err := s.spawn("kube-apiserver", s.o.Tools.APIServer, s.env(home, controlPlaneLimits["kube-apiserver"]),
			"--etcd-servers="+etcdClient,
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
			"--secure-port="+strconv.Itoa(s.Ports["kube-apiserver"]),
			"--cert-dir="+filepath.Join(dir, "certs"),
			"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
			"--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
			"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
			"--service-cluster-ip-range=10.96.0.0/16",
			// No other control-plane members: skip the endpoint lease bookkeeping.
			"--endpoint-reconciler-type=none",
			// Pod logs come from kwok's kubelet server, whose certificate is self-signed.
			"--kubelet-preferred-address-types=InternalIP",
			"--profiling=false", "--v=0")
		if err != nil {
			return err
		}
		insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		return waitFor(ctx, "kube-apiserver /readyz", 120*time.Second, p, httpOK(insecure, s.APIServer+"/readyz", s.Token))
	})
	if err != nil {
		return err
	}
	if err := s.writeKubeconfig(); err != nil {
		return err
	}
	kc := s.Kubeconfig
	err = s.step("controllers, scheduler, kwok", func() error {
		if _, err := s.spawn("kube-controller-manager", s.o.Tools.ControllerManager, s.env(home, controlPlaneLimits["kube-controller-manager"]),
			"--kubeconfig="+kc, "--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
			"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(s.Ports["kube-controller-manager"]),
			"--cert-dir="+filepath.Join(dir, "kcm-certs"),
			"--service-account-private-key-file="+filepath.Join(dir, "sa.key"),
			"--root-ca-file="+s.CAFile,
			"--use-service-account-credentials=false", "--leader-elect=false",
			"--controllers="+controllers,
			"--concurrent-deployment-syncs=2", "--concurrent-replicaset-syncs=2", "--v=1"); err != nil {
			return err
		}
		if _, err := s.spawn("kube-scheduler", s.o.Tools.Scheduler, s.env(home, controlPlaneLimits["kube-scheduler"]),
			"--kubeconfig="+kc, "--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
			"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(s.Ports["kube-scheduler"]),
			"--cert-dir="+filepath.Join(dir, "sched-certs"), "--leader-elect=false", "--v=1"); err != nil {
			return err
		}
		return s.kwok(ctx, home)
	})
	if err != nil {
		return err
	}
	return nil
}

// jobRunTime is how long kwok lets a Job's pod run before it completes
// it: a run must last (at the API's one-second resolution) for its window
// to be one, as on a cluster.
const jobRunTime = 2 * time.Second

// kwokStages writes into dir the stages kwok is given: the ones
// scripts/tools.sh keeps beside kwok (from kwok's module), with Job pods
// completing after jobRunTime rather than at once.
func kwokStages(src, dir string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("kwok stages: %w", err)
	}
	const at = "name: pod-complete\nspec:\n"
	if bytes.Count(b, []byte(at)) != 1 {
		return "", fmt.Errorf("%s: want one stage pod-complete (%q)", src, at)
	}
	delay := fmt.Sprintf("%s  delay:\n    durationMilliseconds: %d\n", at, jobRunTime.Milliseconds())
	i := bytes.Index(b, []byte(at))
	stage := b[i:]
	if j := bytes.Index(stage, []byte("\n---")); j >= 0 {
		stage = stage[:j]
	}
	// The container started when pod-ready said it ran, not when it ends.
	const started = "startedAt: {{ $now | Quote }}"
	if bytes.Count(stage, []byte(started)) != 1 {
		return "", fmt.Errorf("%s: want one %q in stage pod-complete", src, started)
	}
	fixed := bytes.Replace(stage, []byte(started), []byte("startedAt: {{ $origin.state.running.startedAt | Quote }}"), 1)
	fixed = bytes.Replace(fixed, []byte(at), []byte(delay), 1)
	b = append(append(append([]byte{}, b[:i]...), fixed...), b[i+len(stage):]...)
	p := filepath.Join(dir, "stages.yaml")
	return p, os.WriteFile(p, b, 0o600)
}

func (s *starter) kwok(ctx context.Context, home string) error {
	stages, err := kwokStages(filepath.Join(filepath.Dir(s.o.Tools.Kwok), "stages.yaml"), home)
	if err != nil {
		return err
	}
	p, err := s.spawn("kwok", s.o.Tools.Kwok, s.env(home, controlPlaneLimits["kwok"]),
		"--kubeconfig="+s.Kubeconfig, "--config="+stages,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--server-address="+s.url("kwok"), "--node-ip=127.0.0.1", "--node-port="+strconv.Itoa(s.Ports["kwok"]),
		"--cidr=10.244.0.0/16")
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(s.Config())
	if err != nil {
		return err
	}
	for _, n := range s.o.Nodes {
		s.Nodes = append(s.Nodes, n.Name)
		res := corev1.ResourceList{
			corev1.ResourceCPU:    n.CPU,
			corev1.ResourceMemory: n.Memory,
			corev1.ResourcePods:   *resource.NewQuantity(int64(n.Pods), resource.DecimalSI),
		}
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        n.Name,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{
					"type":                             "kwok",
					"kubernetes.io/hostname":           n.Name,
					"kubernetes.io/os":                 "linux",
					"kubernetes.io/arch":               "amd64",
					"node.kubernetes.io/instance-type": n.InstanceType,
				},
			},
			// Capacity given on create is kept; kwok then reports the node Ready.
			Status: corev1.NodeStatus{Capacity: res, Allocatable: res},
		}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create node %s: %w", n.Name, err)
		}
	}
	return waitFor(ctx, "kwok nodes Ready and untainted", 60*time.Second, p, func(ctx context.Context) error {
		for _, n := range s.o.Nodes {
			node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ready := false
			for _, c := range node.Status.Conditions {
				ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
			}
			if !ready {
				return fmt.Errorf("node %s not Ready", n.Name)
			}
			for _, t := range node.Spec.Taints {
				if strings.HasPrefix(t.Key, "node.kubernetes.io/") {
					return fmt.Errorf("node %s still tainted %s", n.Name, t.Key)
				}
			}
		}
		return nil
	})
}

func writeServerFiles(dir, token string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"sa.key":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"sa.pub":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
		"tokens.csv": []byte(token + `,admin,admin-uid,"system:masters"` + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
