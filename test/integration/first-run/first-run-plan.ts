/**
 * project_01's generated plan (dev) pointed at never-used state, so the demo's jobs meet the
 * stack as they would on a fresh machine: every schema (targets, dbt, staging, dbt sources, run
 * history), the bucket prefix and the source schema carry the test run's tag. Only names change;
 * pipelines, transforms, checks, jobs and dbt models are the demo's own.
 */
import { environmentPlan, sameEnvironments, type TenantPlan } from "@etl/runtime";
import { plan as generated } from "@etl/tenant-project_01";

export const TENANT = "project_01";
export const basePathOf = (tag: string) => `first-run-it/${tag}/project_id=${TENANT}`;
export const sourceSchemaOf = (tag: string) => `${tag}_src`;

export function firstRunPlan(tag: string): TenantPlan {
  const plan = structuredClone(generated);
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = basePathOf(tag);
  env.resources.source.schema = sourceSchemaOf(tag);
  for (const pipeline of env.pipelines) {
    if (pipeline.trinoOutput !== null) {
      pipeline.trinoOutput = {
        ...pipeline.trinoOutput,
        schema: `${tag}_${pipeline.trinoOutput.schema}`,
      };
    }
  }
  if (env.dbt === null) throw new Error("project_01's dev plan has no dbt project");
  env.dbt = { ...env.dbt, targetSchema: `${tag}_${env.dbt.targetSchema}` };
  env.runtimeObjects = {
    staging: { catalog: "hive", schema: `${tag}_staging` },
    dbtSources: { catalog: "hive", schema: `${tag}_sources` },
    runHistory: { catalog: "hive", schema: `${tag}_ops`, table: `${TENANT}_runs` },
  };
  return { ...plan, ...sameEnvironments(env) };
}
