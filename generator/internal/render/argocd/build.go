package argocd

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// RootProject is the AppProject of the root Application and the cluster's
// own objects (projects, ApplicationSets, repositories).
const RootProject = "lab"

// The root Application's sync waves: projects first (-3 the root's own,
// -2 the phases'), repository Secrets (-1), the lab's own Applications
// (policies, discovery: 0), and the ApplicationSets last. ArgoCD waits for
// every object of a wave to be healthy before it applies the next, and an
// ApplicationSet is healthy only once its RollingSync has finished, which
// for an experiment with a chart that cannot be fetched is never: in any
// earlier wave they would hold the root's sync operation open forever, and
// with it every later commit.
const (
	LabAppWave = "0"
	AppSetWave = "1"
)

const finalizer = "resources-finalizer.argocd.argoproj.io"

// ExperimentAppSet builds the ApplicationSet of one experiment on one
// cluster: one Application per component, plus one for its namespaces.
func ExperimentAppSet(lab *model.Lab, cl *model.Cluster, e *model.Experiment) *ApplicationSet {
	units := e.Units()
	minWave := 0
	for _, u := range units {
		if u.Component.SyncWave < minWave {
			minWave = u.Component.SyncWave
		}
	}
	nsWave := minWave - 1
	elements := []map[string]string{{
		"name":       e.AppName("", model.NamespacesComponent),
		"component":  model.NamespacesComponent,
		"variant":    model.SharedVariant,
		"namespace":  e.Name,
		"wave":       strconv.Itoa(nsWave),
		"source":     string(model.SourceDirectory),
		"repoURL":    lab.RepoURL,
		"chart":      "",
		"version":    lab.Revision,
		"path":       e.Dir(),
		"valuesFile": "",
	}}
	waves := map[int]bool{nsWave: true}
	for _, u := range units {
		waves[u.Component.SyncWave] = true
		elements = append(elements, unitElement(lab, u))
	}
	if e.Benchmark != nil {
		el, w := benchmarkElement(lab, e, waves)
		elements = append(elements, el)
		waves[w] = true
	}

	// missingkey=error: every element carries every key the templates use.
	for _, el := range elements {
		for _, k := range elementKeys {
			if _, ok := el[k]; !ok {
				el[k] = ""
			}
		}
	}

	tmplLabels := map[string]string{
		labels.Phase:      e.Phase,
		labels.Experiment: e.Name,
		labels.Variant:    "{{.variant}}",
		labels.Component:  "{{.component}}",
		labels.CostCenter: lab.CostCenterOf(e),
		labels.PartOf:     lab.Name,
		labels.SyncWave:   "w{{.wave}}",
	}
	factor := int64(2)
	as := &ApplicationSet{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "ApplicationSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        e.Name,
			Namespace:   lab.ArgoCDNamespace,
			Labels:      lab.CostLabels(e, "", ""),
			Annotations: map[string]string{labels.ArgoSyncWave: AppSetWave},
		},
		Spec: ApplicationSetSpec{
			GoTemplate:        true,
			GoTemplateOptions: []string{"missingkey=error"},
			Generators:        []Generator{{List: &ListGenerator{Elements: elements}}},
			SyncPolicy:        &AppSetSyncPolicy{PreserveResourcesOnDeletion: false},
			Template: ApplicationTemplate{
				Metadata: TemplateMeta{
					Name:        "{{.name}}",
					Namespace:   lab.ArgoCDNamespace,
					Labels:      tmplLabels,
					Annotations: map[string]string{labels.ArgoSyncWave: "{{.wave}}"},
					Finalizers:  []string{finalizer},
				},
				Spec: ApplicationSpec{
					Project:     e.Phase,
					Destination: Destination{Server: Literal(cl.Server), Namespace: "{{.namespace}}"},
					SyncPolicy: &SyncPolicy{
						Automated:   &Automated{Prune: true, SelfHeal: true},
						SyncOptions: []string{"CreateNamespace=true", "ServerSideApply=true", "RespectIgnoreDifferences=true"},
						Retry:       &Retry{Limit: 5, Backoff: &Backoff{Duration: "10s", Factor: &factor, MaxDuration: "3m"}},
					},
				},
			},
			TemplatePatch: sourcesPatch(lab),
		},
	}
	if len(waves) > 1 {
		as.Spec.Strategy = rollingSync(waves)
	}
	return as
}

// elementKeys are the keys the template and templatePatch read.
var elementKeys = []string{"name", "component", "variant", "namespace", "wave", "source",
	"repoURL", "chart", "version", "path", "valuesFile", "ignoreDifferences", "overrides"}

