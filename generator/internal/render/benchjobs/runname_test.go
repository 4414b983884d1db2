package benchjobs

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNameByContent(t *testing.T) {
	mk := func(image string, wave string) *batchv1.Job {
		return &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "web-k6-r1", Annotations: map[string]string{"argocd.argoproj.io/sync-wave": wave}},
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "k6", Image: image}},
			}}},
		}
	}
	name := func(j *batchv1.Job) string {
		t.Helper()
		if err := nameByContent(j); err != nil {
			t.Fatal(err)
		}
		return j.Name
	}
	a, b := name(mk("grafana/k6:1.8.1", "1")), name(mk("grafana/k6:1.8.1", "1"))
	if a != b {
		t.Errorf("the same Job named %s and %s", a, b)
	}
	if !strings.HasPrefix(a, "web-k6-r1-") || len(a) != len("web-k6-r1-")+8 {
		t.Errorf("name %s: want web-k6-r1-<8 hex>", a)
	}
	for what, j := range map[string]*batchv1.Job{
		"image": mk("grafana/k6:1.8.0", "1"),
		"wave":  mk("grafana/k6:1.8.1", "2"),
	} {
		if n := name(j); n == a {
			t.Errorf("a changed %s kept the name %s: ArgoCD would try to change an immutable Job", what, n)
		}
	}
}
