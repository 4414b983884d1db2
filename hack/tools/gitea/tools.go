//go:build tools

// Package tools pins the gitea command so go.mod/go.sum record its exact dependency set.
package tools

import _ "gitea.dev"
