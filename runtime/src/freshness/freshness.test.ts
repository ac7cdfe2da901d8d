import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileLedger } from "../ledger/file.js";
import type { MaterializationRecord } from "../ledger/types.js";
import type { AssetPlan, FreshnessPlan } from "../plan.js";
import {
  dataTimesOf,
  evaluateFreshness,
  freshnessFromSummaries,
  humanSeconds,
  previousFire,
} from "./index.js";

const ZONE = "Asia/Seoul";

function asset(key: string, partitioned: boolean, freshness: FreshnessPlan | null): AssetPlan {
  return {
    key,
    stage: "load",
    pipeline: key.split("/").at(-1) ?? null,
    deps: [],
    partitioned,
    description: "",
    dbt: null,
    freshness,
  };
}

function done(
  key: string,
  partition: string | null,
  finishedAt: string,
  status = "succeeded",
): MaterializationRecord {
  return {
    runId: "r",
    tenant: "t",
    job: "j",
    assetKey: key,
    partition,
    status: status as MaterializationRecord["status"],
    startedAt: finishedAt,
    finishedAt,
    attempts: 1,
    metadata: {},
    error: null,
  };
}

const lag26h: FreshnessPlan = { maxLagSeconds: 26 * 3600, deadline: null };
const nineAm: FreshnessPlan = {
  maxLagSeconds: null,
  deadline: { cron: "0 9 * * *", timezone: ZONE },
};

function one(a: AssetPlan, records: MaterializationRecord[], now: string) {
  const [f] = evaluateFreshness(
    { assets: [a], partitions: { startDate: "2026-01-01", timezone: ZONE } },
    records,
    new Date(now),
  );
  if (f === undefined) throw new Error("no result");
  return f;
}

describe("evaluateFreshness", () => {
  const daily = asset("t/load/daily", true, lag26h);

  it("a daily partition's data reaches the end of its day in the tenant's zone", () => {
    // 2026-01-02 in Seoul ends at 2026-01-02T15:00Z; loaded at 02:00 Seoul on the 3rd.
    const f = one(
      daily,
      [done(daily.key, "2026-01-02", "2026-01-02T17:05:00Z")],
      "2026-01-02T17:10:00Z",
    );
    expect(f.dataTime?.toISOString()).toBe("2026-01-02T15:00:00.000Z");
    expect(f.lagSeconds).toBe(2 * 3600 + 600);
    expect(f.status).toBe("fresh");
  });

  it.each([
    ["just within 26h", "2026-01-03T17:00:00Z", "fresh"],
    ["past 26h", "2026-01-03T17:00:01Z", "late"],
  ])("max_lag: %s", (_what, now, status) => {
    const f = one(daily, [done(daily.key, "2026-01-02", "2026-01-02T17:05:00Z")], now);
    expect(f.status).toBe(status);
    if (status === "late") {
      expect(f.breach).toMatchObject({
        rule: "max_lag",
        since: new Date("2026-01-03T17:00:00Z"),
        dedupKey: "freshness_breached:t/load/daily:max_lag:2026-01-02T15:00:00.000Z",
      });
    }
  });

  it("the newest succeeded partition counts, not the newest run (a backfill of old days changes nothing)", () => {
    const records = [
      done(daily.key, "2026-01-05", "2026-01-05T17:00:00Z"),
      done(daily.key, "2025-12-01", "2026-01-06T10:00:00Z"),
      done(daily.key, "2026-01-06", "2026-01-06T17:00:00Z", "failed"),
    ];
    expect(one(daily, records, "2026-01-06T18:00:00Z").dataTime?.toISOString()).toBe(
      "2026-01-05T15:00:00.000Z",
    );
  });

  it("a partition whose latest materialisation failed does not count as landed (as in the ledger's summaries)", () => {
    const records = [
      done(daily.key, "2026-01-04", "2026-01-04T17:00:00Z"),
      done(daily.key, "2026-01-05", "2026-01-05T17:00:00Z"),
      done(daily.key, "2026-01-05", "2026-01-06T09:00:00Z", "failed"),
    ];
    const f = one(daily, records, "2026-01-06T10:00:00Z");
    expect(f.dataTime?.toISOString()).toBe("2026-01-04T15:00:00.000Z");
    expect(f.lastSuccessAt?.toISOString()).toBe("2026-01-04T17:00:00.000Z");
  });

  it("deadline: a partitioned asset must hold the day before the fire's day once it fires", () => {
    const a = asset("t/load/d", true, nineAm);
    // 09:00 Seoul on the 3rd is 00:00Z: partitions through the 2nd (ending 15:00Z on the 2nd) are due.
    const records = [done(a.key, "2026-01-01", "2026-01-01T17:00:00Z")];
    expect(one(a, records, "2026-01-02T23:59:00Z").status).toBe("fresh");
    const late = one(a, records, "2026-01-03T00:00:00Z");
    expect(late.breach).toMatchObject({
      rule: "deadline",
      since: new Date("2026-01-03T00:00:00Z"),
      dedupKey: "freshness_breached:t/load/d:deadline:2026-01-03T00:00:00.000Z",
    });
    const arrived = [...records, done(a.key, "2026-01-02", "2026-01-03T01:00:00Z")];
    expect(one(a, arrived, "2026-01-03T01:00:00Z").status).toBe("fresh");
  });

  it("deadline: an unpartitioned asset must have been refreshed since the fire before", () => {
    const a = asset("t/load/m", false, nineAm);
    const records = [done(a.key, null, "2026-01-01T23:00:00Z")];
    expect(one(a, records, "2026-01-02T00:30:00Z").status).toBe("fresh");
    expect(one(a, records, "2026-01-03T00:30:00Z").status).toBe("late");
  });

  it("never materialised: no lag and no breach; no policy: the lag alone", () => {
    expect(one(daily, [], "2026-06-01T00:00:00Z")).toMatchObject({
      status: "never",
      lagSeconds: null,
      breach: null,
    });
    const plain = asset("t/load/p", false, null);
    const f = one(plain, [done(plain.key, null, "2026-01-01T00:00:00Z")], "2026-01-01T01:00:00Z");
    expect(f).toMatchObject({ status: "no_policy", lagSeconds: 3600, breach: null });
  });
});

