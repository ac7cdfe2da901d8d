import { describe, expect, it } from "vitest";
import { parseCron } from "../contract/cron.js";
import { firesBetween, nextFire } from "./cron.js";

function cron(text: string) {
  const r = parseCron(text);
  if (!r.ok) throw new Error(r.error);
  return r.cron;
}

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
  it("finds 29 February across 2100, which is no leap year (eight years on)", () => {
    const n = nextFire(cron("0 0 29 2 *"), "UTC", new Date("2096-03-01T00:00:00Z"));
    expect(n?.toISOString()).toBe("2104-02-29T00:00:00.000Z");
  });
  it("fires a macro like its five fields", () => {
    const at = new Date("2026-01-02T16:00:00Z");
    expect(nextFire(cron("@daily"), "Asia/Seoul", at)?.toISOString()).toBe(
      "2026-01-03T15:00:00.000Z",
    );
  });
});
