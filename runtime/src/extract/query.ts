/**
 * The extract SELECT: which rows a partition and an incremental run take. COPY cannot take bind
 * parameters, so every value enters as a validated, quoted literal with an explicit type.
 */
import { qualifiedName, quoteLiteral, subqueryText } from "../pg/sql.js";
import type { LogicalType } from "../types/pg.js";
import { formatDate, parseDate } from "../types/temporal.js";
import type { ExtractColumn } from "./columns.js";

export interface Source {
  schema: string;
  table: string | null;
  query: string | null;
}

/**
 * The FROM item: the table, or the custom query wrapped as a subquery (its own WHERE keeps
 * working). The query sits on lines of its own, so a trailing `--` comment in it ends at the line
 * break instead of swallowing the rest of the statement.
 */
export function fromItem(source: Source): string {
  if (source.query !== null) {
    return `(\n${subqueryText(source.query)}\n) AS q`;
  }
  if (source.table === null) {
    throw new Error("a pipeline needs either source_table or query");
  }
  return `${qualifiedName(source.schema, source.table)} AS q`;
}

/** The source as people read it in messages: `schema.table` or "custom query". */
export function relationName(source: Source): string {
  return source.query !== null ? "custom query" : `${source.schema}.${source.table ?? ""}`;
}

function columnOf(columns: readonly ExtractColumn[], name: string, role: string): ExtractColumn {
  const c = columns.find((x) => x.source.name === name);
  if (c === undefined) {
    throw new Error(
      `${role} "${name}" is not a column of the source (columns: ${columns.map((x) => x.source.name).join(", ")})`,
    );
  }
  return c;
}

/**
 * Half-open day range of a partition in the tenant time zone, or equality for a date column.
 * `timeZone` must already be checked against pg_timezone_names.
 */
export function partitionPredicate(
  columns: readonly ExtractColumn[],
  dateColumn: string,
  partition: string,
  timeZone: string,
): string {
  const day = parseDate(partition);
  if (day === null) {
    throw new Error(`partition "${partition}" is not a valid YYYY-MM-DD date`);
  }
  const next = formatDate(day + 1);
  const c = columnOf(columns, dateColumn, "date_column");
  const ref = `q.${c.ref}`;
  switch (c.logical.kind) {
    case "date":
      return `${ref} = ${quoteLiteral(partition)}::date`;
    case "timestamp":
      // Local wall-clock time: the day is [D 00:00, D+1 00:00) as written.
      return `${ref} >= ${quoteLiteral(`${partition} 00:00:00`)}::timestamp AND ${ref} < ${quoteLiteral(`${next} 00:00:00`)}::timestamp`;
    case "timestamptz": {
      const tz = quoteLiteral(timeZone);
      return `${ref} >= (${quoteLiteral(partition)}::timestamp AT TIME ZONE ${tz}) AND ${ref} < (${quoteLiteral(next)}::timestamp AT TIME ZONE ${tz})`;
    }
    default:
      throw new Error(
        `date_column "${dateColumn}" is ${c.source.pgType}; a daily partition needs a date, timestamp or timestamp with time zone column`,
      );
  }
}

/** Cursor kinds an incremental pipeline may use. */
export function cursorKind(type: LogicalType): "temporal" | "integer" | null {
  switch (type.kind) {
    case "date":
    case "timestamp":
    case "timestamptz":
      return "temporal";
    case "int16":
    case "int32":
    case "int64":
      return "integer";
    default:
      return null;
  }
}

/** `cursor >= watermark - lookback` (>=, so a row at exactly the watermark is taken again). */
export function incrementalPredicate(
  columns: readonly ExtractColumn[],
  cursorColumn: string,
  watermark: string,
  lookbackSeconds: number,
): string {
  const c = columnOf(columns, cursorColumn, "incremental cursor column");
  const ref = `q.${c.ref}`;
  const kind = cursorKind(c.logical);
  if (kind === null) {
    throw new Error(
      `incremental cursor column "${cursorColumn}" is ${c.source.pgType}; use a date, timestamp, timestamptz or integer column`,
    );
  }
  if (kind === "integer") {
    if (!/^-?\d+$/.test(watermark)) {
      throw new Error(`stored watermark "${watermark}" is not an integer`);
    }
    if (lookbackSeconds !== 0) {
      throw new Error(
        `incremental cursor column "${cursorColumn}" is an integer: lookback_seconds must be 0 (it is ${lookbackSeconds})`,
      );
    }
    return `${ref} >= ${watermark}::numeric`;
  }
  const pgType =
    c.logical.kind === "date"
      ? "date"
      : c.logical.kind === "timestamp"
        ? "timestamp"
        : "timestamptz";
  const lookback = `${quoteLiteral(`${lookbackSeconds} seconds`)}::interval`;
  return `${ref} >= (${quoteLiteral(watermark)}::${pgType} - ${lookback})`;
}

/** The full `SELECT` handed to COPY. */
export function buildSelect(
  source: Source,
  columns: readonly ExtractColumn[],
  predicates: readonly string[],
): string {
  const list = columns.map((c) => `q.${c.selectExpr}`).join(", ");
  const where =
    predicates.length === 0 ? "" : ` WHERE ${predicates.map((p) => `(${p})`).join(" AND ")}`;
  return `SELECT ${list} FROM ${fromItem(source)}${where}`;
}
