import { describe, expect, it } from "vitest";
import {
  addDays,
  civilFromDays,
  daysFromCivil,
  parseCalendarDate,
  utcMillis,
  weekdayOf,
} from "./calendar.js";

describe("parseCalendarDate", () => {
  it.each([
    ["2024-02-29", { year: 2024, month: 2, day: 29 }],
    ["2000-02-29", { year: 2000, month: 2, day: 29 }],
    ["0001-01-01", { year: 1, month: 1, day: 1 }],
    ["9999-12-31", { year: 9999, month: 12, day: 31 }],
    ["2026-04-30", { year: 2026, month: 4, day: 30 }],
  ])("%s is a calendar date", (given, want) => {
    expect(parseCalendarDate(given)).toEqual({ ok: true, date: want });
  });

  it.each([
    // Date.parse takes these two and rolls over into March.
    ["2024-02-30", "day", "February 2024 has 29 days"],
    ["2023-02-29", "day", "February 2023 has 28 days"],
    ["1900-02-29", "day", "February 1900 has 28 days"],
    ["2026-04-31", "day", "April 2026 has 30 days"],
    ["2026-01-00", "day", "day 00 does not exist (days start at 01)"],
    ["0000-01-01", "year", "year 0000 does not exist (years run 0001-9999)"],
    ["2024-13-01", "month", "month 13 does not exist (months run 01-12)"],
    ["2024-00-10", "month", "month 00 does not exist (months run 01-12)"],
    ["2024-1-5", "format", "expected YYYY-MM-DD"],
    ["2024-01-05T00:00:00Z", "format", "expected YYYY-MM-DD"],
    [" 2024-01-05", "format", "expected YYYY-MM-DD"],
    ["+02024-01-05", "format", "expected YYYY-MM-DD"],
    ["", "format", "expected YYYY-MM-DD"],
  ])("%s is refused (%s): %s", (given, kind, problem) => {
    expect(parseCalendarDate(given)).toEqual({ ok: false, kind, problem });
  });
});

describe("day arithmetic", () => {
  it.each([
    ["2028-02-28", 1, "2028-02-29"],
    ["2026-03-01", -1, "2026-02-28"],
    ["2024-12-31", 1, "2025-01-01"],
    ["0001-01-01", 365, "0002-01-01"],
    // Date.UTC would read year 50 as 1950.
    ["0050-02-28", 1, "0050-03-01"],
    ["2100-02-28", 1, "2100-03-01"],
  ])("addDays(%s, %i) = %s", (date, days, want) => {
    expect(addDays(date, days)).toBe(want);
  });

  it("refuses to count from a day that does not exist", () => {
    expect(() => addDays("2024-02-30", 1)).toThrow(/February 2024 has 29 days/);
  });

  it("counts days like Date.UTC over four centuries and knows the weekday", () => {
    for (let d = -80000; d <= 80000; d += 37) {
      const c = civilFromDays(d);
      expect(Date.UTC(c.year, c.month - 1, c.day) / 86_400_000).toBe(d);
      expect(daysFromCivil(c.year, c.month, c.day)).toBe(d);
      expect(weekdayOf(c)).toBe(new Date(d * 86_400_000).getUTCDay());
    }
  });

  it("reads a wall clock as UTC for any year", () => {
    const local = { year: 50, month: 1, day: 1, hour: 2, minute: 3, second: 4 };
    const want = new Date(0);
    want.setUTCFullYear(50, 0, 1);
    want.setUTCHours(2, 3, 4, 0);
    expect(utcMillis(local)).toBe(want.getTime());
  });
});
