/**
 * Calendar arithmetic without time zones. PostgreSQL sends dates as days and timestamps as
 * microseconds since 2000-01-01; Arrow/Parquet count from 1970-01-01. Converting is a constant
 * shift, so the machine's TZ can never move a value; rendering uses the proleptic Gregorian
 * calendar (Howard Hinnant's civil-from-days), not `Date`, to keep microseconds. Dates are the
 * contract's calendar dates (runtime/src/contract/calendar.ts).
 */
import { civilFromDays, epochDay, parseCalendarDate } from "../contract/calendar.js";

/** Days from 1970-01-01 to 2000-01-01. */
export const PG_EPOCH_DAYS = 10957;
/** Microseconds from 1970-01-01 to 2000-01-01. */
export const PG_EPOCH_MICROS = 946_684_800_000_000n;
export const MICROS_PER_DAY = 86_400_000_000n;

/** PostgreSQL's `infinity` / `-infinity` for date (int32 extremes). */
export const PG_DATE_POS_INFINITY = 0x7fffffff;
export const PG_DATE_NEG_INFINITY = -0x80000000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function formatYear(year: number): string {
  return year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
}

/** `YYYY-MM-DD` of a day count since 1970-01-01. */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${formatYear(year)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Day count since 1970-01-01 of a strict `YYYY-MM-DD` (a real calendar day), else null. */
export function parseDate(text: string): number | null {
  const parsed = parseCalendarDate(text);
  return parsed.ok ? epochDay(parsed.date) : null;
}

/**
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` of microseconds since 1970-01-01, fractional digits trimmed as
 * PostgreSQL prints them. With `utc`, the ISO form `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`.
 */
export function formatMicros(micros: bigint, utc: boolean): string {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const seconds = Number(rest / 1_000_000n);
  const fraction = Number(rest % 1_000_000n);
  const time = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`;
  const frac = fraction === 0 ? "" : `.${pad(fraction, 6).replace(/0+$/, "")}`;
  const date = formatDate(Number(days));
  return utc ? `${date}T${time}${frac}Z` : `${date} ${time}${frac}`;
}

/**
 * Microseconds since 1970-01-01 of `YYYY-MM-DD[ T]HH:MM:SS[.ffffff]` with an optional `Z` or
 * `±HH[:MM]` offset (applied), else null.
 */
export function parseMicros(text: string): bigint | null {
  const m =
    /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      text.trim(),
    );
  if (m === null) {
    return null;
  }
  const days = parseDate(m[1] ?? "");
  if (days === null) {
    return null;
  }
  const h = Number(m[2]);
  const mi = Number(m[3]);
  const s = Number(m[4]);
  if (h > 23 || mi > 59 || s > 59) {
    return null;
  }
  const frac = BigInt((m[5] ?? "").padEnd(6, "0"));
  let micros = BigInt(days) * MICROS_PER_DAY + BigInt(h * 3600 + mi * 60 + s) * 1_000_000n + frac;
  const zone = m[6];
  if (zone !== undefined && zone !== "Z") {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (z === null) {
      return null;
    }
    const offsetMinutes = Number(z[2]) * 60 + Number(z[3] ?? "0");
    const signed = BigInt(z[1] === "-" ? -offsetMinutes : offsetMinutes) * 60_000_000n;
    micros -= signed;
  }
  return micros;
}
