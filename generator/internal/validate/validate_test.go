package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/validate/crds"
)

const app = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: lab
  destination: {server: "https://kubernetes.default.svc", namespace: web}
  source: {repoURL: "https://git.example.test/lab.git", path: apps/web}
`

const appSet = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - {name: web-a, wave: "1"}
  template:
    metadata:
      name: '{{.name}}'
      labels: {wave: 'w{{.wave}}'}
    spec:
      project: lab
      destination: {server: "https://kubernetes.default.svc", namespace: '{{.name}}'}
  templatePatch: |
    spec:
      source:
        repoURL: {{ "https://git.example.test/lab.git" | quote }}
        path: {{ printf "apps/%s" .name | quote }}
`

func TestObjects(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // substrings, one per expected error, in order; none: valid
	}{
		{name: "application", doc: app},
		{name: "application wrong type",
			doc:  app + "  syncPolicy: {automated: {prune: \"string\"}}\n",
			want: []string{`x.yaml: Application argocd/web: spec.syncPolicy.automated.prune: Invalid value: "string": spec.syncPolicy.automated.prune in body must be of type boolean: "string"`}},
		{name: "application unknown field",
			doc:  app + "  syncPolicy: {retries: 5}\n",
			want: []string{`Application argocd/web: spec.syncPolicy.retries: Forbidden: unknown field`}},
		{name: "application unknown metadata field",
			doc:  strings.Replace(app, "  name: web\n", "  name: web\n  nmae: x\n", 1),
			want: []string{`metadata.nmae: Forbidden: unknown field`}},
		{name: "application missing required",
			doc:  strings.Replace(app, "  destination: {server: \"https://kubernetes.default.svc\", namespace: web}\n", "", 1),
			want: []string{`spec.destination: Required value`}},
		{name: "application bad name",
			doc:  strings.Replace(app, "name: web", "name: Web_1", 1),
			want: []string{`Application argocd/Web_1: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain`}},
		{name: "duplicate key",
			doc:  app + "  project: other\n",
			want: []string{`not valid YAML`}},
		{name: "not an object", doc: "- a\n- b\n", want: []string{"not a YAML mapping"}},
		{name: "no kind", doc: "apiVersion: v1\nmetadata: {name: x}\n", want: []string{"apiVersion: Required value"}},
		{name: "unknown kind",
			doc:  "apiVersion: example.test/v1\nkind: Widget\nmetadata: {name: w}\n",
			want: []string{`Widget w: kind: Invalid value: "Widget": no schema for example.test/v1`}},
		{name: "unserved version",
			doc:  strings.Replace(app, "v1alpha1", "v1", 1),
			want: []string{`no schema for argoproj.io/v1`}},
		{name: "namespace", doc: "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {a: b}}\n"},
		{name: "namespace is a DNS label",
			doc:  "apiVersion: v1\nkind: Namespace\nmetadata: {name: web.x}\n",
			want: []string{`Namespace web.x: metadata.name: Invalid value: "web.x": must not contain dots`}},
		{name: "bad label value",
			doc:  "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {wave: \"-1\"}}\n",
			want: []string{`metadata.labels: Invalid value: "-1"`}},
		{name: "bad label key",
			doc:  "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {\"a/b/c\": x}}\n",
			want: []string{`metadata.labels: Invalid value: "a/b/c"`}},
		{name: "annotations too large",
			doc:  "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, annotations: {a: " + strings.Repeat("x", 256*1024) + "}}\n",
			want: []string{`metadata.annotations: Too long`}},
		{name: "configmap wrong type",
			doc:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\ndata: {replicas: 3}\n",
			want: []string{`ConfigMap ns/c: data: Invalid value: "number": must be of type string`}},
		{name: "configmap unknown field",
			doc:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\nspec: {}\n",
			want: []string{`ConfigMap ns/c: spec: Forbidden: unknown field`}},
		{name: "configmap bad key",
			doc:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {\"a b\": x}\n",
			want: []string{`data[a b]: Invalid value: "a b"`}},
		{name: "secret tls needs keys",
			doc:  "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\ntype: kubernetes.io/tls\nstringData: {tls.crt: x}\n",
			want: []string{`data[tls.key]: Required value`}},
		{name: "secret stringData counts",
			doc: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\ntype: kubernetes.io/tls\nstringData: {tls.crt: c, tls.key: k}\n"},
		{name: "rbac role name is a path segment",
			doc: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: \"trust-manager:leaderelection\", namespace: ns}\n"},
		{name: "rbac binding and its roleRef are path segments",
			doc: "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: \"trust-manager:leaderelection\", namespace: ns}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: \"trust-manager:leaderelection\"}\nsubjects: [{kind: ServiceAccount, name: trust-manager, namespace: ns}]\n"},
		{name: "rbac cluster binding to a system role",
			doc: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: \"lab:auth-delegator\"}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"system:auth-delegator\"}\nsubjects: [{kind: ServiceAccount, name: lab, namespace: ns}]\n"},
		{name: "rbac roleRef may not hold a slash",
			doc:  "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: \"a/b\"}\nsubjects: [{kind: ServiceAccount, name: x, namespace: ns}]\n",
			want: []string{`RoleBinding ns/b: roleRef.name: Invalid value: "a/b": may not contain '/'`}},
		{name: "rbac name may not hold a slash",
			doc:  "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: \"a/b\"}\n",
			want: []string{`ClusterRole a/b: metadata.name: Invalid value: "a/b": may not contain '/'`}},
		{name: "service name is DNS-1035",
			doc:  "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}\n",
			want: []string{`metadata.name: Invalid value: "1web": a DNS-1035 label`}},
		{name: "job",
			doc: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: k6, image: grafana/k6:1.4.2}]\n"},
		{name: "job restart policy",
			doc:  "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers: [{name: k6, image: grafana/k6:1.4.2}]\n",
			want: []string{`spec.template.spec.restartPolicy: Unsupported value: "Always"`}},
		{name: "job name longer than a label value",
			doc:  "apiVersion: batch/v1\nkind: Job\nmetadata: {name: " + strings.Repeat("j", 64) + "}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: k6, image: i}]\n",
			want: []string{`spec.template.metadata.labels[batch.kubernetes.io/job-name]: Invalid value`}},
		{name: "job container problems",
			doc: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: k6\n        image: i\n        ports: [{containerPort: 70000}]\n        volumeMounts: [{name: missing, mountPath: /x}]\n        resources: {requests: {cpu: \"2\"}, limits: {cpu: \"1\"}}\n",
			want: []string{
				`spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000`,
				`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "missing"`,
				`spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`}},
		{name: "deployment selector must match",
			doc:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c, image: i}]}\n",
			want: []string{"spec.template.metadata.labels: Invalid value"}},
		{name: "pod needs an image",
			doc:  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n",
			want: []string{"spec.containers[0].image: Required value"}},
		{name: "privileged without escalation",
			doc:  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i, securityContext: {privileged: true, allowPrivilegeEscalation: false}}]}\n",
			want: []string{"spec.containers[0].securityContext: Invalid value: \"\": cannot set `allowPrivilegeEscalation` to false and `privileged` to true"}},
		{name: "CEL rule",
			doc:  "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c, namespace: ns}\nspec:\n  schedules: [\"0 3 * * *\"]\n  workflowSpec:\n    templates:\n    - name: main\n      dag:\n        tasks:\n        - {name: a, template: s}\n        - {name: b, template: s, depends: a, dependencies: [a]}\n",
			want: []string{`spec.workflowSpec.templates[0].dag.tasks[1]: Invalid value: cannot use both 'depends' and 'dependencies'`}},
		{name: "kyverno CLI input is skipped", doc: "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\nbogus: 1\n"},
		{name: "application set", doc: appSet},
		{name: "application set generates an invalid Application",
			doc:  strings.Replace(appSet, "'w{{.wave}}'", "'-{{.wave}}'", 1),
			want: []string{"x.yaml: ApplicationSet argocd/web spec.generators[0].list.elements[0] -> Application argocd/web-a: metadata.labels: Invalid value: \"-1\""}},
		{name: "application set missing key",
			doc:  strings.Replace(appSet, "{{.wave}}", "{{.waves}}", 1),
			want: []string{`-> Application: spec.template.metadata.labels.wave: Invalid value: "w{{.waves}}": template: :1:3: executing "" at <.waves>: map has no entry for key "waves"`}},
		{name: "application set patch adds an unknown field",
			doc:  strings.Replace(appSet, "        path:", "        paht:", 1),
			want: []string{`-> Application argocd/web-a: spec.source.paht: Forbidden: unknown field`}},
		{name: "application set patch is not YAML",
			doc:  appSet + "    bad: [unclosed\n",
			want: []string{`spec.templatePatch: Invalid value`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Objects([]Object{{File: "x.yaml", Doc: 1, Data: []byte(tt.doc)}})
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("error %d = %s\nwant it to contain %s", i, got[i], w)
				}
			}
		})
	}
}

