import { describe, expect, it } from "vitest";
import {
  decodeNumeric,
  decodeNumericInto,
  formatDecimal,
  parseDecimal,
  readInt128,
  writeInt128,
} from "./decimal.js";

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

/** PostgreSQL's binary send format of numeric `unscaled / 10^dscale` (base-10000 digit groups). */
function numericBinary(unscaled: bigint, dscale: number): DataView {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(dscale + 1, "0");
  const intPart = digits.slice(0, digits.length - dscale);
  const fracPart = digits.slice(digits.length - dscale);
  const intPadded = intPart.padStart(Math.ceil(intPart.length / 4) * 4, "0");
  const fracPadded = fracPart.padEnd(Math.ceil(fracPart.length / 4) * 4, "0");
  let groups: number[] = [];
  for (let i = 0; i < intPadded.length; i += 4) groups.push(Number(intPadded.slice(i, i + 4)));
  let weight = groups.length - 1;
  for (let i = 0; i < fracPadded.length; i += 4) groups.push(Number(fracPadded.slice(i, i + 4)));
  while (groups.length > 0 && groups[0] === 0) {
    groups = groups.slice(1);
    weight--;
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
  if (groups.length === 0) weight = 0;
  const view = new DataView(new ArrayBuffer(8 + 2 * groups.length));
  view.setInt16(0, groups.length);
  view.setInt16(2, weight);
  view.setUint16(4, negative ? 0x4000 : 0);
  view.setUint16(6, dscale);
  for (const [i, g] of groups.entries()) view.setInt16(8 + 2 * i, g);
  return view;
}

describe("decodeNumericInto", () => {
  it("writes the same words or refusal as decodeNumeric + writeInt128 (fast and BigInt paths)", () => {
    // A deterministic generator: values around 2^53, 10^p boundaries, many scales and signs.
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const samples: { unscaled: bigint; dscale: number }[] = [
      { unscaled: 0n, dscale: 0 },
      { unscaled: 0n, dscale: 4 },
      { unscaled: 2n ** 53n, dscale: 0 },
      { unscaled: 2n ** 53n - 1n, dscale: 0 },
      { unscaled: -(2n ** 53n - 1n), dscale: 0 },
      { unscaled: 2n ** 53n + 1n, dscale: 4 },
      { unscaled: 2n ** 32n, dscale: 0 },
      { unscaled: -(2n ** 32n), dscale: 2 },
      { unscaled: -1n, dscale: 0 },
      { unscaled: 10n ** 38n - 1n, dscale: 10 },
      { unscaled: 12345678901234567890n, dscale: 3 },
    ];
    for (let i = 0; i < 4000; i++) {
      const magnitude =
        BigInt(10 ** random(16)) * BigInt(random(1_000_000) + 1) + BigInt(random(1000));
      samples.push({ unscaled: random(2) === 0 ? magnitude : -magnitude, dscale: random(12) });
    }
    const fast = new Uint32Array(4);
    const slow = new Uint32Array(4);
    for (const { unscaled, dscale } of samples) {
      const view = numericBinary(unscaled, dscale);
      for (const [precision, scale] of [
        [18, 4],
        [38, 10],
        [10, 0],
        [15, 6],
        [20, 2],
        [38, 0],
      ] as const) {
        fast.fill(7);
        slow.fill(7);
        const refusal = decodeNumericInto(view, 0, view.byteLength, precision, scale, fast, 0);
        const r = decodeNumeric(view, 0, view.byteLength, precision, scale);
        if (r.ok) {
          writeInt128(slow, 0, r.unscaled);
          expect(refusal, `${unscaled}e-${dscale} as (${precision},${scale})`).toBeNull();
          expect(Array.from(fast), `${unscaled}e-${dscale} as (${precision},${scale})`).toEqual(
            Array.from(slow),
          );
        } else {
          expect(refusal, `${unscaled}e-${dscale} as (${precision},${scale})`).toEqual(r.refusal);
        }
      }
    }
  });
});
