/**
 * One mapping from PostgreSQL column types to the logical types the runtime carries, and from
 * those to TypeScript (row interfaces), Parquet/Arrow (extract) and Trino (load). docs/types.md
 * documents the table; extract, load and the generator all use this module, so they cannot drift.
 */
import type { SourceColumn, UnmappedTypes } from "../plan.js";

/** Precision and scale used for unconstrained `numeric`; values that do not fit are refused. */
export const UNCONSTRAINED_NUMERIC = { precision: 38, scale: 10 } as const;

export type LogicalType =
  | { kind: "int16" }
  | { kind: "int32" }
  | { kind: "int64" }
  | { kind: "decimal"; precision: number; scale: number; unconstrained: boolean }
  | { kind: "float32" }
  | { kind: "float64" }
  | { kind: "bool" }
  | {
      kind: "string";
      /** "other": selected as PostgreSQL's text output; "fallback": the same, for a type without an exact mapping. */
      source: "text" | "enum" | "uuid" | "json" | "time" | "interval" | "other" | "fallback";
    }
  | { kind: "bytes" }
  | { kind: "date" }
  | { kind: "timestamp" }
  | { kind: "timestamptz" }
  | { kind: "list"; element: LogicalType };

export type MapResult = { ok: true; type: LogicalType } | { ok: false; reason: string };

/**
 * What the extract's SELECT casts a column to before COPY sends it: `text` for types carried as
 * their text output, `int8` for oid (unsigned 32-bit, which bigint holds exactly), else none.
 */
export type SelectCast = "text" | "int8" | null;

/** Types carried exactly as another binary type through a cast in the SELECT. */
const CAST_SCALARS: Record<string, { type: LogicalType; cast: "int8" }> = {
  oid: { type: { kind: "int64" }, cast: "int8" },
};

const SCALARS: Record<string, LogicalType> = {
  smallint: { kind: "int16" },
  integer: { kind: "int32" },
  bigint: { kind: "int64" },
  real: { kind: "float32" },
  "double precision": { kind: "float64" },
  boolean: { kind: "bool" },
  text: { kind: "string", source: "text" },
  name: { kind: "string", source: "text" },
  citext: { kind: "string", source: "text" },
  uuid: { kind: "string", source: "uuid" },
  json: { kind: "string", source: "json" },
  jsonb: { kind: "string", source: "json" },
  bytea: { kind: "bytes" },
  date: { kind: "date" },
  "timestamp without time zone": { kind: "timestamp" },
  "timestamp with time zone": { kind: "timestamptz" },
  "time without time zone": { kind: "string", source: "time" },
  "time with time zone": { kind: "string", source: "time" },
  interval: { kind: "string", source: "interval" },
  money: { kind: "string", source: "other" },
  inet: { kind: "string", source: "other" },
  cidr: { kind: "string", source: "other" },
  macaddr: { kind: "string", source: "other" },
  tsvector: { kind: "string", source: "other" },
  xml: { kind: "string", source: "other" },
};

/** Maps a PostgreSQL `format_type` text (without array suffix) to a logical type. */
export function mapScalarPgType(pgType: string): MapResult {
  const t = pgType.trim().toLowerCase();
  const direct = SCALARS[t];
  if (direct !== undefined) {
    return { ok: true, type: direct };
  }
  const numeric = /^numeric(?:\((\d+)(?:,\s*(-?\d+))?\))?$/.exec(t);
  if (numeric !== null) {
    const p = numeric[1];
    const s = numeric[2];
    if (p === undefined) {
      return {
        ok: true,
        type: { kind: "decimal", ...UNCONSTRAINED_NUMERIC, unconstrained: true },
      };
    }
    const precision = Number(p);
    const scale = s === undefined ? 0 : Number(s);
    if (precision > 38 || scale < 0 || scale > precision) {
      return {
        ok: false,
        reason: `numeric(${precision},${scale}) does not fit a Parquet/Trino decimal (precision <= 38, 0 <= scale <= precision)`,
      };
    }
    return { ok: true, type: { kind: "decimal", precision, scale, unconstrained: false } };
  }
  if (/^(character varying|varchar|character|char|bpchar)(\(\d+\))?$/.test(t)) {
    return { ok: true, type: { kind: "string", source: "text" } };
  }
  if (/^timestamp\(\d\) without time zone$/.test(t)) {
    return { ok: true, type: { kind: "timestamp" } };
  }
  if (/^timestamp\(\d\) with time zone$/.test(t)) {
    return { ok: true, type: { kind: "timestamptz" } };
  }
  if (/^time\(\d\) with(out)? time zone$/.test(t)) {
    return { ok: true, type: { kind: "string", source: "time" } };
  }
  if (/^interval/.test(t)) {
    return { ok: true, type: { kind: "string", source: "interval" } };
  }
  if (/^bit( varying)?(\(\d+\))?$/.test(t)) {
    return { ok: true, type: { kind: "string", source: "other" } };
  }
  return { ok: false, reason: `PostgreSQL type "${pgType}" has no mapping` };
}

