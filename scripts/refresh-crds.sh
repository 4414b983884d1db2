#!/usr/bin/env bash
# Re-vendors the CRD manifests embedded by generator/internal/crds (ArgoCD, Kyverno
# policies.kyverno.io, Argo Workflows CronWorkflow) from the pinned Go module zips, and rewrites
# generator/internal/crds/lock.json with module, version, path and sha256 of every file.
# The pinned versions live in generator/internal/crds/refresh/main.go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go run ./generator/internal/crds/refresh -dir generator/internal/crds
go test ./generator/internal/crds
