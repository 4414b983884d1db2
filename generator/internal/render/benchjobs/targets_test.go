package benchjobs_test

import (
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/benchjobs"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/testenv"
)

// TestTargetsResolve checks every benchmark target of the repository's lab
// (a k6 URL or another tool's server)
// against the Services the lab renders itself (local charts are rendered to
// manifests under apps/): a target naming such a Service must name it in
// the variant's namespace, on a port it serves. Targets served by remote
// charts or created by controllers at run time (gateways' data planes)
// cannot be checked offline; they are logged.
func TestTargetsResolve(t *testing.T) {
	src, err := load.Load("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Lab(src, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]map[int32]bool{} // "<namespace>/<name>" -> ports
	names := map[string]bool{}
	for _, p := range tr.Paths() {
		if !strings.HasPrefix(p, "apps/") || strings.Contains(p, "/values/") {
			continue
		}
		body, _ := tr.File(p)
		if !strings.Contains(string(body), "\nkind: Service\n") {
			continue
		}
		objs, err := testenv.DecodeObjects(body)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, o := range objs {
			if o.GetKind() != "Service" {
				continue
			}
			key := o.GetNamespace() + "/" + o.GetName()
			names[o.GetName()] = true
			if ports[key] == nil {
				ports[key] = map[int32]bool{}
			}
			sp, _, _ := unstructured.NestedSlice(o.Object, "spec", "ports")
			for _, x := range sp {
				if m, ok := x.(map[string]any); ok {
					switch n := m["port"].(type) {
					case int64:
						ports[key][int32(n)] = true
					case float64:
						ports[key][int32(n)] = true
					}
				}
			}
		}
	}
	verified, unverified := 0, []string{}
	for _, ph := range src.Lab.Phases {
		for _, e := range ph.Experiments {
			if e.Benchmark == nil {
				continue
			}
			vs := []string{""}
			if len(e.Variants) > 0 {
				vs = nil
				for v := range e.Variants {
					vs = append(vs, v)
				}
			}
			for _, v := range vs {
				target := benchjobs.Endpoint(e, v)
				if target == "" {
					continue // fio: its volumes, no server
				}
				if !strings.Contains(target, "://") {
					target = "tcp://" + target // Kafka's bootstrap host:port
				}
				u, err := url.Parse(target)
				if err != nil {
					t.Errorf("%s/%s: target %q: %v", e.Name, v, target, err)
					continue
				}
				host, port := u.Hostname(), u.Port()
				if port == "" {
					port = map[string]string{"http": "80", "https": "443", "nats": "4222", "amqp": "5672", "redis": "6379", "postgresql": "5432"}[u.Scheme]
				}
				labels := strings.Split(host, ".")
				if len(labels) < 3 || labels[2] != "svc" || net.ParseIP(host) != nil {
					unverified = append(unverified, e.Name+"/"+v+": "+target+" (not a <service>.<namespace>.svc name)")
					continue
				}
				svc, ns := labels[0], labels[1]
				if want := e.VariantNamespace(v); ns != want {
					t.Errorf("%s/%s: target %s is in namespace %s, the variant runs in %s", e.Name, v, target, ns, want)
				}
				if !names[svc] {
					unverified = append(unverified, e.Name+"/"+v+": "+target+" (Service not rendered by the lab)")
					continue
				}
				pn, _ := strconv.Atoi(port)
				if ps, ok := ports[ns+"/"+svc]; !ok {
					t.Errorf("%s/%s: target %s: the lab renders no Service %s in namespace %s", e.Name, v, target, svc, ns)
				} else if !ps[int32(pn)] {
					t.Errorf("%s/%s: target %s: Service %s/%s does not serve port %s", e.Name, v, target, ns, svc, port)
				} else {
					verified++
				}
			}
		}
	}
	sort.Strings(unverified)
	for _, u := range unverified {
		t.Logf("unverified: %s", u)
	}
	if verified == 0 {
		t.Fatal("no target could be checked against a rendered Service")
	}
	t.Logf("%d targets resolve to rendered Services; %d unverified", verified, len(unverified))
}
