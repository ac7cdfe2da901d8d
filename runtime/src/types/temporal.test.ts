import { describe, expect, it } from "vitest";
import { civilFromDays, daysFromCivil } from "../contract/calendar.js";
import { formatDate, formatMicros, parseDate, parseMicros } from "./temporal.js";

describe("calendar arithmetic", () => {
  it("agrees with Date.UTC over four centuries of days", () => {
    for (let d = -80000; d <= 80000; d += 37) {
      const c = civilFromDays(d);
      expect(Date.UTC(c.year, c.month - 1, c.day) / 86_400_000).toBe(d);
      expect(daysFromCivil(c.year, c.month, c.day)).toBe(d);
    }
  });

  it("formats and parses dates and microsecond timestamps without a time zone", () => {
    expect(formatDate(0)).toBe("1970-01-01");
    expect(parseDate("2024-02-29")).toBe(19782);
    expect(parseDate("2023-02-29")).toBeNull();
    const micros = parseMicros("2024-03-10 23:59:59.999999");
    expect(micros).not.toBeNull();
    expect(formatMicros(micros ?? 0n, false)).toBe("2024-03-10 23:59:59.999999");
    expect(parseMicros("2024-03-10T10:00:00+09:00")).toBe(parseMicros("2024-03-10 01:00:00"));
    expect(formatMicros(-1n, true)).toBe("1969-12-31T23:59:59.999999Z");
    expect(formatMicros(1_500_000n, false)).toBe("1970-01-01 00:00:01.5");
  });
});
