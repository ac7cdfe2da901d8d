# shellcheck shell=bash
# dbt: a Python virtualenv in the cache with dbt-core and dbt-trino. Nothing runs in the
# background; "healthy" means `dbt --version` works and lists the trino plugin.

DBT_VENV="${ETL_STACK_HOME}/dbt-venv"
DBT_BIN="${DBT_VENV}/bin/dbt"
# Pins and the reason for them: docs/stack.md ("dbt versions"). In short: dbt-core 1.12.1+ needs
# dbt-core-experimental-parser >= 2.0.0b1, published only as an sdist whose build downloads a wheel
# from outside the package registry; 1.12.0 accepts 2.0.0a4, which PyPI ships as a wheel.
DBT_REQUIREMENTS=("dbt-core==1.12.0" "dbt-core-experimental-parser==2.0.0a4" "dbt-trino~=1.10.0" "trino>=0.334")
DBT_MARKER="${DBT_VENV}/.etl-stack-requirements"

dbt_python() {
  # The interpreter that creates the venv; any CPython >= 3.10 with the venv module.
  local py
  for py in "${ETL_STACK_PYTHON:-}" python3 /usr/bin/python3; do
    [[ -n "$py" ]] || continue
    if command -v "$py" >/dev/null && "$py" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

dbt_install() {
  if [[ -x "$DBT_BIN" && -f "$DBT_MARKER" && "$(cat "$DBT_MARKER")" == "${DBT_REQUIREMENTS[*]}" ]]; then
    return 0
  fi
  local t0 py
  t0="$(now_ms)"
  if ! py="$(dbt_python)"; then
    apt_install python3-venv
    py="$(dbt_python)" || die "no Python >= 3.10 with the venv module found for dbt"
  fi
  log "dbt: creating virtualenv ${DBT_VENV} with ${py} and installing ${DBT_REQUIREMENTS[*]}"
  rm -rf "$DBT_VENV"
  "$py" -m venv "$DBT_VENV"
  "${DBT_VENV}/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
  "${DBT_VENV}/bin/python" -m pip install -q --disable-pip-version-check \
    --only-binary=dbt-core-experimental-parser "${DBT_REQUIREMENTS[@]}" >&2 ||
    die "pip could not install ${DBT_REQUIREMENTS[*]}"
  printf '%s\n' "${DBT_REQUIREMENTS[*]}" >"$DBT_MARKER"
  log "dbt: installed in $(elapsed_since "$t0")"
}

dbt_start() {
  dbt_install
  log "dbt: ready (${DBT_REQUIREMENTS[*]})"
}

# Nothing runs in the background.
dbt_stop() {
  :
}

dbt_health() {
  [[ -x "$DBT_BIN" ]] || {
    echo "not installed (${DBT_BIN} missing)"
    return 1
  }
  local out
  # DBT_PROFILES_DIR pointed at an empty dir keeps the check independent of ~/.dbt.
  out="$(cd "$DBT_VENV" && DBT_PROFILES_DIR="$DBT_VENV" "$DBT_BIN" --version 2>&1)" || {
    echo "dbt --version failed: ${out}"
    return 1
  }
  grep -q 'trino' <<<"$out" || {
    echo "dbt --version does not list the trino plugin: ${out}"
    return 1
  }
  local core trino
  core="$(sed -n 's/.*installed: *\([0-9.]*\).*/\1/p' <<<"$out" | head -n 1)"
  trino="$(sed -n 's/.*- trino: *\([0-9.]*\).*/\1/p' <<<"$out" | head -n 1)"
  echo "ok (dbt-core ${core:-?}, dbt-trino ${trino:-?}, ${DBT_BIN})"
}

dbt_env() {
  printf 'export DBT_BIN=%s\n' "$DBT_BIN"
}
