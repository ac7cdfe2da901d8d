import { describe, expect, it } from "vitest";
import { canonicalZoneProblem, knownZones, resolveZone } from "./zone.js";

describe("resolveZone", () => {
  it.each([
    ["Asia/Seoul", "Asia/Seoul"],
    ["UTC", "UTC"],
    ["Europe/Berlin", "Europe/Berlin"],
    ["America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"],
    ["Etc/GMT+5", "Etc/GMT+5"],
    // Letter case is not part of a name.
    ["asia/seoul", "Asia/Seoul"],
    ["ASIA/SEOUL", "Asia/Seoul"],
    ["etc/gmt+5", "Etc/GMT+5"],
    ["utc", "UTC"],
    // UTC and its aliases are spelled UTC.
    ["Etc/UTC", "UTC"],
    ["Etc/GMT", "UTC"],
    ["GMT", "UTC"],
    ["Zulu", "UTC"],
    ["Universal", "UTC"],
    // IANA's current name, whichever spelling ICU calls canonical.
    ["Asia/Kolkata", "Asia/Kolkata"],
    ["Asia/Calcutta", "Asia/Kolkata"],
    ["asia/calcutta", "Asia/Kolkata"],
    ["Europe/Kiev", "Europe/Kyiv"],
    ["Europe/Kyiv", "Europe/Kyiv"],
    ["Asia/Saigon", "Asia/Ho_Chi_Minh"],
    ["America/Buenos_Aires", "America/Argentina/Buenos_Aires"],
    ["America/Godthab", "America/Nuuk"],
    ["Pacific/Enderbury", "Pacific/Kanton"],
    // Backward-compatible links resolve to their zone.
    ["US/Eastern", "America/New_York"],
    ["ROK", "Asia/Seoul"],
    ["Asia/Seoul", "Asia/Seoul"],
  ])("%s is %s", (given, want) => {
    expect(resolveZone(given)).toEqual({ ok: true, zone: want });
  });

  it.each([
    "Asia/Seol",
    "Mars/Olympus",
    "",
    " Asia/Seoul",
    "Asia/Seoul ",
    "+09:00",
    "+0900",
    "-05",
    "Asia/Seoul'; DROP TABLE x; --",
    "../../etc/passwd",
  ])("%j is unknown", (given) => {
    expect(resolveZone(given)).toEqual({ ok: false, message: `unknown time zone "${given}"` });
  });
});

describe("canonical spelling", () => {
  it.each([
    ["Asia/Seoul", null],
    ["Asia/Kolkata", null],
    ["UTC", null],
    ["Asia/Calcutta", 'time zone "Asia/Calcutta" is not in its canonical spelling "Asia/Kolkata"'],
    ["asia/seoul", 'time zone "asia/seoul" is not in its canonical spelling "Asia/Seoul"'],
    ["Etc/UTC", 'time zone "Etc/UTC" is not in its canonical spelling "UTC"'],
    ["Asia/Seol", 'unknown time zone "Asia/Seol"'],
  ])("%s: %s", (given, want) => {
    expect(canonicalZoneProblem(given)).toBe(want);
  });

  it("spells every zone this Node.js knows as a fixed point, in zone-name characters", () => {
    const zones = knownZones();
    expect(zones).toContain("UTC");
    expect(zones).toContain("Asia/Kolkata");
    expect(zones).not.toContain("Asia/Calcutta");
    for (const zone of zones) {
      expect(resolveZone(zone), zone).toEqual({ ok: true, zone });
      expect(zone).toMatch(/^[A-Za-z0-9_+\-/]+$/);
    }
  });
});
