/**
 * The SQL of a load, as pure functions of its plan: the SELECT over the staging table (guarded
 * against rows outside the partition), the count of staged rows (and of rows outside the
 * partition) for data whose manifest does not count them, and the one DML statement per write mode
 * (INSERT for append, MERGE for the others), each a single Iceberg commit. A batch of partitions
 * (a chunked backfill, batch.ts) is the same statement over the UNION ALL of its partitions' guarded
 * sources, scoped to all of their days.
 */
import { addDays, parseCalendarDate } from "../contract/calendar.js";
import { resolveZone } from "../contract/zone.js";
import type { WriteMode } from "../plan.js";
import {
  InvalidIdentifierError,
  quoteTrinoColumn,
  quoteTrinoIdent,
  stringLiteral,
} from "../trino/sql.js";
import { type LoadColumn, RESERVED_PREFIX, stagedExpr } from "./columns.js";
import type { TargetTable } from "./target.js";

/** What one load writes, checked against its staged data before any statement is sent. */
export interface LoadPlan {
  target: TargetTable;
  mode: WriteMode;
  tenantColumn: string;
  dataColumns: LoadColumn[];
  partitionColumn: LoadColumn | null;
  keyColumns: string[];
}

/** The daily partition a load replaces or checks, on the staged column that holds it. */
export interface PartitionRange {
  column: LoadColumn;
  partition: { date: string; timeZone: string };
}

/** The zone as Trino reads it inside a timestamp literal (canonical names have no quote). */
function zoneLiteralPart(timeZone: string): string {
  const zone = resolveZone(timeZone);
  if (!zone.ok) {
    throw new InvalidIdentifierError(`"${timeZone}" is not an IANA time zone`);
  }
  return zone.zone;
}

/**
 * Predicate selecting one daily partition on `ref`: the half-open day in the tenant's time zone
 * (the same window extract selects), so no row at or after midnight is missed or double counted.
 */
export function trinoPartitionPredicate(
  ref: string,
  column: LoadColumn,
  partition: { date: string; timeZone: string },
): string {
  const from = checkedDate(partition.date);
  if (column.type === "date") {
    return `${ref} = DATE ${stringLiteral(from)}`;
  }
  return windowPredicate(ref, column, from, addDays(from, 1), partition.timeZone);
}

function checkedDate(text: string): string {
  const date = parseCalendarDate(text);
  if (!date.ok) {
    throw new InvalidIdentifierError(`"${text}" is not a partition date: ${date.problem}`);
  }
  return text;
}

/** `ref` in [from 00:00, to 00:00) of the zone (timestamp with time zone) or as written. */
function windowPredicate(
  ref: string,
  column: LoadColumn,
  from: string,
  to: string,
  timeZone: string,
): string {
  if (column.type.endsWith("with time zone")) {
    const z = zoneLiteralPart(timeZone);
    return `${ref} >= TIMESTAMP ${stringLiteral(`${from} 00:00:00 ${z}`)} AND ${ref} < TIMESTAMP ${stringLiteral(`${to} 00:00:00 ${z}`)}`;
  }
  return `${ref} >= TIMESTAMP ${stringLiteral(`${from} 00:00:00`)} AND ${ref} < TIMESTAMP ${stringLiteral(`${to} 00:00:00`)}`;
}

/**
 * The day (a Trino date) a row's partition column `ref` puts it in: the date itself, a timestamp's
 * calendar date, a timestamp with time zone's date in the tenant's zone; equal to D exactly when
 * trinoPartitionPredicate of D holds.
 */
export function trinoDayOf(ref: string, column: LoadColumn, timeZone: string): string {
  if (column.type === "date") return ref;
  if (column.type.endsWith("with time zone")) {
    return `CAST(${ref} AT TIME ZONE ${stringLiteral(zoneLiteralPart(timeZone))} AS date)`;
  }
  return `CAST(${ref} AS date)`;
}

/**
 * Predicate selecting several daily partitions on `ref`: for a date column one `=` or an `IN`
 * list, for a timestamp the OR of one half-open window per run of consecutive days. One date gives
 * exactly trinoPartitionPredicate's text.
 */
