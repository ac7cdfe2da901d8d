# shellcheck shell=bash
# Trino 476 from Maven Central, trimmed to the plugins the pipelines use, run on a JDK >= 24 as
# a single coordinator-only node on 127.0.0.1:58080.

TRINO_HOME="${ETL_STACK_HOME}/trino"
TRINO_M2="${TRINO_HOME}/m2"
TRINO_INSTALL="${TRINO_HOME}/trino-server-${TRINO_VERSION}"
TRINO_ETC="${TRINO_HOME}/etc"
TRINO_DATA="${TRINO_HOME}/data"
TRINO_PID_FILE="${TRINO_HOME}/trino.pid"
TRINO_SERVER_LOG="${TRINO_DATA}/var/log/server.log"
TRINO_URL="http://${STACK_BIND_HOST}:${TRINO_PORT}"
# iceberg for the load target, hive for external Parquet tables over S3 prefixes. Each plugin
# directory is self-contained; nothing else is needed by these two.
TRINO_PLUGINS=(iceberg hive)
TRINO_HEAP="${ETL_STACK_TRINO_HEAP:-3G}"
TRINO_MIN_JAVA=24

# Prints the JAVA_HOME of the newest JDK >= 24 under /usr/lib/jvm (Temurin 25 on these machines).
trino_find_java_home() {
  local release major best_major=0 best="" dir
  for release in /usr/lib/jvm/*/release; do
    [[ -f "$release" ]] || continue
    dir="$(dirname "$release")"
    [[ -x "${dir}/bin/java" ]] || continue
    major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    if ((major >= TRINO_MIN_JAVA && major > best_major)); then
      best_major="$major"
      best="$dir"
    fi
  done
  [[ -n "$best" ]] || return 1
  printf '%s\n' "$best"
}

trino_tarball() {
  printf '%s/io/trino/trino-server/%s/trino-server-%s.tar.gz\n' "$TRINO_M2" "$TRINO_VERSION" "$TRINO_VERSION"
}

trino_download() {
  local tarball
  tarball="$(trino_tarball)"
  if [[ -f "$tarball" && -f "${tarball}.sha1" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || apt_install maven
  local t0
  t0="$(now_ms)"
  log "trino: downloading io.trino:trino-server:${TRINO_VERSION}:tar.gz with mvn (about 940 MB)"
  # mvn uses its default repository; --strict-checksums fails the download on a checksum mismatch.
  mkdir -p "$TRINO_HOME"
  local mvn_log="${TRINO_HOME}/mvn-download.log"
  if ! mvn -B -q --strict-checksums -Dmaven.repo.local="$TRINO_M2" dependency:get \
    -Dartifact="io.trino:trino-server:${TRINO_VERSION}:tar.gz" -Dtransitive=false >"$mvn_log" 2>&1; then
    die "mvn could not download io.trino:trino-server:${TRINO_VERSION}:tar.gz; last lines of ${mvn_log}:$(printf '\n')$(tail -n 20 "$mvn_log")"
  fi
  [[ -f "$tarball" ]] || die "mvn finished but ${tarball} is missing"
  log "trino: downloaded in $(elapsed_since "$t0")"
}

# Checks the tarball against the .sha1 Maven stores next to it.
trino_verify() {
  local tarball expected actual
  tarball="$(trino_tarball)"
  [[ -f "${tarball}.sha1" ]] || die "no ${tarball}.sha1 next to the tarball; delete ${TRINO_M2} and run up again"
  expected="$(awk '{print $1; exit}' "${tarball}.sha1")"
  actual="$(sha1sum "$tarball" | awk '{print $1}')"
  if [[ "$expected" != "$actual" ]]; then
    rm -f "$tarball" "${tarball}.sha1"
    die "trino tarball SHA-1 mismatch (expected ${expected}, got ${actual}); deleted it, run up again"
  fi
  log "trino: tarball SHA-1 ${actual} matches Maven's .sha1"
}

trino_install() {
  local marker="${TRINO_INSTALL}/.etl-stack-plugins"
  if [[ -f "$marker" && "$(cat "$marker")" == "${TRINO_PLUGINS[*]}" ]]; then
    return 0
  fi
  trino_download
  trino_verify
  local t0 p
  t0="$(now_ms)"
  rm -rf "$TRINO_INSTALL"
  mkdir -p "$TRINO_HOME"
  # The tarball hard-links jars shared between plugins, so a partial extract would miss the link
  # targets: unpack everything into a scratch dir, keep what we need, drop the rest.
  local scratch="${TRINO_HOME}/.unpack"
  rm -rf "$scratch"
  mkdir -p "$scratch"
  log "trino: unpacking (keeping plugins: ${TRINO_PLUGINS[*]})"
  tar -xzf "$(trino_tarball)" -C "$scratch"
  local unpacked="${scratch}/trino-server-${TRINO_VERSION}"
  mkdir -p "${TRINO_INSTALL}/plugin"
  mv "${unpacked}/bin" "${unpacked}/lib" "${unpacked}/secrets-plugin" "${unpacked}/NOTICE" \
    "${unpacked}/README.txt" "$TRINO_INSTALL/"
  for p in "${TRINO_PLUGINS[@]}"; do
    [[ -d "${unpacked}/plugin/${p}" ]] || die "plugin ${p} is not in trino-server-${TRINO_VERSION}"
    mv "${unpacked}/plugin/${p}" "${TRINO_INSTALL}/plugin/"
  done
  rm -rf "$scratch"
  printf '%s\n' "${TRINO_PLUGINS[*]}" >"$marker"
  log "trino: unpacked in $(elapsed_since "$t0")"
}

trino_write_config() {
  mkdir -p "${TRINO_ETC}/catalog" "$TRINO_DATA"
  cat >"${TRINO_ETC}/node.properties" <<EOF
node.environment=etl_stack
node.id=etl-stack-coordinator
node.data-dir=${TRINO_DATA}
node.bind-ip=${STACK_BIND_HOST}
node.internal-address=${STACK_BIND_HOST}
EOF
  # Sized for 2 cores / 24 GiB shared with PostgreSQL, the S3 server and the test processes.
  cat >"${TRINO_ETC}/jvm.config" <<EOF
-server
-Xms1G
-Xmx${TRINO_HEAP}
-XX:+UseG1GC
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-XX:+EnableDynamicAgentLoading
EOF
  cat >"${TRINO_ETC}/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=${TRINO_PORT}
discovery.uri=${TRINO_URL}
catalog.config-dir=${TRINO_ETC}/catalog
query.max-memory=1500MB
query.max-memory-per-node=1500MB
task.concurrency=2
http-server.log.enabled=false
EOF
  cat >"${TRINO_ETC}/log.properties" <<EOF
io.trino=INFO
EOF
  local s3_props
  s3_props="fs.native-s3.enabled=true
s3.endpoint=http://${STACK_BIND_HOST}:${S3_PORT}
s3.region=${S3_REGION}
s3.path-style-access=true
s3.aws-access-key=${S3_ACCESS_KEY}
s3.aws-secret-key=${S3_SECRET_KEY}"
  cat >"${TRINO_ETC}/catalog/iceberg.properties" <<EOF
connector.name=iceberg
iceberg.catalog.type=jdbc
iceberg.jdbc-catalog.driver-class=org.postgresql.Driver
iceberg.jdbc-catalog.connection-url=jdbc:postgresql://${STACK_BIND_HOST}:${PG_PORT}/${ICEBERG_CATALOG_DB}
iceberg.jdbc-catalog.connection-user=${PG_SUPERUSER}
iceberg.jdbc-catalog.connection-password=${PG_PASSWORD}
iceberg.jdbc-catalog.catalog-name=iceberg
iceberg.jdbc-catalog.default-warehouse-dir=s3://${S3_BUCKET}/warehouse
iceberg.file-format=PARQUET
${s3_props}
EOF
  # External Parquet tables over S3 prefixes: non-managed creates and writes allowed, DROP of an
  # external table removes only the metastore entry. Microsecond timestamps so that values such
  # as 23:59:59.999999 read back exactly.
  cat >"${TRINO_ETC}/catalog/hive.properties" <<EOF
connector.name=hive
hive.metastore=file
hive.metastore.catalog.dir=s3://${S3_BUCKET}/hive-metastore
hive.non-managed-table-writes-enabled=true
hive.non-managed-table-creates-enabled=true
hive.storage-format=PARQUET
hive.timestamp-precision=MICROSECONDS
hive.security=allow-all
${s3_props}
EOF
  chmod 600 "${TRINO_ETC}"/catalog/*.properties
}

trino_is_running() {
  pid_file_is_ours "$TRINO_PID_FILE" "-Dnode.data-dir=${TRINO_DATA}"
}

trino_query() {
  python3 "${STACK_DIR}/trino-query.py" --server "$TRINO_URL" --user "$TRINO_USER" "$@"
}

trino_info_started() {
  curl -sS --max-time 5 "${TRINO_URL}/v1/info" | grep -q '"starting":false'
}

trino_start() {
  local t0 java_home
  t0="$(now_ms)"
  java_home="$(trino_find_java_home)" ||
    die "Trino ${TRINO_VERSION} needs a JDK >= ${TRINO_MIN_JAVA} under /usr/lib/jvm (e.g. Temurin 25); none found"
  trino_install
  if trino_is_running; then
    log "trino: already running (pid $(pid_from_file "$TRINO_PID_FILE"))"
    # It may still be starting (e.g. started by `start trino` a moment ago): wait for it.
    wait_until 180 trino_info_started || die "trino is running but not ready after 180s; see ${TRINO_SERVER_LOG}"
    return 0
  fi
  pg_is_running || die "trino needs postgres (its Iceberg catalog); run: stack.sh start postgres"
  s3_is_running || die "trino needs s3 (its warehouse); run: stack.sh start s3"
  trino_write_config
  log "trino: starting on ${TRINO_URL} with $(basename "$java_home") (heap ${TRINO_HEAP})"
  local t_start
  t_start="$(now_ms)"
  # The launcher daemonizes the JVM and records its pid in our pid file.
  JAVA_HOME="$java_home" PATH="${java_home}/bin:${PATH}" \
    "${TRINO_INSTALL}/bin/launcher" start \
    --etc-dir "$TRINO_ETC" --data-dir "$TRINO_DATA" --pid-file "$TRINO_PID_FILE" \
    --jvm-dir "$java_home" -D "node.data-dir=${TRINO_DATA}" >&2 9>&- ||
    die "trino launcher failed; see ${TRINO_DATA}/var/log/launcher.log"
  if ! wait_until 180 trino_info_started; then
    die "trino did not finish starting within 180s; last log lines:$(printf '\n')$(tail -n 30 "$TRINO_SERVER_LOG")"
  fi
  local out
  out="$(trino_query --catalog iceberg 'SHOW SCHEMAS FROM iceberg' 2>&1)" ||
    die "trino started but the iceberg catalog does not answer: ${out}"
  log "trino: started in $(elapsed_since "$t_start") (ready in $(elapsed_since "$t0") including install)"
}

trino_stop() {
  if ! trino_is_running; then
    log "trino: not running"
    rm -f "$TRINO_PID_FILE"
    return 0
  fi
  log "trino: stopping (pid $(pid_from_file "$TRINO_PID_FILE"))"
  # Our own pid-checked TERM (graceful JVM shutdown hooks) rather than the launcher's stop.
  stop_pid_file "$TRINO_PID_FILE" "-Dnode.data-dir=${TRINO_DATA}" 60
}

trino_health() {
  trino_is_running || {
    echo "not running"
    return 1
  }
  trino_info_started || {
    echo "/v1/info does not say starting:false"
    return 1
  }
  local out
  out="$(trino_query --catalog iceberg 'SELECT 1' 2>&1)" || {
    echo "SELECT 1 on iceberg failed: ${out}"
    return 1
  }
  out="$(trino_query 'SHOW SCHEMAS FROM iceberg' 2>&1)" || {
    echo "SHOW SCHEMAS FROM iceberg failed: ${out}"
    return 1
  }
  echo "ok (pid $(pid_from_file "$TRINO_PID_FILE"), ${TRINO_URL}, iceberg catalog answers)"
}

trino_env() {
  cat <<EOF
export TRINO_HOST=${STACK_BIND_HOST}
export TRINO_PORT=${TRINO_PORT}
export TRINO_USER=${TRINO_USER}
export TRINO_PASSWORD=
export TRINO_HTTP_SCHEME=http
export TRINO_CATALOG=iceberg
EOF
}

# Trino holds no data of its own: the Iceberg catalog is reset with PostgreSQL, the table files
# and the Hive file metastore with the bucket. Only the node's local state is cleared here.
trino_reset() {
  if ! trino_is_running; then
    rm -rf "${TRINO_DATA}/var/cache"
  fi
}
