# shellcheck shell=bash
# PostgreSQL 15: a private cluster in $ETL_STACK_HOME/postgres, run as the `postgres` OS user
# (PostgreSQL refuses to run as root), reachable on 127.0.0.1:55432 only.

PG_BIN="/usr/lib/postgresql/${PG_VERSION_MAJOR}/bin"
PG_HOME="${ETL_STACK_HOME}/postgres"
PG_DATA="${PG_HOME}/data"
PG_LOG="${PG_HOME}/postgres.log"
PG_OS_USER="postgres"
# shared/ lies beside the checkout (sessions and CI) unless ETL_SHARED_DIR says otherwise.
PAGILA_DIR_DEFAULT="${ETL_SHARED_DIR:-${REPO_ROOT}/../shared}/fixtures/postgres/pagila"

pg_psql() {
  # Root talks to the cluster over TCP with the superuser's password, like every other client.
  PGPASSWORD="$PG_PASSWORD" PGOPTIONS="-c client_min_messages=warning" "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 \
    -h "$STACK_BIND_HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" "$@"
}

pg_as_owner() {
  runuser -u "$PG_OS_USER" -- "$@"
}

pg_install() {
  if [[ -x "${PG_BIN}/postgres" && -x "${PG_BIN}/initdb" && -x "${PG_BIN}/psql" ]]; then
    return 0
  fi
  apt_install "postgresql-${PG_VERSION_MAJOR}"
  [[ -x "${PG_BIN}/postgres" ]] || die "postgresql-${PG_VERSION_MAJOR} installed but ${PG_BIN}/postgres is missing"
}

# The cluster lives under $HOME, which is often mode 700: give the postgres user the right to
# traverse (x only, through an ACL naming that one user) each ancestor it cannot cross yet.
pg_grant_traversal() {
  local dir="$PG_HOME" ancestors=()
  while [[ "$dir" != "/" ]]; do
    dir="$(dirname "$dir")"
    ancestors=("$dir" "${ancestors[@]}")
  done
  local a
  for a in "${ancestors[@]}"; do
    if ! runuser -u "$PG_OS_USER" -- test -x "$a"; then
      command -v setfacl >/dev/null || apt_install acl
      log "postgres: granting traversal (ACL u:${PG_OS_USER}:x) on ${a}"
      setfacl -m "u:${PG_OS_USER}:x" "$a"
    fi
  done
}

pg_is_running() {
  pid_file_is_ours "${PG_DATA}/postmaster.pid" "$PG_DATA"
}

pg_write_config() {
  # Rewritten on every start so that a changed setting here reaches existing clusters.
  cat >"${PG_DATA}/etl-stack.conf" <<EOF
# Written by test/stack/stack.sh on every start; edits here are overwritten.
listen_addresses = '${STACK_BIND_HOST}'
port = ${PG_PORT}
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
# A test cluster: keep WAL small on disk.
max_wal_size = 512MB
min_wal_size = 80MB
password_encryption = 'scram-sha-256'
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
EOF
  cat >"${PG_DATA}/pg_hba.conf" <<EOF
# Written by test/stack/stack.sh: password authentication on loopback only.
host all all 127.0.0.1/32 scram-sha-256
EOF
  chown "$PG_OS_USER:" "${PG_DATA}/etl-stack.conf" "${PG_DATA}/pg_hba.conf"
  if ! grep -qF "include_if_exists = 'etl-stack.conf'" "${PG_DATA}/postgresql.conf"; then
    printf "\ninclude_if_exists = 'etl-stack.conf'\n" >>"${PG_DATA}/postgresql.conf"
  fi
}

pg_init_cluster() {
  if [[ -f "${PG_DATA}/PG_VERSION" ]]; then
    return 0
  fi
  log "postgres: initdb ${PG_DATA}"
  mkdir -p "$PG_HOME"
  chown "$PG_OS_USER:" "$PG_HOME"
  chmod 700 "$PG_HOME"
  pg_grant_traversal
  local pwfile="${PG_HOME}/.initdb-pw"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  chown "$PG_OS_USER:" "$pwfile"
  chmod 600 "$pwfile"
  # The bootstrap superuser is `etl`; no `postgres` login role exists in this cluster.
  pg_as_owner "${PG_BIN}/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" --pwfile="$pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >>"$PG_LOG" 2>&1 ||
    die "initdb failed; see ${PG_LOG}"
  rm -f "$pwfile"
}

