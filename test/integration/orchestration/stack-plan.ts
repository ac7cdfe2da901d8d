/**
 * project_01's generated plan, changed for the orchestration tests: its own storage prefix and
 * Trino schema (so other suites sharing the stack are not disturbed), lot_history's transfer
 * output loaded into Trino, a raw extract-only load of lot_history (rows countable against
 * PostgreSQL), and a `broken` job whose custom query is bad SQL.
 */
import {
  type AssetPlan,
  environmentPlan,
  type JobPlan,
  type PipelinePlan,
  sameEnvironments,
  type TenantPlan,
} from "@etl/runtime";
import { plan as generated } from "@etl/tenant-project_01";

export const TENANT = "project_01";
export const TRINO_SCHEMA = "orch_it";
export const BASE_PATH = "orch-it/project_id=project_01";
export const ZONE = "Asia/Seoul";

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`generated project_01 plan has no ${what}`);
  return value;
}

export function orchestrationPlan(): TenantPlan {
  const plan = structuredClone(generated);
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = BASE_PATH;
  const lot = need(
    env.pipelines.find((p) => p.name === "lot_history"),
    "lot_history pipeline",
  );
  const out = need(lot.trinoOutput ?? undefined, "lot_history trino_output");
  lot.saveToTrino = true;
  lot.trinoOutput = { ...out, schema: TRINO_SCHEMA };
  // Every load of the test plan goes to the test's own schema, never to the tenant's real tables.
  for (const p of env.pipelines) {
    if (p.trinoOutput !== null) p.trinoOutput = { ...p.trinoOutput, schema: TRINO_SCHEMA };
  }
  const raw: PipelinePlan = {
    ...structuredClone(lot),
    name: "lot_raw",
    hasTransfer: false,
    transfer: null,
    trinoOutput: { ...out, schema: TRINO_SCHEMA, table: "lot_raw", writeMode: "replace_partition" },
    checks: [
      { type: "row_count", name: "some_rows", min: 1, max: null, severity: "error" },
      { type: "not_null", name: "lot_id_present", column: "lot_id", severity: "warn" },
    ],
  };
  const broken: PipelinePlan = {
    ...structuredClone(lot),
    name: "broken",
    sourceTable: null,
    query: "SELECT lot_id, created_at, no_such_column FROM lot_history",
    hasTransfer: false,
    transfer: null,
    saveToTrino: false,
    trinoOutput: null,
    columns: null,
    schemaHash: null,
    checks: [],
  };
  env.pipelines.push(raw, broken);
  const asset = (stage: AssetPlan["stage"], name: string, deps: string[]): AssetPlan => ({
    key: `${TENANT}/${stage}/${name}`,
    stage,
    pipeline: name,
    deps,
    partitioned: true,
    description: `${stage} of ${name} (orchestration test)`,
    dbt: null,
  });
  const added = [
    asset("load", "lot_history", [`${TENANT}/transfer/lot_history`]),
    asset("extract", "lot_raw", []),
    asset("load", "lot_raw", [`${TENANT}/extract/lot_raw`]),
    asset("extract", "broken", []),
    asset("transfer", "broken_child", [`${TENANT}/extract/broken`]),
  ];
  // The generated plan may already load lot_history (project_01 does in every environment).
  const existing = new Set(env.assets.map((a) => a.key));
  env.assets.push(...added.filter((a) => !existing.has(a.key)));
  const daily: JobPlan = need(
    env.jobs.find((j) => j.name === "daily_etl"),
    "daily_etl job",
  );
  const inDaily = new Set(daily.assets);
  daily.assets.push(
    ...added
      .slice(0, 3)
      .map((a) => a.key)
      .filter((k) => !inDaily.has(k)),
  );
  env.jobs.push({
    name: "broken",
    description: "a bad custom query (orchestration test)",
    assets: [`${TENANT}/extract/broken`, `${TENANT}/transfer/broken_child`],
    partitioned: true,
    schedule: null,
    concurrency: 1,
  });
  return { ...plan, ...sameEnvironments(env) };
}

/** Partition keys of the daily_etl job in the test plan. */
export function dailyAssets(plan: TenantPlan): string[] {
  return need(
    environmentPlan(plan, "dev").jobs.find((j) => j.name === "daily_etl"),
    "daily_etl job",
  ).assets;
}
