/**
 * Records and plans the runtime's own unit tests build on, each with every field set and the
 * few a test cares about overridden. Test support only: left out of the build
 * (tsconfig.build.json).
 */
import type { RunRecord } from "./ledger/types.js";
import type { PipelinePlan } from "./plan.js";

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
