/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week) with ranges, steps, lists
 * and month/day names, and time-zone aware next-fire computation.
 *
 * Written here rather than taken from npm: the popular packages either lack IANA zone support or
 * differ on DST behaviour, and ours must be exactly what the schedule tests pin down.
 *
 * Semantics (Vixie cron): when both day-of-month and day-of-week are restricted, a day matches if
 * either matches. DST: a local time skipped by a spring-forward jump fires at the first instant
 * after the jump (once); a local time repeated by a fall-back fires only at its first occurrence.
 */
import { addDays, localToInstants, wallTime } from "../partitions/index.js";

export interface CronExpression {
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday (7 is folded into 0). */
  daysOfWeek: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

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
];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names: readonly string[] | null;
  /** Value the first name maps to. */
  nameBase: number;
}

const FIELDS: readonly FieldDef[] = [
  { name: "minute", min: 0, max: 59, names: null, nameBase: 0 },
  { name: "hour", min: 0, max: 23, names: null, nameBase: 0 },
  { name: "day of month", min: 1, max: 31, names: null, nameBase: 1 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: "day of week", min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export type CronParse = { ok: true; cron: CronExpression } | { ok: false; error: string };

function parseValue(text: string, def: FieldDef): number | null {
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  if (def.names !== null) {
    const i = def.names.indexOf(text.toLowerCase());
    if (i !== -1) {
      return i + def.nameBase;
    }
  }
  return null;
}

function parseField(
  text: string,
  def: FieldDef,
): { ok: true; values: Set<number> } | { ok: false; error: string } {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const [rangePart, stepPart, extra] = item.split("/");
    if (rangePart === undefined || rangePart === "" || extra !== undefined) {
      return { ok: false, error: `${def.name} field "${text}": bad item "${item}"` };
    }
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) {
        return {
          ok: false,
          error: `${def.name} field "${text}": step "${stepPart}" must be a positive integer`,
        };
      }
      step = Number(stepPart);
    }
    let lo: number;
    let hi: number;
    if (rangePart === "*") {
      lo = def.min;
      hi = def.name === "day of week" ? 6 : def.max;
    } else {
      const [a, b, more] = rangePart.split("-");
      const av = a === undefined ? null : parseValue(a, def);
      const bv = b === undefined ? av : parseValue(b, def);
      if (av === null || bv === null || more !== undefined) {
        return {
          ok: false,
          error: `${def.name} field "${text}": "${rangePart}" is not a value or range`,
        };
      }
      lo = av;
      // `5/15` means 5 to the end, stepping by 15.
      hi = b === undefined && stepPart !== undefined ? def.max : bv;
    }
    if (lo < def.min || hi > def.max || lo > hi) {
      return {
        ok: false,
        error: `${def.name} field "${text}": "${rangePart}" is outside ${def.min}-${def.max} or reversed`,
      };
    }
    for (let v = lo; v <= hi; v += step) {
      values.add(def.name === "day of week" && v === 7 ? 0 : v);
    }
  }
  return { ok: true, values };
}

/** Parses a 5-field cron expression (or @daily-style macro); errors name the bad field. */
export function parseCron(source: string): CronParse {
  const expanded = MACROS[source.trim().toLowerCase()] ?? source.trim();
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5) {
    return {
      ok: false,
      error: `cron "${source}": expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
    };
  }
  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i += 1) {
    const def = FIELDS[i];
    const text = fields[i];
    if (def === undefined || text === undefined) {
      return { ok: false, error: `cron "${source}": internal field mismatch` };
    }
    const r = parseField(text, def);
    if (!r.ok) {
      return { ok: false, error: `cron "${source}": ${r.error}` };
    }
    sets.push(r.values);
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets;
  if (
    minutes === undefined ||
    hours === undefined ||
    daysOfMonth === undefined ||
    months === undefined ||
    daysOfWeek === undefined
  ) {
    return { ok: false, error: `cron "${source}": internal field mismatch` };
  }
  return {
    ok: true,
    cron: {
      source,
      minutes,
      hours,
      daysOfMonth,
      months,
      daysOfWeek,
      domRestricted: !(fields[2] ?? "*").startsWith("*"),
      dowRestricted: !(fields[4] ?? "*").startsWith("*"),
    },
  };
}

function dayMatches(cron: CronExpression, month: number, day: number, weekday: number): boolean {
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

/** The first fire instant strictly after `after`, in `timeZone`; null if none within 5 years. */
export function nextFire(cron: CronExpression, timeZone: string, after: Date): Date | null {
  const afterMs = after.getTime();
  const start = wallTime(after, timeZone);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  const hours = [...cron.hours].sort((a, b) => a - b);
  // Local days never overlap, so the search starts on the local day of `after`, at its wall time.
  const firstDate = `${String(start.year).padStart(4, "0")}-${String(start.month).padStart(2, "0")}-${String(start.day).padStart(2, "0")}`;
  let date = firstDate;
  for (let i = 0; i < 366 * 5 + 2; i += 1, date = addDays(date, 1)) {
    const [y, m, d] = date.split("-").map(Number);
    if (y === undefined || m === undefined || d === undefined) {
      return null;
    }
    const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    if (!dayMatches(cron, m, d, weekday)) {
      continue;
    }
    for (const h of hours) {
      if (date === firstDate && h < start.hour) {
        continue;
      }
      for (const mi of minutes) {
        if (date === firstDate && h === start.hour && mi < start.minute) {
          continue;
        }
        const local = { year: y, month: m, day: d, hour: h, minute: mi };
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
