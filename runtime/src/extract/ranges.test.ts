import { describe, expect, it } from "vitest";
import { cutPoints, rangePredicates } from "./ranges.js";

describe("cutPoints", () => {
  it.each([
    ["four equal spans", 0n, 100n, 4, [25n, 50n, 75n]],
    ["negative bounds", -10n, 10n, 2, [0n]],
    ["fewer values than parts: duplicates dropped", 1n, 3n, 4, [2n]],
    ["one value: no cut", 5n, 6n, 4, []],
    ["no pages: no cut", 0n, 0n, 4, []],
    ["one part: no cut", 0n, 1000n, 1, []],
    ["bigint bounds beyond 2^53", -9223372036854775808n, 9223372036854775807n, 2, [-1n]],
  ])("%s", (_name, lo, hi, parts, want) => {
    expect(cutPoints(lo, hi, parts)).toEqual(want);
  });
});

describe("rangePredicates", () => {
  it("bounds the first range above (with NULLs), the last below, and shares each cut", () => {
    expect(rangePredicates('q."id"', [10n, 20n], (c) => c.toString(), true)).toEqual([
      'q."id" < 10 OR q."id" IS NULL',
      'q."id" >= 10 AND q."id" < 20',
      'q."id" >= 20',
    ]);
  });

  it("takes no NULLs for ctid, whose cuts are page starts", () => {
    expect(rangePredicates("q.ctid", [7n], (c) => `'(${c},0)'::tid`, false)).toEqual([
      "q.ctid < '(7,0)'::tid",
      "q.ctid >= '(7,0)'::tid",
    ]);
  });

  it("is one unrestricted range without cuts", () => {
    expect(rangePredicates('q."id"', [], (c) => c.toString(), true)).toEqual([null]);
  });
});
