/**
 * Records and plans the runtime's own unit tests build on, each with every field set and the
 * few a test cares about overridden. Test support only: left out of the build
 * (tsconfig.build.json).
 */
import type { RunRecord } from "./ledger/types.js";
import {
  type EnvironmentPlan,
  type PipelinePlan,
  sameEnvironments,
  type TenantPlan,
} from "./plan.js";

/** A running run of tenant `t`'s daily_etl for 2026-01-02. */
export function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: "20260102T000000Z-0a1b2c3d",
    tenant: "t",
    environment: "dev",
    job: "daily_etl",
    partition: "2026-01-02",
    status: "running",
    select: null,
    trigger: "cli",
    startedAt: "2026-01-02T00:00:00.000Z",
    finishedAt: null,
    pid: 1,
    host: "h",
    succeeded: 0,
    failed: 0,
    skipped: 0,
    error: null,
    ...overrides,
  };
}

/** An unpartitioned pipeline `orders` reading table `orders`, extract only. */
export function pipelinePlan(overrides: Partial<PipelinePlan> = {}): PipelinePlan {
  return {
    name: "orders",
    sourceTable: "orders",
    query: null,
    dateColumn: null,
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: false,
    trinoOutput: null,
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 10, maxFileRows: 10 },
    ...overrides,
  };
}

type Resources = EnvironmentPlan["resources"];

/**
 * Tenant `id` with one environment plan for dev, staging and prod: literal connection values
 * (overridden per group in `resources`), no pipelines, assets or jobs unless given.
 */
export function tenantPlan(
  id: string,
  options: {
    resources?: {
      source?: Partial<Resources["source"]>;
      storage?: Partial<Resources["storage"]>;
      trino?: Partial<Resources["trino"]>;
    };
    envVars?: string[];
    environment?: Partial<Omit<EnvironmentPlan, "resources">>;
  } = {},
): TenantPlan {
  const resources = options.resources ?? {};
  const env: EnvironmentPlan = {
    enabled: true,
    resources: {
      source: {
        host: "db",
        port: "5432",
        database: "d",
        user: "u",
        password: "pw-literal",
        schema: "public",
        ...resources.source,
      },
      storage: { bucket: "", basePath: `project_id=${id}`, ...resources.storage },
      trino: {
        host: "trino",
        port: "8080",
        user: "etl",
        password: "",
        httpScheme: "http",
        catalog: "iceberg",
        schema: "s",
        ...resources.trino,
      },
    },
    partitions: { startDate: "2026-01-01", timezone: "UTC" },
    pipelines: [],
    assets: [],
    jobs: [],
    dbt: null,
    ...options.environment,
  };
  return {
    generatorVersion: "test",
    tenant: { id, name: id.toUpperCase(), enabled: true, tags: {} },
    envVars: options.envVars ?? [],
    ...sameEnvironments(env),
  };
}
