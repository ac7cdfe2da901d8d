#!/usr/bin/env bash
# npm run demo: stack up, sample data, generate, build project_01, run its daily job for one
# partition end to end, then show what landed in Trino.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTITION="${DEMO_PARTITION:-2026-01-02}"
TENANT=project_01
# The demo is read by a person, also when its output goes to a file or a pipe: one readable line
# per event (ETL_LOG_FORMAT=json gives the JSON lines a log shipper wants).
export ETL_LOG_FORMAT="${ETL_LOG_FORMAT:-pretty}"
export TURBO_TELEMETRY_DISABLED=1

npm run -s stack -- up
eval "$(npm run -s stack -- env)"
npm run -s sample-data -- --tenant "$TENANT"
npm run -s generate
npx turbo run build --filter="@etl/tenant-$TENANT" --output-logs=errors-only
node "generated/$TENANT/dist/main.js" validate --connect
node "generated/$TENANT/dist/main.js" run daily_etl --partition "$PARTITION"
# Master data and its dbt models (one dbt build for the job's dbt assets).
node "generated/$TENANT/dist/main.js" run master_sync
node "generated/$TENANT/dist/main.js" status

# What landed in Trino, through its REST API (no CLI needed).
query() {
  local next body
  body=$(curl -sS -X POST -H "X-Trino-User: ${TRINO_USER:-etl}" --data "$1" \
    "http://${TRINO_HOST:-127.0.0.1}:${TRINO_PORT:-58080}/v1/statement")
  while :; do
    node -e 'const b=JSON.parse(process.argv[1]); if(b.error){console.error(b.error.message);process.exit(1)} for(const r of b.data??[]) console.log(r.join("\t"))' "$body"
    next=$(node -e 'const b=JSON.parse(process.argv[1]); process.stdout.write(b.nextUri??"")' "$body")
    [ -z "$next" ] && break
    body=$(curl -sS -H "X-Trino-User: ${TRINO_USER:-etl}" "$next")
  done
}
# project_01 loads into schemas aps and monitoring (its trino_output) and dbt builds into
# analytics_project_01_* (its dbt target schema + the models' custom schemas).
CAT="${TRINO_CATALOG:-iceberg}"
echo "== tables of $TENANT in $CAT"
query "SELECT DISTINCT table_schema || '.' || table_name FROM $CAT.information_schema.tables WHERE table_schema IN ('aps', 'monitoring') OR table_schema LIKE 'analytics_${TENANT}%' ORDER BY 1" |
  while read -r t; do
    echo "   $t: $(query "SELECT count(*) FROM $CAT.${t%%.*}.\"${t#*.}\"") rows"
  done
echo "== $CAT.aps.aps_input_wip, partition $PARTITION (first rows)"
query "SELECT snapshot_date, process_step, product_code, wip_qty, lot_count FROM $CAT.aps.aps_input_wip WHERE project_id = '$TENANT' AND snapshot_date = DATE '$PARTITION' ORDER BY process_step, product_code LIMIT 10"

# The web console over the same ledger and plan. `npm run demo -- --ui` keeps it running (Ctrl-C
# stops it); otherwise it is started, asked for the run just made, and stopped again.
UI_PORT="${DEMO_UI_PORT:-4700}"
UI="node generated/$TENANT/dist/main.js ui --port $UI_PORT"
if [ "${1:-}" = "--ui" ]; then
  echo "== console (Ctrl-C stops it)"
  exec $UI
fi
$UI >/dev/null 2>&1 &
ui_pid=$!
receiver_pid=
trap 'kill "$ui_pid" $receiver_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$UI_PORT/api/v1/me" >/dev/null && break
  sleep 0.2
done
runs=$(curl -sf "http://127.0.0.1:$UI_PORT/api/v1/tenants/$TENANT/runs?limit=5" |
  node -e 'let t="";process.stdin.on("data",(d)=>t+=d).on("end",()=>{const r=JSON.parse(t).runs;console.log(r.length===0?"no run yet":r.map((x)=>`${x.job} ${x.partition??"-"} ${x.status}`).join(", "))})')
echo "== the web console showed: $runs"
echo "   keep it running with: npm run demo -- --ui   (or: $UI)"
echo "console: http://127.0.0.1:$UI_PORT/"

# Operations (docs/operations.md). Alerts: project_01 posts failed runs to the webhook in
# PROJECT_01_ALERT_WEBHOOK_URL; here a local receiver, and a run that fails on purpose (a wrong
# database password). The alert names the tenant, job, partition, asset and error, never the
# password; the run's own outcome stays its own.
echo "== alerts: a run failing on purpose (wrong database password) alerts a local webhook"
ALERTS=$(mktemp -d)
node test/src/demo-receiver.mjs "$ALERTS" &
receiver_pid=$!
for _ in $(seq 1 100); do [ -s "$ALERTS/port" ] && break; sleep 0.1; done
if PROJECT_01_ALERT_WEBHOOK_URL="http://127.0.0.1:$(cat "$ALERTS/port")/hooks/demo" \
  PROJECT_01_DB_PASSWORD=not-the-password \
  node "generated/$TENANT/dist/main.js" run daily_etl --partition "$PARTITION" \
  --select "$TENANT/extract/lot_history" >"$ALERTS/run.log" 2>&1; then
  echo "the run meant to fail succeeded; see $ALERTS/run.log" >&2
  exit 1
fi
[ -s "$ALERTS/1.json" ] || { echo "no alert reached the receiver; see $ALERTS/run.log" >&2; exit 1; }
node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const {event,tenant,job,partition,asset,error}=a; console.log(JSON.stringify({event,tenant,job,partition,asset,error},null,2))' "$ALERTS/1.json"
# Metrics: the console (like `serve --metrics-port`) serves Prometheus' text format on /metrics.
echo "== metrics: GET /metrics (Prometheus text format), the run counters"
curl -sf "http://127.0.0.1:$UI_PORT/metrics" | grep -E '^etl_runs_total' | head -n 8
