//go:build tools

// Package tools pins the staticcheck command so go.mod/go.sum record its exact dependency set.
package tools

import _ "honnef.co/go/tools/cmd/staticcheck"
