package render

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/labels"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/model"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/argocd"
	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/render/tree"
)

// DiscoveryName names the CronWorkflow, its ServiceAccount and cache.
const DiscoveryName = "tech-discovery"

// discovery writes clusters/<cluster>/discovery/ when the lab declares
// discovery (see Discovery).
func (r *renderer) discovery() error {
	if r.lab.Discovery == nil {
		return nil
	}
	return Discovery(r.lab, r.t)
}

// DiscoveryDir holds the discovery objects ArgoCD syncs.
const DiscoveryDir = "apps/discovery/"

// Discovery adds to t the Argo Workflows CronWorkflow that runs `generator
// discover --publish` on the lab's schedule from the pinned generator
// image, its ServiceAccount with the Role Argo's executor needs, and the
// volume that keeps the cache (and so the star snapshots growth is
// measured against) from run to run, in apps/discovery/; and, in
// clusters/<cluster>/, the Application lab-discovery that syncs them with
// its own project. They stay out of the root's folder: the root's project
// admits only ArgoCD's own objects, and the CronWorkflow's CRD comes with
// the platform, after the root has synced. The tokens come from a Secret
// made on the cluster: only its name is in Git.
func Discovery(lab *model.Lab, t *tree.Tree) error {
	d := lab.Discovery
	cl, ok := lab.Clusters[d.Cluster]
	if !ok {
		return fmt.Errorf("%s: discovery.cluster: no cluster %q in the lab", lab.Files.Discovery, d.Cluster)
	}
	dir := DiscoveryDir
	lbl := map[string]string{labels.PartOf: lab.Name, labels.Name: DiscoveryName}
	meta := func(kind, apiVersion string) (metav1.TypeMeta, metav1.ObjectMeta) {
		return metav1.TypeMeta{Kind: kind, APIVersion: apiVersion}, metav1.ObjectMeta{Name: DiscoveryName, Namespace: d.Namespace, Labels: lbl}
	}
	sa := &corev1.ServiceAccount{}
	sa.TypeMeta, sa.ObjectMeta = meta("ServiceAccount", "v1")
	role := &rbacv1.Role{Rules: []rbacv1.PolicyRule{{
		// Argo's executor reports each step's outputs through these.
		APIGroups: []string{"argoproj.io"}, Resources: []string{"workflowtaskresults"}, Verbs: []string{"create", "patch"},
	}}}
	role.TypeMeta, role.ObjectMeta = meta("Role", "rbac.authorization.k8s.io/v1")
	rb := &rbacv1.RoleBinding{
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: DiscoveryName},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: DiscoveryName, Namespace: d.Namespace}},
	}
	rb.TypeMeta, rb.ObjectMeta = meta("RoleBinding", "rbac.authorization.k8s.io/v1")
	pvc := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
	}}
	pvc.TypeMeta, pvc.ObjectMeta = meta("PersistentVolumeClaim", "v1")
	pvc.Name = DiscoveryName + "-cache"
	// The claim binds when the first run mounts it (kind's local-path
	// class waits for the first consumer; a cluster without a provisioner
	// never binds it): Pending until then is its normal state, and ArgoCD
	// would report lab-discovery Progressing for up to a week.
	pvc.Annotations = map[string]string{labels.ArgoIgnoreHealthCheck: "true"}

	var docs [][]byte
	for _, o := range []any{sa, role, rb} {
		b, err := Encode(o)
		if err != nil {
			return err
		}
		docs = append(docs, b)
	}
	if err := t.Add(dir+"serviceaccount.yaml", lab.Files.Discovery, joinDocs(docs)); err != nil {
		return err
	}
	b, err := Encode(pvc)
	if err != nil {
		return err
	}
	if err := t.Add(dir+"cache.yaml", lab.Files.Discovery, b); err != nil {
		return err
	}
	b, err = Encode(cronWorkflow(lab, d, lbl))
	if err != nil {
		return err
	}
	if err := t.Add(dir+"cronworkflow.yaml", lab.Files.Discovery, b); err != nil {
		return err
	}
	cdir := "clusters/" + d.Cluster + "/"
	if b, err = Encode(argocd.DiscoveryApp(lab, cl, DiscoveryDir)); err != nil {
		return err
	}
	if err := t.Add(cdir+"discovery.yaml", lab.Files.Discovery, b); err != nil {
		return err
	}
	if b, err = Encode(argocd.DiscoveryProject(lab, cl)); err != nil {
		return err
	}
	return t.Add(cdir+"projects/"+argocd.DiscoveryProjectName+".yaml", lab.Files.Discovery, b)
}

func joinDocs(docs [][]byte) []byte {
	var out []byte
	for i, d := range docs {
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, d...)
	}
	return out
}

func cronWorkflow(lab *model.Lab, d *model.Discovery, lbl map[string]string) map[string]any {
	const uid = 65532 // the distroless nonroot user
	secretEnv := func(key string) map[string]any {
		return map[string]any{"name": key, "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": d.SecretName, "key": key, "optional": true}}}
	}
	args := []any{"discover", "--root", "/src", "--cache", "/cache", "--publish"}
	return map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "CronWorkflow",
		"metadata": map[string]any{
			"name": DiscoveryName, "namespace": d.Namespace, "labels": lbl,
			// The CRD comes with Argo Workflows (Phase 1): until it is there,
			// ArgoCD skips the dry run rather than failing the whole sync.
			"annotations": map[string]any{labels.ArgoSyncOptions: "SkipDryRunOnMissingResource=true"},
		},
		"spec": map[string]any{
			"schedules":                  []any{d.Schedule},
			"timezone":                   d.Timezone,
			"concurrencyPolicy":          "Forbid",
			"startingDeadlineSeconds":    3600,
			"successfulJobsHistoryLimit": 3,
			"failedJobsHistoryLimit":     3,
			"workflowSpec": map[string]any{
				"entrypoint":            "discover",
				"serviceAccountName":    DiscoveryName,
				"activeDeadlineSeconds": 1800,
				"securityContext": map[string]any{
					"runAsNonRoot": true, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
					"seccompProfile": map[string]any{"type": "RuntimeDefault"},
				},
				"volumes": []any{
					map[string]any{"name": "cache", "persistentVolumeClaim": map[string]any{"claimName": DiscoveryName + "-cache"}},
					map[string]any{"name": "tmp", "emptyDir": map[string]any{}},
				},
				"templates": []any{map[string]any{
					"name": "discover",
					"inputs": map[string]any{"artifacts": []any{map[string]any{
						"name": "repo", "path": "/src",
						"git": map[string]any{"repo": lab.RepoURL, "revision": lab.Revision, "depth": 1},
					}}},
					"container": map[string]any{
						"image":   d.Image.Ref(),
						"command": []any{"/generator"},
						"args":    args,
						"env": []any{
							secretEnv("GITHUB_TOKEN"),
							secretEnv("ANTHROPIC_API_KEY"),
							map[string]any{"name": "HOME", "value": "/tmp"},
						},
						"volumeMounts": []any{
							map[string]any{"name": "cache", "mountPath": "/cache"},
							map[string]any{"name": "tmp", "mountPath": "/tmp"},
						},
						"resources": map[string]any{
							"requests": map[string]any{"cpu": "100m", "memory": "128Mi"},
							"limits":   map[string]any{"cpu": "1", "memory": "512Mi"},
						},
						"securityContext": map[string]any{
							"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
							"capabilities": map[string]any{"drop": []any{"ALL"}},
						},
					},
				}},
			},
		},
	}
}
