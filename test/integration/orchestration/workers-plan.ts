/**
 * The orchestration test plan for the backfill worker test, with its own Trino schema and storage
 * prefix (named by the test run, from BACKFILL_IT_RUN) and a `raw_daily` job: lot_history
 * extracted and loaded as it is (replace_partition), so each day's rows are countable against
 * PostgreSQL.
 */
import { environmentPlan, sameEnvironments, type TenantPlan } from "@etl/runtime";
import { orchestrationPlan, TENANT } from "./stack-plan.js";

export const RAW_JOB = "raw_daily";

/** Schema and prefix of one test run. */
export function workersPlace(runName: string): { schema: string; basePath: string } {
  return { schema: `bf_it_${runName}`, basePath: `bf-it-${runName}/project_id=${TENANT}` };
}

export function workersPlan(runName: string): TenantPlan {
  const plan = orchestrationPlan();
  const place = workersPlace(runName);
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = place.basePath;
  for (const p of env.pipelines) {
    if (p.trinoOutput !== null) p.trinoOutput = { ...p.trinoOutput, schema: place.schema };
  }
  env.jobs.push({
    name: RAW_JOB,
    description: "lot_history extracted and loaded as it is (backfill worker test)",
    assets: [`${TENANT}/extract/lot_raw`, `${TENANT}/load/lot_raw`],
    partitioned: true,
    schedule: null,
    concurrency: 1,
  });
  return { ...plan, ...sameEnvironments(env) };
}
