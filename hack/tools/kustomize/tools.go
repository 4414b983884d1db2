//go:build tools

// Package tools pins the kustomize command so go.mod/go.sum record its exact dependency set.
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
