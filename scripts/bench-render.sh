#!/usr/bin/env bash
# Render speed and memory: the built generator on the real lab and on
# synthetic labs of 100 and 1,000 experiments (3 components each), beside
# `cue export` of the same CUE (cue built from the module's pinned
# cuelang.org/go), measured in the same run. The targets are for render
# itself (--validate=false); render with its default offline validation of
# every object is measured and printed beside it. Warm: the render cache
# (Helm charts) is filled by a first run. Exits non-zero when a target is
# missed:
#   real lab: < 0.5 s warm, < 300 MB peak
#   1,000 experiments: < 3 s, within 5x of cue export; 1,000 vs 100: at most 11x
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/generator" ./generator
GOBIN="$work" go install cuelang.org/go/cmd/cue@v0.17.1 # the version go.mod pins

# best RUNS wall time (s) and the peak RSS (MB) of the best run
measure() {
	local best="" rss="" out t m
	for _ in 1 2 3 4 5; do
		/usr/bin/time -o "$work/time" -f "%e %M" "$@" >/dev/null 2>&1
		out=$(tail -1 "$work/time")
		t=${out% *} m=${out#* }
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t rss=$m; fi
	done
	echo "$best $((rss / 1024))"
}

fail=0
check() { # name value op limit
	if awk -v v="$2" -v l="$4" "BEGIN{exit !(v $3 l)}"; then echo "  ok   $1: $2 (target $3 $4)"; else echo "  MISS $1: $2 (target $3 $4)"; fail=1; fi
}

mkdir -p "$work/lab" && cp -r cue.mod schema phases apps "$work/lab/"
(cd "$work/lab" && "$work/generator" render >/dev/null)
read -r lab_t lab_m < <(cd "$work/lab" && measure "$work/generator" render --validate=false)
read -r labv_t labv_m < <(cd "$work/lab" && measure "$work/generator" render)
files=$(grep -vc '^#' "$work/lab/.render-manifest")
echo "real lab ($files files): render ${lab_t}s, peak ${lab_m} MB; with validation ${labv_t}s, peak ${labv_m} MB"
check "lab render (s)" "$lab_t" "<" 0.5
check "lab peak (MB)" "$lab_m" "<" 300

declare -A R C V
for n in 100 1000; do
	d="$work/s$n"
	go run ./generator/devtools/synthlab -n "$n" -out "$d"
	(cd "$d" && "$work/generator" render >/dev/null)
	read -r R[$n] rm < <(cd "$d" && measure "$work/generator" render --validate=false)
	read -r V[$n] vm < <(cd "$d" && measure "$work/generator" render)
	read -r C[$n] cm < <(cd "$d" && measure "$work/cue" export ./phases -e lab)
	echo "synthetic $n experiments: render ${R[$n]}s (${rm} MB), with validation ${V[$n]}s (${vm} MB), cue export ${C[$n]}s (${cm} MB)"
done
ratio=$(awk -v r="${R[1000]}" -v c="${C[1000]}" 'BEGIN{printf "%.2f", r/c}')
growth=$(awk -v a="${R[1000]}" -v b="${R[100]}" 'BEGIN{printf "%.2f", a/b}')
check "1000 render (s)" "${R[1000]}" "<" 3
check "1000 render / cue export" "$ratio" "<=" 5
check "1000 vs 100 growth" "$growth" "<=" 11
exit $fail