pg_start() {
  local t0
  t0="$(now_ms)"
  pg_install
  if pg_is_running; then
    log "postgres: already running (pid $(pid_from_file "${PG_DATA}/postmaster.pid"))"
    # Cheap and idempotent: recreates a database a test dropped by hand.
    pg_bootstrap
    return 0
  fi
  pg_grant_traversal
  pg_init_cluster
  pg_write_config
  touch "$PG_LOG"
  chown "$PG_OS_USER:" "$PG_LOG"
  log "postgres: starting on ${STACK_BIND_HOST}:${PG_PORT}"
  # 9>&-: the server must not inherit stack.sh's lock (fd 9), or it holds that lock forever.
  pg_as_owner "${PG_BIN}/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 9>&- ||
    die "postgres did not start; last log lines:$(printf '\n')$(tail -n 20 "$PG_LOG")"
  pg_bootstrap
  log "postgres: ready in $(elapsed_since "$t0")"
}

pg_stop() {
  if ! pg_is_running; then
    log "postgres: not running"
    return 0
  fi
  log "postgres: stopping"
  # pg_ctl signals exactly the pid recorded in postmaster.pid.
  pg_as_owner "${PG_BIN}/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
}

pg_db_exists() {
  [[ "$(pg_psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")" == "1" ]]
}

pg_create_db() {
  if ! pg_db_exists "$1"; then
    log "postgres: CREATE DATABASE $1"
    pg_psql -d postgres -c "CREATE DATABASE \"$1\""
  fi
}

# Iceberg's JDBC catalog tables (test/stack/sql/iceberg-catalog.sql, shared with docker-compose).
pg_create_iceberg_catalog_tables() {
  pg_psql -d "$ICEBERG_CATALOG_DB" -f "${STACK_DIR}/sql/iceberg-catalog.sql"
}

# Loads the pagila fixture once. Schema and data go in one transaction, so the presence of the
# `payment` table means the whole fixture is there.
pg_load_pagila() {
  local dir="${PAGILA_FIXTURE_DIR:-$PAGILA_DIR_DEFAULT}"
  if [[ "$(pg_psql -d "$PAGILA_DB" -Atc "SELECT to_regclass('public.payment') IS NOT NULL")" == "t" ]]; then
    return 0
  fi
  if [[ ! -f "${dir}/pagila-schema.sql" || ! -f "${dir}/pagila-data.sql" ]]; then
    log "postgres: pagila fixture not found in ${dir}; database ${PAGILA_DB} left empty"
    return 0
  fi
  log "postgres: loading pagila fixture from ${dir}"
  pg_psql -d "$PAGILA_DB" -1 -f "${dir}/pagila-schema.sql" -f "${dir}/pagila-data.sql" >/dev/null
}

pg_bootstrap() {
  # The fixture assigns ownership to `postgres`; a role of that name must exist (it cannot log in).
  pg_psql -d postgres -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postgres') THEN CREATE ROLE postgres NOLOGIN; END IF;
  END \$\$"
  local db
  for db in "${TENANT_DATABASES[@]}" "$PAGILA_DB" "$ICEBERG_CATALOG_DB"; do
    pg_create_db "$db"
  done
  pg_create_iceberg_catalog_tables
  pg_load_pagila
}

pg_health() {
  pg_is_running || {
    echo "not running"
    return 1
  }
  local out
  out="$(pg_psql -d postgres -Atc 'SELECT 1' 2>&1)" || {
    echo "SELECT 1 failed: ${out}"
    return 1
  }
  [[ "$out" == "1" ]] || {
    echo "SELECT 1 returned '${out}'"
    return 1
  }
  echo "ok (pid $(pid_from_file "${PG_DATA}/postmaster.pid"), ${STACK_BIND_HOST}:${PG_PORT})"
}

# Drops and recreates the tenant and pagila databases and empties the Iceberg catalog.
pg_reset() {
  pg_is_running || die "reset needs postgres running (it drops and recreates databases): run up first"
  local db
  for db in "${TENANT_DATABASES[@]}" "$PAGILA_DB" "$ICEBERG_CATALOG_DB"; do
    log "postgres: DROP DATABASE ${db}"
    pg_psql -d postgres -c "DROP DATABASE IF EXISTS \"${db}\" WITH (FORCE)"
  done
  pg_bootstrap
}
