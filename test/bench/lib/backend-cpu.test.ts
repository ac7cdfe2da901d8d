import { describe, expect, it } from "vitest";
import { parseStatCpuTicks } from "./backend-cpu.js";
import { parseTimes } from "./extract-runs.js";

describe("parseStatCpuTicks", () => {
  it.each([
    [
      "a postgres backend",
      "4242 (postgres) S 100 100 100 0 -1 4194560 900 0 0 0 137 22 0 0 20 0 1 0 5000 200000000 3000",
      159,
    ],
    [
      "a comm with spaces and parentheses",
      "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1",
      11,
    ],
    ["no comm", "garbage", null],
  ])("%s", (_name, stat, want) => {
    expect(parseStatCpuTicks(stat)).toBe(want);
  });
});

describe("parseTimes", () => {
  it.each([
    ["children's line", "0m1.250s 0m0.050s", 1.3],
    ["minutes", "1m2.500s 0m0.500s", 63],
    ["not a times line", "COPY 5", null],
  ])("%s", (_name, line, want) => {
    const got = parseTimes(line);
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 6);
  });
});