export function trinoPartitionsPredicate(
  ref: string,
  column: LoadColumn,
  dates: readonly string[],
  timeZone: string,
): string {
  const sorted = [...new Set(dates.map(checkedDate))].sort();
  const first = sorted[0];
  if (first === undefined) {
    throw new Error("internal: a partition predicate over no partition");
  }
  if (sorted.length === 1) {
    return trinoPartitionPredicate(ref, column, { date: first, timeZone });
  }
  if (column.type === "date") {
    return `${ref} IN (${sorted.map((d) => `DATE ${stringLiteral(d)}`).join(", ")})`;
  }
  const runs: { from: string; to: string }[] = [];
  for (const d of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && addDays(last.to, 1) === d) last.to = d;
    else runs.push({ from: d, to: d });
  }
  const windows = runs.map((r) => windowPredicate(ref, column, r.from, addDays(r.to, 1), timeZone));
  return windows.length === 1 ? (windows[0] ?? "") : windows.map((w) => `(${w})`).join(" OR ");
}

/** SELECT over the staging table producing the target's columns (tenant column included). */
export function sourceSelect(pl: LoadPlan, staging: string, tenantId: string): string {
  const cols = pl.dataColumns.map(
    (c) => `${stagedExpr(quoteTrinoColumn(c.name), c.type)} AS ${quoteTrinoColumn(c.name)}`,
  );
  cols.push(`CAST(${stringLiteral(tenantId)} AS varchar) AS ${quoteTrinoColumn(pl.tenantColumn)}`);
  return `SELECT ${cols.join(", ")} FROM ${staging}`;
}

/**
 * sourceSelect whose partition column fails the statement (Trino's `fail`, with `message`) on a
 * row outside the partition's day: replacing a day with rows of another day would make a rerun
 * leave duplicates behind. The check rides in the write statement, so no statement of its own
 * reads the staged files first; a failed statement commits nothing.
 */
export function guardedSource(
  pl: LoadPlan,
  staging: string,
  tenantId: string,
  range: PartitionRange,
  message: string,
  /** Columns added after the target's (a batch's precedence ordinal). */
  extra: readonly string[] = [],
): string {
  const cols = pl.dataColumns.map((c) => {
    const value = stagedExpr(quoteTrinoColumn(c.name), c.type);
    if (c.name !== range.column.name) {
      return `${value} AS ${quoteTrinoColumn(c.name)}`;
    }
    const inside = trinoPartitionPredicate(`(${value})`, range.column, range.partition);
    return `IF(coalesce(${inside}, false), ${value}, CAST(fail(${stringLiteral(message)}) AS ${c.type})) AS ${quoteTrinoColumn(c.name)}`;
  });
  cols.push(`CAST(${stringLiteral(tenantId)} AS varchar) AS ${quoteTrinoColumn(pl.tenantColumn)}`);
  cols.push(...extra);
  return `SELECT ${cols.join(", ")} FROM ${staging}`;
}

function allColumns(pl: LoadPlan): string[] {
  return [...pl.dataColumns.map((c) => c.name), pl.tenantColumn];
}

function insertClause(pl: LoadPlan, alias: string): string {
  const cols = allColumns(pl);
  return `INSERT (${cols.map((c) => quoteTrinoColumn(c)).join(", ")}) VALUES (${cols.map((c) => `${alias}.${quoteTrinoColumn(c)}`).join(", ")})`;
}

/**
 * One MERGE that deletes the rows matching `scope` (on target alias t) and inserts every staged
 * row, in one Iceberg commit. The source is the staged rows plus one marker row: the marker alone
 * matches (and deletes) the old rows in scope; staged rows never match, so they are inserted.
 */
function replaceStatement(pl: LoadPlan, target: string, source: string, scope: string): string {
  const op = quoteTrinoIdent(`${RESERVED_PREFIX}op`);
  const present = quoteTrinoIdent(`${RESERVED_PREFIX}present`);
  return [
    `MERGE INTO ${target} AS t`,
    `USING (SELECT ops.${op}, s.* FROM (VALUES 'I', 'D') AS ops(${op})`,
    `  LEFT JOIN (SELECT src.*, true AS ${present} FROM (${source}) AS src) AS s ON ops.${op} = 'I') AS s`,
    // An equi-join (marker = IF(scope, 'D')) so Trino hash-joins; a constant condition such as
    // `s.op = 'D' AND scope` has no join key and becomes a nested loop over target x staged rows.
    // The repeated `AND scope` changes nothing logically but is pushed into the target's scan:
    // only the tenant's partition is read (not the whole table), and the commit is constrained to
    // it, so loads of other days do not conflict with this one.
    `ON s.${op} = IF(${scope}, 'D') AND ${scope}`,
    "WHEN MATCHED THEN DELETE",
    `WHEN NOT MATCHED AND s.${present} THEN ${insertClause(pl, "s")}`,
  ].join("\n");
}

