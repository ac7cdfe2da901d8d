/**
 * The column model of a load: what the staged Parquet files hold (named, with Trino types from the
 * one type mapping in types/pg.ts, or the transform's declared output types) and how each column
 * is read from a Hive staging table into the Iceberg target.
 */
import { z } from "zod";
import { RESERVED_COLUMN_PREFIX, targetColumnProblem } from "../contract/naming.js";
import type { OutputColumn, SourceColumn, UnmappedTypes } from "../plan.js";
import { normaliseType } from "../trino/sql.js";
import { mapColumn, trinoTypeOf } from "../types/pg.js";

export const LoadColumnSchema = z.strictObject({
  /** Target column name as it appears in the Parquet files and the Trino table (lower case). */
  name: z.string(),
  /** Trino/Iceberg type of the column in the target table, normalised (see normaliseType). */
  type: z.string(),
});
export type LoadColumn = z.infer<typeof LoadColumnSchema>;

export type LoadColumnsResult =
  | { ok: true; columns: LoadColumn[] }
  | { ok: false; errors: string[] };

/** Prefix reserved for the load's own helper columns inside generated statements. */
export const RESERVED_PREFIX = RESERVED_COLUMN_PREFIX;

function checkNames(columns: LoadColumn[], origin: string): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const c of columns) {
    const problem = targetColumnProblem(c.name);
    if (problem !== null) {
      errors.push(`${origin} column ${JSON.stringify(c.name)} ${problem}`);
    }
    const lower = c.name.toLowerCase();
    if (seen.has(lower)) {
      errors.push(
        `${origin} column "${c.name}" appears twice (Trino compares names case-insensitively)`,
      );
    }
    seen.add(lower);
  }
  return errors;
}

/**
 * Load columns of extracted data, from source columns and their target names (same order; absent:
 * the source names as they are, which is what extracts written before target naming hold), with
 * the same type mapping as the extract.
 */
export function columnsFromSource(
  columns: readonly SourceColumn[],
  targetNames?: readonly string[],
  unmapped: UnmappedTypes = "text",
): LoadColumnsResult {
  const out: LoadColumn[] = [];
  const errors: string[] = [];
  for (const [i, c] of columns.entries()) {
    const mapped = mapColumn(c, unmapped);
    if (!mapped.ok) {
      errors.push(`source column "${c.name}": ${mapped.reason}`);
      continue;
    }
    // Extracts written before target naming hold the source names; Trino folds them.
    out.push({ name: targetNames?.[i] ?? c.name.toLowerCase(), type: trinoTypeOf(mapped.type) });
  }
  errors.push(...checkNames(out, "source"));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, columns: out };
}

/** Load columns recorded by an extract manifest (its `targetColumns`), checked. */
export function columnsFromRecorded(columns: readonly LoadColumn[]): LoadColumnsResult {
  const errors = checkNames([...columns], "extracted");
  return errors.length > 0 ? { ok: false, errors } : { ok: true, columns: [...columns] };
}

/** Load columns of transform output, from the declared output columns (Trino type names). */
export function columnsFromOutput(columns: readonly OutputColumn[]): LoadColumnsResult {
  const out: LoadColumn[] = [];
  const errors: string[] = [];
  for (const c of columns) {
    try {
      out.push({ name: c.name, type: normaliseType(c.type) });
    } catch (err) {
      errors.push(`output column "${c.name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  errors.push(...checkNames(out, "output"));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, columns: out };
}

/**
 * Type of the column in the Hive staging table. Hive has no `timestamp with time zone`: Parquet
 * instants (isAdjustedToUTC) are read as UTC wall-clock timestamps and turned back into instants
 * by `stagedExpr`.
 */
export function hiveTypeOf(type: string): string {
  if (type === "timestamp(6) with time zone" || type.startsWith("timestamp(")) {
    return "timestamp(6)";
  }
  if (type.startsWith("array(")) {
    return `array(${hiveTypeOf(type.slice("array(".length, -1))})`;
  }
  return type;
}

/** SQL expression reading `ref` (a quoted staging column) as the target type. */
export function stagedExpr(ref: string, type: string): string {
  if (type.endsWith("with time zone")) {
    return `CAST(with_timezone(${ref}, 'UTC') AS ${type})`;
  }
  if (type.startsWith("timestamp(")) {
    return `CAST(${ref} AS ${type})`;
  }
  return ref;
}