// unitElement is the list generator element of one unit's Application.
func unitElement(lab *model.Lab, u model.Unit) map[string]string {
	c := u.Component
	el := map[string]string{
		"name":       u.Name(),
		"component":  c.Name,
		"variant":    model.VariantLabel(u.Variant),
		"namespace":  u.Namespace,
		"wave":       strconv.Itoa(c.SyncWave),
		"valuesFile": u.ValuesFile(),
		"source":     string(u.Source()),
		"repoURL":    lab.RepoURL,
		"chart":      "",
		"version":    lab.Revision,
		"path":       c.Path,
	}
	switch u.Source() {
	case model.SourceRendered:
		el["path"] = u.RenderedDir()
	case model.SourceChart:
		el["repoURL"] = c.Chart.HelmRepoURL()
		el["chart"] = c.Chart.Name
		el["version"] = c.Chart.Version
		el["path"] = ""
	}
	if len(c.IgnoreDifferences) > 0 {
		el["ignoreDifferences"] = ignoreDifferencesJSON(c.IgnoreDifferences)
	}
	if len(c.Overrides) > 0 && !c.IsRendered() {
		el["overrides"] = OverridesDir(u)
	}
	return el
}

// OverridesFile is the file of a component's overrides in OverridesDir.
const OverridesFile = "overrides.yaml"

// OverridesDir is the folder of the objects that replace a chart's
// (Component.Overrides) for a chart ArgoCD renders: the unit's rendered
// folder, which such a unit does not otherwise use. It is the last source
// of the unit's Application, and ArgoCD keeps the last source's copy of
// an object that several sources produce.
func OverridesDir(u model.Unit) string { return u.RenderedDir() }

// ignoreDifferencesJSON encodes a component's ignoreDifferences as JSON,
// which the templatePatch inserts as a YAML flow value.
func ignoreDifferencesJSON(ids []model.IgnoreDifference) string {
	out := make([]IgnoreDifference, len(ids))
	for i, d := range ids {
		out[i] = IgnoreDifference{Group: d.Group, Kind: d.Kind, Name: d.Name, JSONPointers: d.JSONPointers, JQPathExpressions: d.JQPathExpressions}
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err) // strings and lists of strings always marshal
	}
	return string(b)
}

// WaveLabel is the value of the sync-wave label: label values must start
// with a letter or digit, and waves can be negative.
func WaveLabel(w int) string { return "w" + strconv.Itoa(w) }

// rollingSync syncs the Applications wave by wave: ArgoCD does not order
// the Applications of an ApplicationSet by sync-wave annotation, but its
// progressive syncs do, by label (see docs/adr/0003-*).
func rollingSync(waves map[int]bool) *ApplicationSetStrategy {
	ws := make([]int, 0, len(waves))
	for w := range waves {
		ws = append(ws, w)
	}
	sort.Ints(ws)
	steps := make([]RollingSyncStep, len(ws))
	for i, w := range ws {
		steps[i] = RollingSyncStep{MatchExpressions: []MatchExpression{{
			Key: labels.SyncWave, Operator: "In", Values: []string{WaveLabel(w)},
		}}}
	}
	return &ApplicationSetStrategy{Type: "RollingSync", RollingSync: &RollingSync{Steps: steps}}
}

// sourcesPatch sets each Application's sources by the element's source
// kind; a templatePatch is the one place an ApplicationSet's template can
// vary in shape. Helm charts are multi-source: the chart plus this
// repository as $values, so values stay reviewable in Git.
func sourcesPatch(lab *model.Lab) string {
	r := strings.NewReplacer("LAB_REPO", Literal(strconv.Quote(lab.RepoURL)), "LAB_REVISION", Literal(strconv.Quote(lab.Revision)))
	return r.Replace(`spec:
{{- if .ignoreDifferences }}
  ignoreDifferences: {{ .ignoreDifferences }}
{{- end }}
  sources:
{{- if eq .source "chart" }}
    - repoURL: {{ .repoURL | quote }}
      chart: {{ .chart | quote }}
      targetRevision: {{ .version | quote }}
      helm:
        releaseName: {{ .component | quote }}
        valueFiles:
          - {{ printf "$values/%s" .valuesFile | quote }}
    - repoURL: LAB_REPO
      targetRevision: LAB_REVISION
      ref: values
{{- else if eq .source "local-chart" }}
    - repoURL: LAB_REPO
      path: {{ .path | quote }}
      targetRevision: LAB_REVISION
      helm:
        releaseName: {{ .component | quote }}
        valueFiles:
          - {{ printf "$values/%s" .valuesFile | quote }}
    - repoURL: LAB_REPO
      targetRevision: LAB_REVISION
      ref: values
{{- if .overrides }}
    - repoURL: LAB_REPO
      path: {{ .overrides | quote }}
      targetRevision: LAB_REVISION
{{- end }}
{{- if .overrides }}
    - repoURL: LAB_REPO
      path: {{ .overrides | quote }}
      targetRevision: LAB_REVISION
{{- end }}
{{- else if eq .source "rendered" }}
    - repoURL: LAB_REPO
      path: {{ .path | quote }}
      targetRevision: LAB_REVISION
{{- else }}
    - repoURL: LAB_REPO
      path: {{ .path | quote }}
      targetRevision: LAB_REVISION
{{- end }}
`)
}

