/**
 * Where the runtime keeps its own Trino objects for one tenant and environment: the plan's
 * `runtimeObjects` where it names them, else the defaults. One place decides, so the stages, the
 * dbt stage and the run history writer always agree (and a test can point all of them at
 * never-used names).
 */
import { defaultDbtSourcesPlace } from "./dbt/sources.js";
import { DEFAULT_RUN_HISTORY_SCHEMA, runHistoryTableName } from "./ledger/history.js";
import { DEFAULT_STAGING_CATALOG, DEFAULT_STAGING_SCHEMA } from "./load/staging.js";
import type { EnvironmentPlan, TrinoSchemaRef } from "./plan.js";

export interface RuntimeObjects {
  /** Hive schema of the loads' (and staged checks') external staging tables. */
  staging: TrinoSchemaRef;
  /** Hive schema where the extracts that dbt reads are exposed as views. */
  dbtSources: TrinoSchemaRef;
  /** Hive table over the run history Parquet files. */
  runHistory: TrinoSchemaRef & { table: string };
}

/** The runtime's Trino objects of `tenantId` in `envPlan`. */
export function runtimeObjects(
  tenantId: string,
  envPlan: Pick<EnvironmentPlan, "runtimeObjects">,
): RuntimeObjects {
  const chosen = envPlan.runtimeObjects;
  return {
    staging: chosen?.staging ?? {
      catalog: DEFAULT_STAGING_CATALOG,
      schema: DEFAULT_STAGING_SCHEMA,
    },
    dbtSources: chosen?.dbtSources ?? defaultDbtSourcesPlace(tenantId),
    runHistory: chosen?.runHistory ?? {
      catalog: DEFAULT_STAGING_CATALOG,
      schema: DEFAULT_RUN_HISTORY_SCHEMA,
      table: runHistoryTableName(tenantId),
    },
  };
}