/** A mapped column: its logical type and the cast the extract's SELECT applies to it. */
export type ColumnMapping =
  | { ok: true; type: LogicalType; cast: SelectCast }
  | { ok: false; reason: string };

const FALLBACK: LogicalType = { kind: "string", source: "fallback" };

function mapElement(pgType: string, unmapped: UnmappedTypes): ColumnMapping {
  const special = CAST_SCALARS[pgType.trim().toLowerCase()];
  if (special !== undefined) {
    return { ok: true, type: special.type, cast: special.cast };
  }
  const direct = mapScalarPgType(pgType);
  if (direct.ok) {
    return { ok: true, type: direct.type, cast: castOf(direct.type) };
  }
  if (unmapped === "text") {
    // Every PostgreSQL type has a text output that its input function reads back to the same
    // value: carrying that text is exact (docs/types.md lists the types this covers).
    return { ok: true, type: FALLBACK, cast: "text" };
  }
  return {
    ok: false,
    reason: `${direct.reason} (unmapped_types: refuse; with unmapped_types: text it is carried as its text form)`,
  };
}

function castOf(type: LogicalType): SelectCast {
  return type.kind === "string" &&
    (type.source === "time" ||
      type.source === "interval" ||
      type.source === "other" ||
      type.source === "fallback")
    ? "text"
    : null;
}

/**
 * Maps an introspected column (domains, enums and arrays included) to a logical type and the cast
 * its SELECT needs. A domain maps as its base type. With `unmapped: "text"` (the default) a type
 * without an exact mapping is carried as its text output; with "refuse" it is an error.
 */
export function mapColumn(column: SourceColumn, unmapped: UnmappedTypes = "text"): ColumnMapping {
  if (column.arrayElement !== null) {
    const element: ColumnMapping =
      column.enumLabels !== null
        ? { ok: true, type: { kind: "string", source: "enum" }, cast: null }
        : mapElement(column.arrayElement, unmapped);
    if (!element.ok) {
      return element;
    }
    return { ok: true, type: { kind: "list", element: element.type }, cast: element.cast };
  }
  if (column.enumLabels !== null) {
    return { ok: true, type: { kind: "string", source: "enum" }, cast: null };
  }
  return mapElement(column.domainBase ?? column.pgType, unmapped);
}

/** TypeScript type of a value of this logical type in transform rows. */
export function tsTypeOf(type: LogicalType): string {
  switch (type.kind) {
    case "int16":
    case "int32":
    case "float32":
    case "float64":
      return "number";
    case "int64":
      return "bigint";
    case "decimal":
      return "string";
    case "bool":
      return "boolean";
    case "string":
      return "string";
    case "bytes":
      return "Uint8Array";
    case "date":
      return "string";
    case "timestamp":
    case "timestamptz":
      return "Date";
    case "list":
      return `Array<${tsTypeOf(type.element)} | null>`;
  }
}

/** Trino (Iceberg) column type of this logical type. */
export function trinoTypeOf(type: LogicalType): string {
  switch (type.kind) {
    case "int16":
      return "integer";
    case "int32":
      return "integer";
    case "int64":
      return "bigint";
    case "decimal":
      return `decimal(${type.precision},${type.scale})`;
    case "float32":
      return "real";
    case "float64":
      return "double";
    case "bool":
      return "boolean";
    case "string":
      return "varchar";
    case "bytes":
      return "varbinary";
    case "date":
      return "date";
    case "timestamp":
      return "timestamp(6)";
    case "timestamptz":
      return "timestamp(6) with time zone";
    case "list":
      return `array(${trinoTypeOf(type.element)})`;
  }
}

/** Whether a column can carry the ranges of a parallel extract (`extract.split_column`). */
export function isSplitType(type: LogicalType): boolean {
  return type.kind === "int16" || type.kind === "int32" || type.kind === "int64";
}
