package charts

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	helmregistry "helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	sigsyaml "sigs.k8s.io/yaml"
)

// packageChart builds a small chart archive the way helm package does.
func packageChart(t *testing.T, name, version string) []byte {
	t.Helper()
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version, Type: "application"},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  chart: " + name + "\n")}},
		Values: map[string]any{},
	}
	p, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// httpRepo serves a Helm chart repository (index.yaml plus archives under
// charts/, referenced relatively) over TLS on loopback. badDigest makes the
// index lie about the archives' sha256.
func httpRepo(t *testing.T, archives map[string][]byte, badDigest bool) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	idx := repo.NewIndexFile()
	for file, b := range archives {
		ch := strings.TrimSuffix(file, ".tgz")
		i := strings.LastIndex(ch, "-")
		digest := Sum(b)
		if badDigest {
			digest = Sum([]byte("something else"))
		}
		md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: ch[:i], Version: ch[i+1:]}
		if err := idx.MustAdd(md, "charts/"+file, "", digest); err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc("/charts/"+file, func(w http.ResponseWriter, _ *http.Request) { w.Write(b) })
	}
	idx.SortEntries()
	ib, err := sigsyaml.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/index.yaml", func(w http.ResponseWriter, _ *http.Request) { w.Write(ib) })
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// ociRegistry runs an in-process OCI registry on loopback and pushes the
// archives to it with Helm's registry client; it returns the oci:// base.
func ociRegistry(t *testing.T, archives map[string][]byte) (string, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	for file, b := range archives {
		ch := strings.TrimSuffix(file, ".tgz")
		i := strings.LastIndex(ch, "-")
		if _, err := c.Push(b, host+"/charts/"+ch[:i]+":"+ch[i+1:]); err != nil {
			t.Fatal(err)
		}
	}
	return "oci://" + host + "/charts", srv
}

func TestVendorHTTPAndOCI(t *testing.T) {
	web := packageChart(t, "web", "1.2.3")
	db := packageChart(t, "db", "0.4.0")
	hsrv := httpRepo(t, map[string][]byte{"web-1.2.3.tgz": web}, false)
	ociBase, osrv := ociRegistry(t, map[string][]byte{"db-0.4.0.tgz": db})
	refs := []Ref{
		{Repository: hsrv.URL, Name: "web", Version: "1.2.3"},
		{Repository: ociBase, Name: "db", Version: "0.4.0"},
	}
	root := t.TempDir()
	opts := Options{HTTPClient: hsrv.Client(), PlainHTTP: true}
	rep, err := Vendor(context.Background(), root, refs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Pulled) != 2 || len(rep.Kept) != 0 {
		t.Fatalf("first vendor: pulled %d, kept %d; want 2, 0", len(rep.Pulled), len(rep.Kept))
	}
	lock, err := ReadLock(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Charts) != 2 {
		t.Fatalf("lock has %d charts, want 2", len(lock.Charts))
	}
	for _, want := range []struct {
		ref Ref
		b   []byte
	}{{refs[0], web}, {refs[1], nil}} {
		e, ok := lock.Find(want.ref)
		if !ok {
			t.Fatalf("lock lacks %s", want.ref)
		}
		got, err := os.ReadFile(filepath.Join(root, Dir, e.File))
		if err != nil {
			t.Fatal(err)
		}
		if Sum(got) != e.SHA256 {
			t.Errorf("%s: file sha256 %s, lock %s", e.File, Sum(got), e.SHA256)
		}
		if want.b != nil && string(got) != string(want.b) {
			t.Errorf("%s differs from the repository's archive", e.File)
		}
	}

	// Offline from here: render reads the cache, vendor keeps what matches.
	hsrv.Close()
	osrv.Close()
	cache, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		ch, err := cache.Load(r)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Name() != r.Name || ch.Metadata.Version != r.Version {
			t.Errorf("cache.Load(%s) = %s %s", r, ch.Name(), ch.Metadata.Version)
		}
	}
	lockBytes, _ := os.ReadFile(filepath.Join(root, LockFile))
	rep, err = Vendor(context.Background(), root, refs, opts)
	if err != nil {
		t.Fatalf("second vendor needed the network: %v", err)
	}
	if len(rep.Kept) != 2 || len(rep.Pulled) != 0 {
		t.Errorf("second vendor: pulled %d, kept %d; want 0, 2", len(rep.Pulled), len(rep.Kept))
	}
	again, _ := os.ReadFile(filepath.Join(root, LockFile))
	if string(again) != string(lockBytes) {
		t.Errorf("lock changed on an idempotent vendor:\n%s\nvs\n%s", lockBytes, again)
	}

	// A chart no longer needed is removed with its lock entry.
	rep, err = Vendor(context.Background(), root, refs[:1], opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Pruned) != 1 || rep.Pruned[0] != "db-0.4.0.tgz" {
		t.Errorf("pruned %v, want [db-0.4.0.tgz]", rep.Pruned)
	}
	if _, err := os.Stat(filepath.Join(root, Dir, "db-0.4.0.tgz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("db-0.4.0.tgz still there: %v", err)
	}
}

