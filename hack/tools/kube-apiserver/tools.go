//go:build tools

// Package tools pins the Kubernetes control-plane commands built from k8s.io/kubernetes
// (kube-apiserver, kube-controller-manager, kube-scheduler) so go.mod/go.sum record their exact
// dependency set.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
