/**
 * loadPartitions: several committed daily partitions of one pipeline (a chunk of a backfill) into
 * its Iceberg table with one statement, so one Iceberg commit.
 *
 * A single load of a small partition costs a staging table, a write statement and its commit
 * whatever its size; a year of daily partitions spent that 365 times, and concurrent partitions
 * of one table retried on each other's commits (issue 19). Here one staging table per partition is
 * laid over its committed prefix (no data is copied), and one write statement reads the UNION ALL
 * of them. Each partition's rows are guarded by its own day (statements.ts, `guardedSource`), the
 * statement's scope is the tenant's rows of every day of the batch, and a row outside its day
 * fails the whole statement: the batch commits all of its partitions or none.
 *
 * The table ends as loading the partitions one by one in date order leaves it: replace_partition
 * and append decompose by day (each row lies in its own day); merge keeps, of a key staged by
 * several partitions, the latest partition's row (the batch's precedence column). Tested against
 * day-by-day loads on the real stack (test/integration/load/batch.test.ts).
 */
import { z } from "zod";
import { type Logger, rootLogger } from "../logger.js";
import type { PipelinePlan } from "../plan.js";
import type { TrinoClient } from "../trino/client.js";
import { EnsuredObjects } from "./ensured.js";
import {
  asLoadError,
  COMMITTED_FIELDS,
  ensureTarget,
  inBatches,
  LoadError,
  loadPlan,
  outsideMessage,
  STAGING_STATEMENTS_AT_ONCE,
  type StagedData,
  snapshotOf,
  withStagingTables,
} from "./load.js";
import {
  createStagingTable,
  DEFAULT_STAGING_CATALOG,
  DEFAULT_STAGING_SCHEMA,
  ensureStagingSchema,
  type StagingPlace,
  stagingSession,
  stagingTableName,
} from "./staging.js";
import {
  BATCH_SEQUENCE_COLUMN,
  guardedSource,
  loadStatement,
  type PartitionRange,
  rowCounts,
} from "./statements.js";
import { targetName } from "./target.js";

/** One partition of a batch: its committed data and the run loading it. */
export interface BatchItem {
  staged: StagedData;
  partition: { date: string; timeZone: string };
  /** The run whose load this is: named in its staging table so a later run can sweep it. */
  runId: string;
}

export interface LoadPartitionsOptions {
  client: TrinoClient;
  tenantId: string;
  pipeline: PipelinePlan;
  /** Resolved `trinoOutput.catalog`. */
  catalog: string;
  /** Distinct days, in any order; see batchable for what they must share. */
  items: readonly BatchItem[];
  staging?: StagingPlace;
  logger?: Logger;
  ensured?: EnsuredObjects;
}

export const BatchLoadResultSchema = z.strictObject({
  ...COMMITTED_FIELDS,
  writeMode: z.enum(["merge", "replace_partition", "append"]),
  /** The batch's days, in date order. */
  partitions: z.array(z.string()),
  /** Staged rows per day (the manifests' counts), in `partitions`' order. */
  rowsStagedByPartition: z.array(z.number().int().nonnegative()),
});
export type BatchLoadResult = z.infer<typeof BatchLoadResultSchema>;

/**
 * Why `items` cannot be one statement of `pipeline`, or null when they can: the pipeline is
 * partitioned and written by merge, replace_partition or append; every partition's manifest counts
 * its rows (no count statement per day); and all hold the same columns (a column new on one day
 * makes the days before and after it separate batches, see batchGroups).
 */
export function batchProblem(
  pipeline: PipelinePlan,
  items: readonly Pick<BatchItem, "staged">[],
): string | null {
  const out = pipeline.trinoOutput;
  if (out === null) return `pipeline ${pipeline.name} has no trino_output`;
  if (pipeline.dateColumn === null) return `pipeline ${pipeline.name} is not partitioned`;
  if (out.writeMode === "full_refresh") return "write mode full_refresh replaces every row";
  if (items.some((i) => i.staged.rowCount === undefined || i.staged.rowCount === null)) {
    return "a manifest does not count its rows";
  }
  const shapes = new Set(items.map((i) => stagedShape(i.staged)));
  return shapes.size > 1 ? "the partitions hold different columns" : null;
}

function stagedShape(s: StagedData): string {
  const cols = s.columns.map((c) => `${c.name.toLowerCase()} ${c.type}`).join(",");
  return `${s.stage}|${(s.partitionColumn ?? "").toLowerCase()}|${cols}`;
}

/**
 * `items` in date order, cut into runs of consecutive days holding the same columns: each run is
 * one batch, and loading the runs in order leaves what loading every day in order would.
 */
export function batchGroups<T extends Pick<BatchItem, "staged" | "partition">>(
  items: readonly T[],
): T[][] {
  const sorted = [...items].sort((a, b) =>
    a.partition.date < b.partition.date ? -1 : a.partition.date > b.partition.date ? 1 : 0,
  );
  const groups: T[][] = [];
  let shape: string | null = null;
  for (const item of sorted) {
    const s = stagedShape(item.staged);
    const last = groups[groups.length - 1];
    if (last !== undefined && s === shape) last.push(item);
    else groups.push([item]);
    shape = s;
  }
  return groups;
}

