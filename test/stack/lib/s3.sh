# shellcheck shell=bash
# S3 server: versitygw (posix backend), built with `go install` from the Go module proxy.
# Why versitygw and not MinIO: docs/decisions/s3-server.md.

VERSITYGW_MODULE="github.com/versity/versitygw/cmd/versitygw"
VERSITYGW_VERSION="v1.8.0"
S3_HOME="${ETL_STACK_HOME}/s3"
S3_DATA="${S3_HOME}/data"
S3_LOG="${S3_HOME}/versitygw.log"
S3_PID_FILE="${S3_HOME}/versitygw.pid"
STACK_BIN="${ETL_STACK_HOME}/bin"
S3_BIN="${STACK_BIN}/versitygw-${VERSITYGW_VERSION}"
S3_ENDPOINT="http://${STACK_BIND_HOST}:${S3_PORT}"

s3_install() {
  if [[ -x "$S3_BIN" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go is required to build versitygw (install Go >= 1.24)"
  local t0 build_bin="${ETL_STACK_HOME}/go/bin"
  t0="$(now_ms)"
  log "s3: go install ${VERSITYGW_MODULE}@${VERSITYGW_VERSION} (first time only, a few minutes)"
  mkdir -p "$STACK_BIN" "$build_bin"
  # Module and build caches live in the stack's cache, never in the repo.
  GOBIN="$build_bin" GOPATH="${ETL_STACK_HOME}/go" GOMODCACHE="${ETL_STACK_HOME}/go/pkg/mod" \
    GOFLAGS="-buildvcs=false -modcacherw" CGO_ENABLED=0 \
    go install "${VERSITYGW_MODULE}@${VERSITYGW_VERSION}" >&2 ||
    die "go install of versitygw failed"
  mv "${build_bin}/versitygw" "$S3_BIN"
  log "s3: built in $(elapsed_since "$t0")"
}

s3_is_running() {
  pid_file_is_ours "$S3_PID_FILE" "$S3_BIN"
}

# SHA-256 of an empty body: every request the script sends is bodyless.
S3_EMPTY_SHA256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# curl signs with SigV4 itself, so no AWS CLI is needed.
s3_curl() {
  curl -sS --fail-with-body --max-time 10 \
    --aws-sigv4 "aws:amz:${S3_REGION}:s3" --user "${S3_ACCESS_KEY}:${S3_SECRET_KEY}" \
    -H "x-amz-content-sha256: ${S3_EMPTY_SHA256}" "$@"
}

s3_list_bucket() {
  s3_curl "${S3_ENDPOINT}/${S3_BUCKET}?list-type=2&max-keys=1"
}

s3_ensure_bucket() {
  if s3_curl -o /dev/null -I "${S3_ENDPOINT}/${S3_BUCKET}" 2>/dev/null; then
    return 0
  fi
  log "s3: creating bucket ${S3_BUCKET}"
  s3_curl -o /dev/null -X PUT "${S3_ENDPOINT}/${S3_BUCKET}" || die "could not create bucket ${S3_BUCKET}"
}

s3_start() {
  local t0
  t0="$(now_ms)"
  s3_install
  if s3_is_running; then
    log "s3: already running (pid $(pid_from_file "$S3_PID_FILE"))"
    s3_ensure_bucket
    return 0
  fi
  mkdir -p "$S3_DATA"
  log "s3: starting versitygw on ${STACK_BIND_HOST}:${S3_PORT}"
  # The child writes its own pid before exec, so the pid file names the server itself. Keys go
  # through the environment, not argv, so they do not show in `ps`.
  # 9>&-: the server must not inherit stack.sh's lock (fd 9), or it holds that lock forever.
  # shellcheck disable=SC2016  # $$ and $1 expand in the child shell, on purpose.
  ROOT_ACCESS_KEY_ID="$S3_ACCESS_KEY" ROOT_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$S3_PID_FILE" \
    "$S3_BIN" --port "${STACK_BIND_HOST}:${S3_PORT}" --region "$S3_REGION" --quiet \
    posix "$S3_DATA" </dev/null >>"$S3_LOG" 2>&1 9>&- &
  if ! wait_until 30 s3_curl -o /dev/null "${S3_ENDPOINT}/"; then
    die "versitygw did not answer on ${S3_ENDPOINT} within 30s; last log lines:$(printf '\n')$(tail -n 20 "$S3_LOG")"
  fi
  s3_ensure_bucket
  log "s3: ready in $(elapsed_since "$t0")"
}

s3_stop() {
  if ! s3_is_running; then
    log "s3: not running"
    rm -f "$S3_PID_FILE"
    return 0
  fi
  log "s3: stopping (pid $(pid_from_file "$S3_PID_FILE"))"
  stop_pid_file "$S3_PID_FILE" "$S3_BIN" 20
}

s3_health() {
  s3_is_running || {
    echo "not running"
    return 1
  }
  local out
  out="$(s3_list_bucket 2>&1)" || {
    echo "ListObjectsV2 on ${S3_BUCKET} failed: ${out}"
    return 1
  }
  echo "ok (pid $(pid_from_file "$S3_PID_FILE"), ${S3_ENDPOINT}, bucket ${S3_BUCKET} listed)"
}

s3_env() {
  cat <<EOF
export S3_ENDPOINT_URL=${S3_ENDPOINT}
export AWS_ACCESS_KEY_ID=${S3_ACCESS_KEY}
export AWS_SECRET_ACCESS_KEY=${S3_SECRET_KEY}
export AWS_REGION=${S3_REGION}
export AWS_DEFAULT_REGION=${S3_REGION}
export S3_BUCKET_NAME=${S3_BUCKET}
EOF
}

# Empties the bucket. With the posix backend every object is a file below the bucket directory,
# so removing those files is removing the objects; the bucket itself (and its metadata) stays.
s3_reset() {
  local bucket_dir="${S3_DATA}/${S3_BUCKET}"
  if [[ -d "$bucket_dir" ]]; then
    log "s3: emptying bucket ${S3_BUCKET}"
    find "$bucket_dir" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
  fi
  if s3_is_running; then
    s3_ensure_bucket
  fi
}
