package hub

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

func metav1PatchOptions(dryRun bool, force *bool) metav1.PatchOptions {
	o := metav1.PatchOptions{FieldManager: FieldManager, Force: force}
	if dryRun {
		o.DryRun = []string{metav1.DryRunAll}
	}
	return o
}
