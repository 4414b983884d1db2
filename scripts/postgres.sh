#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster on loopback for the runtimes' contract test
# and local benchmarks.
#
#   scripts/postgres.sh install install postgresql-15 from apt if missing
#   scripts/postgres.sh start   init (first time), start, load schema + seed,
#                               print DATABASE_URL on stdout (last line)
#   scripts/postgres.sh url     print DATABASE_URL of the running cluster
#   scripts/postgres.sh stop    stop the cluster and delete its data
#
# Environment: LAB_PG_PORT (default 55432), LAB_PG_DIR (default
# /tmp/illm-lab-pg-$LAB_PG_PORT: the postgres user cannot enter root's home,
# so the data lives under /tmp rather than the cache), LAB_PG_OWNER_PID (a
# process whose end stops the cluster and deletes its data).
set -euo pipefail

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PORT="${LAB_PG_PORT:-55432}"
DIR="${LAB_PG_DIR:-/tmp/illm-lab-pg-${PORT}}"
DATA="${DIR}/data"
DB=lab
ROLE=lab
PASSWORD=lab
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCHEMA="${ROOT}/apps/runtimes/contract/schema.sql"

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

url() { printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable\n' "$ROLE" "$PASSWORD" "$PORT" "$DB"; }

# as_pg runs a command as the cluster owner: initdb and postgres refuse root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_installed() {
  if [ -x "${PG_BIN}/initdb" ]; then return; fi
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL ${PG_MAJOR} is not installed (${PG_BIN}); install postgresql-${PG_MAJOR} or run as root"
    exit 1
  fi
  log "installing postgresql-${PG_MAJOR} from apt"
  # The Debian package would start its own cluster on 5432; we never need it.
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${PG_MAJOR}" >&2
}

running() { [ -f "${DATA}/postmaster.pid" ] && as_pg "${PG_BIN}/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

psql_admin() {
  as_pg "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"
}

start() {
  ensure_installed
  mkdir -p "$DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR"; fi
  chmod 700 "$DIR"
  if [ ! -f "${DATA}/PG_VERSION" ]; then
    log "initdb ${DATA}"
    as_pg "${PG_BIN}/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"${DATA}/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = ${PORT}
unix_socket_directories = '${DIR}'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if ! running; then
    log "starting on 127.0.0.1:${PORT}"
    as_pg "${PG_BIN}/pg_ctl" -D "$DATA" -l "${DIR}/server.log" -w -t 60 start >/dev/null
  fi
  psql_admin -d postgres <<SQL
SELECT 'CREATE ROLE ${ROLE} LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}')\gexec
ALTER ROLE ${ROLE} PASSWORD '${PASSWORD}';
SELECT 'CREATE DATABASE ${DB} OWNER ${ROLE}' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '${DB}')\gexec
SQL
  PGOPTIONS="-c client_min_messages=warning" as_pg "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U "$ROLE" -d "$DB" <"$SCHEMA"
  watch_owner
  url
}

# watch_owner: with LAB_PG_OWNER_PID set, a detached watchdog stops the
# cluster and deletes its data once that process is gone, however it died
# (SIGKILL included), unless a later start took the cluster over.
watch_owner() {
  [[ -n ${LAB_PG_OWNER_PID:-} ]] || return 0
  printf '%s\n' "$LAB_PG_OWNER_PID" >"${DIR}/owner"
  setsid bash -c '
    owner=$1 script=$2 dir=$3
    while kill -0 "$owner" 2>/dev/null; do sleep 1; done
    [[ -f $dir/owner && $(cat "$dir/owner") == "$owner" ]] && "$script" stop
  ' watchdog "$LAB_PG_OWNER_PID" "${BASH_SOURCE[0]}" "$DIR" </dev/null >/dev/null 2>&1 &
}

stop() {
  if [ -f "${DATA}/PG_VERSION" ] && running; then
    as_pg "${PG_BIN}/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    log "stopped"
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  install) ensure_installed ;;
  start) start ;;
  stop) stop ;;
  url) running || { log "not running (scripts/postgres.sh start)"; exit 1; }; url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
