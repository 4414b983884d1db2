package cmd

import (
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/rogpeppe/go-internal/testscript"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	helmregistry "helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestVendorLoopback runs generator/testdata/vendor/*.txtar against real
// chart sources on loopback: a Helm HTTP repository over TLS (its
// certificate trusted through SSL_CERT_FILE) serving web 1.0.0, and an
// in-process OCI registry (plain http) holding api 2.0.0. Each script gets
// phases/repos.cue with their addresses as _httpRepo and _ociRepo.
func TestVendorLoopback(t *testing.T) {
	runScripts(t, "vendor", func(env *testscript.Env) error {
		httpURL, certPEM, closeHTTP, err := serveHTTPRepo(t, packageTestChart(t, "web", "1.0.0"))
		if err != nil {
			return err
		}
		env.Defer(closeHTTP)
		ociURL, closeOCI, err := serveOCI(t, packageTestChart(t, "api", "2.0.0"), "api", "2.0.0")
		if err != nil {
			return err
		}
		env.Defer(closeOCI)
		ca := filepath.Join(env.WorkDir, "ca.pem")
		if err := os.WriteFile(ca, certPEM, 0o644); err != nil {
			return err
		}
		env.Setenv("SSL_CERT_FILE", ca)
		repos := fmt.Sprintf("package phases\n\n_httpRepo: %q\n_ociRepo: %q\n", httpURL, ociURL)
		return os.WriteFile(filepath.Join(env.WorkDir, "phases", "repos.cue"), []byte(repos), 0o644)
	})
}

func packageTestChart(t *testing.T, name, version string) []byte {
	t.Helper()
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version, Type: "application"},
		Templates: []*chart.File{{Name: "templates/deployment.yaml", Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-` + name + `
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec:
      containers: [{name: ` + name + `, image: "registry.example.test/` + name + `:` + version + `"}]
`)}},
		Values: map[string]any{"replicas": 1},
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

func serveHTTPRepo(t *testing.T, archive []byte) (string, []byte, func(), error) {
	idx := repo.NewIndexFile()
	sum := fmt.Sprintf("%x", sha256Sum(archive))
	if err := idx.MustAdd(&chart.Metadata{APIVersion: chart.APIVersionV2, Name: "web", Version: "1.0.0"}, "web-1.0.0.tgz", "", sum); err != nil {
		return "", nil, nil, err
	}
	ib, err := sigsyaml.Marshal(idx)
	if err != nil {
		return "", nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/charts/index.yaml", func(w http.ResponseWriter, _ *http.Request) { w.Write(ib) })
	mux.HandleFunc("/charts/web-1.0.0.tgz", func(w http.ResponseWriter, _ *http.Request) { w.Write(archive) })
	srv := httptest.NewTLSServer(mux)
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv.URL + "/charts", cert, srv.Close, nil
}

func serveOCI(t *testing.T, archive []byte, name, version string) (string, func(), error) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	host := strings.TrimPrefix(srv.URL, "http://")
	c, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		srv.Close()
		return "", nil, err
	}
	if _, err := c.Push(archive, host+"/charts/"+name+":"+version); err != nil {
		srv.Close()
		return "", nil, err
	}
	return "oci://" + host + "/charts", srv.Close, nil
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