// Project builds the AppProject of a phase on a cluster: only the
// repositories and namespaces its switched-on experiments use.
func Project(lab *model.Lab, cl *model.Cluster, ph *model.Phase, exps []*model.Experiment) *AppProject {
	repos := map[string]bool{lab.RepoURL: true}
	nss := map[string]bool{}
	for _, e := range exps {
		for _, u := range e.Units() {
			if u.Component.Chart != nil {
				repos[u.Component.Chart.HelmRepoURL()] = true
			}
		}
		for _, ns := range e.Namespaces() {
			nss[ns] = true
		}
	}
	dests := make([]Destination, 0, len(nss))
	for _, ns := range slices.Sorted(maps.Keys(nss)) {
		dests = append(dests, Destination{Server: cl.Server, Namespace: ns})
	}
	return &AppProject{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "AppProject"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        ph.Name,
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.Phase: ph.Name, labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: "-2"},
		},
		Spec: AppProjectSpec{
			Description:  "Phase " + strconv.Itoa(ph.Number) + ": " + ph.Title,
			SourceRepos:  slices.Sorted(maps.Keys(repos)),
			Destinations: dests,
			// Operators install CRDs, webhooks and cluster roles.
			ClusterResourceWhitelist: []GroupKind{{Group: "*", Kind: "*"}},
			OrphanedResources:        &OrphanedConfig{Warn: true},
		},
	}
}

// RootProjectFor is the AppProject of the root Application: this
// repository into ArgoCD's own namespace.
func RootProjectFor(lab *model.Lab, cl *model.Cluster) *AppProject {
	return &AppProject{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "AppProject"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        RootProject,
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: "-3"},
		},
		Spec: AppProjectSpec{
			Description:  "The lab's own objects on cluster " + cl.Name + ": projects, ApplicationSets, repositories",
			SourceRepos:  []string{lab.RepoURL},
			Destinations: []Destination{{Server: cl.Server, Namespace: lab.ArgoCDNamespace}},
			// The lab's Kyverno policies are cluster-scoped.
			ClusterResourceWhitelist: []GroupKind{
				{Group: "policies.kyverno.io", Kind: "ValidatingPolicy"},
				{Group: "policies.kyverno.io", Kind: "ImageValidatingPolicy"},
			},
			NamespaceResourceWhitelist: []GroupKind{
				{Group: "argoproj.io", Kind: "AppProject"},
				{Group: "argoproj.io", Kind: "ApplicationSet"},
				{Group: "argoproj.io", Kind: "Application"},
				{Group: "", Kind: "Secret"},
			},
		},
	}
}

// BootstrapDir is the folder, under clusters/<cluster>/, of what task
// hub:bootstrap reads before ArgoCD runs (the kind configuration, the
// CNI's install): not objects for ArgoCD, so the root Application leaves
// it out.
const BootstrapDir = "bootstrap"

// RootApp is the cluster's app of apps: it syncs clusters/<cluster>/,
// without its bootstrap folder.
func RootApp(lab *model.Lab, cl *model.Cluster) *Application {
	return &Application{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{
			Name:       "lab-" + cl.Name,
			Namespace:  lab.ArgoCDNamespace,
			Labels:     map[string]string{labels.PartOf: lab.Name},
			Finalizers: []string{finalizer},
		},
		Spec: ApplicationSpec{
			Project: RootProject,
			Source: &Source{
				RepoURL:        lab.RepoURL,
				Path:           "clusters/" + cl.Name,
				TargetRevision: lab.Revision,
				Directory:      &Directory{Recurse: true, Exclude: BootstrapDir + "/*"},
			},
			Destination: Destination{Server: cl.Server, Namespace: lab.ArgoCDNamespace},
			SyncPolicy: &SyncPolicy{
				Automated:   &Automated{Prune: true, SelfHeal: true},
				SyncOptions: []string{"ServerSideApply=true"},
			},
		},
	}
}

