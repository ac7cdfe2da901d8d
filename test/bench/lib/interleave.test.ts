import { describe, expect, it } from "vitest";
import { interleave, median, ratioText, summarise } from "./interleave.js";

describe("median", () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
    [[2, 2, 9, 2, 2], 2],
  ])("median of %j is %d", (values, want) => {
    expect(median(values)).toBe(want);
  });
  it("refuses an empty list", () => {
    expect(() => median([])).toThrow("median of no values");
  });
});

describe("interleave", () => {
  it("runs the variants in turn and summarises each by its median and spread", async () => {
    const order: string[] = [];
    const result = await interleave(
      [
        {
          name: "floor",
          measure: async (round) => {
            order.push(`floor${round}`);
            return [2, 4, 3][round] ?? 0;
          },
        },
        {
          name: "ours",
          measure: async (round) => {
            order.push(`ours${round}`);
            return [5, 3, 4][round] ?? 0;
          },
        },
      ],
      3,
    );
    expect(order).toEqual(["floor0", "ours0", "floor1", "ours1", "floor2", "ours2"]);
    expect(result.variants.map((v) => [v.name, v.median, v.min, v.max])).toEqual([
      ["floor", 3, 2, 4],
      ["ours", 4, 3, 5],
    ]);
    expect(result.variants[0]?.spread).toBeCloseTo(2 / 3);
  });

  it("fails the comparison when a run fails its verification", async () => {
    await expect(
      interleave([{ name: "ours", measure: () => Promise.reject(new Error("rows differ")) }], 2),
    ).rejects.toThrow("rows differ");
  });
});

describe("ratioText", () => {
  it("prints the ratio of medians with both spreads", () => {
    expect(ratioText(summarise("ours", [4, 4.4, 4.2]), summarise("floor", [3, 3.3, 3.1]))).toBe(
      "1.35x (ours 4.20 s ±5%, floor 3.10 s ±5%)",
    );
  });
});
