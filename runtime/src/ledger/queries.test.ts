import { appendFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileLedger } from "./file.js";
import type { CheckRecord, MaterializationRecord, RunRecord } from "./types.js";

const T = "t";

function run(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: id,
    tenant: T,
    environment: "dev",
    job: "daily",
    partition: "2026-01-01",
    status: "succeeded",
    select: null,
    trigger: "cli",
    startedAt: `2026-01-0${id.slice(-1)}T00:00:00.000Z`,
    finishedAt: `2026-01-0${id.slice(-1)}T00:01:00.000Z`,
    pid: 1,
    host: "h",
    succeeded: 1,
    failed: 0,
    skipped: 0,
    error: null,
    ...over,
  };
}

function mat(
  runId: string,
  assetKey: string,
  partition: string | null,
  status: MaterializationRecord["status"],
  finishedAt: string,
): MaterializationRecord {
  return {
    runId,
    tenant: T,
    job: "daily",
    assetKey,
    partition,
    status,
    startedAt: finishedAt,
    finishedAt,
    attempts: 1,
    metadata: { rows: 3 },
    error: status === "failed" ? "boom" : null,
  };
}

function check(
  runId: string,
  assetKey: string,
  name: string,
  passed: boolean,
  checkedAt: string,
): CheckRecord {
  return {
    runId,
    tenant: T,
    assetKey,
    partition: null,
    checkName: name,
    severity: "error",
    passed,
    metadata: {},
    checkedAt,
  };
}

async function ledger(): Promise<FileLedger> {
  return new FileLedger(await mkdtemp(path.join(tmpdir(), "etl-queries-")), T);
}

describe("file ledger read queries", () => {
  it("answers the latest state per asset and partition within a range, and sees later writes", async () => {
    const l = await ledger();
    await l.putMaterialization(
      mat("r1", "t/extract/a", "2026-01-01", "failed", "2026-01-02T00:00:00Z"),
    );
    await l.putMaterialization(
      mat("r2", "t/extract/a", "2026-01-01", "succeeded", "2026-01-03T00:00:00Z"),
    );
    await l.putMaterialization(
      mat("r2", "t/extract/a", "2026-01-05", "failed", "2026-01-03T00:00:00Z"),
    );
    await l.putMaterialization(mat("r2", "t/load/b", null, "succeeded", "2026-01-03T00:00:00Z"));
    const all = await l.latestStates(T, { assetKeys: null, from: null, to: null });
    expect(all.map((s) => `${s.assetKey}|${s.partition}|${s.status}`).sort()).toEqual([
      "t/extract/a|2026-01-01|succeeded",
      "t/extract/a|2026-01-05|failed",
      "t/load/b|null|succeeded",
    ]);
    const ranged = await l.latestStates(T, {
      assetKeys: ["t/extract/a"],
      from: "2026-01-02",
      to: "2026-01-31",
    });
    expect(ranged.map((s) => s.partition)).toEqual(["2026-01-05"]);
    // A later write is seen by the same ledger object (the index refreshes from what changed).
    await l.putMaterialization(
      mat("r3", "t/extract/a", "2026-01-05", "succeeded", "2026-01-04T00:00:00Z"),
    );
    const after = await l.latestStates(T, {
      assetKeys: ["t/extract/a"],
      from: "2026-01-05",
      to: "2026-01-05",
    });
    expect(after.map((s) => s.status)).toEqual(["succeeded"]);
  });

  it("pages and filters runs newest first, and re-reads a run that was running", async () => {
    const l = await ledger();
    await l.putRun(run("r1"));
    await l.putRun(run("r2", { status: "failed", trigger: "console" }));
    await l.putRun(run("r3", { status: "running", finishedAt: null, job: "other" }));
    expect((await l.findRuns(T, { limit: 10 })).map((r) => r.runId)).toEqual(["r3", "r2", "r1"]);
    expect((await l.findRuns(T, { limit: 10, status: "failed" })).map((r) => r.runId)).toEqual([
      "r2",
    ]);
    expect(
      (await l.findRuns(T, { limit: 10, trigger: "cli", job: "daily" })).map((r) => r.runId),
    ).toEqual(["r1"]);
    expect((await l.findRuns(T, { limit: 1, before: "r3" })).map((r) => r.runId)).toEqual(["r2"]);
    await l.putRun(run("r3", { status: "succeeded", job: "other" }));
    expect((await l.findRuns(T, { limit: 10, status: "running" })).map((r) => r.runId)).toEqual([]);
  });

  it("returns one run with its records, an asset's history newest first, and each check's latest result", async () => {
    const l = await ledger();
    await l.putRun(run("r1"));
    await l.putRun(run("r2"));
    await l.putMaterialization(
      mat("r1", "t/extract/a", "2026-01-01", "succeeded", "2026-01-01T00:00:01Z"),
    );
    await l.putMaterialization(
      mat("r2", "t/extract/a", "2026-01-02", "succeeded", "2026-01-02T00:00:01Z"),
    );
    await l.putCheck(check("r1", "t/extract/a", "rows", false, "2026-01-01T00:00:02Z"));
    await l.putCheck(check("r2", "t/extract/a", "rows", true, "2026-01-02T00:00:02Z"));
    await l.putCheck(check("r2", "t/extract/a", "ids", false, "2026-01-02T00:00:02Z"));
    const detail = await l.getRun(T, "r2");
    expect(detail?.materializations.map((m) => m.partition)).toEqual(["2026-01-02"]);
    expect(detail?.checks.map((c) => c.checkName).sort()).toEqual(["ids", "rows"]);
    expect(await l.getRun(T, "nope")).toBeNull();
    expect((await l.assetMaterializations(T, "t/extract/a", 1)).map((m) => m.runId)).toEqual([
      "r2",
    ]);
    const history = await l.assetChecks(T, "t/extract/a", 10);
    expect(history.map((c) => c.runId)).toEqual(["r2", "r2", "r1"]);
    const latest = await l.latestChecks(T);
    expect(latest.map((c) => `${c.checkName}:${c.passed}`).sort()).toEqual([
      "ids:false",
      "rows:true",
    ]);
  });

  it("keeps a run's log lines in order and leaves out a torn last line", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-logs-"));
    const l = new FileLedger(home, T);
    const line = (seq: number) => ({
      seq,
      ts: "2026-01-01T00:00:00Z",
      level: "info" as const,
      msg: `line ${seq}`,
      fields: { asset: "a" },
    });
    await l.appendLogs(T, "r1", [line(0), line(1)]);
    await l.appendLogs(T, "r1", [line(2)]);
    await appendFile(path.join(home, "ledger", T, "logs", "r1.jsonl"), '{"seq":3,"ts":"');
    expect((await l.runLogs(T, "r1", -1, 100)).map((x) => x.msg)).toEqual([
      "line 0",
      "line 1",
      "line 2",
    ]);
    expect((await l.runLogs(T, "r1", 0, 1)).map((x) => x.seq)).toEqual([1]);
    expect(await l.runLogs(T, "unknown", -1, 100)).toEqual([]);
  });

  it("refuses a question about another tenant", async () => {
    const l = await ledger();
    expect(() => l.findRuns("other", { limit: 1 })).toThrow(/holds tenant t, not other/);
  });
});
