//go:build tools

// Package tools pins the kubectl-kyverno command so go.mod/go.sum record its exact dependency set.
package tools

import _ "github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno"
