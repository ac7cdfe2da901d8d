import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90],
    ["15m", 900],
    ["26h", 93_600],
    ["7d", 604_800],
    ["2w", 1_209_600],
    ["0", 0],
    ["3600", 3600],
    [" 1d ", 86_400],
    ["1 d", 86_400],
    [0, 0],
    [120, 120],
  ] as const)("%j is %i seconds", (given, seconds) => {
    expect(parseDuration(given)).toEqual({ ok: true, seconds });
  });

  it.each(["", "h", "1.5h", "-1h", "1y", "1h30m", "26H", "abc", -1, 1.5])(
    "%j is not a duration",
    (given) => {
      const parsed = parseDuration(given);
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? "" : parsed.message).toBe(
        `${JSON.stringify(given)} is not a duration: expected a whole number with a unit (s, m, h, d or w), e.g. "90s", "26h", "7d", or a number of seconds`,
      );
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [93_600, "26h"],
    [604_800, "1w"],
    [86_400, "1d"],
    [90, "90s"],
    [900, "15m"],
    [0, "0s"],
  ])("%i seconds reads %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(parseDuration(text)).toEqual({ ok: true, seconds });
  });
});
