/**
 * Daily partitions: calendar days (YYYY-MM-DD) in the tenant's time zone, from the configured start
 * date. A day is complete once midnight of the next day has passed in that zone. What a date and a
 * zone are is the contract's (runtime/src/contract/calendar.ts, zone.ts), shared with the generator.
 */
import { addDays, formatCalendarDate, parseCalendarDate, utcMillis } from "../contract/calendar.js";
import { resolveZone } from "../contract/zone.js";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
}

const WEEKDAYS: Readonly<Record<string, number>> = {
  Sun: 0,
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
};

/** The wall-clock reading of `instant` in `timeZone`. */
export function wallTime(instant: Date, timeZone: string): WallTime {
  const parts = formatter(timeZone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? "";
  return {
    year: Number(get("year")),
    month: Number(get("month")),
    day: Number(get("day")),
    hour: Number(get("hour")),
    minute: Number(get("minute")),
    second: Number(get("second")),
    weekday: WEEKDAYS[get("weekday")] ?? 0,
  };
}

/** Offset of `timeZone` from UTC at `instantMs`, in milliseconds (east positive). */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const w = wallTime(new Date(instantMs), timeZone);
  const asUtc = utcMillis(w);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instants at which the wall clock of `timeZone` reads the given local time: one normally, two
 * in a repeated (fall-back) hour, none in a skipped (spring-forward) gap. Sorted ascending.
 */
export function localToInstants(
  local: { year: number; month: number; day: number; hour: number; minute: number },
  timeZone: string,
): number[] {
  const wallMs = utcMillis(local);
  // Offsets a zone uses within a day of this wall time cover every candidate reading.
  const offsets = new Set<number>([
    zoneOffsetMs(wallMs - 86_400_000, timeZone),
    zoneOffsetMs(wallMs, timeZone),
    zoneOffsetMs(wallMs + 86_400_000, timeZone),
  ]);
  const out: number[] = [];
  for (const off of offsets) {
    const candidate = wallMs - off;
    const w = wallTime(new Date(candidate), timeZone);
    if (
      w.year === local.year &&
      w.month === local.month &&
      w.day === local.day &&
      w.hour === local.hour &&
      w.minute === local.minute &&
      !out.includes(candidate)
    ) {
      out.push(candidate);
    }
  }
  return out.sort((a, b) => a - b);
}

/** The calendar date of `instant` in `timeZone`, as YYYY-MM-DD. */
export function dateIn(instant: Date, timeZone: string): string {
  return formatCalendarDate(wallTime(instant, timeZone));
}

/** The latest day that has fully ended in `timeZone` at `now`: yesterday there. */
export function latestCompletePartition(timeZone: string, now: Date = new Date()): string {
  return addDays(dateIn(now, timeZone), -1);
}

/** Every date from `from` to `to`, both included, ascending. */
export function partitionRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    out.push(d);
  }
  return out;
}

export interface PartitionsConfig {
  startDate: string;
  timezone: string;
}

export type PartitionCheck = { ok: true; partition: string } | { ok: false; error: string };

/**
 * Checks a `--partition` value: a real date, not before the start date, not in the future of the
 * partitions' zone (which must be a known zone).
 */
export function validatePartition(
  text: string,
  config: PartitionsConfig,
  now: Date = new Date(),
): PartitionCheck {
  const date = parseCalendarDate(text);
  if (!date.ok) {
    return { ok: false, error: `partition "${text}" is not a calendar date: ${date.problem}` };
  }
  const zone = resolveZone(config.timezone);
  if (!zone.ok) {
    return { ok: false, error: `partitions.timezone: ${zone.message}` };
  }
  if (text < config.startDate) {
    return {
      ok: false,
      error: `partition ${text} is before the first partition ${config.startDate} (partitions.start_date)`,
    };
  }
  const today = dateIn(now, zone.zone);
  if (text > today) {
    return {
      ok: false,
      error: `partition ${text} is in the future (today is ${today} in ${zone.zone})`,
    };
  }
  return { ok: true, partition: text };
}

export type RangeCheck = { ok: true; partitions: string[] } | { ok: false; errors: string[] };

/** Checks a backfill range; reports every problem at once. */
export function validateRange(
  from: string,
  to: string,
  config: PartitionsConfig,
  now: Date = new Date(),
): RangeCheck {
  const errors: string[] = [];
  const a = validatePartition(from, config, now);
  const b = validatePartition(to, config, now);
  if (!a.ok) errors.push(`--from: ${a.error}`);
  if (!b.ok) errors.push(`--to: ${b.error}`);
  if (a.ok && b.ok && from > to) {
    errors.push(`--from ${from} is after --to ${to}`);
  }
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, partitions: partitionRange(from, to) };
}

/** Half-open instant range [start, end) covered by a daily partition in `timeZone`. */
export function partitionWindow(date: string, timeZone: string): { start: Date; end: Date } {
  const startOf = (d: string): Date => {
    const parsed = parseCalendarDate(d);
    if (!parsed.ok) {
      throw new Error(`partitionWindow: "${d}" is not a calendar date: ${parsed.problem}`);
    }
    const local = { ...parsed.date, hour: 0, minute: 0 };
    // Midnight can be skipped by a DST jump (e.g. America/Santiago): the day then starts at the
    // first minute that exists.
    for (let minute = 0; minute < 180; minute += 1) {
      const inst = localToInstants(
        { ...local, hour: Math.floor(minute / 60), minute: minute % 60 },
        timeZone,
      );
      if (inst[0] !== undefined) {
        return new Date(inst[0]);
      }
    }
    throw new Error(`no local midnight found for ${d} in ${timeZone}`);
  };
  return { start: startOf(date), end: startOf(addDays(date, 1)) };
}