/**
 * The staged rows of a merge, one per key (tenant column included): among rows sharing a key, the
 * latest partition's with `precedence` (a batch's), then the greatest by every other scalar column
 * (deterministic).
 */
function onePerKey(pl: LoadPlan, source: string, precedence: string | null): string {
  const keys = pl.keyColumns.map((k) => quoteTrinoColumn(k));
  const others = pl.dataColumns.filter((c) => !pl.keyColumns.includes(c.name));
  const orderable = others.filter((c) => !c.type.startsWith("array("));
  const order = [
    ...(precedence === null ? [] : [`${precedence} DESC`]),
    ...orderable.map((c) => `${quoteTrinoColumn(c.name)} DESC NULLS LAST`),
  ];
  const rn = quoteTrinoIdent(`${RESERVED_PREFIX}rn`);
  const cols = allColumns(pl);
  return `SELECT ${cols.map((c) => quoteTrinoColumn(c)).join(", ")} FROM (SELECT src.*, row_number() OVER (PARTITION BY ${keys.map((k) => `src.${k}`).join(", ")} ORDER BY ${order.length === 0 ? "1" : order.join(", ")}) AS ${rn} FROM (${source}) AS src) WHERE ${rn} = 1`;
}

/**
 * The rows a load into a table that does not exist yet writes (its CREATE TABLE AS): every staged
 * row, and for merge one per key, as the mode's statement would leave them in an empty table.
 */
export function createSelect(pl: LoadPlan, source: string): string {
  return pl.mode === "merge" ? onePerKey(pl, source, null) : source;
}

/**
 * One MERGE upserting on the key (tenant column included); unchanged rows are not rewritten. With
 * `precedence` (a batch's partition ordinal, later partitions greater), a key staged by several
 * partitions keeps the latest partition's row, as loading them one by one in order would.
 */
function mergeStatement(
  pl: LoadPlan,
  target: string,
  source: string,
  tenantId: string,
  precedence: string | null,
  /**
   * The load's days on the target (t), when the key holds the partition column: a staged row can
   * then only match a row of its own day, so the target is read for those days only, not for the
   * tenant's whole history (which grows with every day loaded).
   */
  days: string | null,
): string {
  const keys = pl.keyColumns.map((k) => quoteTrinoColumn(k));
  const others = pl.dataColumns.filter((c) => !pl.keyColumns.includes(c.name));
  const on = keys.map((k) => `t.${k} IS NOT DISTINCT FROM s.${k}`).join(" AND ");
  const changed = others
    .map((c) => `t.${quoteTrinoColumn(c.name)} IS DISTINCT FROM s.${quoteTrinoColumn(c.name)}`)
    .join(" OR ");
  const lines = [
    `MERGE INTO ${target} AS t`,
    `USING (${onePerKey(pl, source, precedence)}) AS s`,
    // The constant tenant predicate is pushed into the target's scan (file statistics prune the
    // other tenants' files); the join on the column keeps the key match itself.
    `ON t.${quoteTrinoColumn(pl.tenantColumn)} = ${stringLiteral(tenantId)}${days === null ? "" : ` AND ${days}`} AND t.${quoteTrinoColumn(pl.tenantColumn)} = s.${quoteTrinoColumn(pl.tenantColumn)} AND ${on}`,
  ];
  if (others.length > 0) {
    lines.push(
      `WHEN MATCHED AND (${changed}) THEN UPDATE SET ${others.map((c) => `${quoteTrinoColumn(c.name)} = s.${quoteTrinoColumn(c.name)}`).join(", ")}`,
    );
  }
  lines.push(`WHEN NOT MATCHED THEN ${insertClause(pl, "s")}`);
  return lines.join("\n");
}

/**
 * Counts the staged rows, and those outside the partition: replacing a day with rows from another
 * day would make a rerun leave duplicates behind. Returns two varchar columns.
 */
