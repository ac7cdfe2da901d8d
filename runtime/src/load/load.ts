/**
 * loadPartition: moves one committed run's Parquet files from S3 into an Iceberg table in bulk.
 *
 * A Hive external table is laid over the run's prefix (no data is copied), then exactly one DML
 * statement writes the Iceberg table (INSERT for append, MERGE for the other modes), so each load
 * is a single Iceberg commit: readers see the old partition or the new one, never a half state.
 * The staging table is dropped in `finally`. The tenant column is set on every row and is part of
 * every match condition, so one tenant's load can never touch another tenant's rows.
 */
import { z } from "zod";
import { addDays, parseCalendarDate } from "../contract/calendar.js";
import { resolveZone } from "../contract/zone.js";
import { type Logger, rootLogger } from "../logger.js";
import { type PipelinePlan, TRANSFER_DATE_COLUMN, type WriteMode } from "../plan.js";
import { isTransient, type TrinoClient } from "../trino/client.js";
import {
  InvalidIdentifierError,
  quoteTrinoColumn,
  quoteTrinoIdent,
  stringLiteral,
} from "../trino/sql.js";
import { type LoadColumn, RESERVED_PREFIX, stagedExpr } from "./columns.js";
import {
  createStagingTable,
  DEFAULT_STAGING_CATALOG,
  DEFAULT_STAGING_SCHEMA,
  dropStagingTable,
  ensureStagingSchema,
  type StagingPlace,
  stagingSession,
  stagingTableName,
} from "./staging.js";
import { ensureTargetTable, type TargetTable, targetName } from "./target.js";

/** Column the transfer stage writes the partition date into (the partition column of its table). */
export { TRANSFER_DATE_COLUMN };

export const LoadResultSchema = z.strictObject({
  target: z.string(),
  writeMode: z.enum(["merge", "replace_partition", "append", "full_refresh"]),
  partition: z.string().nullable(),
  runId: z.string(),
  rowsStaged: z.number().int().nonnegative(),
  rowsInserted: z.number().int().nonnegative(),
  rowsUpdated: z.number().int().nonnegative(),
  rowsDeleted: z.number().int().nonnegative(),
  /** Iceberg snapshot id after the load (decimal string: it does not fit a JS number). */
  snapshotId: z.string().nullable(),
  tableCreated: z.boolean(),
  columnsAdded: z.array(z.string()),
  queryId: z.string(),
  elapsedMs: z.number().nonnegative(),
});
export type LoadResult = z.infer<typeof LoadResultSchema>;

export interface StagedData {
  /** Stage whose committed files are loaded. */
  stage: "extract" | "transfer";
  /** `s3://bucket/prefix/` of the committed run; Hive skips `_`- and `.`-prefixed files there. */
  location: string;
  /** Id of the committed run (recorded, and the idempotency key of append loads). */
  runId: string;
  /** Columns of the Parquet files with their target Trino types (columnsFromSource/Output). */
  columns: LoadColumn[];
  /**
   * The staged column the daily partition is selected by (the date column's target name, or the
   * transfer's snapshot_date); absent: the plan's date_column as it is.
   */
  partitionColumn?: string | null;
}

export interface LoadPartitionOptions {
  client: TrinoClient;
  tenantId: string;
  pipeline: PipelinePlan;
  /** Resolved `trinoOutput.catalog`. */
  catalog: string;
  staged: StagedData;
  /** The daily partition and the tenant's time zone; null for unpartitioned pipelines. */
  partition: { date: string; timeZone: string } | null;
  staging?: StagingPlace;
  logger?: Logger;
  /** The run doing this load: named in the staging table so a later run can sweep it. */
  runId?: string;
}

/** A load that cannot run as configured, or whose data breaks its own contract. */
export class LoadError extends Error {
  override readonly name = "LoadError";
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.transient = options?.cause === undefined ? false : isTransient(options.cause);
  }
}

