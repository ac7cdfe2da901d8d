import { describe, expect, it } from "vitest";
import type { RunRecord } from "../ledger/types.js";
import { RetryError } from "../retry/index.js";
import { runRecord } from "../test-fixtures.js";
import { checkFailure, errorText } from "./asset.js";
import type { AssetStatus } from "./graph.js";
import { lockedMessage, newRunId, settleRun } from "./run.js";
import type { CheckOutcome } from "./types.js";

const RUNNING = runRecord({ runId: "r" });

describe("newRunId", () => {
  it("is the UTC second, then eight characters of randomness", () => {
    const id = newRunId(new Date("2026-01-02T03:04:05.678Z"));
    expect(id).toMatch(/^20260102T030405Z-[0-9a-f]{8}$/);
  });
  it("sorts as the times it was made at", () => {
    const times = [
      "2026-01-02T03:04:05.000Z",
      "2026-01-02T03:04:06.000Z",
      "2027-01-01T00:00:00.000Z",
    ];
    const ids = times.map((t) => newRunId(new Date(t)));
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("settleRun", () => {
  const statuses = (...s: AssetStatus[]) => new Map(s.map((status, i) => [`a${i}`, status]));
  const cases: {
    name: string;
    given: { status: Map<string, AssetStatus>; lockLost: string | null; aborted: boolean };
    want: Pick<RunRecord, "status" | "succeeded" | "failed" | "skipped" | "error">;
  }[] = [
    {
      name: "every asset succeeded",
      given: { status: statuses("succeeded", "succeeded"), lockLost: null, aborted: false },
      want: { status: "succeeded", succeeded: 2, failed: 0, skipped: 0, error: null },
    },
    {
      name: "no asset at all",
      given: { status: statuses(), lockLost: null, aborted: false },
      want: { status: "succeeded", succeeded: 0, failed: 0, skipped: 0, error: null },
    },
    {
      name: "a failure",
      given: { status: statuses("succeeded", "failed", "skipped"), lockLost: null, aborted: false },
      want: { status: "failed", succeeded: 1, failed: 1, skipped: 1, error: null },
    },
    {
      name: "a skip alone still fails the run",
      given: { status: statuses("succeeded", "skipped"), lockLost: null, aborted: false },
      want: { status: "failed", succeeded: 1, failed: 0, skipped: 1, error: null },
    },
    {
      name: "stopped by a signal",
      given: { status: statuses("succeeded", "skipped"), lockLost: null, aborted: true },
      want: { status: "cancelled", succeeded: 1, failed: 0, skipped: 1, error: null },
    },
    {
      name: "the lock was lost (it aborts the signal too): failed, with the reason",
      given: { status: statuses("succeeded", "skipped"), lockLost: "taken over", aborted: true },
      want: { status: "failed", succeeded: 1, failed: 0, skipped: 1, error: "taken over" },
    },
  ];
  for (const { name, given, want } of cases) {
    it(name, () => {
      const settled = settleRun(RUNNING, given.status, {
        lockLost: given.lockLost,
        aborted: given.aborted,
        finishedAt: "2026-01-02T00:01:00.000Z",
      });
      expect(settled).toEqual({ ...RUNNING, ...want, finishedAt: "2026-01-02T00:01:00.000Z" });
    });
  }
});

describe("lockedMessage", () => {
  const holder = { runId: "other", pid: 7, host: "h2", heartbeatAt: "2026-01-02T00:00:30.000Z" };
  it.each([
    [
      "2026-01-02",
      "job daily_etl partition 2026-01-02 is already running (run other, pid 7 on h2, heartbeat 2026-01-02T00:00:30.000Z); use --wait to wait for it",
    ],
    [
      null,
      "job daily_etl is already running (run other, pid 7 on h2, heartbeat 2026-01-02T00:00:30.000Z); use --wait to wait for it",
    ],
  ])("partition %s", (partition, want) => {
    const job = { name: "daily_etl" } as Parameters<typeof lockedMessage>[0]["job"];
    expect(lockedMessage({ job, partition }, holder)).toBe(want);
  });
});

describe("checkFailure", () => {
  const check = (name: string, severity: "warn" | "error", passed: boolean): CheckOutcome => ({
    name,
    severity,
    passed,
    metadata: {},
  });
  it.each([
    ["no checks", [], null],
    ["every check passed", [check("a", "error", true), check("b", "warn", true)], null],
    ["only warnings failed", [check("a", "warn", false)], null],
    [
      "one error failed",
      [check("a", "error", false), check("b", "warn", false)],
      "error-severity check failed: a",
    ],
    [
      "two errors failed",
      [check("a", "error", false), check("b", "error", true), check("c", "error", false)],
      "error-severity checks failed: a, c",
    ],
  ])("%s", (_name, checks, want) => {
    expect(checkFailure(checks)).toBe(want);
  });
});

describe("errorText", () => {
  it.each([
    ["an error's message", new Error("boom"), "boom"],
    ["a thrown string", "plain", "plain"],
    [
      "a retry's own message, which names its attempts",
      new RetryError("boom (transient, gave up after 3 attempts)", 3, "transient", {
        cause: new Error("boom"),
      }),
      "boom (transient, gave up after 3 attempts)",
    ],
  ])("%s", (_name, error, want) => {
    expect(errorText(error)).toBe(want);
  });
});
