import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileAlertStore } from "../alerts/store.js";
import { FileLedger } from "../ledger/file.js";
import type { MaterializationRecord, RunRecord } from "../ledger/types.js";
import type { EnvironmentPlan, TenantPlan } from "../plan.js";
import { createMetricsRegistry, renderMetrics } from "./index.js";

let home = "";
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), "etl-metrics-"));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const envPlan = {
  assets: [
    {
      key: "t/extract/a",
      stage: "extract",
      pipeline: "a",
      deps: [],
      partitioned: true,
      description: "",
      dbt: null,
    },
    {
      key: "t/load/a",
      stage: "load",
      pipeline: "a",
      deps: ["t/extract/a"],
      partitioned: true,
      description: "",
      dbt: null,
      freshness: { maxLagSeconds: 3600, deadline: null },
    },
  ],
  jobs: [
    {
      name: "daily",
      description: "",
      assets: [],
      partitioned: true,
      schedule: null,
      concurrency: 1,
    },
  ],
  partitions: { startDate: "2026-01-01", timezone: "UTC" },
} as unknown as EnvironmentPlan;
const plan = { tenant: { id: "t", name: "T", enabled: true, tags: {} } } as unknown as TenantPlan;

const run = (id: string, status: RunRecord["status"], seconds: number): RunRecord => ({
  runId: id,
  tenant: "t",
  environment: "dev",
  job: "daily",
  partition: "2026-01-01",
  status,
  select: null,
  trigger: "cli",
  startedAt: "2026-01-02T00:00:00.000Z",
  finishedAt:
    status === "running"
      ? null
      : new Date(Date.parse("2026-01-02T00:00:00.000Z") + seconds * 1000).toISOString(),
  pid: 1,
  host: "h",
  succeeded: 0,
  failed: 0,
  skipped: 0,
  error: null,
});
const mat = (
  runId: string,
  key: string,
  status: MaterializationRecord["status"],
  attempts: number,
  metadata: Record<string, unknown>,
  finishedAt = "2026-01-02T00:00:02.000Z",
): MaterializationRecord => ({
  runId,
  tenant: "t",
  job: "daily",
  assetKey: key,
  partition: "2026-01-01",
  status,
  startedAt: "2026-01-02T00:00:00.000Z",
  finishedAt,
  attempts,
  metadata,
  error: null,
});

describe("metrics from the ledger", () => {
  it("counts runs, assets, rows, retries, checks and alert deliveries, and reports freshness, in the text format", async () => {
    const ledger = new FileLedger(home, "t");
    await ledger.putRun(run("r1", "failed", 30));
    await ledger.putRun(run("r2", "succeeded", 90));
    await ledger.putRun(run("r3", "running", 0));
    await ledger.putMaterialization(
      mat("r2", "t/extract/a", "succeeded", 3, { rows: 120, bytes: 4096 }),
    );
    await ledger.putMaterialization(mat("r2", "t/load/a", "succeeded", 1, { rowsStaged: 120 }));
    // r1 failed before r2 succeeded: the partition's latest record is r2's success.
    await ledger.putMaterialization(
      mat("r1", "t/load/a", "failed", 1, {}, "2026-01-02T00:00:01.000Z"),
    );
    await ledger.putCheck({
      runId: "r2",
      tenant: "t",
      assetKey: "t/load/a",
      partition: "2026-01-01",
      checkName: "positive",
      severity: "warn",
      passed: false,
      metadata: {},
      checkedAt: "2026-01-02T00:00:02.000Z",
    });
    const alerts = new FileAlertStore(home, "t");
    await alerts.claim({
      tenant: "t",
      destination: "ops",
      dedupKey: "run_failed:r1",
      event: "run_failed",
      status: "sent",
      attempts: 2,
      summary: "s",
      createdAt: "2026-01-02T00:00:01.000Z",
      updatedAt: "2026-01-02T00:00:01.000Z",
      httpStatus: 200,
      error: null,
    });
    const registry = createMetricsRegistry(() => [{ plan, envPlan, ledger, alerts }], {
      now: () => new Date("2026-01-02T03:00:00.000Z"),
    });
    const { contentType, body } = await renderMetrics(registry);
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    for (const line of [
      "# TYPE etl_runs_total counter",
      'etl_runs_total{tenant="t",job="daily",status="failed"} 1',
      'etl_runs_total{tenant="t",job="daily",status="succeeded"} 1',
      'etl_runs_in_progress{tenant="t",job="daily"} 1',
      'etl_run_duration_seconds_bucket{le="60",tenant="t",job="daily"} 1',
      'etl_run_duration_seconds_count{tenant="t",job="daily"} 2',
      'etl_asset_materializations_total{tenant="t",asset="t/load/a",stage="load",status="failed"} 1',
      'etl_asset_rows_total{tenant="t",asset="t/extract/a",stage="extract"} 120',
      'etl_asset_rows_total{tenant="t",asset="t/load/a",stage="load"} 120',
      'etl_asset_bytes_total{tenant="t",asset="t/extract/a",stage="extract"} 4096',
      'etl_asset_retries_total{tenant="t",asset="t/extract/a",stage="extract"} 2',
      'etl_check_failures_total{tenant="t",asset="t/load/a",check="positive",severity="warn"} 1',
      // Data of 2026-01-01 (UTC) reaches 2026-01-02T00:00Z: 3 h behind at 03:00, past its 1 h.
      'etl_asset_freshness_lag_seconds{tenant="t",asset="t/load/a"} 10800',
      'etl_asset_freshness_max_lag_seconds{tenant="t",asset="t/load/a"} 3600',
      'etl_asset_freshness_breached{tenant="t",asset="t/load/a"} 1',
      'etl_asset_last_success_timestamp_seconds{tenant="t",asset="t/load/a"} 1767312002',
      'etl_asset_seconds_since_last_success{tenant="t",asset="t/load/a"} 10798',
      'etl_alert_deliveries_total{tenant="t",destination="ops",event="run_failed",status="sent"} 1',
      'etl_alert_delivery_attempts_total{tenant="t",destination="ops"} 2',
    ]) {
      expect(body.split("\n"), line).toContain(line);
    }
    // No freshness_breached series for an asset without a policy.
    expect(body).not.toContain('etl_asset_freshness_breached{tenant="t",asset="t/extract/a"}');
    await ledger.close();
  });
});
