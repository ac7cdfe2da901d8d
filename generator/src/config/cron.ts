/** Validation of 5-field cron expressions and IANA time zones, with messages a person can act on. */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  // 7 is accepted as Sunday, as in Vixie cron.
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/** Returns null when valid, else what is wrong. */
export function cronProblem(expr: string): string | null {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) {
    return `cron "${expr}" has ${parts.length} field${parts.length === 1 ? "" : "s"}; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"`;
  }
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i];
    if (field === undefined) {
      continue;
    }
    const problem = fieldProblem(part, field);
    if (problem !== null) {
      return `cron "${expr}": ${field.name} field "${part}" ${problem}`;
    }
  }
  return null;
}

function fieldProblem(part: string, field: Field): string | null {
  for (const item of part.split(",")) {
    if (item === "") {
      return "has an empty list item";
    }
    const [range, step, extra] = item.split("/");
    if (extra !== undefined || range === undefined) {
      return "has more than one step (/)";
    }
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) {
      return `has step "${step}"; expected a positive integer`;
    }
    if (range === "*") {
      continue;
    }
    const bounds = range.split("-");
    if (bounds.length > 2) {
      return `has range "${range}"; expected a-b`;
    }
    const values: number[] = [];
    for (const b of bounds) {
      const v = fieldValue(b, field);
      if (v === null) {
        return `has "${b}"; expected a number ${field.min}-${field.max}${field.names === undefined ? "" : ` or a name (${field.names.join(", ")})`}`;
      }
      values.push(v);
    }
    const [lo, hi] = values;
    if (lo !== undefined && hi !== undefined && lo > hi) {
      return `has range "${range}" whose start is after its end`;
    }
  }
  return null;
}

function fieldValue(text: string, field: Field): number | null {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : null;
  }
  const idx = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (idx === -1) {
    return null;
  }
  return field.min === 0 ? idx : idx + field.min;
}

/** True when the runtime's Intl knows this IANA zone. */
export function isValidTimeZone(zone: string): boolean {
  if (zone === "" || !/^[A-Za-z_+\-/0-9]+$/.test(zone)) {
    return false;
  }
  const supported = Intl.supportedValuesOf("timeZone");
  if (supported.includes(zone) || zone === "UTC" || zone === "Etc/UTC") {
    return true;
  }
  // supportedValuesOf lists canonical names only; aliases (e.g. Asia/Calcutta) are still valid.
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch (e) {
    if (e instanceof RangeError) {
      return false;
    }
    throw new Error(`checking time zone "${zone}"`, { cause: e });
  }
}

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
