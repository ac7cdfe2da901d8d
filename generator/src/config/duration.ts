/**
 * Durations in tenant YAML (`incremental.lookback`). Only the generator reads them: the plan holds
 * seconds (`lookbackSeconds`), so the runtime has no second parser of this syntax.
 */

/** Parses `90s`, `15m`, `2h`, `1d` or a number of seconds. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? value : null;
  }
  const m = /^([0-9]+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (m === null) {
    return null;
  }
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const mult = unit === "s" ? 1 : unit === "m" ? 60 : unit === "h" ? 3600 : 86400;
  return n * mult;
}
