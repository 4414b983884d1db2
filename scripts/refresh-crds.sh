#!/usr/bin/env bash
# Re-vendors the CRD manifests embedded by generator/internal/validate/crds (ArgoCD, Kyverno
# policies.kyverno.io, Argo Workflows CronWorkflow) from the pinned Go module zips, and rewrites
# generator/internal/validate/crds/lock.json with module, version, path and sha256 of every file.
# The pinned versions live in generator/devtools/refresh-crds/main.go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go run ./generator/devtools/refresh-crds -dir generator/internal/validate/crds
go test ./generator/internal/validate/crds
