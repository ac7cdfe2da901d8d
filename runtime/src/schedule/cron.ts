/**
 * When a cron expression fires, in a schedule's time zone. The expression itself (syntax, Vixie
 * semantics, the refusal of expressions that never fire) is the contract's
 * (runtime/src/contract/cron.ts), shared with the generator.
 *
 * Written here rather than taken from npm: the popular packages either lack IANA zone support or
 * differ on DST behaviour, and ours must be exactly what the schedule tests pin down.
 *
 * DST: a local time skipped by a spring-forward jump fires at the first instant after the jump
 * (once); a local time repeated by a fall-back fires only at its first occurrence.
 */
import { civilFromDays, epochDay, weekdayOf } from "../contract/calendar.js";
import { type CronExpression, cronDayMatches } from "../contract/cron.js";
import { localToInstants, wallTime } from "../partitions/index.js";

/**
 * How far nextFire looks ahead: the longest wait between two days some accepted expression names,
 * 29 February across 2100 (2096-02-29 to 2104-02-29), plus a day.
 */
const HORIZON_DAYS = 366 * 8 + 1;

/** The first fire instant strictly after `after`, in `timeZone`; null if none within 8 years. */
export function nextFire(cron: CronExpression, timeZone: string, after: Date): Date | null {
  const afterMs = after.getTime();
  const start = wallTime(after, timeZone);
  const minutes = [...cron.minutes].sort((x, y) => x - y);
  const hours = [...cron.hours].sort((x, y) => x - y);
  // Local days never overlap, so the search starts on the local day of `after`, at its wall time.
  const firstDay = epochDay(start);
  for (let i = 0; i < HORIZON_DAYS; i += 1) {
    const day = civilFromDays(firstDay + i);
    if (!cronDayMatches(cron, day.month, day.day, weekdayOf(day))) {
      continue;
    }
    for (const hour of hours) {
      if (i === 0 && hour < start.hour) {
        continue;
      }
      for (const minute of minutes) {
        if (i === 0 && hour === start.hour && minute < start.minute) {
          continue;
        }
        const local = { ...day, hour, minute };
        // Only the first occurrence of a repeated local time counts; a skipped one fires after the gap.
        const at = localToInstants(local, timeZone)[0] ?? gapInstant(local, timeZone);
        if (at !== undefined && at > afterMs) {
          return new Date(at);
        }
      }
    }
  }
  return null;
}

/** For a local time inside a spring-forward gap: the first instant after the gap. */
function gapInstant(
  local: { year: number; month: number; day: number; hour: number; minute: number },
  timeZone: string,
): number | undefined {
  for (let step = 1; step <= 180; step += 1) {
    const total = local.hour * 60 + local.minute + step;
    if (total >= 24 * 60) {
      return undefined;
    }
    const inst = localToInstants(
      { ...local, hour: Math.floor(total / 60), minute: total % 60 },
      timeZone,
    );
    if (inst[0] !== undefined) {
      // The first existing minute after the gap is where the clock lands after the jump.
      return inst[0];
    }
  }
  return undefined;
}

/** Fire instants in (after, until], ascending. */
export function firesBetween(
  cron: CronExpression,
  timeZone: string,
  after: Date,
  until: Date,
): Date[] {
  const out: Date[] = [];
  let t = after;
  for (;;) {
    const n = nextFire(cron, timeZone, t);
    if (n === null || n.getTime() > until.getTime()) {
      return out;
    }
    out.push(n);
    t = n;
  }
}
