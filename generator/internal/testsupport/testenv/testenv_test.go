package testenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { os.Exit(RunMain(m)) }

func TestToolPath(t *testing.T) {
	tests := []struct {
		name    string
		tool    string
		build   bool // put an executable where the tool belongs
		wantErr string
		missing bool
	}{
		{name: "built", tool: "etcd", build: true},
		{name: "not built", tool: "kube-apiserver", wantErr: "bash scripts/tools.sh kube-apiserver", missing: true},
		{name: "unknown", tool: "kubectl", wantErr: `unknown tool "kubectl"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := t.TempDir()
			t.Setenv("LAB_CACHE", cache)
			tab, err := loadTable()
			if err != nil {
				t.Fatal(err)
			}
			if tt.build {
				spec := tab[tt.tool]
				p := filepath.Join(cache, "tools", spec.Name+"-"+spec.Version, spec.Binary)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ToolPath(tt.tool)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if errors.Is(err, ErrToolMissing) != tt.missing {
					t.Fatalf("errors.Is(err, ErrToolMissing) = %v, want %v", !tt.missing, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, cache) || !strings.Contains(got, tt.tool+"-v") {
				t.Fatalf("path %s not under %s/tools/%s-<version>", got, cache, tt.tool)
			}
		})
	}
}

// TestToolsTableMatchesScript keeps testenv and scripts/tools.sh on the same paths.
func TestToolsTableMatchesScript(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("LAB_CACHE", "/cache")
	tab, err := loadTable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, root, "bash", "scripts/tools.sh", "--list")
	if err != nil {
		t.Fatalf("tools.sh --list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(tab) {
		t.Fatalf("tools.sh lists %d tools, tools.tsv has %d", len(lines), len(tab))
	}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		spec, ok := tab[f[0]]
		if !ok {
			t.Errorf("tools.sh lists %s, testenv does not know it", f[0])
			continue
		}
		if want := filepath.Join("/cache/tools", spec.Name+"-"+spec.Version, spec.Binary); f[2] != want {
			t.Errorf("%s: tools.sh path %s, testenv expects %s", f[0], f[2], want)
		}
	}
}

func TestServerVersionAndKubeconfig(t *testing.T) {
	s := Shared(t)
	t.Logf("etcd + kube-apiserver ready in %s", s.StartupTime)
	tab, err := loadTable()
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := dc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if want := tab["kube-apiserver"].Version; v.GitVersion != want {
		t.Fatalf("server reports %s, want %s", v.GitVersion, want)
	}
	// The kubeconfig file must reach the same server, with TLS verified against its own CA.
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("via kubeconfig: %v", err)
	}
}

func installAll(t *testing.T, s *APIServer) {
	t.Helper()
	all, err := crds.All()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	if err := InstallCRDs(ctx, s.Config, all); err != nil {
		t.Fatal(err)
	}
	t.Logf("installed %d CRDs in %s", len(all), time.Since(start))
}

func readObjects(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeObjects(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return objs
}

func TestDryRunApplyAcceptsValidObjects(t *testing.T) {
	s := Shared(t)
	installAll(t, s)
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/valid/*.yaml: %v", err)
	}
	var objs []*unstructured.Unstructured
	kinds := map[string]bool{}
	for _, f := range files {
		for _, o := range readObjects(t, f) {
			objs = append(objs, o)
			kinds[o.GetKind()] = true
		}
	}
	for _, k := range []string{"Namespace", "Job", "Application", "ApplicationSet", "AppProject", "ValidatingPolicy", "CronWorkflow"} {
		if !kinds[k] {
			t.Errorf("testdata/valid has no %s", k)
		}
	}
	ctx := context.Background()
	for _, err := range DryRunApply(ctx, s.Config, objs) {
		t.Error(err)
	}
	// Dry run: nothing may have been stored.
	dyn, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	app := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
	_, err = dyn.Resource(app).Namespace("argocd").Get(ctx, "platform-prometheus", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("dry-run Application was stored (get: %v)", err)
	}
}

func TestDryRunApplyRejectsInvalidObjects(t *testing.T) {
	s := Shared(t)
	installAll(t, s)
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/invalid/*.yaml: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var wants []string
			for _, l := range strings.Split(string(b), "\n") {
				if w, ok := strings.CutPrefix(l, "# want: "); ok {
					wants = append(wants, w)
				}
			}
			if len(wants) == 0 {
				t.Fatalf("%s has no '# want: ' line", f)
			}
			objs := readObjects(t, f)
			errs := DryRunApply(context.Background(), s.Config, objs)
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			var ae *ApplyError
			if !errors.As(errs[0], &ae) || ae.Index != 0 {
				t.Fatalf("error %v is not an *ApplyError for object 0", errs[0])
			}
			for _, w := range wants {
				if !strings.Contains(errs[0].Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, errs[0])
				}
			}
		})
	}
}

// TestStartStop checks a private server's life cycle: both processes gone and the folder
// removed after Stop, kube-apiserver stopped before etcd.
func TestStartStop(t *testing.T) {
	etcd, kas := Tool(t, "etcd"), Tool(t, "kube-apiserver")
	s, err := Start(context.Background(), Options{EtcdPath: etcd, APIServerPath: kas})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ready in %s", s.StartupTime)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*process{s.apiserver, s.etcd} {
		select {
		case <-p.done:
		default:
			t.Errorf("%s still running after Stop", p.name)
		}
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Stop (stat: %v)", s.Dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
