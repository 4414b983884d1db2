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

// NamespacesComponent is the reserved component name of the Application
// that syncs an experiment's namespaces (apps/<phase>/<experiment>/).
const NamespacesComponent = "namespaces"

// RootProject is the AppProject of the root Application and the cluster's
// own objects (projects, ApplicationSets, repositories).
const RootProject = "lab"

const finalizer = "resources-finalizer.argocd.argoproj.io"

// Unit is one deployable unit of an experiment: a component of the
// experiment (Variant "") or of one of its variants.
type Unit struct {
	Variant   string
	Component *model.Component
	Namespace string
}

// Units lists an experiment's components in a stable order: shared ones
// first, then each variant's, each sorted by name.
func Units(e *model.Experiment) []Unit {
	var us []Unit
	for _, cn := range slices.Sorted(maps.Keys(e.Components)) {
		c := e.Components[cn]
		us = append(us, Unit{Component: c, Namespace: e.Namespace("", c)})
	}
	for _, vn := range slices.Sorted(maps.Keys(e.Variants)) {
		v := e.Variants[vn]
		for _, cn := range slices.Sorted(maps.Keys(v.Components)) {
			c := v.Components[cn]
			us = append(us, Unit{Variant: vn, Component: c, Namespace: e.Namespace(vn, c)})
		}
	}
	return us
}

// AppName is the name of the Application of a unit.
func AppName(e *model.Experiment, variant, component string) string {
	if variant == "" {
		return e.Name + "-" + component
	}
	return e.Name + "-" + variant + "-" + component
}

// ValuesFile is the repo-relative values file of a unit.
func ValuesFile(e *model.Experiment, variant, component string) string {
	dir := "apps/" + e.Phase + "/" + e.Name + "/values/"
	if variant != "" {
		dir += variant + "/"
	}
	return dir + component + ".yaml"
}

// RenderedDir is the repo-relative folder of a rendered component's
// manifests and kustomization (docs/adr/0008-rendered-manifests.md).
func RenderedDir(e *model.Experiment, variant, component string) string {
	if variant == "" {
		return ExperimentDir(e) + "/" + component
	}
	return ExperimentDir(e) + "/" + variant + "/" + component
}

// ExperimentDir is the repo-relative folder of an experiment's rendered files.
func ExperimentDir(e *model.Experiment) string {
	return "apps/" + e.Phase + "/" + e.Name
}

