import { describe, expect, it } from "vitest";
import { formatDecimal, parseDecimal, readInt128, writeInt128 } from "./decimal.js";

describe("decimal helpers", () => {
  it("round-trips 128-bit two's complement at the extremes", () => {
    const words = new Uint32Array(4 * 5);
    const max = 10n ** 38n - 1n;
    const values = [0n, -1n, max, -max, 1n << 100n];
    for (const [i, v] of values.entries()) writeInt128(words, i, v);
    expect(values.map((_, i) => readInt128(words, i))).toEqual(values);
    expect(Array.from(words.subarray(4, 8))).toEqual([
      0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
    ]);
  });

  it("formats and parses with the scale kept, as PostgreSQL prints numeric(p,s)", () => {
    expect(formatDecimal(5n, 2)).toBe("0.05");
    expect(formatDecimal(-5n, 2)).toBe("-0.05");
    expect(formatDecimal(12345n, 0)).toBe("12345");
    expect(parseDecimal("-0.05", 2)).toBe(-5n);
    expect(parseDecimal("1.230", 2)).toBe(123n);
    expect(parseDecimal("1.235", 2)).toBeNull();
  });
});
