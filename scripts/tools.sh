#!/usr/bin/env bash
# Builds the pinned tools that the real-component tests need (etcd, the Kubernetes control plane,
# kwok, ArgoCD, the Kyverno, Helm, kustomize and NATS CLIs, Gitea) from the wrapper Go modules under
# hack/tools/<name>/, whose committed go.mod/go.sum fix every dependency version.
#
#   scripts/tools.sh NAME...        build what is missing, print each binary's path (one a line)
#   scripts/tools.sh all            the same for every tool in hack/tools/tools.tsv
#   scripts/tools.sh --print NAME.. print the paths without building
#   scripts/tools.sh --list         print the tool table
#
# Binaries land in ${LAB_CACHE:-$HOME/.cache/illm-lab}/tools/<name>-<version>/<binary>. A binary
# that is already there is reused. Builds run one at a time (flock), so concurrent callers wait
# for each other instead of building the same thing twice on a small machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TABLE=$ROOT/hack/tools/tools.tsv
CACHE=${LAB_CACHE:-$HOME/.cache/illm-lab}
TOOLS_DIR=$CACHE/tools

die() { echo "tools.sh: $*" >&2; exit 1; }
log() { echo "tools.sh: $*" >&2; }

declare -A VERSION BINARY MODULE
NAMES=()
while IFS=$'\t' read -r name version binary module; do
	[[ -z $name || $name == \#* ]] && continue
	VERSION[$name]=$version BINARY[$name]=$binary MODULE[$name]=$module
	NAMES+=("$name")
done <"$TABLE"

tool_path() { echo "$TOOLS_DIR/$1-${VERSION[$1]}/${BINARY[$1]}"; }

# wrapper NAME: the folder under hack/tools/ whose module pins NAME. The Kubernetes commands
# share one k8s.io/kubernetes wrapper, so their rows in tools.tsv must carry the same version.
wrapper() {
	case $1 in
	kube-controller-manager | kube-scheduler) echo kube-apiserver ;;
	*) echo "$1" ;;
	esac
}

# wrapper_go NAME ARGS...: runs go inside NAME's wrapper module. A wrapper whose go.mod has a
# toolchain line (a tool that needs a newer Go than the project's) runs with GOTOOLCHAIN set to
# it; the go command fetches that toolchain from the module proxy like any module.
wrapper_go() {
	local dir=$ROOT/hack/tools/$(wrapper "$1") tc
	shift
	tc=$(awk '$1 == "toolchain" { print $2; exit }' "$dir/go.mod")
	(cd "$dir" && if [[ -n $tc ]]; then GOTOOLCHAIN=$tc go "$@"; else go "$@"; fi)
}

# module_dir NAME MODULE: where the module cache holds MODULE, as NAME's wrapper resolves it.
module_dir() {
	local d
	d=$(wrapper_go "$1" list -mod=readonly -m -f '{{if .Replace}}{{.Replace.Dir}}{{else}}{{.Dir}}{{end}}' "$2")
	[[ -n $d && -d $d ]] || die "$2 is not in the module cache (for $1)"
	echo "$d"
}

# go_build NAME PACKAGE LDFLAGS [extra go build args...]: builds PACKAGE inside the wrapper
# module and moves the result into place only when the build succeeded.
go_build() {
	local name=$1 pkg=$2 ldflags=$3
	shift 3
	local out
	out=$(tool_path "$name")
	mkdir -p "$(dirname "$out")"
	wrapper_go "$name" build -mod=readonly -trimpath -ldflags "$ldflags" "$@" -o "$out.tmp.$$" "$pkg" ||
		{ rm -f "$out.tmp.$$"; die "building $name ${VERSION[$name]} ($pkg in hack/tools/$(wrapper "$name")) failed"; }
	mv -f "$out.tmp.$$" "$out"
}

# install_extra PATH.tmp: replaces PATH (a file or folder beside a binary) with PATH.tmp, which
# was made completely first.
install_extra() {
	[[ $1 == *.tmp ]] || die "install_extra: $1 does not end in .tmp"
	rm -rf "${1%.tmp}"
	mv "$1" "${1%.tmp}"
}

# extras NAME: the files a tool needs beside its binary. A binary whose extras are missing gets
# them (install_extras) without being rebuilt.
extras() {
	case $1 in
	gitea) echo static ;;
	argocd) echo git-verify-wrapper.sh install.yaml ;;
	kwok) echo stages.yaml ;;
	esac
}

built() { [[ -x $(tool_path "$1") ]]; }

has_extras() {
	local dir e
	dir=$(dirname "$(tool_path "$1")")
	for e in $(extras "$1"); do
		[[ -e $dir/$e ]] || return 1
	done
}

complete() { built "$1" && has_extras "$1"; }

