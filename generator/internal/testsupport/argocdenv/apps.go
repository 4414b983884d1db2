package argocdenv

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/cluster/local"
)

// The ArgoCD resources.
var (
	Applications    = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
	ApplicationSets = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applicationsets"}
)

// App reads an Application (nil when it does not exist).
func (e *Env) App(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	a, err := e.Dyn.Resource(Applications).Namespace(local.ArgoCDNamespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return a, err
}

// Apps lists the Applications, optionally by label selector.
func (e *Env) Apps(ctx context.Context, selector string) ([]unstructured.Unstructured, error) {
	l, err := e.Dyn.Resource(Applications).Namespace(local.ArgoCDNamespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Field reads a string field of an object ("" when absent).
func Field(o *unstructured.Unstructured, path ...string) string {
	if o == nil {
		return ""
	}
	s, _, _ := unstructured.NestedString(o.Object, path...)
	return s
}

// AppState is an Application's sync status, health, synced revision and
// last operation phase, for waits and messages.
type AppState struct {
	Sync, Health, Revision, Operation, Message string
}

func (s AppState) String() string {
	return fmt.Sprintf("sync=%s health=%s revision=%.8s operation=%s %q", s.Sync, s.Health, s.Revision, s.Operation, s.Message)
}

// State reads an Application's state.
func State(a *unstructured.Unstructured) AppState {
	if a == nil {
		return AppState{Sync: "absent"}
	}
	st := AppState{
		Sync: Field(a, "status", "sync", "status"), Health: Field(a, "status", "health", "status"),
		Revision: Field(a, "status", "sync", "revision"), Operation: Field(a, "status", "operationState", "phase"),
		Message: Field(a, "status", "operationState", "message"),
	}
	if st.Revision == "" {
		if rs, _, _ := unstructured.NestedStringSlice(a.Object, "status", "sync", "revisions"); len(rs) > 0 {
			st.Revision = rs[0]
		}
	}
	return st
}

// Conditions are an Application's conditions as "Type: message".
func Conditions(a *unstructured.Unstructured) []string {
	cs, _, _ := unstructured.NestedSlice(a.Object, "status", "conditions")
	var out []string
	for _, c := range cs {
		m, _ := c.(map[string]any)
		out = append(out, fmt.Sprintf("%v: %v", m["type"], m["message"]))
	}
	return out
}

// Eventually polls f every 250 ms until it returns nil or timeout passes,
// then fails the test with f's last error.
func Eventually(t testing.TB, timeout time.Duration, what string, f func(ctx context.Context) error) time.Duration {
	t.Helper()
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		if last = f(ctx); last == nil {
			return time.Since(began)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not after %s: %v", what, timeout, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// WaitApp waits until the Application is Synced and Healthy at rev (any
// revision when rev is empty) with its last operation, if any, Succeeded.
func (e *Env) WaitApp(t testing.TB, name, rev string, timeout time.Duration) time.Duration {
	t.Helper()
	return Eventually(t, timeout, "Application "+name+" Synced and Healthy", func(ctx context.Context) error {
		a, err := e.App(ctx, name)
		if err != nil {
			return err
		}
		st := State(a)
		if st.Sync != "Synced" || st.Health != "Healthy" || (rev != "" && st.Revision != rev) || (st.Operation != "" && st.Operation != "Succeeded") {
			conds := ""
			if a != nil {
				conds = strings.Join(Conditions(a), "; ")
			}
			return fmt.Errorf("%s %s", st, conds)
		}
		return nil
	})
}

// Unhealthy is a resource of an Application whose health is not Healthy.
type Unhealthy struct {
	Group, Kind, Namespace, Name, Health, Message string
}

func (u Unhealthy) String() string {
	return fmt.Sprintf("%s/%s %s/%s %s %q", u.Group, u.Kind, u.Namespace, u.Name, u.Health, u.Message)
}

// UnhealthyResources lists an Application's resources that report a health
// other than Healthy (resources without a health check report none).
func UnhealthyResources(a *unstructured.Unstructured) []Unhealthy {
	rs, _, _ := unstructured.NestedSlice(a.Object, "status", "resources")
	var out []Unhealthy
	for _, r := range rs {
		m, _ := r.(map[string]any)
		h, _ := m["health"].(map[string]any)
		if h == nil || h["status"] == "Healthy" {
			continue
		}
		str := func(v any) string { s, _ := v.(string); return s }
		out = append(out, Unhealthy{Group: str(m["group"]), Kind: str(m["kind"]), Namespace: str(m["namespace"]),
			Name: str(m["name"]), Health: str(h["status"]), Message: str(h["message"])})
	}
	return out
}

// WaitAppExcept waits as WaitApp does, but accepts an Application that is
// Progressing when every resource keeping it so is one excused says may
// stay so (a resource whose controller the harness does not run). It
// returns the excused resources.
func (e *Env) WaitAppExcept(t testing.TB, name, rev string, timeout time.Duration, excused func(Unhealthy) bool) []Unhealthy {
	t.Helper()
	var kept []Unhealthy
	Eventually(t, timeout, "Application "+name+" Synced and Healthy but for excused resources", func(ctx context.Context) error {
		a, err := e.App(ctx, name)
		if err != nil {
			return err
		}
		st := State(a)
		if st.Sync != "Synced" || (rev != "" && st.Revision != rev) || st.Operation != "Succeeded" {
			return fmt.Errorf("%s", st)
		}
		kept = nil
		for _, u := range UnhealthyResources(a) {
			if !excused(u) {
				return fmt.Errorf("%s; resource %s", st, u)
			}
			kept = append(kept, u)
		}
		if st.Health != "Healthy" && (st.Health != "Progressing" || len(kept) == 0) {
			return fmt.Errorf("%s; unhealthy resources %v", st, kept)
		}
		return nil
	})
	return kept
}

// Sync starts a sync operation on an Application, as `argocd app sync`
// does (it sets the operation field the application controller acts on).
// An operation still running, such as one waiting out its retry backoff,
// is terminated first, as `argocd app terminate-op` does: else the new
// sync would wait for the old one's next retry.
func (e *Env) Sync(ctx context.Context, name string) error {
	api := e.Dyn.Resource(Applications).Namespace(local.ArgoCDNamespace)
	a, err := api.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if _, running, _ := unstructured.NestedMap(a.Object, "operation"); running {
		term := []byte(`{"status":{"operationState":{"phase":"Terminating"}}}`)
		if _, err := api.Patch(ctx, name, types.MergePatchType, term, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("terminate the running operation of %s: %w", name, err)
		}
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for {
			a, err := api.Get(wait, name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("%s: the terminated operation did not end: %w", name, err)
			}
			if _, running, _ := unstructured.NestedMap(a.Object, "operation"); !running {
				break
			}
			select {
			case <-wait.Done():
				return fmt.Errorf("%s: the terminated operation did not end in 30 s (%s)", name, State(a))
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	patch := map[string]any{"operation": map[string]any{
		"initiatedBy": map[string]any{"username": "e2e"},
		"sync":        map[string]any{"syncStrategy": map[string]any{"hook": map[string]any{}}},
		"retry":       map[string]any{"limit": 2},
	}}
	b, _ := json.Marshal(patch)
	_, err = api.Patch(ctx, name, types.MergePatchType, b, metav1.PatchOptions{})
	return err
}

// Push commits everything in the lab copy and runs `git push hub-local`
// (the remote and credentials hub local up configured). It returns the
// commit and when the push finished.
func (e *Env) Push(t testing.TB, msg string) (string, time.Time) {
	t.Helper()
	Git(t, e.Root, "add", "-A")
	Git(t, e.Root, "commit", "-q", "-m", msg)
	sha := Git(t, e.Root, "rev-parse", "HEAD")
	Git(t, e.Root, "push", "-q", local.Remote)
	return sha, time.Now()
}

// Dump lists every Application with its state and conditions, for failure
// messages.
func (e *Env) Dump(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	apps, err := e.Apps(ctx, "")
	if err != nil {
		t.Logf("dump: %v", err)
		return
	}
	var b strings.Builder
	for i := range apps {
		a := &apps[i]
		fmt.Fprintf(&b, "\n  %-40s %s", a.GetName(), State(a))
		if hs, _, _ := unstructured.NestedSlice(a.Object, "status", "history"); len(hs) > 0 {
			var l []string
			for _, h := range hs {
				m, _ := h.(map[string]any)
				ib, _, _ := unstructured.NestedMap(m, "initiatedBy")
				l = append(l, fmt.Sprintf("%.8v at %v by %v", m["revision"], m["deployStartedAt"], ib))
			}
			fmt.Fprintf(&b, "\n      history: %s", strings.Join(l, "; "))
		}
		if ib, ok, _ := unstructured.NestedMap(a.Object, "status", "operationState", "operation", "initiatedBy"); ok {
			fmt.Fprintf(&b, "\n      operation initiated by %v, started %s", ib, Field(a, "status", "operationState", "startedAt"))
		}
		if rs := unsynced(a); rs != "" {
			fmt.Fprintf(&b, "\n      not synced: %s", rs)
		}
		for _, c := range Conditions(a) {
			fmt.Fprintf(&b, "\n      %.400s", c)
		}
	}
	t.Logf("Applications:%s", b.String())
}

// unsynced names an Application's resources that are not Synced.
func unsynced(a *unstructured.Unstructured) string {
	rs, _, _ := unstructured.NestedSlice(a.Object, "status", "resources")
	var out []string
	for _, r := range rs {
		m, _ := r.(map[string]any)
		if m["status"] != "Synced" {
			out = append(out, fmt.Sprintf("%v %v/%v %v", m["kind"], m["namespace"], m["name"], m["status"]))
		}
	}
	return strings.Join(out, ", ")
}
