# shellcheck shell=bash
# shellcheck disable=SC2034  # settings used by the other lib files sourced after this one
# Shared settings and helpers of the local stack. Sourced by stack.sh; never run directly.

# Where everything the stack installs or stores lives: outside the repo, survives `down`.
ETL_STACK_HOME="${ETL_STACK_HOME:-${HOME}/.cache/etl-stack}"

# Fixed loopback ports and credentials (docs/stack.md). They are test-only values, not secrets.
STACK_BIND_HOST="127.0.0.1"
PG_PORT=55432
PG_SUPERUSER="etl"
PG_PASSWORD="etl"
PG_VERSION_MAJOR=15
S3_PORT=59000
S3_ACCESS_KEY="etl-access-key"
S3_SECRET_KEY="etl-secret-key"
S3_REGION="us-east-1"
S3_BUCKET="data-lake"
TRINO_PORT=58080
TRINO_USER="etl"
TRINO_VERSION=476

# Databases of the stack's PostgreSQL: one per tenant, the pagila fixture, the Iceberg catalog.
TENANT_DATABASES=(project_01 project_02 default_tenant)
PAGILA_DB="pagila"
ICEBERG_CATALOG_DB="iceberg_catalog"

log() {
  # Progress goes to stderr so that `stack.sh env` stays clean for `eval`.
  printf '[stack] %s\n' "$*" >&2
}

die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

now_ms() {
  date +%s%3N
}

# Prints seconds elapsed since a now_ms value, with one decimal.
elapsed_since() {
  local start="$1" end
  end="$(now_ms)"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1fs", (b - a) / 1000 }'
}

# True when the pid in $1 (a pid file) is alive and its command line contains $2: a recycled pid
# that now belongs to another program is not ours and must never be signalled.
pid_file_is_ours() {
  local pid_file="$1" marker="$2" pid
  [[ -f "$pid_file" ]] || return 1
  pid="$(head -n 1 "$pid_file" | tr -d '[:space:]')"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "$marker"
}

pid_from_file() {
  head -n 1 "$1" | tr -d '[:space:]'
}

# Waits until "$@" succeeds, polling every 0.5 s, for at most $1 seconds.
wait_until() {
  local timeout_s="$1"
  shift
  local deadline=$(($(date +%s) + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if (($(date +%s) >= deadline)); then
      return 1
    fi
    sleep 0.5
  done
}

# Sends SIGTERM to a pid we own, then SIGKILL after $3 seconds if it is still there.
stop_pid_file() {
  local pid_file="$1" marker="$2" grace_s="${3:-30}" pid
  if ! pid_file_is_ours "$pid_file" "$marker"; then
    rm -f "$pid_file"
    return 0
  fi
  pid="$(pid_from_file "$pid_file")"
  kill -TERM "$pid"
  local deadline=$(($(date +%s) + grace_s))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(date +%s) >= deadline)); then
      log "pid ${pid} did not stop within ${grace_s}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  rm -f "$pid_file"
}

apt_updated=0
# Installs Debian packages that are missing; runs `apt-get update` at most once per invocation.
apt_install() {
  if ((apt_updated == 0)); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}
