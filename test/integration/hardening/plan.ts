/**
 * The hardening suites' plan: project_01's generated plan (through the orchestration tests' test
 * plan) with its own storage prefix, source schema and Trino schema, and one job `raw` that
 * extracts lot_history of a day and loads it unchanged (replace_partition) into Trino, so the
 * target can be compared row for row with the source.
 */
import { environmentPlan, sameEnvironments, type TenantPlan } from "@etl/runtime";
import { orchestrationPlan, TENANT } from "../orchestration/stack-plan.js";

export { TENANT };
export const SOURCE_SCHEMA = "hardening_faults";
export const TRINO_SCHEMA = "hardening_it";
export const BASE_PATH = "hardening/project_id=project_01";
export const RAW_JOB = "raw";
export const RAW_ASSETS = [`${TENANT}/extract/lot_raw`, `${TENANT}/load/lot_raw`];

export function hardeningPlan(basePath = BASE_PATH): TenantPlan {
  const plan = orchestrationPlan();
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = basePath;
  env.resources.source.schema = SOURCE_SCHEMA;
  for (const p of env.pipelines) {
    if (p.trinoOutput !== null) p.trinoOutput = { ...p.trinoOutput, schema: TRINO_SCHEMA };
    if (p.name === "lot_raw") {
      // The source table here is the suite's own copy: no pinned snapshot to drift from.
      p.columns = null;
      p.schemaHash = null;
      p.checks = [];
    }
  }
  env.jobs.push({
    name: RAW_JOB,
    description: "extract and load lot_history unchanged (hardening tests)",
    assets: RAW_ASSETS,
    partitioned: true,
    schedule: null,
    concurrency: 1,
  });
  return { ...plan, ...sameEnvironments(env) };
}
