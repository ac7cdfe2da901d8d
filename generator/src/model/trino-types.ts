/**
 * Declared transform output column types (Trino type names) and their TypeScript row types. The
 * grammar accepted is the subset the load stage can write into Iceberg.
 */
export type TrinoTypeResult = { ok: true; canonical: string; ts: string } | { ok: false };

const SIMPLE: Readonly<Record<string, string>> = {
  boolean: "boolean",
  tinyint: "number",
  smallint: "number",
  integer: "number",
  int: "number",
  bigint: "bigint",
  real: "number",
  double: "number",
  varchar: "string",
  date: "string",
  varbinary: "Uint8Array",
  uuid: "string",
  json: "string",
};

/** Parses a Trino type name, e.g. `decimal(18,4)`, `timestamp(6)`, `array(varchar)`. */
export function parseTrinoType(raw: string): TrinoTypeResult {
  const t = raw.trim().toLowerCase().replace(/\s+/g, " ");
  const simple = SIMPLE[t];
  if (simple !== undefined) {
    return { ok: true, canonical: t === "int" ? "integer" : t, ts: simple };
  }
  if (/^varchar\(\d+\)$/.test(t) || /^char\(\d+\)$/.test(t)) {
    return { ok: true, canonical: t, ts: "string" };
  }
  const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec !== null) {
    const p = Number(dec[1]);
    const s = Number(dec[2]);
    return p >= 1 && p <= 38 && s <= p
      ? { ok: true, canonical: `decimal(${p},${s})`, ts: "string" }
      : { ok: false };
  }
  const ts = /^timestamp(?:\((\d)\))?( with time zone)?$/.exec(t);
  if (ts !== null) {
    return { ok: true, canonical: `timestamp(${ts[1] ?? "6"})${ts[2] ?? ""}`, ts: "Date" };
  }
  const arr = /^array\((.+)\)$/.exec(t);
  if (arr?.[1] !== undefined) {
    const inner = parseTrinoType(arr[1]);
    return inner.ok
      ? { ok: true, canonical: `array(${inner.canonical})`, ts: `Array<${inner.ts} | null>` }
      : { ok: false };
  }
  return { ok: false };
}