# install_extras NAME: copies what NAME needs beside its binary from its module (in the module
# cache, as its wrapper resolves it).
install_extras() {
	local name=$1 v=${VERSION[$1]} dir src tmp f
	dir=$(dirname "$(tool_path "$name")")
	case $name in
	kwok)
		# kwok does nothing without stages: the fast node (initialize, heartbeat) and pod (ready,
		# complete, delete) stages from the module, in one file for its --config flag.
		src=$(module_dir kwok sigs.k8s.io/kwok)/kustomize/stage
		tmp=$dir/stages.yaml.tmp
		: >"$tmp"
		for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
			pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
			[[ -f $src/$f ]] || die "kwok ${v}: no $f in the module"
			{ echo "---"; cat "$src/$f"; } >>"$tmp"
		done
		install_extra "$tmp"
		;;
	argocd)
		# The repo server runs git-verify-wrapper.sh from PATH; the install manifest says how the
		# real install feeds argocd-cm and argocd-cmd-params-cm to each component (environment
		# variables from configMapKeyRef), which the local hub and the tests follow.
		src=$(module_dir argocd github.com/argoproj/argo-cd/v3)
		for f in hack/git-verify-wrapper.sh manifests/install.yaml; do
			[[ -f $src/$f ]] || die "argocd ${v}: no $f in the module"
			tmp=$dir/$(basename "$f").tmp
			cp "$src/$f" "$tmp"
			chmod 0644 "$tmp"
			install_extra "$tmp"
		done
		chmod 0755 "$dir/git-verify-wrapper.sh"
		;;
	gitea)
		# Gitea reads templates and locales from STATIC_ROOT_PATH at run time; keep a copy next
		# to the binary so it does not depend on the module cache staying put.
		src=$(GONOSUMDB=code.gitea.io/sdk module_dir gitea gitea.dev)
		tmp=$dir/static.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"
		cp -R "$src/templates" "$src/options" "$src/public" "$tmp/"
		chmod -R u+w "$tmp"
		install_extra "$tmp"
		;;
	esac
}

# kube_ldflags VERSION: without the version variables a Kubernetes server reports v0.0.0 and
# clients refuse it.
kube_ldflags() {
	local v=$1 minor=${1#v1.} p ld="-s -w"
	minor=${minor%%.*}
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
	done
	echo "$ld"
}

build() {
	local name=$1 v=${VERSION[$1]} ld
	case $name in
	etcd)
		CGO_ENABLED=0 go_build etcd go.etcd.io/etcd/server/v3 "-s -w"
		;;
	kube-apiserver | kube-controller-manager | kube-scheduler)
		# One go build for every control-plane command still missing: they share nearly all their
		# packages, which one build compiles once, and it links the binaries in parallel.
		local n tmp names=() pkgs=()
		for n in kube-apiserver kube-controller-manager kube-scheduler; do
			[[ ${VERSION[$n]} == "$v" ]] || die "tools.tsv: $n ${VERSION[$n]} differs from $name $v (one k8s.io/kubernetes wrapper)"
			built "$n" || { names+=("$n"); pkgs+=("k8s.io/kubernetes/cmd/$n"); }
		done
		tmp=$TOOLS_DIR/.kube-build.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		CGO_ENABLED=0 wrapper_go "$name" build -mod=readonly -trimpath -ldflags "$(kube_ldflags "$v")" -o "$tmp/" "${pkgs[@]}" ||
			{ rm -rf "$tmp"; die "building ${names[*]} $v (hack/tools/kube-apiserver) failed"; }
		for n in "${names[@]}"; do
			mkdir -p "$(dirname "$(tool_path "$n")")"
			mv -f "$tmp/$n" "$(tool_path "$n")"
		done
		rm -rf "$tmp"
		;;
	kwok)
		CGO_ENABLED=0 go_build kwok sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${v#v}"
		;;
	argocd)
		# One binary for every component (ARGOCD_BINARY_NAME or the name it is called by). The
		# version variables follow argo-cd's Makefile; a tag with a clean tree makes it report the
		# tag (v3.6.1) instead of v99.99.99. The module zip carries no commit hash, the build date
		# is the release's date from the module proxy.
		local date kubectl pkg=github.com/argoproj/argo-cd/v3/common
		date=$(wrapper_go argocd list -mod=readonly -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' github.com/argoproj/argo-cd/v3)
		kubectl=$(wrapper_go argocd list -mod=readonly -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' k8s.io/client-go)
		ld="-s -w -X $pkg.version=${v#v} -X $pkg.buildDate=${date:-1970-01-01T00:00:00Z} -X $pkg.gitTag=$v"
		ld+=" -X $pkg.gitCommit=unknown -X $pkg.gitTreeState=clean -X $pkg.kubectlVersion=$kubectl"
		CGO_ENABLED=0 go_build argocd github.com/argoproj/argo-cd/v3/cmd "$ld"
		;;
	staticcheck)
		CGO_ENABLED=0 go_build staticcheck honnef.co/go/tools/cmd/staticcheck "-s -w -X honnef.co/go/tools/lintcmd/version.Version=$v"
		;;
	kustomize)
		# kustomize reads its version from the build info (the sigs.k8s.io/kustomize/kustomize/v5 dependency).
		CGO_ENABLED=0 go_build kustomize sigs.k8s.io/kustomize/kustomize/v5 "-s -w"
		;;
	natscli)
		CGO_ENABLED=0 go_build natscli github.com/nats-io/natscli/nats "-s -w -X main.version=${v#v}"
		;;
	kubectl-kyverno)
		CGO_ENABLED=0 go_build kubectl-kyverno github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno \
			"-s -w -X github.com/kyverno/kyverno/pkg/version.BuildVersion=$v"
		;;
	helm)
		# Helm's Makefile derives the default Kubernetes version from its client-go (v0.37 -> 1.37).
		local cg
		cg=$(wrapper_go helm list -mod=readonly -m -f '{{.Version}}' k8s.io/client-go)
		cg=${cg#v0.}
		ld="-s -w -X helm.sh/helm/v3/internal/version.version=$v -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
		for p in pkg/lint/rules pkg/chartutil; do
			ld+=" -X helm.sh/helm/v3/$p.k8sVersionMajor=1 -X helm.sh/helm/v3/$p.k8sVersionMinor=${cg%%.*}"
		done
		CGO_ENABLED=0 go_build helm helm.sh/helm/v3/cmd/helm "$ld"
		;;
	gitea)
		command -v gcc >/dev/null || die "gitea needs a C compiler for SQLite (apt-get install -y gcc)"
		local tags="sqlite sqlite_unlock_notify"
		CGO_ENABLED=1 GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}code.gitea.io/sdk \
			go_build gitea gitea.dev "-s -w -X main.Version=${v#v} -X 'main.Tags=$tags'" -tags "$tags"
		;;
	*) die "no build rule for $name" ;;
	esac
}