export function countStatement(source: string, range: PartitionRange | null): string {
  const outside =
    range === null
      ? "0"
      : `count_if(NOT coalesce(${trinoPartitionPredicate(`s.${quoteTrinoColumn(range.column.name)}`, range.column, range.partition)}, false))`;
  return `SELECT CAST(count(*) AS varchar), CAST(${outside} AS varchar) FROM (${source}) AS s`;
}

/** The column of a batch's source that orders its partitions (see mergeStatement). */
export const BATCH_SEQUENCE_COLUMN = quoteTrinoIdent(`${RESERVED_PREFIX}seq`);

/**
 * The one DML statement writing `source` (the staged rows) into `target` for the plan's mode,
 * scoped to the partitions of `ranges` (none: the load is unpartitioned). `precedence` names the
 * source's column ordering a batch's partitions (merge keeps the latest partition's row of a key).
 */
export function loadStatement(
  pl: LoadPlan,
  target: string,
  source: string,
  ranges: readonly PartitionRange[],
  tenantId: string,
  precedence: string | null = null,
): string {
  const tenantScope = `t.${quoteTrinoColumn(pl.tenantColumn)} = ${stringLiteral(tenantId)}`;
  const first = ranges[0];
  const partitionScope =
    first === undefined
      ? null
      : `${tenantScope} AND ${rangesPredicate(`t.${quoteTrinoColumn(first.column.name)}`, ranges)}`;
  switch (pl.mode) {
    case "append": {
      // Multiset difference against what this tenant already has in the partition: a rerun of
      // the same data appends nothing, new rows are appended, existing rows are never changed.
      const cols = allColumns(pl).map((c) => quoteTrinoColumn(c));
      return `INSERT INTO ${target} (${cols.join(", ")}) ${source} EXCEPT ALL SELECT ${cols.map((c) => `t.${c}`).join(", ")} FROM ${target} AS t WHERE ${partitionScope ?? tenantScope}`;
    }
    case "merge": {
      const keyed = first !== undefined && pl.keyColumns.includes(first.column.name);
      const days = keyed
        ? rangesPredicate(`t.${quoteTrinoColumn(first.column.name)}`, ranges)
        : null;
      return mergeStatement(pl, target, source, tenantId, precedence, days);
    }
    case "replace_partition":
      if (partitionScope === null) {
        throw new Error(
          "internal: replace_partition without a partition (the load plan refuses it)",
        );
      }
      return replaceStatement(pl, target, source, partitionScope);
    case "full_refresh":
      return replaceStatement(pl, target, source, tenantScope);
  }
}

/** The days of `ranges` (one column and zone: one batch's) as one predicate on `ref`. */
function rangesPredicate(ref: string, ranges: readonly PartitionRange[]): string {
  const first = ranges[0];
  if (first === undefined) {
    throw new Error("internal: a partition scope over no partition");
  }
  const column = first.column;
  const zone = first.partition.timeZone;
  for (const r of ranges) {
    if (
      r.column.name !== column.name ||
      r.column.type !== column.type ||
      r.partition.timeZone !== zone
    ) {
      throw new Error(
        `internal: one statement over partitions of different columns or zones (${column.name} ${column.type} ${zone}, ${r.column.name} ${r.column.type} ${r.partition.timeZone})`,
      );
    }
  }
  return trinoPartitionsPredicate(
    ref,
    column,
    ranges.map((r) => r.partition.date),
    zone,
  );
}

/**
 * Rows inserted, updated and deleted, from the statement's update count and the Iceberg
 * snapshot's summary: Trino counts a MERGE's inserted and updated rows together (an update leaves
 * one position delete); a replace inserts every staged row and deletes the rest of its count.
 */
export function rowCounts(
  mode: WriteMode,
  written: number,
  rowsStaged: number,
  summary: Readonly<Record<string, string>>,
): { rowsInserted: number; rowsUpdated: number; rowsDeleted: number } {
  if (mode === "append") {
    return { rowsInserted: written, rowsUpdated: 0, rowsDeleted: 0 };
  }
  if (mode === "merge") {
    const positionDeletes = Number(summary["added-position-deletes"] ?? 0);
    const rowsUpdated = Math.min(written, positionDeletes);
    return { rowsInserted: written - rowsUpdated, rowsUpdated, rowsDeleted: 0 };
  }
  return {
    rowsInserted: rowsStaged,
    rowsUpdated: 0,
    rowsDeleted: Math.max(0, written - rowsStaged),
  };
}
