//go:build tools

// Package tools pins the argocd command so go.mod/go.sum record its exact dependency set.
package tools

import _ "github.com/argoproj/argo-cd/v3/cmd"