check_pin() {
	# The wrapper module's go.mod must require exactly the version the table promises.
	local name=$1 mod=$ROOT/hack/tools/$(wrapper "$1")/go.mod
	[[ -f $mod ]] || die "missing wrapper module $mod"
	grep -Eq "^(require)?[[:space:]]*${MODULE[$name]//./\\.}[[:space:]]+${VERSION[$name]//./\\.}([[:space:]]|$)" "$mod" ||
		die "$mod does not require ${MODULE[$name]} ${VERSION[$name]} (hack/tools/tools.tsv)"
}

ensure() {
	local name=$1 out
	out=$(tool_path "$name")
	if complete "$name"; then
		echo "$out"
		return
	fi
	check_pin "$name"
	command -v go >/dev/null || die "go is not on PATH"
	command -v flock >/dev/null || die "flock is not on PATH (util-linux)"
	mkdir -p "$TOOLS_DIR"
	local fd
	exec {fd}>"$TOOLS_DIR/.build.lock"
	flock "$fd"
	if complete "$name"; then
		exec {fd}>&-
		echo "$out"
		return
	fi
	local start=$SECONDS
	if ! built "$name"; then
		log "building $name ${VERSION[$name]} (hack/tools/$(wrapper "$name")) ..."
		build "$name"
		log "built $name ${VERSION[$name]} in $((SECONDS - start))s: $out ($(du -h "$out" | cut -f1))"
	fi
	if ! has_extras "$name"; then
		install_extras "$name"
		log "installed $(extras "$name" | tr '\n' ' ')beside $name"
	fi
	exec {fd}>&-
	echo "$out"
}

print_only=0
case ${1:-} in
--print) print_only=1; shift ;;
--list)
	for n in "${NAMES[@]}"; do printf '%s\t%s\t%s\n' "$n" "${VERSION[$n]}" "$(tool_path "$n")"; done
	exit 0
	;;
-h | --help | "")
	sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	[[ -n ${1:-} ]] && exit 0
	die "name at least one tool: ${NAMES[*]} (or all)"
	;;
esac

want=()
for a in "$@"; do
	if [[ $a == all ]]; then
		want+=("${NAMES[@]}")
	elif [[ -n ${VERSION[$a]:-} ]]; then
		want+=("$a")
	else
		die "unknown tool '$a'; known: ${NAMES[*]} all"
	fi
done

for n in "${want[@]}"; do
	if ((print_only)); then tool_path "$n"; else ensure "$n"; fi
done
