//go:build tools

// Package tools pins the helm command so go.mod/go.sum record its exact dependency set.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
