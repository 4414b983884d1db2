//go:build tools

// Package tools pins the nats command so go.mod/go.sum record its exact dependency set.
package tools

import _ "github.com/nats-io/natscli/nats"
