/** From introspected source columns to what the extract SELECTs and how each value is decoded. */
import { Field } from "apache-arrow";
import { type ColumnContext, type Wire, wireOf } from "../parquet/columns.js";
import { quoteIdent } from "../pg/sql.js";
import type { SourceColumn } from "../plan.js";
import { type LogicalType, mapColumn } from "../types/pg.js";

export interface ExtractColumn {
  source: SourceColumn;
  logical: LogicalType;
  wire: Wire;
  /** Expression in the SELECT list (a cast to text for types rendered as strings). */
  selectExpr: string;
  /** The quoted column name, for predicates on the raw value. */
  ref: string;
  context: ColumnContext;
}

function baseOf(c: SourceColumn): string {
  return (c.arrayElement ?? c.domainBase ?? c.pgType).trim().toLowerCase();
}

/** True for types the extract renders with PostgreSQL's text output (see docs/types.md). */
function castsToText(type: LogicalType): boolean {
  const t = type.kind === "list" ? type.element : type;
  return (
    t.kind === "string" && (t.source === "time" || t.source === "interval" || t.source === "other")
  );
}

export type ColumnsResult =
  | { ok: true; columns: ExtractColumn[] }
  | { ok: false; errors: string[] };

/** Plans every column; collects every unsupported column (all at once) instead of the first. */
export function planColumns(relation: string, columns: readonly SourceColumn[]): ColumnsResult {
  const out: ExtractColumn[] = [];
  const errors: string[] = [];
  for (const c of columns) {
    const mapped = mapColumn(c);
    if (!mapped.ok) {
      errors.push(
        `${relation}.${c.name} (${c.pgType}): ${mapped.reason}; cast it to a supported type in a custom query (e.g. ${quoteIdent(c.name)}::text)`,
      );
      continue;
    }
    const logical = mapped.type;
    if (logical.kind === "list" && logical.element.kind === "list") {
      errors.push(`${relation}.${c.name} (${c.pgType}): nested arrays are not supported`);
      continue;
    }
    const text = castsToText(logical);
    const ref = quoteIdent(c.name);
    const selectExpr = text ? `${ref}::text${logical.kind === "list" ? "[]" : ""}` : ref;
    out.push({
      source: c,
      logical,
      wire: wireOf(logical, baseOf(c) === "jsonb"),
      selectExpr: text ? `${selectExpr} AS ${ref}` : selectExpr,
      ref,
      context: { relation, column: c.name, pgType: c.pgType },
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, columns: out };
}

/** Arrow field of a planned column (always nullable: query results may hold nulls). */
export function arrowField(column: ExtractColumn, type: import("apache-arrow").DataType): Field {
  return new Field(column.source.name, type, true);
}
