package argocd

import (
	"maps"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// SharedAppSetName names the ApplicationSet of a cluster's shared sets.
const SharedAppSetName = "lab-shared"

// SharedProject is the AppProject of the shared sets' Applications.
const SharedProject = model.SharedPhase

// SharedAppSet builds the ApplicationSet of the shared sets a cluster
// runs (model.Lab.SharedOn): per set an Application for its namespace and
// one per component, synced wave by wave. The root Application creates it
// before the experiments' ApplicationSets (sync wave -1), and it goes
// with the last experiment that needs a set: the Application of a set no
// longer listed is pruned with what it deployed.
func SharedAppSet(lab *model.Lab, cl *model.Cluster, sets []*model.Shared) *ApplicationSet {
	minWave := 0
	for _, sh := range sets {
		for _, u := range sh.Units() {
			minWave = min(minWave, u.Component.SyncWave)
		}
	}
	nsWave := minWave - 1
	waves := map[int]bool{nsWave: true}
	var elements []map[string]string
	for _, sh := range sets {
		elements = append(elements, map[string]string{
			"name":       sh.AppName(model.NamespacesComponent),
			"set":        sh.Name,
			"component":  model.NamespacesComponent,
			"variant":    model.SharedVariant,
			"namespace":  sh.Namespace,
			"wave":       strconv.Itoa(nsWave),
			"source":     string(model.SourceDirectory),
			"repoURL":    lab.RepoURL,
			"version":    lab.Revision,
			"path":       sh.Dir(),
			"chart":      "",
			"valuesFile": "",
		})
		for _, u := range sh.Units() {
			el := unitElement(lab, u)
			el["set"] = sh.Name
			elements = append(elements, el)
			waves[u.Component.SyncWave] = true
		}
	}
	for _, el := range elements {
		for _, k := range elementKeys {
			if _, ok := el[k]; !ok {
				el[k] = ""
			}
		}
	}
	factor := int64(2)
	as := &ApplicationSet{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "ApplicationSet"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        SharedAppSetName,
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.Phase: model.SharedPhase, labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: "-1"},
		},
		Spec: ApplicationSetSpec{
			GoTemplate:        true,
			GoTemplateOptions: []string{"missingkey=error"},
			Generators:        []Generator{{List: &ListGenerator{Elements: elements}}},
			SyncPolicy:        &AppSetSyncPolicy{PreserveResourcesOnDeletion: false},
			Template: ApplicationTemplate{
				Metadata: TemplateMeta{
					Name:      "{{.name}}",
					Namespace: lab.ArgoCDNamespace,
					Labels: map[string]string{
						labels.Phase:      model.SharedPhase,
						labels.SharedSet:  "{{.set}}",
						labels.Component:  "{{.component}}",
						labels.CostCenter: lab.CostCenter,
						labels.PartOf:     lab.Name,
						labels.SyncWave:   "w{{.wave}}",
					},
					Annotations: map[string]string{labels.ArgoSyncWave: "{{.wave}}"},
					Finalizers:  []string{finalizer},
				},
				Spec: ApplicationSpec{
					Project:     SharedProject,
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

// SharedProjectFor is the AppProject of a cluster's shared sets: their
// repositories and namespaces.
func SharedProjectFor(lab *model.Lab, cl *model.Cluster, sets []*model.Shared) *AppProject {
	repos := map[string]bool{lab.RepoURL: true}
	nss := map[string]bool{}
	for _, sh := range sets {
		nss[sh.Namespace] = true
		for _, u := range sh.Units() {
			if c := u.Component.Chart; c != nil {
				repos[c.HelmRepoURL()] = true
			}
		}
	}
	dests := make([]Destination, 0, len(nss))
	for _, ns := range slices.Sorted(maps.Keys(nss)) {
		dests = append(dests, Destination{Server: cl.Server, Namespace: ns})
	}
	return &AppProject{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "AppProject"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        SharedProject,
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.Phase: model.SharedPhase, labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: "-2"},
		},
		Spec: AppProjectSpec{
			Description:  "Shared components on cluster " + cl.Name + ": one copy each, while a conducted experiment requires it",
			SourceRepos:  slices.Sorted(maps.Keys(repos)),
			Destinations: dests,
			// Operators install CRDs, webhooks and cluster roles.
			ClusterResourceWhitelist: []GroupKind{{Group: "*", Kind: "*"}},
			OrphanedResources:        &OrphanedConfig{Warn: true},
		},
	}
}
