#!/usr/bin/env bash
# The local real stack without Docker: PostgreSQL 15, an S3 server, Trino 476 (Iceberg + Hive),
# dbt-trino. See docs/stack.md.
#
#   stack.sh up | down | status | env | reset | install
#   stack.sh start <component> | stop <component>     component: postgres | s3 | trino | dbt
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${STACK_DIR}/../.." && pwd)"
export STACK_DIR REPO_ROOT

# Start order matters: Trino needs PostgreSQL (its Iceberg catalog) and S3 (its warehouse).
COMPONENTS=(postgres s3 trino dbt)

# shellcheck source=lib/common.sh
source "${STACK_DIR}/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "${STACK_DIR}/lib/postgres.sh"
# shellcheck source=lib/s3.sh
source "${STACK_DIR}/lib/s3.sh"
# shellcheck source=lib/trino.sh
source "${STACK_DIR}/lib/trino.sh"
# shellcheck source=lib/dbt.sh
source "${STACK_DIR}/lib/dbt.sh"

usage() {
  cat >&2 <<EOF
usage: stack.sh up | down | status | env | reset | install
       stack.sh start <component> | stop <component>   (component: ${COMPONENTS[*]})
EOF
  exit 2
}

component_fn() {
  # Maps a component name to the prefix of its functions in lib/<component>.sh.
  case "$1" in
    postgres) echo pg ;;
    s3) echo s3 ;;
    trino) echo trino ;;
    dbt) echo dbt ;;
    *) die "unknown component '$1' (expected one of: ${COMPONENTS[*]})" ;;
  esac
}

is_component() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ "$c" == "$1" ]] && return 0
  done
  return 1
}

cmd_up() {
  local t0 c
  t0="$(now_ms)"
  mkdir -p "$ETL_STACK_HOME"
  for c in "${COMPONENTS[@]}"; do
    "$(component_fn "$c")_start"
  done
  log "up: all components ready in $(elapsed_since "$t0")"
}

# Installs every component without starting anything (e.g. to warm a machine or time it).
cmd_install() {
  local t0 c
  t0="$(now_ms)"
  mkdir -p "$ETL_STACK_HOME"
  for c in "${COMPONENTS[@]}"; do
    "$(component_fn "$c")_install"
  done
  log "install: done in $(elapsed_since "$t0")"
}

cmd_down() {
  local i
  # Reverse order: stop the consumers before what they depend on.
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    "$(component_fn "${COMPONENTS[$i]}")_stop"
  done
}

cmd_status() {
  local c line rc=0
  for c in "${COMPONENTS[@]}"; do
    if line="$("$(component_fn "$c")_health")"; then
      printf '%-9s healthy   %s\n' "$c" "$line"
    else
      printf '%-9s UNHEALTHY %s\n' "$c" "$line"
      rc=1
    fi
  done
  return "$rc"
}

cmd_env() {
  local tenant prefix db
  cat <<EOF
export ETL_STACK_HOME=${ETL_STACK_HOME}
export PGHOST=${STACK_BIND_HOST}
export PGPORT=${PG_PORT}
export PGUSER=${PG_SUPERUSER}
export PGPASSWORD=${PG_PASSWORD}
EOF
  for tenant in "${TENANT_DATABASES[@]}"; do
    db="$tenant"
    # DESIGN.md names the default tenant's variables DEFAULT_DB_*, its database default_tenant.
    if [[ "$tenant" == "default_tenant" ]]; then
      prefix="DEFAULT"
    else
      prefix="$(printf '%s' "$tenant" | tr '[:lower:]' '[:upper:]')"
    fi
    cat <<EOF
export ${prefix}_DB_HOST=${STACK_BIND_HOST}
export ${prefix}_DB_PORT=${PG_PORT}
export ${prefix}_DB_NAME=${db}
export ${prefix}_DB_USER=${PG_SUPERUSER}
export ${prefix}_DB_PASSWORD=${PG_PASSWORD}
EOF
  done
  if declare -F s3_env >/dev/null; then s3_env; fi
  if declare -F trino_env >/dev/null; then trino_env; fi
  if declare -F dbt_env >/dev/null; then dbt_env; fi
}

cmd_reset() {
  # Data only: installed binaries and the virtualenv stay.
  local c
  for c in "${COMPONENTS[@]}"; do
    if declare -F "$(component_fn "$c")_reset" >/dev/null; then
      "$(component_fn "$c")_reset"
    fi
  done
}

# Serializes commands that change state: two `up`s at once (parallel test runs) would otherwise
# both see a component stopped and both start it on the same port.
take_lock() {
  mkdir -p "$ETL_STACK_HOME"
  exec 9>"${ETL_STACK_HOME}/.stack.lock"
  if ! flock -n 9; then
    log "another stack.sh is running; waiting for it (up to 15 min)"
    flock -w 900 9 || die "timed out waiting for ${ETL_STACK_HOME}/.stack.lock"
  fi
}

main() {
  (($# >= 1)) || usage
  local cmd="$1"
  shift
  case "$cmd" in
    up | down | reset | install | start | stop) take_lock ;;
  esac
  case "$cmd" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    reset) cmd_reset ;;
    install) cmd_install ;;
    start | stop)
      (($# == 1)) || usage
      is_component "$1" || die "unknown component '$1' (expected one of: ${COMPONENTS[*]})"
      "$(component_fn "$1")_${cmd}"
      ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
