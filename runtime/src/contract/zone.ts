/**
 * Time zones: which names are accepted and how each is spelled in a plan. Shared by the generator
 * (`partitions.timezone`, `jobs.<name>.schedule.timezone`) and the runtime (`serve`, partitions,
 * the load's partition predicate), so a zone the generator accepts is one the runtime runs with.
 *
 * A name is accepted when this Node.js's ICU knows it, aliases and any letter case included
 * (`asia/seoul`, `Asia/Calcutta`, `US/Eastern`, `Etc/UTC`). Its canonical spelling, the one a plan
 * holds, is the zone ICU resolves it to, written as the IANA tz database writes that zone today:
 * ICU (following CLDR) still resolves to some retired spellings (`Asia/Calcutta`, `Europe/Kiev`),
 * which IANA_SPELLING maps to their current IANA names (`Asia/Kolkata`, `Europe/Kyiv`). IANA names
 * are what PostgreSQL (`pg_timezone_names`), Trino and Kubernetes CronJobs read, and the table (not
 * what an engine happens to report) fixes the spelling across Node.js versions
 * (docs/decisions/zone-spelling.md). UTC and its aliases (`Etc/UTC`, `GMT`, `Zulu`, ...) are `UTC`,
 * as ECMA-402 spells them.
 */

/** ICU's canonical ids whose zone IANA spells differently today (renames, not merges). */
const IANA_SPELLING: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

/** Spellings ICU may report for UTC itself (ECMA-402 asks for "UTC"; older engines differ). */
const UTC_SPELLINGS = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT"]);

/**
 * The shape of every IANA zone name: a letter, then letters, digits and `_ + - /`. Checked before
 * ICU sees the text: it keeps a zone safe to embed in a SQL string literal, and it refuses offsets
 * (`+09:00`), which newer ECMA-402 engines accept as zones and Node.js 20 does not.
 */
const ZONE_TEXT = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

export type ZoneResolution = { ok: true; zone: string } | { ok: false; message: string };

const resolved = new Map<string, ZoneResolution>();

/** Resolves a zone name to its canonical spelling, or says it is unknown. */
export function resolveZone(text: string): ZoneResolution {
  const cached = resolved.get(text);
  if (cached !== undefined) {
    return cached;
  }
  const icu = ZONE_TEXT.test(text) ? icuZone(text) : null;
  const result: ZoneResolution =
    icu === null
      ? { ok: false, message: `unknown time zone "${text}"` }
      : { ok: true, zone: spell(icu) };
  resolved.set(text, result);
  return result;
}

/** Null when `text` is a known zone written canonically; else what to write instead. */
export function canonicalZoneProblem(text: string): string | null {
  const r = resolveZone(text);
  if (!r.ok) {
    return r.message;
  }
  return r.zone === text
    ? null
    : `time zone "${text}" is not in its canonical spelling "${r.zone}"`;
}

/** Every canonical zone name this Node.js knows, sorted (for "did you mean" suggestions). */
export function knownZones(): string[] {
  const names = new Set<string>(["UTC"]);
  for (const id of Intl.supportedValuesOf("timeZone")) {
    names.add(spell(id));
  }
  return [...names].sort();
}

function spell(icuId: string): string {
  return UTC_SPELLINGS.has(icuId) ? "UTC" : (IANA_SPELLING[icuId] ?? icuId);
}

/** ICU's canonical id of a zone name, or null when ICU does not know it. */
function icuZone(text: string): string | null {
  // Constructing a formatter is the only check ICU offers that knows aliases:
  // Intl.supportedValuesOf lists canonical ids only (on Node.js 20 neither Asia/Kolkata nor UTC).
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: text }).resolvedOptions().timeZone;
  } catch (e) {
    if (e instanceof RangeError) {
      return null;
    }
    throw new Error(`checking time zone "${text}"`, { cause: e });
  }
}
