#!/usr/bin/env bash
# Runs every fuzz target of the generator for a few seconds each (CI runs
# it). A target's seed corpus is testdata/fuzz/<Target>/ in its package;
# an input that fails is written there by go test, and this script exits 1
# naming it (commit it with the fix: it is a regression test from then on).
#
#   bash scripts/fuzz.sh                   every target, FUZZTIME each (default 5s)
#   FUZZTIME=1m bash scripts/fuzz.sh       longer
#   bash scripts/fuzz.sh ./generator/internal/results/parse/pgbench   one package
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fuzztime=${FUZZTIME:-5s}
pkgs=("$@")
if ((${#pkgs[@]} == 0)); then
	mapfile -t pkgs < <(go list -f '{{.Dir}}' ./generator/...)
fi

total=0 failed=()
start=$(date +%s)
for dir in "${pkgs[@]}"; do
	dir=$(cd "$dir" && pwd)
	targets=$(grep -h -o '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' "$dir"/*_test.go 2>/dev/null | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/' | sort -u || true)
	for t in $targets; do
		total=$((total + 1))
		rel=./${dir#"$PWD"/}
		printf 'fuzz.sh: %s %s (%s)\n' "$rel" "$t" "$fuzztime" >&2
		if ! go test "$rel" -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" >/tmp/fuzz.$$.log 2>&1; then
			cat /tmp/fuzz.$$.log >&2
			failed+=("$rel $t")
		fi
	done
done
rm -f /tmp/fuzz.$$.log
printf 'fuzz.sh: %d target(s), %s each, %ss in all\n' "$total" "$fuzztime" "$(($(date +%s) - start))" >&2
if ((${#failed[@]})); then
	printf 'fuzz.sh: FAILED: %s\n' "${failed[@]}" >&2
	git status --short -- '*/testdata/fuzz/*' >&2 || true
	exit 1
fi
