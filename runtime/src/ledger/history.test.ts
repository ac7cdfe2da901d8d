import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { tableFromIPC } from "apache-arrow";
import { readParquet } from "parquet-wasm";
import { describe, expect, it } from "vitest";
import { Logger } from "../logger.js";
import { LocalStorage } from "../storage/local.js";
import { runRecord } from "../test-fixtures.js";
import { RunHistory, RunHistoryObserver, runHistoryKey, runHistoryTableSql } from "./history.js";
import type { CheckRecord, MaterializationRecord, RunRecord } from "./types.js";

const RUN = runRecord({
  runId: "20260102T030405Z-0a1b2c3d",
  startedAt: "2026-01-02T03:04:05.000Z",
});

const MATERIALIZATION: MaterializationRecord = {
  runId: RUN.runId,
  tenant: "t",
  job: "daily_etl",
  assetKey: "t/extract/orders",
  partition: "2026-01-02",
  status: "succeeded",
  startedAt: "2026-01-02T03:04:06.000Z",
  finishedAt: "2026-01-02T03:04:07.000Z",
  attempts: 2,
  metadata: { rows: 3 },
  error: null,
};

const CHECK: CheckRecord = {
  runId: RUN.runId,
  tenant: "t",
  assetKey: "t/extract/orders",
  partition: "2026-01-02",
  checkName: "some_rows",
  severity: "warn",
  passed: true,
  metadata: {},
  checkedAt: "2026-01-02T03:04:07.000Z",
};

async function historyOn(dir: string) {
  const storage = new LocalStorage(dir, "t");
  const quiet = new Logger({}, { write: () => {}, isTTY: false }, "error", "json");
  const history = new RunHistory(storage, quiet, { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 });
  /** The events of one history file: type, asset and status of each. */
  const events = async (run: RunRecord, part: string) => {
    const bytes = await storage.get(runHistoryKey(run, part));
    if (bytes === null) return null;
    const table = tableFromIPC(readParquet(bytes).intoIPCStream());
    return table
      .toArray()
      .map((row: Record<string, unknown>) => [row.event_type, row.asset_key, row.status]);
  };
  return { observer: new RunHistoryObserver(history), events };
}

describe("RunHistoryObserver", () => {
  it("writes a start file, then an end file with every asset and check event of the run", async () => {
    const { observer, events } = await historyOn(await mkdtemp(path.join(tmpdir(), "etl-hist-")));
    await observer.runStarted(RUN);
    await observer.checkEvaluated({ run: RUN, check: CHECK });
    await observer.assetFinished({ run: RUN, materialization: MATERIALIZATION });
    const finished: RunRecord = {
      ...RUN,
      status: "succeeded",
      succeeded: 1,
      finishedAt: "2026-01-02T03:04:08.000Z",
    };
    await observer.runFinished(finished);
    expect(await events(RUN, "start")).toEqual([["run_started", null, "running"]]);
    expect(await events(RUN, "end")).toEqual([
      ["check_result", "t/extract/orders", "passed"],
      ["asset_materialized", "t/extract/orders", "succeeded"],
      ["run_finished", null, "succeeded"],
    ]);
  });

  it("gives a run it never saw start (found interrupted) an end file of its own", async () => {
    const { observer, events } = await historyOn(await mkdtemp(path.join(tmpdir(), "etl-hist-")));
    const interrupted: RunRecord = { ...RUN, status: "failed", error: "interrupted: ..." };
    await observer.runFinished(interrupted);
    expect(await events(RUN, "start")).toBeNull();
    expect(await events(RUN, "end")).toEqual([["run_finished", null, "failed"]]);
  });
});

describe("runHistoryTableSql", () => {
  it("quotes every name and literal of the documented statements", () => {
    const sql = runHistoryTableSql({
      catalog: "hive",
      schema: 'ops"x',
      table: "t_runs",
      location: "s3://b/it's/_runs/",
    });
    expect(sql.createSchema).toBe('CREATE SCHEMA IF NOT EXISTS "hive"."ops""x"');
    expect(sql.createTable).toContain(
      `"event_type" varchar, "event_time" varchar, "run_id" varchar`,
    );
    expect(sql.createTable).toContain(
      `, "dt" varchar) WITH (external_location = 's3://b/it''s/_runs/', format = 'PARQUET', partitioned_by = ARRAY['dt'])`,
    );
    expect(sql.syncPartitions).toBe(
      `CALL "hive".system.sync_partition_metadata('ops"x', 't_runs', 'ADD')`,
    );
  });
});
