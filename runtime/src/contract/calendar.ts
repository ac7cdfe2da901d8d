/**
 * Calendar dates written `YYYY-MM-DD`: the real days of the proleptic Gregorian calendar from
 * 0001-01-01 to 9999-12-31, and day arithmetic on them. Shared by the generator
 * (`partitions.start_date`) and the runtime (`--partition`, `--from`/`--to`, partition ranges).
 *
 * Integer arithmetic rather than `Date`: `Date.parse("2024-02-30T00:00:00Z")` rolls over to
 * 2024-03-01 instead of failing, and `Date.UTC` reads the years 0-99 as 1900-1999.
 */

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;
const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;
/** Days from 0000-03-01 to 1970-01-01 in the era arithmetic below. */
const EPOCH_SHIFT = 719_468;

/** A calendar day. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** Why a text is not a calendar date: its shape, or which part is out of range. */
export type DateProblemKind = "format" | "year" | "month" | "day";

export type DateParse =
  | { ok: true; date: CalendarDate }
  | { ok: false; kind: DateProblemKind; problem: string };

/** Whether `year` has a 29 February. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    return isLeapYear(year) ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses `YYYY-MM-DD` into a real day, or says which part is wrong (`problem` completes
 * `"<text>" is not a calendar date: `).
 */
export function parseCalendarDate(text: string): DateParse {
  const m = DATE_TEXT.exec(text);
  if (m === null) {
    return { ok: false, kind: "format", problem: "expected YYYY-MM-DD" };
  }
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1) {
    return { ok: false, kind: "year", problem: "year 0000 does not exist (years run 0001-9999)" };
  }
  if (month < 1 || month > 12) {
    return { ok: false, kind: "month", problem: `month ${m[2]} does not exist (months run 01-12)` };
  }
  if (day < 1) {
    return { ok: false, kind: "day", problem: "day 00 does not exist (days start at 01)" };
  }
  const last = daysInMonth(year, month);
  if (day > last) {
    const name = MONTH_NAMES[month - 1] ?? String(month);
    return { ok: false, kind: "day", problem: `${name} ${m[1]} has ${String(last)} days` };
  }
  return { ok: true, date: { year, month, day } };
}

/** Whether `text` is a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  return parseCalendarDate(text).ok;
}

/** `YYYY-MM-DD` of a day. */
export function formatCalendarDate(date: CalendarDate): string {
  return `${String(date.year).padStart(4, "0")}-${String(date.month).padStart(2, "0")}-${String(date.day).padStart(2, "0")}`;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days-from-civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Years counted from March, so the leap day is the last day of its year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - EPOCH_SHIFT;
}

/** Proleptic Gregorian date of a day count since 1970-01-01. */
export function civilFromDays(days: number): CalendarDate {
  const z = days + EPOCH_SHIFT;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

/** Days since 1970-01-01 of a calendar day. */
export function epochDay(date: CalendarDate): number {
  return daysFromCivil(date.year, date.month, date.day);
}

/** The date `days` after `date` (before, when negative); `date` must be a calendar date. */
export function addDays(date: string, days: number): string {
  const parsed = parseCalendarDate(date);
  if (!parsed.ok) {
    throw new Error(`addDays: "${date}" is not a calendar date (${parsed.problem})`);
  }
  return formatCalendarDate(civilFromDays(epochDay(parsed.date) + days));
}

/** Day of the week, 0 = Sunday. */
export function weekdayOf(date: CalendarDate): number {
  // 1970-01-01 was a Thursday.
  return (((epochDay(date) + 4) % 7) + 7) % 7;
}

/** Milliseconds since the epoch of a wall-clock reading taken as UTC (any year, unlike Date.UTC). */
export function utcMillis(local: {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}): number {
  return (
    epochDay(local) * MS_PER_DAY +
    ((local.hour * 60 + local.minute) * 60 + (local.second ?? 0)) * 1000
  );
}
