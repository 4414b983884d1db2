#!/usr/bin/env bash
# Runs every test of the lab: formatting and vet, the unit and CLI tests,
# and the integration tests against real components (kube-apiserver + etcd,
# the Kyverno CLI, the Helm CLI, Gitea, PostgreSQL, Prometheus), which this
# script builds or installs first, from pinned versions, into a cache.
#
#   bash scripts/test.sh            everything (what CI runs)
#   bash scripts/test.sh -short     unit and CLI tests only: no tools needed
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

short=false
[[ ${1:-} == -short ]] && short=true

t0=$(date +%s)
# step prints a section heading with the seconds since the start, so a slow
# CI run shows where its time went.
step() { echo "== $* (at $(($(date +%s) - t0))s)"; }

step "gofmt, go vet"
unformatted=$(gofmt -l generator apps/runtimes/go 2>/dev/null || true)
if [[ -n $unformatted ]]; then
	echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi
go vet ./...
(cd apps/runtimes/go && go vet ./...) # the Go runtime is a module of its own

step "go mod tidy (go.mod and go.sum must not change)"
go mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy and commit"; exit 1; }

if $short; then
	step "go test -short (no real components)"
	go test -short ./...
	exit 0
fi

step "real components (built once, then cached)"
bash scripts/tools.sh all >/dev/null

step "staticcheck (pinned)"
"$(bash scripts/tools.sh --print staticcheck)" ./...
bash scripts/services.sh install
# Once, before tests that start PostgreSQL in parallel.
bash scripts/postgres.sh install
export LAB_REQUIRE_TOOLS=1

# The fuzz targets run a few seconds each beside the tests (LAB_FUZZTIME,
# default 2s; 0 skips them): the end-to-end test mostly waits on its
# controllers, so the two share the machine's cores at little cost. The
# committed corpora also replay in go test itself.
fuzztime=${LAB_FUZZTIME:-2s}
fuzzpid=
fuzzlog=$(mktemp)
trap '[[ -n $fuzzpid ]] && kill "$fuzzpid" 2>/dev/null; rm -f "$fuzzlog"' EXIT
if [[ $fuzztime != 0 ]]; then
	step "fuzz ($fuzztime a target, beside go test)"
	# Niced: the tests keep their pace, the fuzzer takes what they leave.
	FUZZTIME=$fuzztime nice -n 10 bash scripts/fuzz.sh >"$fuzzlog" 2>&1 &
	fuzzpid=$!
fi

step "go test"
go test -count=1 -timeout 20m ./...

if [[ -n $fuzzpid ]]; then
	if ! wait "$fuzzpid"; then
		fuzzpid=
		cat "$fuzzlog"
		echo "fuzzing found a failing input (see above)"
		exit 1
	fi
	fuzzpid=
	tail -n 1 "$fuzzlog"
fi
step "done"
