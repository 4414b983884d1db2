package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
)

func TestMain(m *testing.M) {
	code := testenv.RunMain(m)
	if srv != nil {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "clustercheck:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

var (
	srvOnce sync.Once
	srv     *testenv.APIServer
	srvErr  error
)

// apiServer starts one kube-apiserver for the package. Unlike testenv.Shared it allows
// privileged containers, as real clusters' API servers do (kind and kubeadm pass
// --allow-privileged=true): the lab's policy test inputs include privileged Pods, valid
// objects that only a policy should refuse.
func apiServer(t *testing.T) *testenv.APIServer {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no real API server")
	}
	etcd := testenv.Tool(t, "etcd")
	kas := testenv.Tool(t, "kube-apiserver")
	srvOnce.Do(func() {
		srv, srvErr = testenv.Start(context.Background(), testenv.Options{
			EtcdPath: etcd, APIServerPath: kas,
			ExtraAPIServerArgs: []string{"--allow-privileged=true"},
		})
	})
	if srvErr != nil {
		t.Fatal(srvErr)
	}
	return srv
}

// server returns a checker for the package's API server with the vendored CRDs installed.
func server(t *testing.T) *Checker {
	t.Helper()
	srv := apiServer(t)
	all, err := crds.All()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := testenv.InstallCRDs(ctx, srv.Config, all); err != nil {
		t.Fatal(err)
	}
	c, err := New(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// offlineKey is the Item.Key of the object an offline error is about.
func offlineKey(e validate.Error) string {
	k := fmt.Sprintf("%s#%d", e.File, e.Doc)
	if e.Via != "" {
		k += " " + e.Via
	}
	return k
}

func kindOf(it Item) string {
	g := it.Obj.GroupVersionKind().Group
	if g == "" {
		g = "core"
	}
	if it.Via != "" {
		g += ", generated"
	}
	return it.Obj.GetKind() + " (" + g + ")"
}

// TestLabAcceptedByAPIServer submits every object of the real lab, rendered in memory, and
// every Application its ApplicationSets generate, to a real kube-apiserver (dry run, strict
// field validation), and checks that the offline validator rejects exactly what the server
// rejects.
func TestLabAcceptedByAPIServer(t *testing.T) {
	c := server(t)
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := load.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Lab(src, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	items, errs := Items(tr)
	for _, err := range errs {
		t.Error(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	results, err := c.Check(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)

	accepted := map[string]int{}
	serverRejected := map[string]string{}
	for _, r := range results {
		if r.Err != nil {
			serverRejected[r.Item.Key()] = r.Err.Error()
			t.Errorf("API server rejected %s: %v", r.Item, r.Err)
			continue
		}
		accepted[kindOf(r.Item)]++
	}
	t.Logf("API server accepted %d of %d objects in %s: %s", len(results)-len(serverRejected), len(results), elapsed.Round(time.Millisecond), counts(accepted))

	for _, w := range sortedKeys(c.Warnings.Count) {
		t.Logf("API server warning (%d objects): %s", c.Warnings.Count[w], w)
	}

	rep := validate.Default().Tree(tr)
	t.Logf("offline: %s", rep.Summary())
	offlineRejected := map[string]string{}
	for _, e := range rep.Errors {
		offlineRejected[offlineKey(e)] += e.Error() + "\n"
	}
	compare(t, serverRejected, offlineRejected)
	if rep.Objects() != len(results)-len(serverRejected) {
		t.Errorf("offline validated %d objects, the API server accepted %d", rep.Objects(), len(results)-len(serverRejected))
	}
}

// compare reports every object one side rejects and the other accepts.
func compare(t *testing.T, server, offline map[string]string) {
	t.Helper()
	for _, k := range sortedKeys(server) {
		if _, ok := offline[k]; !ok {
			t.Errorf("parity: API server rejects %s, offline validation accepts it; server said: %s", k, server[k])
		}
	}
	for _, k := range sortedKeys(offline) {
		if _, ok := server[k]; !ok {
			t.Errorf("parity: offline validation rejects %s, the API server accepts it; offline said: %s", k, offline[k])
		}
	}
}

// TestParity runs hand-written good and bad manifests through the API server and the offline
// validator: both must accept every good one and reject every bad one, and the offline error
// must name the field given in the file's "# field:" comment.
func TestParity(t *testing.T) {
	c := server(t)
	for _, dir := range []string{"good", "bad"} {
		files, err := filepath.Glob(filepath.Join("testdata", "cases", dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no cases in testdata/cases/%s: %v", dir, err)
		}
		// Good cases first: they create the namespaces the others use.
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := dir + "/" + filepath.Base(f)
			t.Run(name, func(t *testing.T) {
				parityCase(t, c, name, b, dir == "bad")
			})
		}
	}
}

func parityCase(t *testing.T, c *Checker, name string, b []byte, bad bool) {
	items, errs := FileItems(name, b)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results, err := c.Check(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	server := map[string]string{}
	for _, r := range results {
		if r.Err != nil {
			server[r.Item.Key()] = r.Err.Error()
		}
	}
	docs, err := validate.SplitDocuments(b)
	if err != nil {
		t.Fatal(err)
	}
	var objs []validate.Object
	for i, d := range docs {
		objs = append(objs, validate.Object{File: name, Doc: i + 1, Data: d})
	}
	offline := map[string]string{}
	var fields []string
	for _, e := range validate.Objects(objs) {
		offline[offlineKey(e)] += e.Error() + "\n"
		fields = append(fields, e.Field)
	}
	compare(t, server, offline)
	switch {
	case bad && len(server) == 0:
		t.Errorf("API server accepted a bad manifest")
	case bad && len(offline) == 0:
		t.Errorf("offline validation accepted a bad manifest")
	case !bad && len(server)+len(offline) > 0:
		t.Errorf("good manifest rejected: server %v, offline %v", server, offline)
	}
	if want := wantField(b); bad && want != "" {
		found := false
		for _, f := range fields {
			if f == want || strings.HasPrefix(f, want+".") || strings.HasPrefix(f, want+"[") {
				found = true
			}
		}
		if !found {
			t.Errorf("offline errors name fields %q, want %q", fields, want)
		}
	}
	for k, msg := range server {
		t.Logf("server:  %s: %s", k, msg)
	}
	for k, msg := range offline {
		t.Logf("offline: %s: %s", k, msg)
	}
}

// wantField reads the "# field: <path>" comment of a bad case.
func wantField(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f, ok := strings.CutPrefix(sc.Text(), "# field: "); ok {
			return strings.TrimSpace(f)
		}
	}
	return ""
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
