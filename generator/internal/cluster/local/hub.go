// Package local runs a hub cluster on this machine without containers: a
// real control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler), kwok nodes with the lab's node types and capacities,
// Redis, Gitea serving the lab's repository, and ArgoCD's repo server,
// application controller, ApplicationSet controller and API server, all as
// plain processes bound to 127.0.0.1, configured as the lab's argo-cd
// chart values configure the real install.
//
// `generator hub local up` starts one detached (the processes outlive the
// command, their state is kept in a folder of the lab's cache) and `down`
// stops it; the end-to-end tests start one attached (it dies with the test
// binary) through testsupport/argocdenv.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options say what to start.
type Options struct {
	// Dir holds every file of the hub (data, logs, state). It is created;
	// it must not hold a running hub.
	Dir   string
	Tools Tools
	// Nodes are the kwok nodes (at least one).
	Nodes []Node
	// ArgoCD is ArgoCD's configuration (LabSettings).
	ArgoCD Settings
	// Detach lets the processes outlive this one (hub local up).
	Detach bool
	// Log receives one line per step with its duration (nil: discarded).
	Log io.Writer
	// Timeout bounds the whole start (default 5 minutes).
	Timeout time.Duration
}

// Hub is a running local hub. Its exported fields are saved in
// <Dir>/state.json, which Attach reads back.
type Hub struct {
	Dir string `json:"dir"`
	// Kubeconfig reaches kube-apiserver as cluster admin (context
	// namespace argocd); Token is that admin's bearer token.
	Kubeconfig string `json:"kubeconfig"`
	APIServer  string `json:"apiServer"`
	Token      string `json:"token"`
	CAFile     string `json:"caFile"`
	// Gitea: web and git base URL, admin user and password, API token.
	GiteaURL      string `json:"giteaURL"`
	GiteaUser     string `json:"giteaUser"`
	GiteaPassword string `json:"giteaPassword"`
	GiteaToken    string `json:"giteaToken"`
	// ArgoCDURL is argocd-server's address (plain HTTP); it takes Gitea's
	// push webhooks at ArgoCDURL/api/webhook.
	ArgoCDURL string `json:"argocdURL"`
	// RedisPassword is Redis' requirepass (ArgoCD's REDIS_PASSWORD).
	RedisPassword string `json:"redisPassword"`
	// Ports by listener name.
	Ports map[string]int `json:"ports"`
	// Processes in start order.
	Processes []*Process `json:"processes"`
	Detached  bool       `json:"detached"`
	Started   time.Time  `json:"started"`
	// StartupTime is how long Start took; Steps how long each step took.
	StartupTime time.Duration            `json:"startupTime"`
	Steps       map[string]time.Duration `json:"steps"`
	Nodes       []string                 `json:"nodes"`

	mu       sync.Mutex
	stopOnce sync.Once
	stopErr  error
	log      io.Writer
}

// StateFile is the state of a hub, in its folder.
const StateFile = "state.json"

// Config is a client configuration for the hub's kube-apiserver.
func (h *Hub) Config() *rest.Config {
	return &rest.Config{
		Host:            h.APIServer,
		BearerToken:     h.Token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: h.CAFile},
		QPS:             100,
		Burst:           200,
		Timeout:         60 * time.Second,
	}
}

