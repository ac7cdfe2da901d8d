/**
 * The tenant-isolation suite's plans: project_01's and project_02's generated plans (dev), each
 * with its own storage prefix and source schema, both loading into the SAME Trino tables of one
 * test schema: `lot_raw` (lot_history of a day, unchanged, replace_partition) and `aps_input_wip`
 * (each tenant's own WIP transform, merge on its keys). The two WIP transforms differ: project_01's
 * output has an extra column (high_priority_count), so the shared table also evolves while both
 * tenants write to it. Job `shared` runs the extract, transfer and load of both.
 */
import {
  type AssetPlan,
  environmentPlan,
  type PipelinePlan,
  sameEnvironments,
  type TenantPlan,
} from "@etl/runtime";
import { plan as plan01 } from "@etl/tenant-project_01";
import { plan as plan02 } from "@etl/tenant-project_02";

export const TENANTS = ["project_01", "project_02"] as const;
export type IsolationTenant = (typeof TENANTS)[number];
export const ISO_SOURCE_SCHEMA = "isolation_src";
export const ISO_TRINO_SCHEMA = "isolation_it";
export const ISO_JOB = "shared";
export const basePathOf = (tenant: IsolationTenant) => `isolation-it/project_id=${tenant}`;

function need<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`isolation plan: no ${what}`);
  return value;
}

export function isolationPlan(tenant: IsolationTenant): TenantPlan {
  const plan = structuredClone(tenant === "project_01" ? plan01 : plan02);
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = basePathOf(tenant);
  env.resources.source.schema = ISO_SOURCE_SCHEMA;
  const lot = need(
    env.pipelines.find((p) => p.name === "lot_history"),
    `${tenant} lot_history pipeline`,
  );
  const out = need(lot.trinoOutput, `${tenant} lot_history trino_output`);
  lot.saveToS3 = true;
  lot.saveToTrino = true;
  lot.trinoOutput = { ...out, schema: ISO_TRINO_SCHEMA };
  const raw: PipelinePlan = {
    ...structuredClone(lot),
    name: "lot_raw",
    hasTransfer: false,
    transfer: null,
    trinoOutput: {
      ...out,
      schema: ISO_TRINO_SCHEMA,
      table: "lot_raw",
      keyColumns: ["project_id", "lot_id"],
      writeMode: "replace_partition",
    },
    // The suite's own source table: no pinned snapshot to drift from.
    columns: null,
    schemaHash: null,
    checks: [],
  };
  env.pipelines.push(raw);
  const asset = (stage: AssetPlan["stage"], name: string, deps: string[]): AssetPlan => ({
    key: `${tenant}/${stage}/${name}`,
    stage,
    pipeline: name,
    deps,
    partitioned: true,
    description: `${stage} of ${name} (isolation test)`,
    dbt: null,
  });
  const wanted = [
    asset("extract", "lot_raw", []),
    asset("load", "lot_raw", [`${tenant}/extract/lot_raw`]),
    asset("extract", "lot_history", []),
    asset("transfer", "lot_history", [`${tenant}/extract/lot_history`]),
    asset("load", "lot_history", [`${tenant}/transfer/lot_history`]),
  ];
  const existing = new Set(env.assets.map((a) => a.key));
  env.assets.push(...wanted.filter((a) => !existing.has(a.key)));
  env.jobs.push({
    name: ISO_JOB,
    description: "two tenants into the same tables (isolation test)",
    assets: wanted.map((a) => a.key),
    partitioned: true,
    schedule: null,
    concurrency: 2,
  });
  return { ...plan, ...sameEnvironments(env) };
}