interface Plan {
  target: TargetTable;
  mode: WriteMode;
  tenantColumn: string;
  dataColumns: LoadColumn[];
  partitionColumn: LoadColumn | null;
  keyColumns: string[];
}

function plan(opts: LoadPartitionOptions): Plan {
  const p = opts.pipeline;
  const out = p.trinoOutput;
  const errors: string[] = [];
  if (out === null) {
    throw new LoadError(`pipeline ${p.name} has no trino_output: nothing to load into`);
  }
  const where = `pipeline ${p.name} (${opts.tenantId})`;
  const tenantColumn = out.tenantColumn.toLowerCase();
  const dataColumns = opts.staged.columns
    .map((c) => ({ name: c.name.toLowerCase(), type: c.type }))
    .filter((c) => c.name !== tenantColumn);
  // The generator derived and checked these names (PipelinePlan.targetColumns); this is the
  // load's own guard for hand-written plans, and it runs before any statement is sent.
  for (const c of [...dataColumns.map((d) => d.name), tenantColumn]) {
    try {
      quoteTrinoColumn(c, "column");
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  const partitioned = p.dateColumn !== null;
  const dateName = (
    opts.staged.partitionColumn ??
    (opts.staged.stage === "transfer" ? TRANSFER_DATE_COLUMN : (p.dateColumn ?? ""))
  ).toLowerCase();
  const partitionColumn = partitioned
    ? (dataColumns.find((c) => c.name === dateName) ?? null)
    : null;
  if (partitioned && partitionColumn === null) {
    errors.push(
      `the ${opts.staged.stage} data has no column "${dateName}" to partition by (its columns: ${dataColumns.map((c) => c.name).join(", ")})`,
    );
  }
  if (
    partitionColumn !== null &&
    !/^(date|timestamp\(\d\)( with time zone)?)$/.test(partitionColumn.type)
  ) {
    errors.push(
      `partition column "${partitionColumn.name}" is ${partitionColumn.type}, expected a date or timestamp`,
    );
  }
  if (partitioned && opts.partition === null) {
    errors.push("the pipeline is partitioned but no partition date was given");
  }
  const mode = out.writeMode;
  if (mode === "replace_partition" && !partitioned) {
    errors.push(
      "write mode replace_partition needs a partitioned pipeline (date_column); use full_refresh",
    );
  }
  if (mode === "full_refresh" && partitioned) {
    errors.push(
      "write mode full_refresh replaces all of the tenant's rows; a partitioned pipeline should use replace_partition or merge",
    );
  }
  const keyColumns = [...new Set([...out.keyColumns.map((k) => k.toLowerCase()), tenantColumn])];
  if (mode === "merge") {
    if (out.keyColumns.length === 0) {
      errors.push("write mode merge needs trino_output.key_columns");
    }
    for (const k of keyColumns) {
      if (k !== tenantColumn && !dataColumns.some((c) => c.name === k)) {
        errors.push(`key column "${k}" is not in the ${opts.staged.stage} data`);
      }
    }
  }
  if (errors.length > 0) {
    throw new LoadError(`cannot load ${where}: ${errors.join("; ")}`);
  }
  return {
    target: { catalog: opts.catalog, schema: out.schema, table: out.table },
    mode,
    tenantColumn,
    dataColumns,
    partitionColumn,
    keyColumns,
  };
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
  const from = partition.date;
  const date = parseCalendarDate(from);
  if (!date.ok) {
    throw new InvalidIdentifierError(`"${from}" is not a partition date: ${date.problem}`);
  }
  if (column.type === "date") {
    return `${ref} = DATE ${stringLiteral(from)}`;
  }
  const to = addDays(from, 1);
  if (column.type.endsWith("with time zone")) {
    const z = zoneLiteralPart(partition.timeZone);
    return `${ref} >= TIMESTAMP ${stringLiteral(`${from} 00:00:00 ${z}`)} AND ${ref} < TIMESTAMP ${stringLiteral(`${to} 00:00:00 ${z}`)}`;
  }
  return `${ref} >= TIMESTAMP ${stringLiteral(`${from} 00:00:00`)} AND ${ref} < TIMESTAMP ${stringLiteral(`${to} 00:00:00`)}`;
}

/** SELECT over the staging table producing the target's columns (tenant column included). */
function sourceSelect(pl: Plan, staging: string, tenantId: string): string {
  const cols = pl.dataColumns.map(
    (c) => `${stagedExpr(quoteTrinoColumn(c.name), c.type)} AS ${quoteTrinoColumn(c.name)}`,
  );
  cols.push(`CAST(${stringLiteral(tenantId)} AS varchar) AS ${quoteTrinoColumn(pl.tenantColumn)}`);
  return `SELECT ${cols.join(", ")} FROM ${staging}`;
}

function allColumns(pl: Plan): string[] {
  return [...pl.dataColumns.map((c) => c.name), pl.tenantColumn];
}

function insertClause(pl: Plan, alias: string): string {
  const cols = allColumns(pl);
  return `INSERT (${cols.map((c) => quoteTrinoColumn(c)).join(", ")}) VALUES (${cols.map((c) => `${alias}.${quoteTrinoColumn(c)}`).join(", ")})`;
}

/**
 * One MERGE that deletes the rows matching `scope` (on target alias t) and inserts every staged
 * row, in one Iceberg commit. The source is the staged rows plus one marker row: the marker alone
 * matches (and deletes) the old rows in scope; staged rows never match, so they are inserted.
 */
function replaceStatement(pl: Plan, target: string, source: string, scope: string): string {
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

/** One MERGE upserting on the key (tenant column included); unchanged rows are not rewritten. */
function mergeStatement(pl: Plan, target: string, source: string, tenantId: string): string {
  const keys = pl.keyColumns.map((k) => quoteTrinoColumn(k));
  const others = pl.dataColumns.filter((c) => !pl.keyColumns.includes(c.name));
  // Deterministic dedupe: among rows sharing a key keep the greatest by every other scalar column.
  const orderable = others.filter((c) => !c.type.startsWith("array("));
  const order =
    orderable.length === 0
      ? "1"
      : orderable.map((c) => `${quoteTrinoColumn(c.name)} DESC NULLS LAST`).join(", ");
  const rn = quoteTrinoIdent(`${RESERVED_PREFIX}rn`);
  const on = keys.map((k) => `t.${k} IS NOT DISTINCT FROM s.${k}`).join(" AND ");
  const changed = others
    .map((c) => `t.${quoteTrinoColumn(c.name)} IS DISTINCT FROM s.${quoteTrinoColumn(c.name)}`)
    .join(" OR ");
  const cols = allColumns(pl);
  const lines = [
    `MERGE INTO ${target} AS t`,
    `USING (SELECT ${cols.map((c) => quoteTrinoColumn(c)).join(", ")} FROM (SELECT src.*, row_number() OVER (PARTITION BY ${keys.map((k) => `src.${k}`).join(", ")} ORDER BY ${order}) AS ${rn} FROM (${source}) AS src) WHERE ${rn} = 1) AS s`,
    // The constant tenant predicate is pushed into the target's scan (file statistics prune the
    // other tenants' files); the join on the column keeps the key match itself.
    `ON t.${quoteTrinoColumn(pl.tenantColumn)} = ${stringLiteral(tenantId)} AND t.${quoteTrinoColumn(pl.tenantColumn)} = s.${quoteTrinoColumn(pl.tenantColumn)} AND ${on}`,
  ];
  if (others.length > 0) {
    lines.push(
      `WHEN MATCHED AND (${changed}) THEN UPDATE SET ${others.map((c) => `${quoteTrinoColumn(c.name)} = s.${quoteTrinoColumn(c.name)}`).join(", ")}`,
    );
  }
  lines.push(`WHEN NOT MATCHED THEN ${insertClause(pl, "s")}`);
  return lines.join("\n");
}

const SnapshotRow = z.object({
  id: z.string(),
  summary: z.record(z.string(), z.string()).nullable(),
});

async function snapshotOf(
  client: TrinoClient,
  t: TargetTable,
  queryId: string,
): Promise<{ id: string | null; summary: Record<string, string> }> {
  const snaps = `${quoteTrinoIdent(t.catalog)}.${quoteTrinoIdent(t.schema)}.${quoteTrinoIdent(`${t.table.toLowerCase()}$snapshots`)}`;
  const mine = await client.rows(
    `SELECT CAST(snapshot_id AS varchar) AS id, summary FROM ${snaps} WHERE element_at(summary, 'trino_query_id') = ${stringLiteral(queryId)} ORDER BY committed_at DESC LIMIT 1`,
  );
  const rows =
    mine.length > 0
      ? mine
      : await client.rows(
          `SELECT CAST(snapshot_id AS varchar) AS id, CAST(NULL AS map(varchar, varchar)) AS summary FROM ${snaps} ORDER BY committed_at DESC LIMIT 1`,
        );
  const first = rows[0];
  if (first === undefined) {
    return { id: null, summary: {} };
  }
  const parsed = SnapshotRow.parse(first);
  return { id: parsed.id, summary: mine.length > 0 ? (parsed.summary ?? {}) : {} };
}

function num(summary: Record<string, string>, key: string): number {
  const v = summary[key];
  return v === undefined ? 0 : Number(v);
}

/** Loads one partition (or the whole unpartitioned table) of one tenant; see the module doc. */
export async function loadPartition(opts: LoadPartitionOptions): Promise<LoadResult> {
  const started = performance.now();
  const pl = plan(opts);
  const logger = (opts.logger ?? rootLogger).child({
    target: `${pl.target.catalog}.${pl.target.schema}.${pl.target.table}`,
    writeMode: pl.mode,
  });
  const client = opts.client;
  const place: StagingPlace = opts.staging ?? {
    catalog: DEFAULT_STAGING_CATALOG,
    schema: DEFAULT_STAGING_SCHEMA,
  };
  const session = stagingSession(place);
  const target = targetName(pl.target);
  const wanted: LoadColumn[] = [...pl.dataColumns, { name: pl.tenantColumn, type: "varchar" }];
  const ensured = await ensureTargetTable(
    client,
    pl.target,
    wanted,
    pl.partitionColumn === null ? null : pl.partitionColumn.name,
    pl.tenantColumn,
  );
  if (ensured.created || ensured.columnsAdded.length > 0) {
    logger.info("target table ready", {
      created: ensured.created,
      columnsAdded: ensured.columnsAdded,
    });
  }

  await ensureStagingSchema(client, place);
  const stagingTable = stagingTableName(
    `${opts.tenantId}_${opts.pipeline.name}`,
    new Date(),
    opts.runId,
  );
  let staging: string | null = null;
  let failed = false;
  try {
    staging = await createStagingTable(
      client,
      place,
      stagingTable,
      opts.staged.columns.map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
      opts.staged.location,
    );
    const source = sourceSelect(pl, staging, opts.tenantId);
    const tenantScope = `t.${quoteTrinoColumn(pl.tenantColumn)} = ${stringLiteral(opts.tenantId)}`;
    const range =
      pl.partitionColumn !== null && opts.partition !== null
        ? { column: pl.partitionColumn, partition: opts.partition }
        : null;

    // Count the staged rows, and refuse rows outside the partition: replacing a day with rows
    // from another day would make a rerun leave duplicates behind.
    const outside =
      range === null
        ? "0"
        : `count_if(NOT coalesce(${trinoPartitionPredicate(`s.${quoteTrinoColumn(range.column.name)}`, range.column, range.partition)}, false))`;
    const counted = await client.execute(
      `SELECT CAST(count(*) AS varchar), CAST(${outside} AS varchar) FROM (${source}) AS s`,
      { session },
    );
    const countRow = counted.rows[0] ?? [];
    const rowsStaged = Number(countRow[0] ?? 0);
    const rowsOutside = Number(countRow[1] ?? 0);
    if (rowsOutside > 0 && range !== null) {
      throw new LoadError(
        `cannot load pipeline ${opts.pipeline.name} (${opts.tenantId}) partition ${range.partition.date}: ${rowsOutside} of ${rowsStaged} ${opts.staged.stage} rows have ${range.column.name} outside that day in ${range.partition.timeZone}`,
      );
    }

    let statement: string;
    switch (pl.mode) {
      case "append": {
        // Multiset difference against what this tenant already has in the partition: a rerun of
        // the same data appends nothing, new rows are appended, existing rows are never changed.
        const cols = allColumns(pl).map((c) => quoteTrinoColumn(c));
        const scope =
          range === null
            ? tenantScope
            : `${tenantScope} AND ${trinoPartitionPredicate(`t.${quoteTrinoColumn(range.column.name)}`, range.column, range.partition)}`;
        statement = `INSERT INTO ${target} (${cols.join(", ")}) ${source} EXCEPT ALL SELECT ${cols.map((c) => `t.${c}`).join(", ")} FROM ${target} AS t WHERE ${scope}`;
        break;
      }
      case "merge":
        statement = mergeStatement(pl, target, source, opts.tenantId);
        break;
      case "replace_partition": {
        if (range === null) {
          throw new LoadError("replace_partition without a partition");
        }
        const scope = `${tenantScope} AND ${trinoPartitionPredicate(`t.${quoteTrinoColumn(range.column.name)}`, range.column, range.partition)}`;
        statement = replaceStatement(pl, target, source, scope);
        break;
      }
      case "full_refresh":
        statement = replaceStatement(pl, target, source, tenantScope);
        break;
    }
    const outcome = await client.execute(statement, { session });
    const written = outcome.updateCount ?? 0;
    const snap = await snapshotOf(client, pl.target, outcome.queryId);
    let rowsInserted = 0;
    let rowsUpdated = 0;
    let rowsDeleted = 0;
    if (pl.mode === "append") {
      rowsInserted = written;
    } else if (pl.mode === "merge") {
      // Trino counts inserted + updated rows together; an update leaves one position delete.
      rowsUpdated = Math.min(written, num(snap.summary, "added-position-deletes"));
      rowsInserted = written - rowsUpdated;
    } else {
      rowsInserted = rowsStaged;
      rowsDeleted = Math.max(0, written - rowsStaged);
    }
    const result: LoadResult = {
      target: `${pl.target.catalog}.${pl.target.schema}.${pl.target.table}`,
      writeMode: pl.mode,
      partition: opts.partition?.date ?? null,
      runId: opts.staged.runId,
      rowsStaged,
      rowsInserted,
      rowsUpdated,
      rowsDeleted,
      snapshotId: snap.id,
      tableCreated: ensured.created,
      columnsAdded: ensured.columnsAdded,
      queryId: outcome.queryId,
      elapsedMs: performance.now() - started,
    };
    logger.info("load committed", {
      queryId: outcome.queryId,
      rowsInserted,
      rowsUpdated,
      rowsDeleted,
      snapshotId: snap.id,
    });
    return result;
  } catch (err) {
    failed = true;
    if (err instanceof LoadError) {
      throw err;
    }
    throw new LoadError(
      `load of pipeline ${opts.pipeline.name} (${opts.tenantId}) into ${pl.target.catalog}.${pl.target.schema}.${pl.target.table} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    try {
      await dropStagingTable(client, place, stagingTable);
    } catch (dropErr) {
      logger.error("could not drop staging table; the staging sweep will remove it", {
        table: stagingTable,
        error: dropErr,
      });
      if (!failed) {
        // The load committed, but a leaked staging table must not pass silently.
        // biome-ignore lint/correctness/noUnsafeFinally: surfacing the cleanup failure is intended
        throw new LoadError(`load committed but dropping staging table ${stagingTable} failed`, {
          cause: dropErr,
        });
      }
    }
  }
}
