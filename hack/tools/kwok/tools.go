//go:build tools

// Package tools pins the kwok command so go.mod/go.sum record its exact dependency set.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