func TestCacheRefusesMissingAndChangedCharts(t *testing.T) {
	web := packageChart(t, "web", "1.2.3")
	hsrv := httpRepo(t, map[string][]byte{"web-1.2.3.tgz": web}, false)
	ref := Ref{Repository: hsrv.URL, Name: "web", Version: "1.2.3"}
	root := t.TempDir()
	if _, err := Vendor(context.Background(), root, []Ref{ref}, Options{HTTPClient: hsrv.Client()}); err != nil {
		t.Fatal(err)
	}

	cache, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	missing := Ref{Repository: "https://charts.example.test", Name: "other", Version: "9.9.9"}
	_, err = cache.Archive(missing)
	if !errors.Is(err, ErrNotVendored) || !strings.Contains(err.Error(), "go run ./generator vendor") || !strings.Contains(err.Error(), "other 9.9.9") {
		t.Errorf("missing chart: %v; want ErrNotVendored naming the chart and the vendor command", err)
	}

	p := filepath.Join(root, Dir, ref.FileName())
	if err := os.WriteFile(p, append(web, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	cache, _ = Open(root)
	if _, err := cache.Archive(ref); err == nil || !strings.Contains(err.Error(), "was changed") {
		t.Errorf("changed archive: %v; want a checksum error", err)
	}
	// vendor repairs it.
	rep, err := Vendor(context.Background(), root, []Ref{ref}, Options{HTTPClient: hsrv.Client()})
	if err != nil || len(rep.Pulled) != 1 {
		t.Fatalf("repair: %v, %+v", err, rep)
	}
	cache, _ = Open(root)
	if _, err := cache.Archive(ref); err != nil {
		t.Errorf("after repair: %v", err)
	}
}

func TestVendorRefusesBadDownloads(t *testing.T) {
	web := packageChart(t, "web", "1.2.3")
	cases := []struct {
		name string
		srv  *httptest.Server
		ref  Ref
		want string
	}{
		{"digest mismatch", httpRepo(t, map[string][]byte{"web-1.2.3.tgz": web}, true), Ref{Name: "web", Version: "1.2.3"}, "the index says"},
		{"unknown version", httpRepo(t, map[string][]byte{"web-1.2.3.tgz": web}, false), Ref{Name: "web", Version: "1.2.4"}, "has no version 1.2.4 of web"},
		{"wrong archive", httpRepo(t, map[string][]byte{"api-1.2.3.tgz": web}, false), Ref{Name: "api", Version: "1.2.3"}, "the download is web 1.2.3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.ref.Repository = tc.srv.URL
			root := t.TempDir()
			_, err := Vendor(context.Background(), root, []Ref{tc.ref}, Options{HTTPClient: tc.srv.Client()})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.ref.Name) {
				t.Fatalf("err = %v; want one naming %s and saying %q", err, tc.ref.Name, tc.want)
			}
			if _, err := os.Stat(filepath.Join(root, LockFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed vendor wrote the lock")
			}
		})
	}
}

// TestVendorConcurrent runs several vendors at once on one folder: the file
// lock serializes them, every one succeeds and the cache ends consistent.
func TestVendorConcurrent(t *testing.T) {
	web := packageChart(t, "web", "1.2.3")
	api := packageChart(t, "api", "2.0.0")
	hsrv := httpRepo(t, map[string][]byte{"web-1.2.3.tgz": web, "api-2.0.0.tgz": api}, false)
	refs := []Ref{{Repository: hsrv.URL, Name: "web", Version: "1.2.3"}, {Repository: hsrv.URL, Name: "api", Version: "2.0.0"}}
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	pulled := make([]int, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := Vendor(context.Background(), root, refs, Options{HTTPClient: hsrv.Client()})
			errs[i] = err
			if rep != nil {
				pulled[i] = len(rep.Pulled)
			}
		}()
	}
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("vendor %d: %v", i, err)
		}
		total += pulled[i]
	}
	if total != 2 {
		t.Errorf("charts pulled across the concurrent runs = %d, want 2 (each once)", total)
	}
	cache, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if _, err := cache.Archive(r); err != nil {
			t.Error(err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(root, Dir, ".*.tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
