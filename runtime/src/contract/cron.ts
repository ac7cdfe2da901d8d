/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week) with lists, ranges,
 * steps, month and day names and the `@daily`-style macros: what the generator accepts for
 * `jobs.<name>.schedule.cron` is exactly what `serve` parses and fires.
 *
 * Semantics (Vixie cron): 7 is Sunday like 0; `5/15` steps from 5 to the field's end; a field
 * starting with `*` is unrestricted; when day-of-month and day-of-week are both restricted, a day
 * matches if either matches. An expression that can never fire (`0 2 30 2 *`: no 30 February) is
 * refused rather than accepted and left silent forever.
 */
import { daysInMonth } from "./calendar.js";

export interface CronExpression {
  /** The expression as written. */
  source: string;
  /** Its normal spelling: fields separated by one space, a macro in lower case. */
  text: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday (7 is folded into 0). */
  daysOfWeek: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

/** `syntax`: not a cron expression; `never-fires`: well formed, but names no day that exists. */
export type CronProblemKind = "syntax" | "never-fires";

export type CronParse =
  | { ok: true; cron: CronExpression }
  | { ok: false; kind: CronProblemKind; error: string };

const MONTH_NAMES = [
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "oct",
  "nov",
  "dec",
] as const;
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

interface Field {
  name: string;
  min: number;
  max: number;
  /** Upper end of `*` (day of week: 6, so Sunday is not counted twice). */
  starMax: number;
  names: readonly string[] | null;
}

const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59, starMax: 59, names: null },
  { name: "hour", min: 0, max: 23, starMax: 23, names: null },
  { name: "day of month", min: 1, max: 31, starMax: 31, names: null },
  { name: "month", min: 1, max: 12, starMax: 12, names: MONTH_NAMES },
  { name: "day of week", min: 0, max: 7, starMax: 6, names: DAY_NAMES },
];

/** The macros and the five fields each stands for. */
export const CRON_MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

type FieldParse = { ok: true; values: Set<number> } | { ok: false; problem: string };

/** Parses a cron expression; the error names the expression, the field and what was expected. */
export function parseCron(source: string): CronParse {
  const trimmed = source.trim();
  const macro = trimmed.toLowerCase();
  if (trimmed.startsWith("@") && CRON_MACROS[macro] === undefined) {
    return syntax(
      `cron "${source}" is not a known macro: use ${Object.keys(CRON_MACROS).join(", ")} or five fields`,
    );
  }
  const expanded = CRON_MACROS[macro] ?? trimmed;
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5) {
    return syntax(
      `cron "${source}" has ${fields.length} field${fields.length === 1 ? "" : "s"}; expected 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"`,
    );
  }
  const sets: Set<number>[] = [];
  for (const [i, field] of FIELDS.entries()) {
    const part = fields[i] ?? "";
    const parsed = parseField(part, field);
    if (!parsed.ok) {
      return syntax(`cron "${source}": ${field.name} field "${part}" ${parsed.problem}`);
    }
    sets.push(parsed.values);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const cron: CronExpression = {
    source,
    text: CRON_MACROS[macro] === undefined ? fields.join(" ") : macro,
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    domRestricted: !(fields[2] ?? "*").startsWith("*"),
    dowRestricted: !(fields[4] ?? "*").startsWith("*"),
  };
  const never = neverFires(cron);
  return never === null
    ? { ok: true, cron }
    : { ok: false, kind: "never-fires", error: `cron "${source}" never fires: ${never}` };
}

/** Whether a day (month 1-12, day of month, weekday 0 = Sunday) is one the expression fires on. */
export function cronDayMatches(
  cron: CronExpression,
  month: number,
  day: number,
  weekday: number,
): boolean {
  if (!cron.months.has(month)) {
    return false;
  }
  const dom = cron.daysOfMonth.has(day);
  const dow = cron.daysOfWeek.has(weekday);
  if (cron.domRestricted && cron.dowRestricted) {
    return dom || dow;
  }
  return dom && dow;
}

/**
 * Why no day ever matches, or null when some day does. Every month has every weekday, so only a
 * restricted day of month with an unrestricted day of week can miss: each day named must then
 * exist in some month named (29 February counts: leap years come).
 */
function neverFires(cron: CronExpression): string | null {
  if (!cron.domRestricted || cron.dowRestricted) {
    return null;
  }
  const months = [...cron.months].sort((a, b) => a - b);
  const days = [...cron.daysOfMonth].sort((a, b) => a - b);
  const longest = Math.max(...months.map((m) => daysInMonth(2000, m)));
  if (days.some((d) => d <= longest)) {
    return null;
  }
  const monthList = months.map((m) => MONTH_NAMES[m - 1] ?? String(m));
  return `day of month ${days.join(",")} does not occur in ${monthList.join(", ")}`;
}

function syntax(error: string): CronParse {
  return { ok: false, kind: "syntax", error };
}

function parseField(text: string, field: Field): FieldParse {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (item === "") {
      return { ok: false, problem: "has an empty list item" };
    }
    const [range = "", step, extra] = item.split("/");
    if (extra !== undefined) {
      return { ok: false, problem: "has more than one step (/)" };
    }
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) {
      return { ok: false, problem: `has step "${step}"; expected a positive integer` };
    }
    const stepBy = step === undefined ? 1 : Number(step);
    let lo = field.min;
    let hi = field.starMax;
    if (range !== "*") {
      const bounds = range.split("-");
      if (bounds.length > 2) {
        return { ok: false, problem: `has range "${range}"; expected a-b` };
      }
      const ends: number[] = [];
      for (const bound of bounds) {
        const value = fieldValue(bound, field);
        if (value === null) {
          const names = field.names === null ? "" : ` or a name (${field.names.join(", ")})`;
          return {
            ok: false,
            problem: `has "${bound}"; expected a number ${field.min}-${field.max}${names}`,
          };
        }
        ends.push(value);
      }
      lo = ends[0] ?? field.min;
      // `5/15` runs from 5 to the end of the field, stepping by 15.
      hi = ends[1] ?? (step === undefined ? lo : field.max);
      if (lo > hi) {
        return { ok: false, problem: `has range "${range}" whose start is after its end` };
      }
    }
    for (let v = lo; v <= hi; v += stepBy) {
      values.add(field.name === "day of week" && v === 7 ? 0 : v);
    }
  }
  return { ok: true, values };
}

function fieldValue(text: string, field: Field): number | null {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : null;
  }
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (index === -1) {
    return null;
  }
  return field.min === 0 ? index : index + field.min;
}
