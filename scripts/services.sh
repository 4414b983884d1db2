#!/usr/bin/env bash
# Installs the servers and load tools from Debian that the results tests run:
# Prometheus for the collector, redis-server with redis-benchmark,
# nats-server and fio for the load-tool parsers (each test starts its own
# process on a free loopback port with a temp config or file; nothing here
# starts a service).
#
#   scripts/services.sh install   install what is missing (idempotent)
#   scripts/services.sh check     exit 1 unless everything is installed
#   scripts/services.sh versions  print NAME<TAB>VERSION of what is installed
#
# Versions are Debian 12's (prometheus 2.42, redis 7.0, nats-server 2.9,
# fio 3.33); a different version is reported, and refused by install unless
# LAB_ACCEPT_OTHER_VERSIONS=1.
set -euo pipefail

# package<TAB>binary<TAB>version prefix the tests were written against
SERVICES=$'prometheus\t/usr/bin/prometheus\t2.42.
redis-server\t/usr/bin/redis-server\t5:7.0.
redis-tools\t/usr/bin/redis-benchmark\t5:7.0.
nats-server\t/usr/sbin/nats-server\t2.9.
fio\t/usr/bin/fio\t3.33'

log() { printf 'services.sh: %s\n' "$*" >&2; }

installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

check() {
	local rc=0 pkg bin want have
	while IFS=$'\t' read -r pkg bin want; do
		have=$(installed_version "$pkg")
		if [[ -z $have || ! -x $bin ]]; then
			log "$pkg is not installed (bash scripts/services.sh install)"
			rc=1
		elif [[ $have != "$want"* ]]; then
			log "$pkg $have installed, tests expect $want*"
			[[ ${LAB_ACCEPT_OTHER_VERSIONS:-} == 1 ]] || rc=1
		fi
	done <<<"$SERVICES"
	return $rc
}

install() {
	local missing=() pkg bin want
	while IFS=$'\t' read -r pkg bin want; do
		[[ -n $(installed_version "$pkg") && -x $bin ]] || missing+=("$pkg")
	done <<<"$SERVICES"
	if ((${#missing[@]})); then
		local sudo=()
		[[ $(id -u) -eq 0 ]] || sudo=(sudo)
		log "installing ${missing[*]}"
		"${sudo[@]}" apt-get update -qq
		# The package's own service stays stopped: tests run private instances.
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	check
}

case ${1:-} in
install) install ;;
check) check ;;
versions)
	while IFS=$'\t' read -r pkg _ _; do printf '%s\t%s\n' "$pkg" "$(installed_version "$pkg")"; done <<<"$SERVICES"
	;;
*)
	echo "usage: $0 install|check|versions" >&2
	exit 2
	;;
esac
