/** From introspected source columns to what the extract SELECTs and how each value is decoded. */
import { Field } from "apache-arrow";
import { type ColumnContext, type Wire, wireOf } from "../parquet/columns.js";
import { quoteIdent } from "../pg/sql.js";
import type { SourceColumn, UnmappedTypes } from "../plan.js";
import { type LogicalType, mapColumn, trinoTypeOf } from "../types/pg.js";

export interface ExtractColumn {
  source: SourceColumn;
  /** The target name: the Parquet field the column is written as (see PipelinePlan.targetColumns). */
  target: string;
  logical: LogicalType;
  wire: Wire;
  /** Expression in the SELECT list (the column, cast for types carried as text or as bigint). */
  selectExpr: string;
  /** The quoted source column name, for predicates on the raw value. */
  ref: string;
  context: ColumnContext;
}

function baseOf(c: SourceColumn): string {
  return (c.arrayElement ?? c.domainBase ?? c.pgType).trim().toLowerCase();
}

export type ColumnsResult =
  | { ok: true; columns: ExtractColumn[] }
  | { ok: false; errors: string[] };

/**
 * Plans every column under the pipeline's type policy, each written under its target name (same
 * order as `columns`; default: the source names); collects every unsupported column (all at once)
 * instead of the first.
 */
export function planColumns(
  relation: string,
  columns: readonly SourceColumn[],
  targetNames: readonly string[] = columns.map((c) => c.name),
  unmapped: UnmappedTypes = "text",
): ColumnsResult {
  const out: ExtractColumn[] = [];
  const errors: string[] = [];
  if (targetNames.length !== columns.length) {
    return {
      ok: false,
      errors: [
        `internal: ${targetNames.length} target names for ${columns.length} columns of ${relation}`,
      ],
    };
  }
  for (const [i, c] of columns.entries()) {
    const mapped = mapColumn(c, unmapped);
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
    const ref = quoteIdent(c.name);
    const cast =
      mapped.cast === null ? "" : `::${mapped.cast}${logical.kind === "list" ? "[]" : ""}`;
    out.push({
      source: c,
      target: targetNames[i] ?? c.name,
      logical,
      wire: wireOf(logical, baseOf(c) === "jsonb"),
      selectExpr: `${ref}${cast}`,
      ref,
      context: { relation, column: c.name, pgType: c.pgType },
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, columns: out };
}

/** The column as the extract manifest records it: target name and Trino type. */
export function targetColumnOf(column: ExtractColumn): { name: string; type: string } {
  return { name: column.target, type: trinoTypeOf(column.logical) };
}

/** Arrow field of a planned column (always nullable: query results may hold nulls). */
export function arrowField(column: ExtractColumn, type: import("apache-arrow").DataType): Field {
  return new Field(column.target, type, true);
}
