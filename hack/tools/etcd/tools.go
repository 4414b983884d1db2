//go:build tools

// Package tools pins the etcd server command so go.mod/go.sum record its exact dependency set.
package tools

import _ "go.etcd.io/etcd/server/v3"
