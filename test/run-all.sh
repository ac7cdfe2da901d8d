#!/usr/bin/env bash
# The whole suite, as `npm test` runs it: lint, generated-code check, build, typecheck, unit and
# golden tests, then the real stack (brought up by this script) and the integration and end-to-end
# tests against it. Prints one closing line "N passed, N failed" summing every vitest run.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
export TURBO_TELEMETRY_DISABLED=1
export NEXT_TELEMETRY_DISABLED=1
results=$(mktemp -d "${TMPDIR:-/tmp}/etl-test-results.XXXXXX")
failed_steps=()

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS
elapsed() { printf '(%ss)' $((SECONDS - started)); }

summary() {
  node "$root/test/summarize-results.mjs" "$results" "${failed_steps[@]+"${failed_steps[@]}"}"
}

# A vitest run in one workspace folder, with a JSON report kept for the closing summary.
run_vitest() {
  local dir=$1 name=$2
  shift 2
  if (cd "$dir" && npx vitest run --reporter=default --reporter=json \
    --outputFile.json="$results/$name.json" "$@"); then
    return 0
  fi
  failed_steps+=("vitest:$name")
  return 0
}

step "lint (biome) $(elapsed)"
npx biome check . || failed_steps+=("lint")

step "generated/ is up to date (npm run generate -- --check) $(elapsed)"
npm run -s generate -- --check || failed_steps+=("generate --check")

step "build every package (turbo) $(elapsed)"
npx turbo run build --output-logs=errors-only || failed_steps+=("build")

step "typecheck every package (turbo) $(elapsed)"
npx turbo run typecheck --output-logs=errors-only || failed_steps+=("typecheck")

step "unit and golden tests $(elapsed)"
run_vitest runtime runtime
run_vitest generator generator
for pkg in generated/*/; do
  if [ -f "$pkg/vitest.config.ts" ]; then
    run_vitest "$pkg" "tenant-$(basename "$pkg")"
  fi
done

step "real stack up (PostgreSQL, S3, Trino/Iceberg, dbt) $(elapsed)"
if npm run -s stack -- up; then
  eval "$(npm run -s stack -- env)"
  step "sample data $(elapsed)"
  for tenant in project_01 project_02 default; do
    npm run -s sample-data -- --tenant "$tenant" || failed_steps+=("sample-data:$tenant")
  done
  step "headless Chromium for the console's browser tests $(elapsed)"
  bash test/integration/console/ensure-chromium.sh || failed_steps+=("chromium")
  step "integration and end-to-end tests $(elapsed)"
  run_vitest test integration
else
  failed_steps+=("stack up")
fi

step "done $(elapsed)"
summary
