//go:build tools

// Package tools pins the kube-apiserver command so go.mod/go.sum record its exact dependency set.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
