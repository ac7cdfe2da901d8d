/**
 * loadPartition: moves one committed run's Parquet files from S3 into an Iceberg table in bulk.
 *
 * A Hive external table is laid over the run's prefix (no data is copied), then exactly one DML
 * statement writes the Iceberg table (INSERT for append, MERGE for the other modes), so each load
 * is a single Iceberg commit: readers see the old partition or the new one, never a half state.
 * A target that does not exist yet is created with its first rows by one `CREATE TABLE ... AS`
 * (one commit instead of a CREATE and a MERGE into the empty table); when another load creates it
 * at the same moment, this one writes into it as usual.
 * When the manifest gives the row count, no statement counts the staged rows: the write statement
 * itself refuses rows outside the partition (statements.ts, `guardedSource`). Checks of the schema
 * and the target table are done once per run or backfill (ensured.ts).
 * The staging table is dropped after the load, also when it fails. The tenant column is set on
 * every row and is part of every match condition, so one tenant's load can never touch another
 * tenant's rows. The statements themselves are pure functions of the load's plan (statements.ts).
 */
import { z } from "zod";
import { targetColumnProblem } from "../contract/naming.js";
import { type Logger, rootLogger } from "../logger.js";
import { type PipelinePlan, TRANSFER_DATE_COLUMN } from "../plan.js";
import { isTransient, type TrinoClient } from "../trino/client.js";
import { objectExists } from "../trino/ensure.js";
import { quoteTrinoIdent, stringLiteral } from "../trino/sql.js";
import type { LoadColumn } from "./columns.js";
import { EnsuredObjects } from "./ensured.js";
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
import {
  countStatement,
  createSelect,
  guardedSource,
  type LoadPlan,
  loadStatement,
  type PartitionRange,
  rowCounts,
  sourceSelect,
} from "./statements.js";
import {
  createTableAs,
  describeTarget,
  ensureTargetTable,
  type TargetTable,
  targetName,
} from "./target.js";

export { trinoPartitionPredicate } from "./statements.js";
/** Column the transfer stage writes the partition date into (the partition column of its table). */
export { TRANSFER_DATE_COLUMN };

/** What one write statement did, as a load (or a batch of loads) reports it. */
export const COMMITTED_FIELDS = {
  target: z.string(),
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
};

