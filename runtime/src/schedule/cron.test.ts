import { describe, expect, it } from "vitest";
import { firesBetween, nextFire, parseCron } from "./cron.js";

function cron(text: string) {
  const r = parseCron(text);
  if (!r.ok) throw new Error(r.error);
  return r.cron;
}

describe("parseCron", () => {
  it("expands ranges, steps, lists and names", () => {
    const c = cron("*/15 1-3,22 1,15 jan-mar MON-fri");
    expect([...c.minutes]).toEqual([0, 15, 30, 45]);
    expect([...c.hours]).toEqual([1, 2, 3, 22]);
    expect([...c.daysOfMonth]).toEqual([1, 15]);
    expect([...c.months]).toEqual([1, 2, 3]);
    expect([...c.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
  });
  it("folds day-of-week 7 into Sunday and supports start/step", () => {
    expect([...cron("0 0 * * 7").daysOfWeek]).toEqual([0]);
    expect([...cron("5/20 * * * *").minutes]).toEqual([5, 25, 45]);
    expect([...cron("@daily").hours]).toEqual([0]);
  });
  it.each([
    ["0 0 * *", "expected 5 fields"],
    ["60 * * * *", "minute field"],
    ["* 24 * * *", "hour field"],
    ["* * 0 * *", "day of month field"],
    ["* * * foo *", "month field"],
    ["*/0 * * * *", "step"],
    ["5-1 * * * *", "reversed"],
  ])("rejects %s naming the problem", (text, fragment) => {
    const r = parseCron(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });
});

describe("nextFire", () => {
  it("fires in the schedule's time zone", () => {
    // 01:00 in Seoul is 16:00 UTC the day before.
    const n = nextFire(cron("0 1 * * *"), "Asia/Seoul", new Date("2026-01-02T00:00:00Z"));
    expect(n?.toISOString()).toBe("2026-01-02T16:00:00.000Z");
  });
  it("is strictly after the given instant", () => {
    const at = new Date("2026-01-02T16:00:00Z");
    expect(nextFire(cron("0 1 * * *"), "Asia/Seoul", at)?.toISOString()).toBe(
      "2026-01-03T16:00:00.000Z",
    );
    expect(nextFire(cron("* * * * *"), "UTC", at)?.toISOString()).toBe("2026-01-02T16:01:00.000Z");
  });
  it("uses OR semantics when day-of-month and day-of-week are both restricted", () => {
    // 2026-03-01 is a Sunday; the 13th of March is a Friday.
    const fires = firesBetween(
      cron("0 12 13 * 5"),
      "UTC",
      new Date("2026-03-01T00:00:00Z"),
      new Date("2026-03-14T00:00:00Z"),
    ).map((d) => d.toISOString().slice(0, 10));
    expect(fires).toEqual(["2026-03-06", "2026-03-13"]);
  });
  it("fires a time skipped by spring-forward once, right after the jump", () => {
    // America/New_York jumps from 02:00 EST to 03:00 EDT on 2026-03-08.
    const n = nextFire(cron("30 2 * * *"), "America/New_York", new Date("2026-03-08T05:00:00Z"));
    expect(n?.toISOString()).toBe("2026-03-08T07:00:00.000Z");
    const after = nextFire(cron("30 2 * * *"), "America/New_York", n ?? new Date(0));
    expect(after?.toISOString()).toBe("2026-03-09T06:30:00.000Z");
  });
  it("fires a time repeated by fall-back only once", () => {
    // America/New_York repeats 01:00-02:00 on 2026-11-01.
    const fires = firesBetween(
      cron("30 1 * * *"),
      "America/New_York",
      new Date("2026-11-01T00:00:00Z"),
      new Date("2026-11-02T00:00:00Z"),
    );
    expect(fires.map((d) => d.toISOString())).toEqual(["2026-11-01T05:30:00.000Z"]);
  });
  it("returns null for a date that never comes", () => {
    expect(nextFire(cron("0 0 31 2 *"), "UTC", new Date("2026-01-01T00:00:00Z"))).toBeNull();
  });
});