// TestExpandApplicationSet checks the Application ArgoCD would create from an element: the
// template rendered, the patch merged (maps merged, lists replaced), project kept.
func TestExpandApplicationSet(t *testing.T) {
	m := mustMap(t, strings.Replace(appSet, "      project: lab\n", "      project: lab\n      syncPolicy: {syncOptions: [A=true]}\n", 1)+"      project: hijacked\n      syncPolicy: {syncOptions: [B=true]}\n")
	gens := ExpandApplicationSet(m)
	if len(gens) != 1 || gens[0].Err != nil {
		t.Fatalf("want one Application, got %+v", gens)
	}
	a := gens[0].Object
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"apiVersion"}, "argoproj.io/v1alpha1"},
		{[]string{"kind"}, "Application"},
		{[]string{"metadata", "name"}, "web-a"},
		{[]string{"metadata", "namespace"}, "argocd"},
		{[]string{"metadata", "labels", "wave"}, "w1"},
		{[]string{"spec", "project"}, "lab"},
		{[]string{"spec", "destination", "namespace"}, "web-a"},
		{[]string{"spec", "source", "path"}, "apps/web-a"},
		{[]string{"spec", "source", "repoURL"}, "https://git.example.test/lab.git"},
	} {
		if got := nested(a, c.path...); got != c.want {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	opts, _ := nested(a, "spec", "syncPolicy", "syncOptions").([]any)
	if len(opts) != 1 || opts[0] != "B=true" {
		t.Errorf("syncOptions = %v, want the patch's list to replace the template's: [B=true]", opts)
	}
	if m["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["name"] != "{{.name}}" {
		t.Error("ExpandApplicationSet changed its input")
	}
}

func mustMap(t *testing.T, doc string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := yamlUnmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRole(t *testing.T) {
	for p, want := range map[string]string{
		"apps/traffic/web/kustomization.yaml":          SkipKustomization,
		"benchmarks/web/kustomization.yaml":            SkipKustomization,
		"apps/traffic/web/values/nginx.yaml":           SkipHelmValues,
		"apps/traffic/web/values/variant-a/nginx.yaml": SkipHelmValues,
		"apps/traffic/web/namespaces.yaml":             "",
		"apps/values/x/y.yaml":                         "",
		"clusters/hub/root.yaml":                       "",
		"policies/p/kyverno-test.yaml":                 "",
	} {
		if got := Role(p); got != want {
			t.Errorf("Role(%s) = %q, want %q", p, got, want)
		}
	}
}

func TestTreeAndSummary(t *testing.T) {
	tr := tree.New()
	add := func(p, body string) {
		if err := tr.Add(p, "phases/x.cue", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add("apps/p/web/namespaces.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: B}\n")
	add("apps/p/web/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [namespaces.yaml]\n")
	add("apps/p/web/values/nginx.yaml", "replicaCount: 1\n")
	add("clusters/hub/root.yaml", app)
	add("clusters/hub/experiments/web.yaml", appSet)
	r := Default().Tree(tr)
	if len(r.Errors) != 1 || r.Errors[0].Error() != `apps/p/web/namespaces.yaml (document 2): Namespace B: metadata.name: Invalid value: "B": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')` {
		t.Fatalf("errors: %v", r.Errors)
	}
	want := "4 objects valid: 1 Application (argoproj.io), 1 Application (argoproj.io, generated), 1 ApplicationSet (argoproj.io), 1 Namespace (core); 2 documents skipped (not cluster objects)"
	if got := r.Summary(); got != want {
		t.Errorf("summary:\n got %s\nwant %s", got, want)
	}
}

func TestDisk(t *testing.T) {
	root := t.TempDir()
	write := func(p, body string) {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Default().Disk(root); err == nil || !strings.Contains(err.Error(), "run `go run ./generator render` first") {
		t.Fatalf("no manifest: err = %v", err)
	}
	write(".render-manifest", "# files\nclusters/hub/root.yaml\napps/p/e/kustomization.yaml\n")
	write("clusters/hub/root.yaml", strings.Replace(app, "project: lab", "project: 3", 1))
	write("clusters/hub/hand-written.yaml", "not: [an object\n") // not listed: not checked
	r, err := Default().Disk(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Error(), `clusters/hub/root.yaml: Application argocd/web: spec.project: Invalid value: "integer": spec.project in body must be of type string: "integer"`) {
		t.Fatalf("errors: %v", r.Errors)
	}
	if r.Skipped[SkipKustomization] != 1 {
		t.Errorf("skipped: %v", r.Skipped)
	}
}

func yamlUnmarshal(b []byte, m *map[string]any) error {
	docs, err := SplitDocuments(b)
	if err != nil || len(docs) != 1 {
		return err
	}
	js, err := yaml.YAMLToJSON(docs[0])
	if err != nil {
		return err
	}
	return kjson.UnmarshalCaseSensitivePreserveInts(js, m)
}

// TestEmbeddedIndex checks that the lazy index of the vendored CRD files finds every served
// kind and version that decoding them all would.
func TestEmbeddedIndex(t *testing.T) {
	all, err := crds.All()
	if err != nil {
		t.Fatal(err)
	}
	v, err := embedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.lazy) == 0 {
		t.Fatal("no CRD file indexed for lazy decoding")
	}
	n := 0
	for _, c := range all {
		for _, ver := range c.Spec.Versions {
			gvk := schema.GroupVersionKind{Group: c.Spec.Group, Version: ver.Name, Kind: c.Spec.Names.Kind}
			def, err := v.crd(gvk)
			if err != nil {
				t.Fatal(err)
			}
			if !ver.Served {
				if def != nil {
					t.Errorf("%s is not served but known", gvk)
				}
				continue
			}
			n++
			if def == nil || def.crd.Name != c.Name {
				t.Errorf("%s: got %v, want CRD %s", gvk, def, c.Name)
			}
		}
	}
	if len(v.defs) != n {
		t.Errorf("lazy index knows %d kinds and versions, decoding all gives %d", len(v.defs), n)
	}
}
