package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// APIServer is a running etcd + kube-apiserver pair on loopback ports, in its own temporary
// folder. Its admin identity is a static token in group system:masters.
type APIServer struct {
	// Config reaches the server as the admin user, verifying its self-signed certificate.
	Config *rest.Config
	// Kubeconfig is a kubeconfig file for Config (for kubectl, helm and the like).
	Kubeconfig string
	// URL is the server's https address; Dir holds its data, certificates and logs.
	URL, Dir string
	// StartupTime is how long etcd plus kube-apiserver took to answer /readyz.
	StartupTime time.Duration

	etcd, apiserver *process
	stopOnce        sync.Once
	stopErr         error
}

// Options tunes Start. The zero value is what tests want.
type Options struct {
	// EtcdPath and APIServerPath default to the pinned tools (ToolPath).
	EtcdPath, APIServerPath string
	// ReadyTimeout bounds the wait for /readyz (default 90s).
	ReadyTimeout time.Duration
	// ExtraAPIServerArgs are appended to the kube-apiserver command line.
	ExtraAPIServerArgs []string
}

// StartAPIServer starts a fresh server for one test and stops it when the test ends. A missing
// tool skips the test (fails it under LAB_REQUIRE_TOOLS=1).
func StartAPIServer(t testing.TB) *APIServer {
	t.Helper()
	etcd := Tool(t, "etcd")
	kas := Tool(t, "kube-apiserver")
	s, err := Start(context.Background(), Options{EtcdPath: etcd, APIServerPath: kas})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

var (
	sharedMu  sync.Mutex
	shared    *APIServer
	sharedErr error
)

// Shared returns one server per test binary, started on first use. Stop it from TestMain
// through RunMain; processes are also killed if the test binary dies (parent-death signal).
func Shared(t testing.TB) *APIServer {
	t.Helper()
	etcd := Tool(t, "etcd")
	kas := Tool(t, "kube-apiserver")
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = Start(context.Background(), Options{EtcdPath: etcd, APIServerPath: kas})
	}
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// RunMain runs the tests and then stops the Shared server, if one was started:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunMain(m)) }
func RunMain(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			if code == 0 {
				code = 1
			}
		}
		shared = nil
	}
	return code
}

// Start runs etcd and kube-apiserver in a new temporary folder and waits until the server is
// ready. Call Stop to end both and remove the folder.
func Start(ctx context.Context, opt Options) (s *APIServer, err error) {
	if opt.EtcdPath == "" {
		if opt.EtcdPath, err = ToolPath("etcd"); err != nil {
			return nil, err
		}
	}
	if opt.APIServerPath == "" {
		if opt.APIServerPath, err = ToolPath("kube-apiserver"); err != nil {
			return nil, err
		}
	}
	if opt.ReadyTimeout == 0 {
		opt.ReadyTimeout = 90 * time.Second
	}
	began := time.Now()
	dir, err := os.MkdirTemp("", "testenv-apiserver-")
	if err != nil {
		return nil, err
	}
	s = &APIServer{Dir: dir}
	defer func() {
		if err != nil {
			_ = s.Stop()
			s = nil
		}
	}()

	token, err := randomHex(24)
	if err != nil {
		return nil, err
	}
	if err := writeServerFiles(dir, token); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	etcdPeer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	securePort := ports[2]

	s.etcd, err = startProcess(dir, "etcd", opt.EtcdPath,
		"--name=testenv",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient,
		"--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer,
		"--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=testenv="+etcdPeer,
		// Throw-away data: skipping fsync makes every write much faster.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, http.DefaultClient, etcdClient+"/health", "", 30*time.Second, s.etcd); err != nil {
		return nil, fmt.Errorf("etcd not healthy: %w%s", err, s.etcd.logTail())
	}

	args := []string{
		"--etcd-servers=" + etcdClient,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(securePort),
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		// No other control-plane members: skip the endpoint lease bookkeeping.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--v=0",
	}
	s.apiserver, err = startProcess(dir, "kube-apiserver", opt.APIServerPath, append(args, opt.ExtraAPIServerArgs...)...)
	if err != nil {
		return nil, err
	}
	s.URL = "https://127.0.0.1:" + strconv.Itoa(securePort)

	// kube-apiserver writes its self-signed certificate (with its CA) once it starts serving.
	certFile := filepath.Join(dir, "certs", "apiserver.crt")
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if err := waitHTTP(ctx, insecure, s.URL+"/readyz", token, opt.ReadyTimeout, s.apiserver); err != nil {
		return nil, fmt.Errorf("kube-apiserver not ready: %w%s", err, s.apiserver.logTail())
	}
	s.StartupTime = time.Since(began)
	s.Config = &rest.Config{
		Host:            s.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: certFile},
		QPS:             200,
		Burst:           400,
		Timeout:         60 * time.Second,
	}
	s.Kubeconfig = filepath.Join(dir, "kubeconfig")
	kc := clientcmdapi.NewConfig()
	kc.Clusters["testenv"] = &clientcmdapi.Cluster{Server: s.URL, CertificateAuthority: certFile}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: "admin"}
	kc.CurrentContext = "testenv"
	if err := clientcmd.WriteToFile(*kc, s.Kubeconfig); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop ends kube-apiserver, then etcd (the server needs its store while shutting down), and
// removes the folder. It is safe to call more than once.
func (s *APIServer) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		for _, p := range []*process{s.apiserver, s.etcd} {
			if p != nil {
				if err := p.stop(15 * time.Second); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if s.Dir != "" {
			errs = append(errs, os.RemoveAll(s.Dir))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// LogTail returns the end of kube-apiserver's log, for test failure messages.
func (s *APIServer) LogTail() string { return s.apiserver.logTail() }

func writeServerFiles(dir, token string) error {
	// Service-account token signing key pair.
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
	return os.MkdirAll(filepath.Join(dir, "certs"), 0o700)
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// freePorts asks the kernel for n distinct free loopback ports. They are released before the
// servers bind them; a clash is possible but rare and shows as a start error.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitHTTP(ctx context.Context, c *http.Client, url, token string, timeout time.Duration, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err == nil {
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %d %s", url, resp.StatusCode, strings.TrimSpace(body.String()))
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before %s answered", p.name, p.waitErr, url)
		case <-ctx.Done():
			return fmt.Errorf("%s not OK after %s: %s", url, timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

func startProcess(dir, name, bin string, args ...string) (*process, error) {
	return startProcessEnv(dir, name, bin, nil, args...)
}

// startProcessEnv starts bin with its output in dir/name.log; env nil means the parent's.
func startProcessEnv(dir, name, bin string, env []string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = signalGroup(p.cmd, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = signalGroup(p.cmd, syscall.SIGKILL)
	select {
	case <-p.done:
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed", p.name, grace)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

func (p *process) logTail() string {
	if p == nil {
		return ""
	}
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "\n--- " + p.name + " log (tail) ---\n" + string(b)
}
