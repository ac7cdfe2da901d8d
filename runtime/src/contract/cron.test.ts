import { describe, expect, it } from "vitest";
import { cronDayMatches, parseCron } from "./cron.js";

function cron(text: string) {
  const r = parseCron(text);
  if (!r.ok) throw new Error(r.error);
  return r.cron;
}

describe("parseCron accepts", () => {
  it.each([
    [
      "*/15 1-3,22 1,15 jan-mar MON-fri",
      [0, 15, 30, 45],
      [1, 2, 3, 22],
      [1, 15],
      [1, 2, 3],
      [1, 2, 3, 4, 5],
    ],
    ["0 0 * * 7", [0], [0], null, null, [0]],
    ["0 0 * * 5-7", [0], [0], null, null, [0, 5, 6]],
    ["5/20 * * * *", [5, 25, 45], null, null, null, null],
    ["0 */6 * * *", [0], [0, 6, 12, 18], null, null, null],
    ["0 0 1-10/3 * *", [0], [0], [1, 4, 7, 10], null, null],
    ["@daily", [0], [0], null, null, null],
    ["@weekly", [0], [0], null, null, [0]],
  ])("%s", (text, minutes, hours, doms, months, dows) => {
    const c = cron(text);
    expect([...c.minutes]).toEqual(minutes);
    if (hours !== null) expect([...c.hours]).toEqual(hours);
    if (doms !== null) expect([...c.daysOfMonth]).toEqual(doms);
    if (months !== null) expect([...c.months]).toEqual(months);
    if (dows !== null) expect([...c.daysOfWeek].sort()).toEqual(dows);
  });

  it.each([
    ["0 2 * * *", "0 2 * * *"],
    ["  0   2 *\t* * ", "0 2 * * *"],
    ["@DAILY", "@daily"],
    [" @hourly ", "@hourly"],
  ])("spells %j as %j", (given, want) => {
    expect(cron(given).text).toBe(want);
  });

  it.each([
    // Day of week restricted too: Vixie fires when either matches, so every month has a day.
    "0 2 30 2 mon",
    "0 0 31 4 *".replace("*", "fri"),
    // 29 February exists in leap years.
    "0 0 29 2 *",
    "0 0 30,31 1-12 *",
    // `*/2` counts as unrestricted (starts with *).
    "0 0 */2 2 *",
  ])("%s (it can fire)", (text) => {
    expect(parseCron(text).ok).toBe(true);
  });
});

describe("parseCron refuses", () => {
  it.each([
    [
      "0 2 * *",
      'cron "0 2 * *" has 4 fields; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"',
    ],
    [
      "",
      'cron "" has 1 field; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"',
    ],
    [
      "0 0 2 * * *",
      'cron "0 0 2 * * *" has 6 fields; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"',
    ],
    ["60 * * * *", 'cron "60 * * * *": minute field "60" has "60"; expected a number 0-59'],
    ["0 25 * * *", 'cron "0 25 * * *": hour field "25" has "25"; expected a number 0-23'],
    ["* * 0 * *", 'cron "* * 0 * *": day of month field "0" has "0"; expected a number 1-31'],
    [
      "* * * foo *",
      'cron "* * * foo *": month field "foo" has "foo"; expected a number 1-12 or a name (jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec)',
    ],
    [
      "0 2 * * funday",
      'cron "0 2 * * funday": day of week field "funday" has "funday"; expected a number 0-7 or a name (sun, mon, tue, wed, thu, fri, sat)',
    ],
    [
      "*/0 2 * * *",
      'cron "*/0 2 * * *": minute field "*/0" has step "0"; expected a positive integer',
    ],
    [
      "*/05 2 * * *",
      'cron "*/05 2 * * *": minute field "*/05" has step "05"; expected a positive integer',
    ],
    ["1/2/3 * * * *", 'cron "1/2/3 * * * *": minute field "1/2/3" has more than one step (/)'],
    ["1,,2 * * * *", 'cron "1,,2 * * * *": minute field "1,,2" has an empty list item'],
    [
      "5-1 * * * *",
      'cron "5-1 * * * *": minute field "5-1" has range "5-1" whose start is after its end',
    ],
    ["1-2-3 * * * *", 'cron "1-2-3 * * * *": minute field "1-2-3" has range "1-2-3"; expected a-b'],
    ["*-5 * * * *", 'cron "*-5 * * * *": minute field "*-5" has "*"; expected a number 0-59'],
    [
      "@reboot",
      'cron "@reboot" is not a known macro: use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or five fields',
    ],
  ])("%j (syntax)", (text, error) => {
    expect(parseCron(text)).toEqual({ ok: false, kind: "syntax", error });
  });

  it.each([
    ["0 2 30 2 *", 'cron "0 2 30 2 *" never fires: day of month 30 does not occur in feb'],
    [
      "0 0 31 4,6,9,11 *",
      'cron "0 0 31 4,6,9,11 *" never fires: day of month 31 does not occur in apr, jun, sep, nov',
    ],
    [
      "0 0 30,31 feb *",
      'cron "0 0 30,31 feb *" never fires: day of month 30,31 does not occur in feb',
    ],
  ])("%j (never fires)", (text, error) => {
    expect(parseCron(text)).toEqual({ ok: false, kind: "never-fires", error });
  });
});

describe("cronDayMatches", () => {
  // 2026-03-13 is a Friday; 2026-03-06 a Friday; 2026-03-12 a Thursday.
  it.each([
    ["0 12 13 * 5", 3, 13, 5, true],
    ["0 12 13 * 5", 3, 6, 5, true],
    ["0 12 13 * 5", 3, 12, 4, false],
    ["0 12 13 * *", 3, 13, 5, true],
    ["0 12 13 * *", 3, 6, 5, false],
    ["0 12 * * 5", 3, 6, 5, true],
    ["0 12 * * 5", 3, 12, 4, false],
    ["0 12 */2 * 5", 3, 13, 5, true],
    ["0 12 */2 * 5", 3, 6, 5, false],
    ["0 12 13 4 5", 3, 13, 5, false],
  ])("%s on month %i day %i weekday %i: %s", (text, month, day, weekday, want) => {
    expect(cronDayMatches(cron(text), month, day, weekday)).toBe(want);
  });
});