// Start starts every component and waits until each is ready. On failure
// everything started is stopped and the folder removed.
func Start(ctx context.Context, o Options) (_ *Hub, err error) {
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if len(o.Nodes) == 0 {
		return nil, errors.New("local hub: no nodes")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	began := time.Now()
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}
	if old, err := Attach(o.Dir); err == nil && old.Running() {
		return nil, fmt.Errorf("a local hub is already running from %s (stop it first)", o.Dir)
	}
	h := &Hub{Dir: o.Dir, Detached: o.Detach, Started: began, Ports: map[string]int{}, Steps: map[string]time.Duration{}, log: o.Log}
	defer func() {
		if err != nil {
			if serr := h.Stop(); serr != nil {
				err = fmt.Errorf("%w (and stopping: %v)", err, serr)
			}
		}
	}()
	if err := h.allocate(); err != nil {
		return nil, err
	}
	s := &starter{Hub: h, o: o}
	// The control plane and the forge are independent: start them side by
	// side, then ArgoCD, which needs both Redis and the API server.
	var wg sync.WaitGroup
	var cpErr, gitErr error
	wg.Add(2)
	go func() { defer wg.Done(); cpErr = s.controlPlane(ctx) }()
	go func() { defer wg.Done(); gitErr = s.forge(ctx) }()
	wg.Wait()
	if err := errors.Join(cpErr, gitErr); err != nil {
		return nil, err
	}
	if err := s.argocd(ctx); err != nil {
		return nil, err
	}
	h.StartupTime = time.Since(began)
	fmt.Fprintf(o.Log, "local hub up in %s\n", h.StartupTime.Round(100*time.Millisecond))
	return h, h.save()
}

// step times one step of the start.
func (h *Hub) step(name string, f func() error) error {
	t := time.Now()
	err := f()
	d := time.Since(t)
	h.mu.Lock()
	h.Steps[name] = d
	h.mu.Unlock()
	if err == nil {
		fmt.Fprintf(h.log, "  %-28s %s\n", name, d.Round(10*time.Millisecond))
	}
	return err
}

func (h *Hub) add(p *Process) {
	h.mu.Lock()
	h.Processes = append(h.Processes, p)
	h.mu.Unlock()
	_ = h.save()
}

// ports every listener of the hub takes.
var portNames = []string{
	"etcd", "etcd-peer", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok",
	"redis", "gitea", "repo-server", "repo-server-metrics", "application-controller-metrics",
	"applicationset-metrics", "applicationset-probe", "applicationset-webhook", "server", "server-metrics",
}

func (h *Hub) allocate() error {
	ps, err := freePorts(len(portNames))
	if err != nil {
		return err
	}
	for i, n := range portNames {
		h.Ports[n] = ps[i]
	}
	return nil
}

func (h *Hub) save() error {
	h.mu.Lock()
	b, err := json.MarshalIndent(h, "", "  ")
	h.mu.Unlock()
	if err != nil {
		return err
	}
	tmp := filepath.Join(h.Dir, StateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(h.Dir, StateFile))
}

// Attach reads the state of a hub started earlier (maybe by another
// process) from its folder.
func Attach(dir string) (*Hub, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, err
	}
	h := &Hub{log: io.Discard}
	if err := json.Unmarshal(b, h); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	h.Dir = dir
	return h, nil
}

// Running says whether every process of the hub still runs.
func (h *Hub) Running() bool {
	if len(h.Processes) == 0 {
		return false
	}
	for _, p := range h.Processes {
		if !p.alive() {
			return false
		}
	}
	return true
}

// Down lists the processes that are not running.
func (h *Hub) Down() []string {
	var out []string
	for _, p := range h.Processes {
		if !p.alive() {
			out = append(out, p.Name)
		}
	}
	return out
}

// Stop ends every process in reverse start order (kube-apiserver before
// etcd) and removes the folder. It is safe to call more than once.
func (h *Hub) Stop() error {
	h.stopOnce.Do(func() {
		var errs []error
		for i := len(h.Processes) - 1; i >= 0; i-- {
			if err := h.Processes[i].stop(15 * time.Second); err != nil {
				errs = append(errs, err)
			}
		}
		if h.Dir != "" {
			errs = append(errs, os.RemoveAll(h.Dir))
		}
		h.stopErr = errors.Join(errs...)
	})
	return h.stopErr
}

// Process returns the named process (nil when there is none).
func (h *Hub) Process(name string) *Process {
	for _, p := range h.Processes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// LogTails are the ends of every process's log, for failure messages.
func (h *Hub) LogTails() string {
	var s string
	for _, p := range h.Processes {
		s += p.LogTail()
	}
	return s
}

// kubeconfig writes the admin kubeconfig.
func (h *Hub) writeKubeconfig() error {
	kc := clientcmdapiConfig(h.APIServer, h.CAFile, h.Token)
	return clientcmd.WriteToFile(*kc, h.Kubeconfig)
}
