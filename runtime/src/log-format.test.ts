import { describe, expect, it } from "vitest";
import { formatPretty, humanBytes, parseLogFormat } from "./log-format.js";
import { Logger, type LogSink } from "./logger.js";

const at = new Date(2026, 11, 1, 21, 27, 31);
const context = {
  tenant: "project_01",
  environment: "dev",
  runId: "20261201T212731Z-ebb1a18e",
  job: "daily_etl",
  partition: "2026-01-02",
};
const asset = { ...context, asset: "project_01/extract/equipment_event", attempt: 1 };

describe("formatPretty", () => {
  const cases: {
    level: "info" | "warn" | "error";
    msg: string;
    fields: object;
    want: string | null;
  }[] = [
    {
      level: "info",
      msg: "run started",
      fields: { ...context, assets: 9, trigger: "cli" },
      want: "21:27:31  INFO   run 20261201T212731Z-ebb1a18e started: job daily_etl, partition 2026-01-02, 9 assets",
    },
    {
      level: "info",
      msg: "asset started",
      fields: { ...asset, stage: "extract" },
      want: "21:27:31  INFO   extract/equipment_event       started",
    },
    {
      level: "info",
      msg: "asset succeeded",
      fields: {
        ...asset,
        attempts: 1,
        durationMs: 323,
        rows: 333,
        bytes: 9439,
        files: 1,
        location:
          "s3://data-lake/project_id=project_01/extract/equipment_event/dt=2026-01-02/run=x/",
        schemaHash: "ab12",
      },
      want: "21:27:31  INFO   extract/equipment_event       OK in 0.32 s (333 rows, 9.2 KiB)",
    },
    {
      level: "info",
      msg: "asset succeeded",
      fields: {
        ...asset,
        asset: "project_01/load/lot_history",
        attempts: 2,
        durationMs: 10_664,
        target: "iceberg.aps.aps_input_wip",
        writeMode: "merge",
        rowsStaged: 30,
        rowsInserted: 30,
        rowsUpdated: 0,
        rowsDeleted: 0,
        snapshotId: "123",
      },
      want: "21:27:31  INFO   load/lot_history              OK in 10.7 s (30 inserted, 0 updated, 0 deleted in iceberg.aps.aps_input_wip, after 2 attempts)",
    },
    {
      level: "error",
      msg: "asset failed",
      fields: {
        ...asset,
        asset: "project_01/load/equipment_event",
        attempts: 1,
        error: "Trino query failed",
      },
      want: "21:27:31  ERROR  load/equipment_event          FAILED: Trino query failed",
    },
    {
      level: "warn",
      msg: "check failed",
      fields: {
        ...asset,
        asset: "project_01/load/equipment_event",
        check: "range_utilization_rate",
        severity: "warn",
        type: "range",
        failing: 3,
        sample: [101.5, 130],
        queryId: "q1",
      },
      want: "21:27:31  WARN   load/equipment_event          check range_utilization_rate failed (warn): 3 failing rows, e.g. [101.5,130]",
    },
    {
      level: "warn",
      msg: "transient failure, retrying",
      fields: { ...asset, attempt: 2, delayMs: 1250, error: "ICEBERG_COMMIT_ERROR" },
      want: "21:27:31  WARN   extract/equipment_event       transient failure, retrying in 1.25 s (attempt 2): ICEBERG_COMMIT_ERROR",
    },
    {
      level: "info",
      msg: "run finished",
      fields: { ...context, status: "failed", succeeded: 8, failed: 1, skipped: 0 },
      want: "21:27:31  INFO   run finished: FAILED (8 succeeded, 1 failed, 0 skipped)",
    },
    {
      level: "info",
      msg: "wip aggregated",
      fields: {
        ...asset,
        pipeline: "lot_history",
        transform: "wip",
        groups: 30,
        bytes: 2048,
        readMs: 1500,
      },
      want: "21:27:31  INFO   extract/equipment_event       wip aggregated  groups=30  2.0 KiB  read 1.50 s",
    },
    {
      level: "warn",
      msg: "[WARNING]: SSL certificate validation is disabled.\nYou may opt into the new behavior.",
      fields: { ...asset, asset: "project_01/dbt/stg_items", source: "dbt", event: "X" },
      want: "21:27:31  WARN   dbt/stg_items                 [WARNING]: SSL certificate validation is disabled. / You may opt into the new behavior.",
    },
    {
      level: "info",
      msg: "asset succeeded",
      fields: { ...asset, asset: "project_01/dbt/stg_items", durationMs: 1200, rowsAffected: -1 },
      want: "21:27:31  INFO   dbt/stg_items                 OK in 1.20 s",
    },
    { level: "info", msg: "", fields: { ...asset, source: "dbt" }, want: null },
    { level: "info", msg: "dbt asset project_01/dbt/stg_items success", fields: asset, want: null },
    // Said again by the asset's outcome line: left out of pretty output.
    {
      level: "info",
      msg: "partition committed",
      fields: { ...asset, rows: 333, files: 1 },
      want: null,
    },
    { level: "info", msg: "extract done", fields: { ...asset, rows: 333 }, want: null },
  ];
  for (const c of cases) {
    it(`${c.level} ${c.msg}`, () => {
      const line = formatPretty(c.level, c.msg, c.fields as Record<string, unknown>, { now: at });
      expect(line).toBe(c.want === null ? null : `${c.want}\n`);
    });
  }

  it("colours the level only when asked", () => {
    const line = formatPretty("error", "asset failed", { error: "x" }, { now: at, color: true });
    expect(line).toBe("21:27:31  \x1b[31mERROR\x1b[0m  FAILED: x\n");
  });
});

describe("log formats", () => {
  it("parses the names people type, and refuses others", () => {
    expect(parseLogFormat(undefined)).toBe("auto");
    expect(parseLogFormat("")).toBe("auto");
    expect(parseLogFormat("pretty")).toBe("pretty");
    expect(parseLogFormat("json")).toBe("json");
    expect(parseLogFormat("text")).toBeNull();
  });

  it("writes JSON lines off a terminal, pretty lines on one or when asked", () => {
    const lines: string[] = [];
    const sink = (isTTY: boolean): LogSink => ({ isTTY, write: (l) => lines.push(l) });
    new Logger(context, sink(false), "info", "auto").info("run started", { assets: 1 });
    new Logger(context, sink(true), "info", "auto").info("run started", { assets: 1 });
    new Logger(context, sink(false), "info", "pretty").info("run started", { assets: 1 });
    new Logger(context, sink(true), "info", "json").info("run started", { assets: 1 });
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ msg: "run started", job: "daily_etl" });
    expect(lines[1]).toMatch(/INFO {3}run 20261201T212731Z-ebb1a18e started/);
    expect(lines[2]).toMatch(/INFO {3}run 20261201T212731Z-ebb1a18e started/);
    expect(JSON.parse(lines[3] ?? "")).toMatchObject({ msg: "run started", assets: 1 });
  });

  it("says sizes in binary units", () => {
    expect(humanBytes(0)).toBe("0 B");
    expect(humanBytes(9439)).toBe("9.2 KiB");
    expect(humanBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
  });
});
