//go:build linux

package scaleup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// TestWatchRealScaleUp measures a scale-up end to end on real components:
// a real kube-apiserver and etcd (testenv), the real kube-controller-manager
// running the Deployment and ReplicaSet controllers (they create and delete
// the pods and write the Deployment's readyReplicas), and kwok, the pinned
// kubelet simulator, which runs a fake node and turns the pods it is given
// Running and Ready, and deletes them (its fast stages). The one stand-in is
// the autoscaler: the test sets spec.replicas as an HPA would, 1 to 5 when
// the load starts and back to 1 when it ends. Watch samples the Deployment
// through the API server the whole time, and Analyze turns the samples
// into the stored result.
func TestWatchRealScaleUp(t *testing.T) {
	kcm := testenv.Tool(t, "kube-controller-manager")
	kwok := testenv.Tool(t, "kwok")
	stages := filepath.Join(filepath.Dir(kwok), "stages.yaml")
	if _, err := os.Stat(stages); err != nil {
		t.Fatalf("kwok's stages (scripts/tools.sh build kwok): %v", err)
	}
	s := testenv.StartAPIServer(t)
	c, err := kubernetes.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	start(t, kcm, "--kubeconfig="+s.Kubeconfig, "--controllers=deployment-controller,replicaset-controller",
		"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false", "--concurrent-deployment-syncs=5")
	start(t, kwok, "--kubeconfig="+s.Kubeconfig, "--config="+stages,
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake", "--node-lease-duration-seconds=40")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ns, name = "scale-up-time", "runtime-api"
	mustCreate(t, func() error {
		_, err := c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name: "kwok-node", Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels: map[string]string{"type": "kwok"},
		}}, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error {
		_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		return err
	})
	// The service account admission wants the namespace's default account
	// (the serviceaccount controller's job, not run here).
	mustCreate(t, func() error {
		_, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
		return err
	})
	one, f := int32(1), false
	labels := map[string]string{"app.kubernetes.io/name": name}
	mustCreate(t, func() error {
		_, err := c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{
				Replicas: &one,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						// On kwok's node directly: no scheduler runs here.
						NodeName:                     "kwok-node",
						AutomountServiceAccountToken: &f,
						Containers:                   []corev1.Container{{Name: "api", Image: "ghcr.io/illm-k8s-ai-lab/runtime-go:1.0.0"}},
					},
				},
			},
		}, metav1.CreateOptions{})
		return err
	})
	waitReady(ctx, t, c, ns, name, 1)

	// Sample through the whole run, as the collector would over the window.
	wctx, stopWatch := context.WithCancel(ctx)
	done := make(chan struct{})
	var samples []Sample
	var werr error
	go func() {
		samples, werr = Watch(wctx, c, ns, name)
		close(done)
	}()
	time.Sleep(500 * time.Millisecond) // the watch is open
	loadStart := time.Now()
	scale(ctx, t, c, ns, name, 5) // the autoscaler's answer to the load
	waitReady(ctx, t, c, ns, name, 5)
	time.Sleep(time.Second)
	loadEnd := time.Now()
	scale(ctx, t, c, ns, name, 1)
	waitReady(ctx, t, c, ns, name, 1)
	time.Sleep(500 * time.Millisecond)
	stopWatch()
	<-done
	if werr != nil {
		t.Fatal(werr)
	}

	r, err := Analyze(samples, Options{LoadStart: loadStart, LoadEnd: loadEnd, Target: 5})
	if err != nil {
		t.Fatalf("%v\nsamples: %+v", err, samples)
	}
	for _, s := range r.Samples {
		t.Logf("%s desired %d ready %d (%s)", s.Time.Sub(loadStart).Round(time.Millisecond), s.Desired, s.Ready, s.Observed)
	}
	if r.BaselineReplicas != 1 || r.MaxReady != 5 || r.TimeToTargetSeconds == nil || r.TimeToBaselineSeconds == nil {
		t.Fatalf("result %+v", r)
	}
	if up, back := *r.TimeToTargetSeconds, *r.TimeToBaselineSeconds; up <= 0 || up > 60 || back < 0 || back > 60 {
		t.Errorf("time to 5 ready %.3fs, back to 1 %.3fs: outside (0, 60s]", up, back)
	}
	// The samples are the API server's: the state before the load, then
	// what the watch delivered, ending where the Deployment ended.
	watched := 0
	for _, s := range r.Samples {
		if s.Observed == "watch" {
			watched++
		}
	}
	if last := r.Samples[len(r.Samples)-1]; watched == 0 || r.Samples[0].Ready != 1 || last.Ready != 1 || last.Desired != 1 {
		t.Errorf("samples %+v: want the start at 1 ready, watched changes, the end at 1", r.Samples)
	}
	r.Experiment, r.Variant, r.RunID = "scale-up-time", "shared", "r1"
	r.Target = Target{Kind: "Deployment", Namespace: ns, Name: name}
	if _, err := Store(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
	t.Logf("real kube-controller-manager and kwok: 1 to 5 ready in %.3fs, back to 1 in %.3fs after the load", *r.TimeToTargetSeconds, *r.TimeToBaselineSeconds)
}

func mustCreate(t *testing.T, create func() error) {
	t.Helper()
	if err := create(); err != nil {
		t.Fatal(err)
	}
}

func scale(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string, n int32) {
	t.Helper()
	sc, err := c.AppsV1().Deployments(ns).GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc.Spec.Replicas = n
	if _, err := c.AppsV1().Deployments(ns).UpdateScale(ctx, name, sc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitReady waits until the Deployment's status says n ready of n.
func waitReady(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, name string, n int32) {
	t.Helper()
	for {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.ReadyReplicas == n && d.Status.Replicas == n && d.Status.ObservedGeneration == d.Generation {
			return
		}
		select {
		case <-ctx.Done():
			pods, _ := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
			var ps []string
			for _, p := range pods.Items {
				ps = append(ps, fmt.Sprintf("%s %s", p.Name, p.Status.Phase))
			}
			t.Fatalf("deployment %s/%s: %d ready of %d, want %d; pods %v", ns, name, d.Status.ReadyReplicas, d.Status.Replicas, n, ps)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// start runs a component for the test: its log in the test's folder,
// ended (by its own process id) when the test ends.
func start(t *testing.T, bin string, args ...string) {
	t.Helper()
	log, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(bin)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("--- %s log (tail) ---\n%s", filepath.Base(bin), b)
		}
		log.Close()
	})
}
