/**
 * Durations in tenant YAML: `incremental.lookback`, `freshness.max_lag`, the maintenance job's
 * retention. Written as a whole number with one unit (`90s`, `15m`, `26h`, `7d`, `2w`) or as a
 * number of seconds. The generator parses them and the plan holds seconds; the runtime parses the
 * same syntax where a person types one (and prints seconds back in this form), so both sides
 * read `26h` alike.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
type Unit = keyof typeof UNIT_SECONDS;

export type DurationParse = { ok: true; seconds: number } | { ok: false; message: string };

/** Parses `90s`, `15m`, `26h`, `7d`, `2w`, digits (seconds) or a non-negative integer number. */
export function parseDuration(value: string | number): DurationParse {
  const fail = (): DurationParse => ({
    ok: false,
    message: `${JSON.stringify(value)} is not a duration: expected a whole number with a unit (s, m, h, d or w), e.g. "90s", "26h", "7d", or a number of seconds`,
  });
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? { ok: true, seconds: value } : fail();
  }
  const match = /^([0-9]+)\s*([smhdw])?$/.exec(value.trim());
  if (match === null) return fail();
  const unit = (match[2] ?? "s") as Unit;
  const seconds = Number(match[1]) * UNIT_SECONDS[unit];
  return { ok: true, seconds };
}

/** Seconds of a duration, or null when it is none (the generator's lookback check). */
export function durationSeconds(value: string | number): number | null {
  const parsed = parseDuration(value);
  return parsed.ok ? parsed.seconds : null;
}

/** A duration in the largest unit that divides it exactly: 93600 -> "26h", 604800 -> "1w". */
export function formatDuration(seconds: number): string {
  for (const unit of ["w", "d", "h", "m"] as const) {
    const size = UNIT_SECONDS[unit];
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