/** Loads `opts.items` as one statement; see the module doc. */
export async function loadPartitions(opts: LoadPartitionsOptions): Promise<BatchLoadResult> {
  const started = performance.now();
  const problem = batchProblem(opts.pipeline, opts.items);
  if (problem !== null) {
    throw new LoadError(
      `internal: pipeline ${opts.pipeline.name} (${opts.tenantId}) cannot load ${opts.items.length} partitions as one batch: ${problem}`,
    );
  }
  const items = batchGroups(opts.items)[0] ?? [];
  if (items.length === 0 || items.length !== opts.items.length) {
    throw new LoadError(
      `internal: a batch of pipeline ${opts.pipeline.name} needs distinct days of one shape (${opts.items.map((i) => i.partition.date).join(", ")})`,
    );
  }
  const dates = items.map((i) => i.partition.date);
  if (new Set(dates).size !== dates.length) {
    throw new LoadError(`internal: a batch names a day twice (${dates.join(", ")})`);
  }
  // Every item is planned (its problems reported); they share one shape, so one plan.
  const plans = items.map((i) => loadPlan({ ...opts, staged: i.staged, partition: i.partition }));
  const pl = plans[0];
  if (pl === undefined || pl.partitionColumn === null || pl.mode === "full_refresh") {
    throw new LoadError(`internal: pipeline ${opts.pipeline.name} has no partition to batch by`);
  }
  const logger = (opts.logger ?? rootLogger).child({
    target: `${pl.target.catalog}.${pl.target.schema}.${pl.target.table}`,
    writeMode: pl.mode,
    partitions: `${dates[0]}..${dates[dates.length - 1]} (${dates.length})`,
  });
  const place: StagingPlace = opts.staging ?? {
    catalog: DEFAULT_STAGING_CATALOG,
    schema: DEFAULT_STAGING_SCHEMA,
  };
  const known = opts.ensured ?? new EnsuredObjects();
  const ensured = await ensureTarget(opts.client, pl, known, logger);
  await known.stagingSchema(place, () => ensureStagingSchema(opts.client, place));
  const now = new Date();
  const tables = items.map((i) =>
    stagingTableName(`${opts.tenantId}_${opts.pipeline.name}`, now, i.runId),
  );
  const column = pl.partitionColumn;
  const mode = pl.mode;
  const load = async (): Promise<BatchLoadResult> => {
    const refs = await createAll(opts.client, place, tables, items);
    const precedence = pl.mode === "merge" ? BATCH_SEQUENCE_COLUMN : null;
    const ranges: PartitionRange[] = items.map((i) => ({ column, partition: i.partition }));
    const sources = items.map((item, n) => {
      const range = ranges[n] ?? { column, partition: item.partition };
      return guardedSource(
        pl,
        refs[n] ?? "",
        opts.tenantId,
        range,
        outsideMessage({ ...opts, staged: item.staged }, range),
        precedence === null ? [] : [`${n} AS ${precedence}`],
      );
    });
    const source = `SELECT * FROM (\n${sources.join("\nUNION ALL\n")}\n) AS batch`;
    const statement = loadStatement(
      pl,
      targetName(pl.target),
      source,
      ranges,
      opts.tenantId,
      precedence,
    );
    const outcome = await opts.client.execute(statement, { session: stagingSession(place) });
    const written = outcome.updateCount ?? 0;
    const snapshot = await snapshotOf(opts.client, pl.target, outcome.queryId, written);
    const staged = items.map((i) => i.staged.rowCount ?? 0);
    const rowsStaged = staged.reduce((a, b) => a + b, 0);
    const result: BatchLoadResult = {
      target: `${pl.target.catalog}.${pl.target.schema}.${pl.target.table}`,
      writeMode: mode,
      partitions: dates,
      rowsStagedByPartition: staged,
      rowsStaged,
      ...rowCounts(pl.mode, written, rowsStaged, snapshot.summary),
      snapshotId: snapshot.id,
      tableCreated: ensured.created,
      columnsAdded: ensured.columnsAdded,
      queryId: outcome.queryId,
      elapsedMs: performance.now() - started,
    };
    logger.info("batch load committed", {
      queryId: result.queryId,
      rowsStaged: result.rowsStaged,
      rowsInserted: result.rowsInserted,
      rowsUpdated: result.rowsUpdated,
      rowsDeleted: result.rowsDeleted,
      snapshotId: result.snapshotId,
    });
    return result;
  };
  return withStagingTables(opts.client, place, tables, logger, () =>
    load().catch((error: unknown) => {
      known.forgetTarget(pl.target);
      throw asLoadError(opts, pl, error);
    }),
  );
}

/**
 * The staging table of every item, a few at once. Every create is waited for, also after one
 * failed, so that none is made after the drops that follow a failure.
 */
async function createAll(
  client: TrinoClient,
  place: StagingPlace,
  tables: readonly string[],
  items: readonly BatchItem[],
): Promise<string[]> {
  const settled = await inBatches(
    tables.map((table, n) => ({ table, item: items[n] })),
    STAGING_STATEMENTS_AT_ONCE,
    ({ table, item }) => {
      if (item === undefined) {
        return Promise.resolve<PromiseSettledResult<string>>({
          status: "rejected",
          reason: new Error("internal: a staging table without its partition"),
        });
      }
      return createStagingTable(
        client,
        place,
        table,
        item.staged.columns.map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
        item.staged.location,
      ).then(
        (value): PromiseSettledResult<string> => ({ status: "fulfilled", value }),
        (reason: unknown): PromiseSettledResult<string> => ({ status: "rejected", reason }),
      );
    },
  );
  const refs: string[] = [];
  for (const s of settled) {
    if (s.status === "rejected") {
      throw new LoadError(
        `could not lay a staging table over a partition's files: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`,
        { cause: s.reason },
      );
    }
    refs.push(s.value);
  }
  return refs;
}
