import { describe, expect, it } from "vitest";
import { addDays } from "../contract/calendar.js";
import {
  latestCompletePartition,
  partitionRange,
  partitionWindow,
  validatePartition,
  validateRange,
} from "./index.js";

const config = { startDate: "2026-01-01", timezone: "Asia/Seoul" };

describe("partitions", () => {
  it("defaults to the latest complete day in the tenant's zone", () => {
    // 2026-01-05 16:30 UTC is already 2026-01-06 01:30 in Seoul.
    expect(latestCompletePartition("Asia/Seoul", new Date("2026-01-05T16:30:00Z"))).toBe(
      "2026-01-05",
    );
    expect(latestCompletePartition("UTC", new Date("2026-01-05T16:30:00Z"))).toBe("2026-01-04");
  });
  it("does calendar arithmetic across months and leap days", () => {
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(partitionRange("2026-01-30", "2026-02-02")).toEqual([
      "2026-01-30",
      "2026-01-31",
      "2026-02-01",
      "2026-02-02",
    ]);
  });
  it("validates --partition: format, start date, future", () => {
    const now = new Date("2026-01-10T00:00:00Z");
    expect(validatePartition("2026-01-05", config, now)).toEqual({
      ok: true,
      partition: "2026-01-05",
    });
    const bad = [
      validatePartition("2026-1-5", config, now),
      validatePartition("2026-02-30", config, now),
      validatePartition("0000-01-01", config, now),
      validatePartition("2025-12-31", config, now),
      validatePartition("2026-01-11", config, now),
      validatePartition("2026-01-05", { ...config, timezone: "Asia/Seol" }, now),
    ].map((r) => (r.ok ? "ok" : r.error));
    expect(bad).toEqual([
      'partition "2026-1-5" is not a calendar date: expected YYYY-MM-DD',
      'partition "2026-02-30" is not a calendar date: February 2026 has 28 days',
      'partition "0000-01-01" is not a calendar date: year 0000 does not exist (years run 0001-9999)',
      "partition 2025-12-31 is before the first partition 2026-01-01 (partitions.start_date)",
      "partition 2026-01-11 is in the future (today is 2026-01-10 in Asia/Seoul)",
      'partitions.timezone: unknown time zone "Asia/Seol"',
    ]);
  });
  it("accepts a partition in an alias or lower-case spelling of the zone", () => {
    const now = new Date("2026-01-10T00:00:00Z");
    for (const timezone of ["asia/seoul", "ROK", "Asia/Calcutta"]) {
      expect(validatePartition("2026-01-05", { ...config, timezone }, now)).toEqual({
        ok: true,
        partition: "2026-01-05",
      });
    }
  });
  it("reports every problem of a backfill range at once", () => {
    const r = validateRange("2025-01-01", "2030-01-01", config, new Date("2026-01-10T00:00:00Z"));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toHaveLength(2);
    const rev = validateRange("2026-01-05", "2026-01-03", config, new Date("2026-01-10T00:00:00Z"));
    expect(rev.ok ? [] : rev.errors).toEqual(["--from 2026-01-05 is after --to 2026-01-03"]);
  });
  it("gives a half-open window in the zone, 23 hours on a spring-forward day", () => {
    const w = partitionWindow("2026-01-02", "Asia/Seoul");
    expect(w.start.toISOString()).toBe("2026-01-01T15:00:00.000Z");
    expect(w.end.toISOString()).toBe("2026-01-02T15:00:00.000Z");
    const dst = partitionWindow("2026-03-08", "America/New_York");
    expect((dst.end.getTime() - dst.start.getTime()) / 3_600_000).toBe(23);
  });
});