describe("dataTimesOf", () => {
  it.each([
    ["partitioned", true, "2026-01-02", "2026-01-03T01:00:00Z", "2026-01-02T15:00:00.000Z"],
    ["partitioned, never", true, null, null, null],
    ["unpartitioned", false, null, "2026-01-03T01:00:00Z", "2026-01-03T01:00:00.000Z"],
  ])("%s", (_what, partitioned, newest, last, want) => {
    const times = dataTimesOf({ partitioned }, newest, last, ZONE);
    expect(times.dataTime?.toISOString() ?? null).toBe(want);
    expect(times.lastSuccessAt?.toISOString() ?? null).toBe(
      last === null ? null : new Date(last).toISOString(),
    );
  });
});

describe("previousFire", () => {
  it.each([
    ["0 9 * * *", "2026-01-03T00:00:00Z", "2026-01-03T00:00:00.000Z"],
    ["0 9 * * *", "2026-01-02T23:59:59Z", "2026-01-02T00:00:00.000Z"],
    ["0 9 1 1 *", "2026-06-01T00:00:00Z", "2026-01-01T00:00:00.000Z"],
    ["*/15 * * * *", "2026-01-01T10:07:00Z", "2026-01-01T10:00:00.000Z"],
  ])("%s before %s is %s", (cron, now, want) => {
    expect(previousFire(cron, ZONE, new Date(now))?.toISOString()).toBe(want);
  });
});

describe("humanSeconds", () => {
  it.each([
    [45, "45s"],
    [600, "10m"],
    [93_600, "1d 2h"],
    [7_200, "2h"],
    [7_500, "2h 5m"],
    [172_800, "2d"],
  ])("%i is %s", (s, text) => {
    expect(humanSeconds(s)).toBe(text);
  });
});

describe("freshnessFromSummaries", () => {
  it("gives the same answer from the ledger's per-asset summaries as evaluateFreshness from the records", async () => {
    const assets = [
      asset("t/load/daily", true, lag26h),
      asset("t/load/dl", true, nineAm),
      asset("t/load/master", false, lag26h),
      asset("t/load/never", true, lag26h),
      asset("t/extract/plain", true, null),
    ];
    const records = [
      done("t/load/daily", "2026-01-04", "2026-01-04T17:00:00Z"),
      done("t/load/daily", "2026-01-05", "2026-01-05T17:00:00Z"),
      done("t/load/daily", "2026-01-05", "2026-01-06T09:00:00Z", "failed"),
      done("t/load/daily", "2025-12-01", "2026-01-06T10:00:00Z"),
      done("t/load/dl", "2026-01-01", "2026-01-01T17:00:00Z"),
      done("t/load/master", null, "2026-01-05T01:00:00Z"),
      done("t/load/master", null, "2026-01-06T01:00:00Z", "failed"),
      done("t/extract/plain", "2026-01-05", "2026-01-05T16:00:00Z"),
    ];
    const home = await mkdtemp(path.join(tmpdir(), "freshness-"));
    try {
      const ledger = new FileLedger(home, "t");
      for (const r of records) await ledger.putMaterialization(r);
      const envPlan = { assets, partitions: { startDate: "2026-01-01", timezone: ZONE } };
      for (const now of ["2026-01-06T10:00:00Z", "2026-01-07T00:00:00Z", "2026-01-09T12:00:00Z"]) {
        const summaries = await ledger.assetSummaries("t", {
          from: "2026-01-01",
          to: "2026-01-06",
        });
        const fromSummaries = freshnessFromSummaries(envPlan, summaries, new Date(now));
        expect(fromSummaries).toEqual(evaluateFreshness(envPlan, records, new Date(now)));
        expect(fromSummaries.map((f) => f.status)).toContain("late");
      }
      await ledger.close();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