// PoliciesApp syncs the lab's Kyverno policies (policies/*.yaml; their CLI
// tests in subfolders stay out: a plain directory source does not recurse).
// No `directory: {}`: ArgoCD drops empty source options from the live
// Application when it diffs, so the root would see it OutOfSync. Kyverno comes with the platform
// experiment: until its CRDs exist the dry run is skipped and the sync
// retried.
func PoliciesApp(lab *model.Lab, cl *model.Cluster) *Application {
	factor := int64(2)
	return &Application{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        "lab-policies",
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: LabAppWave},
			Finalizers:  []string{finalizer},
		},
		Spec: ApplicationSpec{
			Project: RootProject,
			Source: &Source{
				RepoURL:        lab.RepoURL,
				Path:           "policies",
				TargetRevision: lab.Revision,
			},
			Destination: Destination{Server: cl.Server, Namespace: lab.ArgoCDNamespace},
			SyncPolicy: &SyncPolicy{
				Automated:   &Automated{Prune: true, SelfHeal: true},
				SyncOptions: []string{"ServerSideApply=true", "SkipDryRunOnMissingResource=true"},
				Retry:       &Retry{Limit: 10, Backoff: &Backoff{Duration: "30s", Factor: &factor, MaxDuration: "5m"}},
			},
		},
	}
}

// DiscoveryProjectName is the AppProject of the discovery Application.
const DiscoveryProjectName = "lab-discovery"

// DiscoveryProject admits exactly what the discovery CronWorkflow needs in
// its namespace: the workflow, its ServiceAccount, Role and RoleBinding and
// the cache volume claim, from this repository.
func DiscoveryProject(lab *model.Lab, cl *model.Cluster) *AppProject {
	return &AppProject{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "AppProject"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        DiscoveryProjectName,
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: "-2"},
		},
		Spec: AppProjectSpec{
			Description:  "The lab's technology discovery (a weekly Argo Workflows CronWorkflow) on cluster " + cl.Name,
			SourceRepos:  []string{lab.RepoURL},
			Destinations: []Destination{{Server: cl.Server, Namespace: lab.Discovery.Namespace}},
			// CreateNamespace makes the namespace when the platform has not
			// yet: ArgoCD checks the Namespace kind against the project.
			ClusterResourceWhitelist: []GroupKind{{Group: "", Kind: "Namespace"}},
			NamespaceResourceWhitelist: []GroupKind{
				{Group: "", Kind: "ServiceAccount"},
				{Group: "", Kind: "PersistentVolumeClaim"},
				{Group: "rbac.authorization.k8s.io", Kind: "Role"},
				{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
				{Group: "argoproj.io", Kind: "CronWorkflow"},
			},
		},
	}
}

// DiscoveryApp syncs the discovery objects (dir) into their namespace. The
// CronWorkflow's CRD comes with Argo Workflows from the platform
// experiment: until it is served its dry run is skipped and the sync
// retried, without limit, backing off to five minutes.
func DiscoveryApp(lab *model.Lab, cl *model.Cluster, dir string) *Application {
	factor := int64(2)
	return &Application{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        "lab-discovery",
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: LabAppWave},
			Finalizers:  []string{finalizer},
		},
		Spec: ApplicationSpec{
			Project: DiscoveryProjectName,
			Source: &Source{
				RepoURL:        lab.RepoURL,
				Path:           strings.TrimSuffix(dir, "/"),
				TargetRevision: lab.Revision,
			},
			Destination: Destination{Server: cl.Server, Namespace: lab.Discovery.Namespace},
			SyncPolicy: &SyncPolicy{
				Automated:   &Automated{Prune: true, SelfHeal: true},
				SyncOptions: []string{"CreateNamespace=true", "ServerSideApply=true", "SkipDryRunOnMissingResource=true"},
				Retry:       &Retry{Limit: -1, Backoff: &Backoff{Duration: "30s", Factor: &factor, MaxDuration: "5m"}},
			},
		},
	}
}

// Literal makes s text that ArgoCD's Go templates (template and
// templatePatch) print as is: template delimiters in a user's string are
// written as actions printing them, never executed. The schema refuses
// braces in the strings the lab places there; this keeps a string that
// slipped through inert.
func Literal(s string) string {
	if !strings.Contains(s, "{{") && !strings.Contains(s, "}}") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && (s[i:i+2] == "{{" || s[i:i+2] == "}}") {
			b.WriteString(`{{"` + s[i:i+2] + `"}}`)
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