export const LoadResultSchema = z.strictObject({
  ...COMMITTED_FIELDS,
  writeMode: z.enum(["merge", "replace_partition", "append", "full_refresh"]),
  partition: z.string().nullable(),
  runId: z.string(),
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
  /** Rows the files hold (the manifest's count); absent: the load counts them with a query. */
  rowCount?: number | null;
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
  /** Checks already made by this run or backfill; absent: every check is made again. */
  ensured?: EnsuredObjects;
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

/** What `loadPlan` reads of a load's options. */
type PlanInputs = Pick<
  LoadPartitionOptions,
  "pipeline" | "tenantId" | "catalog" | "staged" | "partition"
>;

/** The load's plan from its options and staged columns; every problem at once, as a LoadError. */
export function loadPlan(opts: PlanInputs): LoadPlan {
  const p = opts.pipeline;
  const out = p.trinoOutput;
  if (out === null) {
    throw new LoadError(`pipeline ${p.name} has no trino_output: nothing to load into`);
  }
  const tenantColumn = out.tenantColumn.toLowerCase();
  const dataColumns = opts.staged.columns
    .map((c) => ({ name: c.name.toLowerCase(), type: c.type }))
    .filter((c) => c.name !== tenantColumn);
  const partition = partitionColumnOf(opts, dataColumns);
  const keyColumns = [...new Set([...out.keyColumns.map((k) => k.toLowerCase()), tenantColumn])];
  const errors = [
    ...columnNameProblems([...dataColumns.map((d) => d.name), tenantColumn]),
    ...partition.problems,
    ...writeModeProblems(opts, out, dataColumns, keyColumns, tenantColumn),
  ];
  if (errors.length > 0) {
    throw new LoadError(`cannot load pipeline ${p.name} (${opts.tenantId}): ${errors.join("; ")}`);
  }
  return {
    target: { catalog: opts.catalog, schema: out.schema, table: out.table },
    mode: out.writeMode,
    tenantColumn,
    dataColumns,
    partitionColumn: partition.column,
    keyColumns,
  };
}

/**
 * The generator derived and checked these names (PipelinePlan.targetColumns); this is the load's
 * own guard for hand-written plans, and it runs before any statement is sent.
 */
function columnNameProblems(names: readonly string[]): string[] {
  return names.flatMap((name) => {
    const problem = targetColumnProblem(name);
    return problem === null ? [] : [`column ${JSON.stringify(name)} ${problem}`];
  });
}

/** The staged column a partitioned load selects its day by, and what is wrong with it. */
function partitionColumnOf(
  opts: PlanInputs,
  dataColumns: readonly LoadColumn[],
): { column: LoadColumn | null; problems: string[] } {
  const p = opts.pipeline;
  if (p.dateColumn === null) {
    return { column: null, problems: [] };
  }
  const dateName = (
    opts.staged.partitionColumn ??
    (opts.staged.stage === "transfer" ? TRANSFER_DATE_COLUMN : p.dateColumn)
  ).toLowerCase();
  const column = dataColumns.find((c) => c.name === dateName) ?? null;
  const problems: string[] = [];
  if (column === null) {
    problems.push(
      `the ${opts.staged.stage} data has no column "${dateName}" to partition by (its columns: ${dataColumns.map((c) => c.name).join(", ")})`,
    );
  } else if (!/^(date|timestamp\(\d\)( with time zone)?)$/.test(column.type)) {
    problems.push(
      `partition column "${column.name}" is ${column.type}, expected a date or timestamp`,
    );
  }
  if (opts.partition === null) {
    problems.push("the pipeline is partitioned but no partition date was given");
  }
  return { column, problems };
}

/** What the write mode needs that the pipeline or its staged data does not give. */
function writeModeProblems(
  opts: PlanInputs,
  out: NonNullable<PipelinePlan["trinoOutput"]>,
  dataColumns: readonly LoadColumn[],
  keyColumns: readonly string[],
  tenantColumn: string,
): string[] {
  const partitioned = opts.pipeline.dateColumn !== null;
  const problems: string[] = [];
  if (out.writeMode === "replace_partition" && !partitioned) {
    problems.push(
      "write mode replace_partition needs a partitioned pipeline (date_column); use full_refresh",
    );
  }
  if (out.writeMode === "full_refresh" && partitioned) {
    problems.push(
      "write mode full_refresh replaces all of the tenant's rows; a partitioned pipeline should use replace_partition or merge",
    );
  }
  if (out.writeMode === "merge") {
    if (out.keyColumns.length === 0) {
      problems.push("write mode merge needs trino_output.key_columns");
    }
    for (const k of keyColumns) {
      if (k !== tenantColumn && !dataColumns.some((c) => c.name === k)) {
        problems.push(`key column "${k}" is not in the ${opts.staged.stage} data`);
      }
    }
  }
  return problems;
}

const SnapshotRow = z.object({
  id: z.string(),
  summary: z.record(z.string(), z.string()).nullable(),
});

/**
 * The snapshot the load's statement committed (its summary counts what it wrote), or, when it
 * committed none, the table's current one with no summary. A statement that wrote no row commits
 * no snapshot, so its lookup goes straight to the current one.
 */
export async function snapshotOf(
  client: TrinoClient,
  t: TargetTable,
  queryId: string,
  written: number,
): Promise<{ id: string | null; summary: Record<string, string> }> {
  const snaps = `${quoteTrinoIdent(t.catalog)}.${quoteTrinoIdent(t.schema)}.${quoteTrinoIdent(`${t.table.toLowerCase()}$snapshots`)}`;
  const mine =
    written === 0
      ? []
      : await client.rows(
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

/** Loads one partition (or the whole unpartitioned table) of one tenant; see the module doc. */
export async function loadPartition(opts: LoadPartitionOptions): Promise<LoadResult> {
  const started = performance.now();
  const pl = loadPlan(opts);
  const logger = (opts.logger ?? rootLogger).child({
    target: `${pl.target.catalog}.${pl.target.schema}.${pl.target.table}`,
    writeMode: pl.mode,
  });
  const place: StagingPlace = opts.staging ?? {
    catalog: DEFAULT_STAGING_CATALOG,
    schema: DEFAULT_STAGING_SCHEMA,
  };
  const known = opts.ensured ?? new EnsuredObjects();
  const wanted = targetColumns(pl);
  // A target no load of this run has seen, and that does not exist yet, is created with its rows.
  const described = known.knows(pl.target, wanted)
    ? undefined
    : await describeTarget(opts.client, pl.target);
  const create = described === null;
  await known.stagingSchema(place, () => ensureStagingSchema(opts.client, place));
  const attempt = (how: WriteHow, ensured: { created: boolean; columnsAdded: string[] }) => {
    const staging = stagingTableName(
      `${opts.tenantId}_${opts.pipeline.name}`,
      new Date(),
      opts.runId,
    );
    const load = async (): Promise<LoadResult> => {
      const written = await stageAndWrite(opts, pl, place, staging, how);
      const result = loadResult(opts, pl, ensured, written, performance.now() - started);
      logger.info(
        how === "create" ? "target table created with its first rows" : "load committed",
        {
          queryId: result.queryId,
          rowsInserted: result.rowsInserted,
          rowsUpdated: result.rowsUpdated,
          rowsDeleted: result.rowsDeleted,
          snapshotId: result.snapshotId,
        },
      );
      return result;
    };
    return withStagingTables(opts.client, place, [staging], logger, () =>
      load().catch((error: unknown) => {
        known.forgetTarget(pl.target);
        throw asLoadError(opts, pl, error);
      }),
    );
  };
  if (create) {
    const made = await attempt("create", { created: true, columnsAdded: [] }).then(
      (result) => {
        known.remember(pl.target, wanted, { created: true, columnsAdded: [], columns: wanted });
        return result;
      },
      async (error: unknown) => {
        // Another load created the table in the meantime: this one writes into it as usual.
        // (A CREATE TABLE AS that failed on its own rows leaves no table, and fails here.)
        if (await objectExists(opts.client, pl.target)) {
          logger.info("the target table was created by another load meanwhile; writing into it");
          return null;
        }
        throw error;
      },
    );
    if (made !== null) return made;
  }
  // The table exists: what it was just described as spares the ensure its own look.
  const ensured = await ensureTarget(
    opts.client,
    pl,
    known,
    logger,
    described === null ? undefined : described,
  );
  return attempt("write", ensured);
}

/** How a load writes: into its existing target, or creating it with its first rows. */
type WriteHow = "write" | "create";

/** The target's columns a load wants: the staged data's, then the tenant column. */
function targetColumns(pl: LoadPlan): LoadColumn[] {
  return [...pl.dataColumns, { name: pl.tenantColumn, type: "varchar" }];
}

/** Creates the target table when missing, or adds the staged data's new columns. */
export async function ensureTarget(
  client: TrinoClient,
  pl: LoadPlan,
  known: EnsuredObjects,
  logger: Logger,
  /** The table's columns as the caller just described them; absent: ensureTargetTable asks. */
  described?: LoadColumn[],
) {
  const wanted = targetColumns(pl);
  const ensured = await known.target(pl.target, wanted, () =>
    ensureTargetTable(
      client,
      pl.target,
      wanted,
      pl.partitionColumn === null ? null : pl.partitionColumn.name,
      pl.tenantColumn,
      described,
    ),
  );
  if (ensured.created || ensured.columnsAdded.length > 0) {
    logger.info("target table ready", {
      created: ensured.created,
      columnsAdded: ensured.columnsAdded,
    });
  }
  return ensured;
}

/** What the one write statement did. */
interface Written {
  rowsStaged: number;
  /** The statement's update count. */
  written: number;
  queryId: string;
  snapshot: { id: string | null; summary: Record<string, string> };
}

/**
 * Lays the staging table over the committed files and writes the target with the mode's one
 * statement, which refuses rows outside the partition. Only when the manifest does not say how
 * many rows the files hold is there a statement counting them (and the rows outside) first.
 */
async function stageAndWrite(
  opts: LoadPartitionOptions,
  pl: LoadPlan,
  place: StagingPlace,
  stagingTable: string,
  how: WriteHow,
): Promise<Written> {
  const { client } = opts;
  const session = stagingSession(place);
  const staging = await createStagingTable(
    client,
    place,
    stagingTable,
    opts.staged.columns.map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
    opts.staged.location,
  );
  const source = sourceSelect(pl, staging, opts.tenantId);
  const range: PartitionRange | null =
    pl.partitionColumn !== null && opts.partition !== null
      ? { column: pl.partitionColumn, partition: opts.partition }
      : null;
  const counted = opts.staged.rowCount;
  const rowsStaged =
    counted === undefined || counted === null
      ? await countStaged(opts, source, range, session)
      : counted;
  const rows =
    range === null || counted === undefined || counted === null
      ? source
      : guardedSource(pl, staging, opts.tenantId, range, outsideMessage(opts, range));
  const outcome =
    how === "create"
      ? await createTableAs(
          client,
          pl.target,
          createSelect(pl, rows),
          pl.partitionColumn === null ? null : pl.partitionColumn.name,
          pl.tenantColumn,
          session,
        )
      : await client
          .execute(
            loadStatement(
              pl,
              targetName(pl.target),
              rows,
              range === null ? [] : [range],
              opts.tenantId,
            ),
            { session },
          )
          .then((out) => ({ written: out.updateCount ?? 0, queryId: out.queryId }));
  const snapshot = await snapshotOf(client, pl.target, outcome.queryId, outcome.written);
  return { rowsStaged, written: outcome.written, queryId: outcome.queryId, snapshot };
}

/** What the write statement fails with when a staged row lies outside the partition's day. */
export function outsideMessage(
  opts: Pick<LoadPartitionOptions, "pipeline" | "tenantId"> & {
    staged: Pick<StagedData, "stage">;
  },
  range: PartitionRange,
): string {
  return `cannot load pipeline ${opts.pipeline.name} (${opts.tenantId}) partition ${range.partition.date}: ${opts.staged.stage} rows have ${range.column.name} outside that day in ${range.partition.timeZone}`;
}

/** The number of staged rows; a LoadError when some lie outside the partition's day. */
async function countStaged(
  opts: LoadPartitionOptions,
  source: string,
  range: PartitionRange | null,
  session: Record<string, string>,
): Promise<number> {
  const counted = await opts.client.execute(countStatement(source, range), { session });
  const countRow = counted.rows[0] ?? [];
  const rowsStaged = Number(countRow[0] ?? 0);
  const rowsOutside = Number(countRow[1] ?? 0);
  if (rowsOutside > 0 && range !== null) {
    throw new LoadError(
      `cannot load pipeline ${opts.pipeline.name} (${opts.tenantId}) partition ${range.partition.date}: ${rowsOutside} of ${rowsStaged} ${opts.staged.stage} rows have ${range.column.name} outside that day in ${range.partition.timeZone}`,
    );
  }
  return rowsStaged;
}

function loadResult(
  opts: LoadPartitionOptions,
  pl: LoadPlan,
  ensured: { created: boolean; columnsAdded: string[] },
  written: Written,
  elapsedMs: number,
): LoadResult {
  return {
    target: `${pl.target.catalog}.${pl.target.schema}.${pl.target.table}`,
    writeMode: pl.mode,
    partition: opts.partition?.date ?? null,
    runId: opts.staged.runId,
    rowsStaged: written.rowsStaged,
    ...rowCounts(pl.mode, written.written, written.rowsStaged, written.snapshot.summary),
    snapshotId: written.snapshot.id,
    tableCreated: ensured.created,
    columnsAdded: ensured.columnsAdded,
    queryId: written.queryId,
    elapsedMs,
  };
}

/** A failure of the load as a LoadError naming the pipeline, tenant and target. */
export function asLoadError(
  opts: Pick<LoadPartitionOptions, "pipeline" | "tenantId">,
  pl: LoadPlan,
  error: unknown,
): LoadError {
  if (error instanceof LoadError) {
    return error;
  }
  return new LoadError(
    `load of pipeline ${opts.pipeline.name} (${opts.tenantId}) into ${pl.target.catalog}.${pl.target.schema}.${pl.target.table} failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/**
 * Runs `load` and drops the staging tables after it, also when it failed. A failed drop leaves the
 * table to the staging sweep: after a failed load it is logged (the load's error is the one to
 * see); after a committed one it is an error too, since a leaked table must not pass silently.
 */
export async function withStagingTables<T>(
  client: TrinoClient,
  place: StagingPlace,
  tables: readonly string[],
  logger: Logger,
  load: () => Promise<T>,
): Promise<T> {
  const drop = async (
    table: string,
  ): Promise<{ dropped: true } | { dropped: false; error: unknown }> =>
    dropStagingTable(client, place, table).then(
      () => ({ dropped: true }),
      (error: unknown) => {
        logger.error("could not drop staging table; the staging sweep will remove it", {
          table,
          error,
        });
        return { dropped: false, error };
      },
    );
  const dropAll = () => inBatches(tables, STAGING_STATEMENTS_AT_ONCE, drop);
  let result: T;
  try {
    result = await load();
  } catch (error) {
    await dropAll();
    throw error;
  }
  const failed = (await dropAll()).find((d) => !d.dropped);
  if (failed !== undefined && !failed.dropped) {
    throw new LoadError(
      `load committed but dropping a staging table failed (${tables.join(", ")})`,
      {
        cause: failed.error,
      },
    );
  }
  return result;
}

/**
 * Staging DDL statements a batch sends at once: each is a metastore round trip, so a chunk of 31
 * partitions waits for 8 of them, not 31, without flooding the coordinator.
 */
export const STAGING_STATEMENTS_AT_ONCE = 4;

/** `fn` over `items`, at most `width` at once, results in the items' order. */
export async function inBatches<I, O>(
  items: readonly I[],
  width: number,
  fn: (item: I) => Promise<O>,
): Promise<O[]> {
  const out: O[] = [];
  for (let i = 0; i < items.length; i += width) {
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  }
  return out;
}
