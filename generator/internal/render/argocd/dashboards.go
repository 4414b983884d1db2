package argocd

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
)

// DirectoryApp syncs the files of one folder of the lab's repository that
// match include into namespace, in project. Its objects' CRDs may come
// later (the PrometheusRule CRD comes with kube-prometheus-stack): until
// then the dry run is skipped and the sync retried.
func DirectoryApp(lab *model.Lab, cl *model.Cluster, name, project, namespace, path string, include []string) *Application {
	factor := int64(2)
	return &Application{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   lab.ArgoCDNamespace,
			Labels:      map[string]string{labels.PartOf: lab.Name},
			Annotations: map[string]string{labels.ArgoSyncWave: "1"},
			Finalizers:  []string{finalizer},
		},
		Spec: ApplicationSpec{
			Project: project,
			Source: &Source{
				RepoURL:        lab.RepoURL,
				Path:           path,
				TargetRevision: lab.Revision,
				Directory:      &Directory{Recurse: true, Include: "{" + strings.Join(include, ",") + "}"},
			},
			Destination: Destination{Server: cl.Server, Namespace: namespace},
			SyncPolicy: &SyncPolicy{
				Automated:   &Automated{Prune: true, SelfHeal: true},
				SyncOptions: []string{"ServerSideApply=true", "SkipDryRunOnMissingResource=true"},
				Retry:       &Retry{Limit: 10, Backoff: &Backoff{Duration: "30s", Factor: &factor, MaxDuration: "5m"}},
			},
		},
	}
}