// Namespaces lists every namespace an experiment deploys to, sorted.
func Namespaces(e *model.Experiment) []string {
	set := map[string]bool{e.Name: true}
	for vn := range e.Variants {
		set[e.VariantNamespace(vn)] = true
	}
	for _, u := range Units(e) {
		set[u.Namespace] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// CostLabels are the FinOps cost-allocation labels of an experiment's
// objects; variant and component are left out when empty.
func CostLabels(lab *model.Lab, e *model.Experiment, variant, component string) map[string]string {
	l := map[string]string{
		labels.Phase:      e.Phase,
		labels.Experiment: e.Name,
		labels.CostCenter: costCenter(lab, e),
		labels.PartOf:     lab.Name,
	}
	if variant != "" {
		l[labels.Variant] = variant
	}
	if component != "" {
		l[labels.Component] = component
	}
	return l
}

func costCenter(lab *model.Lab, e *model.Experiment) string {
	if e.CostCenter != "" {
		return e.CostCenter
	}
	return lab.CostCenter
}

// Chart source kinds in the list generator's elements.
const (
	sourceChart      = "chart"       // a chart from a Helm repository
	sourceLocalChart = "local-chart" // a chart in this repository
	sourceDirectory  = "directory"   // manifests or a kustomization in this repository
	sourceRendered   = "rendered"    // a chart rendered by the generator into this repository
)

// ExperimentAppSet builds the ApplicationSet of one experiment on one
// cluster: one Application per component, plus one for its namespaces.
// isChart tells whether a local path holds a Helm chart.
func ExperimentAppSet(lab *model.Lab, cl *model.Cluster, e *model.Experiment, isChart func(path string) bool) *ApplicationSet {
	units := Units(e)
	minWave := 0
	for _, u := range units {
		if u.Component.SyncWave < minWave {
			minWave = u.Component.SyncWave
		}
	}
	nsWave := minWave - 1
	elements := []map[string]string{{
		"name":       AppName(e, "", NamespacesComponent),
		"component":  NamespacesComponent,
		"variant":    labels.Shared,
		"namespace":  e.Name,
		"wave":       strconv.Itoa(nsWave),
		"source":     sourceDirectory,
		"repoURL":    lab.RepoURL,
		"chart":      "",
		"version":    lab.Revision,
		"path":       ExperimentDir(e),
		"valuesFile": "",
	}}
	waves := map[int]bool{nsWave: true}
	for _, u := range units {
		c := u.Component
		el := map[string]string{
			"name":       AppName(e, u.Variant, c.Name),
			"component":  c.Name,
			"variant":    orShared(u.Variant),
			"namespace":  u.Namespace,
			"wave":       strconv.Itoa(c.SyncWave),
			"valuesFile": ValuesFile(e, u.Variant, c.Name),
		}
		waves[c.SyncWave] = true
		switch {
		case c.IsRendered(c.Path != "" && isChart(c.Path)):
			el["source"] = sourceRendered
			el["repoURL"] = lab.RepoURL
			el["chart"] = ""
			el["version"] = lab.Revision
			el["path"] = RenderedDir(e, u.Variant, c.Name)
		case c.Chart != nil:
			el["source"] = sourceChart
			el["repoURL"] = HelmRepoURL(c.Chart.Repository)
			el["chart"] = c.Chart.Name
			el["version"] = c.Chart.Version
			el["path"] = ""
		default:
			el["source"] = sourceDirectory
			if isChart(c.Path) {
				el["source"] = sourceLocalChart
			}
			el["repoURL"] = lab.RepoURL
			el["chart"] = ""
			el["version"] = lab.Revision
			el["path"] = c.Path
		}
		if len(c.IgnoreDifferences) > 0 {
			el["ignoreDifferences"] = ignoreDifferencesJSON(c.IgnoreDifferences)
		}
		elements = append(elements, el)
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
		labels.CostCenter: costCenter(lab, e),
		labels.PartOf:     lab.Name,
		labels.SyncWave:   "w{{.wave}}",
	}
	factor := int64(2)
	as := &ApplicationSet{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "ApplicationSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      e.Name,
			Namespace: lab.ArgoCDNamespace,
			Labels:    CostLabels(lab, e, "", ""),
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
					Destination: Destination{Server: cl.Server, Namespace: "{{.namespace}}"},
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
	"repoURL", "chart", "version", "path", "valuesFile", "ignoreDifferences"}

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
	r := strings.NewReplacer("LAB_REPO", strconv.Quote(lab.RepoURL), "LAB_REVISION", strconv.Quote(lab.Revision))
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

// HelmRepoURL is a chart repository as ArgoCD spells it: OCI registries
// without their scheme (and enabled by a repository Secret).
func HelmRepoURL(repo string) string {
	return strings.TrimPrefix(repo, "oci://")
}

// IsOCI tells whether a chart repository is an OCI registry.
func IsOCI(repo string) bool { return strings.HasPrefix(repo, "oci://") }

// Project builds the AppProject of a phase on a cluster: only the
// repositories and namespaces its switched-on experiments use.
func Project(lab *model.Lab, cl *model.Cluster, ph *model.Phase, exps []*model.Experiment) *AppProject {
	repos := map[string]bool{lab.RepoURL: true}
	nss := map[string]bool{}
	for _, e := range exps {
		for _, u := range Units(e) {
			if u.Component.Chart != nil {
				repos[HelmRepoURL(u.Component.Chart.Repository)] = true
			}
		}
		for _, ns := range Namespaces(e) {
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

// RootApp is the cluster's app of apps: it syncs clusters/<cluster>/.
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
				Directory:      &Directory{Recurse: true},
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
// tests in subfolders stay out). Kyverno comes with the platform
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
			Annotations: map[string]string{labels.ArgoSyncWave: "1"},
			Finalizers:  []string{finalizer},
		},
		Spec: ApplicationSpec{
			Project: RootProject,
			Source: &Source{
				RepoURL:        lab.RepoURL,
				Path:           "policies",
				TargetRevision: lab.Revision,
				Directory:      &Directory{Recurse: false},
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

func orShared(v string) string {
	if v == "" {
		return labels.Shared
	}
	return v
}
