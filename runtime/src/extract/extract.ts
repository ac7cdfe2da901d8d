/**
 * Extract one pipeline for one partition: PostgreSQL -> binary COPY -> Arrow batches -> Parquet
 * files under a run-specific prefix -> manifest commit -> watermark. Rows stream through; memory is
 * bounded by one batch plus the row group being encoded (see docs/decisions/parquet.md). The steps
 * live beside it: the source connection, snapshot and statement (source.ts), the data path from
 * COPY to part files (parts.ts), the ranges of a parallel extract (ranges.ts).
 */
import type pg from "pg";
import { z } from "zod";
import { assetKey } from "../contract/asset-key.js";
import type { Logger } from "../logger.js";
import type { ParquetWriteOptions } from "../parquet/writer.js";
import { CopyOutQuery } from "../pg/copy-out.js";
import { useSchema } from "../pg/sql.js";
import type { PipelinePlan } from "../plan.js";
import type { PostgresSettings } from "../resources.js";
import { commitPartition, runPrefix } from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import { targetColumnOf } from "./columns.js";
import { batchTotals, CopyBatches, type PartFile, type PartOptions, RunParts } from "./parts.js";
import { buildSelect, relationName, type Source } from "./query.js";
import { chooseSplit, describeSplit, planRanges } from "./ranges.js";
import {
  assertOneStatement,
  beginSnapshot,
  connectSource,
  type ExtractQuery,
  planQuery,
  type SourceConnection,
} from "./source.js";
import { writeWatermark } from "./watermark.js";

/** Bytes the COPY stream may buffer ahead of the decoder (its backpressure threshold). */
export const COPY_READ_AHEAD_BYTES = 1024 * 1024;
/** Rows per Arrow batch handed to the Parquet writer (row groups are assembled from batches). */
export const DEFAULT_BATCH_ROWS = 65_536;
/** Bytes of decoded Arrow data per batch before it is cut early (wide rows). */
export const DEFAULT_BATCH_BYTES = 32 * 1024 * 1024;
/** Decoded (uncompressed) bytes per Parquet file before the next part file starts. */
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

export interface ExtractOptions {
  /** Connection settings of the tenant's source database, already resolved. */
  source: PostgresSettings;
  pipeline: PipelinePlan;
  /** YYYY-MM-DD for partitioned pipelines, null for unpartitioned ones. */
  partition: string | null;
  /** IANA zone in which partition days start (EnvironmentPlan.partitions.timezone). */
  timeZone: string;
  storage: Storage;
  tenantId: string;
  runId: string;
  logger: Logger;
  signal?: AbortSignal;
  /** Advance the watermark right after the commit (default); false leaves it to the caller. */
  advanceWatermark?: boolean;
  /** Overrides of the size bounds (tests and benchmarks). */
  limits?: { batchRows?: number; batchBytes?: number; maxFileBytes?: number };
  /** Seconds between progress log lines (default 5). */
  progressSeconds?: number;
  /**
   * Receives the totals after every batch (the executor's progress line); when given, the
   * extract writes no progress log lines of its own.
   */
  onProgress?: (totals: { rows: number; bytes: number }) => void;
  /** Parquet encoding overrides (default: no dictionary encoding, see docs/decisions/parquet.md). */
  encoding?: Pick<ParquetWriteOptions, "dictionary" | "dictionaryColumns">;
  /**
   * Where Parquet is encoded: "never" (default) on this thread; "auto" on a worker thread once the
   * result is larger than one batch, so decoding and encoding overlap (small results stay here: a
   * worker costs a start-up); "always" on a worker. The worker did not pay off where PostgreSQL
   * shares the extract's two cores (docs/decisions/parquet.md); it is for hosts with a spare core.
   */
  encodeInWorker?: "auto" | "always" | "never";
}

export const ExtractFileSchema = z.strictObject({
  key: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

export const ExtractResultSchema = z.strictObject({
  rowCount: z.number().int().nonnegative(),
  /** Bytes of Parquet written. */
  bytes: z.number().int().nonnegative(),
  files: z.array(ExtractFileSchema),
  partition: z.string().nullable(),
  /** Storage key (relative to base path) of the committed manifest. */
  manifestKey: z.string(),
  /** Location of the committed run's folder for engines (s3://... or a local path). */
  location: z.string(),
  schemaHash: z.string(),
  elapsedMs: z.number().nonnegative(),
  nullCounts: z.record(z.string(), z.number().int().nonnegative()),
  /** Incremental runs: the watermark before and after this run (after = max cursor seen). */
  watermark: z
    .strictObject({
      column: z.string(),
      previous: z.string().nullable(),
      next: z.string().nullable(),
      advanced: z.boolean(),
    })
    .nullable(),
});
export type ExtractResult = z.infer<typeof ExtractResultSchema>;

function assertPartitionArgs(plan: PipelinePlan, partition: string | null): void {
  if (plan.dateColumn !== null && partition === null) {
    throw new Error(
      `pipeline ${plan.name} is partitioned by ${plan.dateColumn}: pass a partition (YYYY-MM-DD)`,
    );
  }
  if (plan.dateColumn === null && partition !== null) {
    throw new Error(
      `pipeline ${plan.name} has no date_column: it is unpartitioned, run it without a partition (got ${partition})`,
    );
  }
}

/** Extracts one partition (or the whole table) into committed Parquet files. */
export async function extractPartition(opts: ExtractOptions): Promise<ExtractResult> {
  const started = performance.now();
  const { pipeline: plan, partition } = opts;
  const logger = opts.logger.child({
    asset: assetKey(opts.tenantId, "extract", plan.name),
    partition: partition ?? "snapshot",
    runId: opts.runId,
  });
  assertPartitionArgs(plan, partition);
  const source: Source = { schema: opts.source.schema, table: plan.sourceTable, query: plan.query };
  const connect = () =>
    connectSource(opts.source, `etl-extract ${opts.tenantId}/${plan.name}`, logger);
  const connections: SourceConnection[] = [await connect()];
  const first = connections[0] as SourceConnection;
  const prefix = runPrefix("extract", plan.name, partition, opts.runId);
  const parts: RunParts[] = [];
  let failedOn = first;
  try {
    await beginSnapshot(first.client);
    const query = await planQuery(first.client, { ...opts, source, logger });
    const statements = await rangeStatements(first.client, opts, source, query, logger);
    if (statements.length > 1) {
      // Every other range reads the first connection's snapshot, exported while it stays open.
      const snapshot = await exportSnapshot(first.client);
      for (let i = 1; i < statements.length; i++) {
        const other = await connect();
        connections.push(other);
        failedOn = other;
        await beginSnapshot(other.client, snapshot);
        await useSchema(other.client, source.schema);
      }
      failedOn = first;
    }
    let fileIndex = 0;
    const options = partOptions(opts, query, prefix, logger, () => fileIndex++);
    const ranges = statements.map((sql, i) => {
      const run = new RunParts(options);
      parts.push(run);
      return { connection: connections[i] as SourceConnection, sql, parts: run };
    });
    const copied = await copyRanges(ranges, opts, query, started, logger).catch(
      (failure: RangeFailure) => {
        failedOn = failure.connection;
        throw failure.error;
      },
    );
    for (const connection of connections) {
      failedOn = connection;
      await connection.client.query("COMMIT");
    }
    const result = await commitExtract(opts, query, { prefix, started, ...copied }, logger);
    logDone(logger, result);
    return ExtractResultSchema.parse(result);
  } catch (error) {
    // Every range has settled by now: one removal of the run folder takes all their files.
    await parts.find((run) => run.wroteAny)?.discard();
    throw explainLostConnection(failedOn, relationName(source), error);
  } finally {
    for (const run of parts) await run.close();
    for (const connection of connections) await connection.end();
  }
}

/**
 * The statement of each range: the extract's own SELECT alone, or, with `extract.parallelism` > 1,
 * one per range (each also checked to be exactly one statement, as the whole one was).
 */
async function rangeStatements(
  client: pg.Client,
  opts: ExtractOptions,
  source: Source,
  query: ExtractQuery,
  logger: Logger,
): Promise<string[]> {
  const parallelism = opts.pipeline.extract.parallelism ?? 1;
  if (parallelism <= 1) {
    return [query.sql];
  }
  const split = await chooseSplit(client, opts.pipeline, source, query.columns);
  const ranges = await planRanges(client, {
    source,
    split,
    predicates: query.predicates,
    parallelism,
  });
  const statements = ranges.predicates.map((range) =>
    range === null ? query.sql : buildSelect(source, query.columns, [...query.predicates, range]),
  );
  for (const sql of statements) {
    await assertOneStatement(client, opts.pipeline, sql);
  }
  logger.info("parallel extract", {
    parallelism,
    ranges: statements.length,
    split: describeSplit(split),
  });
  return statements;
}

async function exportSnapshot(client: pg.Client): Promise<string> {
  const r = await client.query<{ id: string }>("SELECT pg_catalog.pg_export_snapshot() AS id");
  const id = r.rows[0]?.id;
  if (id === undefined) {
    throw new Error("internal: pg_export_snapshot() returned no row");
  }
  return id;
}

/** One range of the extract: its connection (in the shared snapshot), statement and files. */
interface Range {
  connection: SourceConnection;
  sql: string;
  parts: RunParts;
}

/** The first range to fail, and on which connection (to tell a lost connection apart). */
interface RangeFailure {
  connection: SourceConnection;
  error: unknown;
}

/**
 * Copies every range at once. The first failure stops the others (at their next batch) and is the
 * one reported, after every range has settled, so nothing is still writing when the run's files
 * are removed.
 */
async function copyRanges(
  ranges: readonly Range[],
  opts: ExtractOptions,
  query: ExtractQuery,
  started: number,
  logger: Logger,
): Promise<Pick<Copied, "files" | "totals">> {
  const stop = new AbortController();
  const signal =
    opts.signal === undefined ? stop.signal : AbortSignal.any([opts.signal, stop.signal]);
  const progress = ranges.map(() => ({ rows: 0, bytes: 0 }));
  const onProgress = opts.onProgress;
  const failed: { first: RangeFailure | null } = { first: null };
  const batches = ranges.map((range, i) =>
    copyBatches(range.connection, opts, range.sql, query, {
      started,
      signal,
      logger: ranges.length > 1 ? logger.child({ range: i + 1 }) : logger,
      ...(onProgress === undefined
        ? {}
        : {
            onProgress: (totals: { rows: number; bytes: number }) => {
              progress[i] = totals;
              onProgress({
                rows: progress.reduce((s, p) => s + p.rows, 0),
                bytes: progress.reduce((s, p) => s + p.bytes, 0),
              });
            },
          }),
    }),
  );
  const settled = await Promise.allSettled(
    ranges.map(async (range, i) => {
      try {
        return await range.parts.write(batches[i] as CopyBatches);
      } catch (error) {
        if (failed.first === null) {
          failed.first = { connection: range.connection, error };
          stop.abort(new Error(`range ${i + 1} of ${ranges.length} failed`));
        }
        throw error;
      }
    }),
  );
  if (failed.first !== null) {
    throw failed.first;
  }
  return {
    files: settled.flatMap((s) => (s.status === "fulfilled" ? s.value : [])),
    totals: batchTotals(batches, query.cursor),
  };
}

/** Where and how the run's part files are written. */
function partOptions(
  opts: ExtractOptions,
  query: ExtractQuery,
  prefix: string,
  logger: Logger,
  nextFileIndex: () => number,
): PartOptions {
  const plan = opts.pipeline;
  return {
    storage: opts.storage,
    prefix,
    write: {
      compression: plan.extract.compression,
      rowGroupRows: plan.extract.rowGroupRows,
      ...opts.encoding,
      metadata: {
        "etl.tenant": opts.tenantId,
        "etl.pipeline": plan.name,
        "etl.schema_hash": query.schemaHash,
      },
    },
    maxFileRows: plan.extract.maxFileRows,
    maxFileBytes: opts.limits?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    encodeInWorker: opts.encodeInWorker ?? "never",
    nextFileIndex,
    logger,
  };
}

/** Starts the COPY of one range's statement and decodes it into batches as they are taken. */
function copyBatches(
  connection: SourceConnection,
  opts: ExtractOptions,
  sql: string,
  query: ExtractQuery,
  range: {
    started: number;
    signal: AbortSignal;
    logger: Logger;
    onProgress?: (totals: { rows: number; bytes: number }) => void;
  },
): CopyBatches {
  // A 1 MiB read-ahead lets PostgreSQL keep producing while a batch is being encoded.
  const copy = connection.client.query(
    new CopyOutQuery(`COPY (\n${sql}\n) TO STDOUT (FORMAT binary)`, COPY_READ_AHEAD_BYTES),
  );
  return new CopyBatches(copy[Symbol.asyncIterator](), query.columns, query.cursor, {
    batchRows: Math.min(
      opts.limits?.batchRows ?? DEFAULT_BATCH_ROWS,
      opts.pipeline.extract.rowGroupRows,
    ),
    batchBytes: opts.limits?.batchBytes ?? DEFAULT_BATCH_BYTES,
    signal: range.signal,
    ...(range.onProgress === undefined ? {} : { onProgress: range.onProgress }),
    progressMs: (opts.progressSeconds ?? 5) * 1000,
    started: range.started,
    pipeline: opts.pipeline.name,
    logger: range.logger,
  });
}

/** What the copy produced, for the commit. */
interface Copied {
  prefix: string;
  files: PartFile[];
  totals: ReturnType<typeof batchTotals>;
  /** performance.now() when the extract started. */
  started: number;
}

/** Commits the run's files as the partition's manifest, then advances the watermark. */
async function commitExtract(
  opts: ExtractOptions,
  query: ExtractQuery,
  copied: Copied,
  logger: Logger,
): Promise<ExtractResult> {
  const plan = opts.pipeline;
  const { prefix, files, totals } = copied;
  const rowCount = files.reduce((s, f) => s + f.rows, 0);
  const bytes = files.reduce((s, f) => s + f.bytes, 0);
  const nextWatermark = totals.maxCursor ?? query.previousWatermark;
  const elapsedMs = performance.now() - copied.started;
  const { nullCounts } = totals;
  const incremental = plan.incremental;
  const manifest = await commitPartition(
    opts.storage,
    {
      tenant: opts.tenantId,
      stage: "extract",
      pipeline: plan.name,
      partition: opts.partition,
      runId: opts.runId,
      prefix,
      files,
      rowCount,
      bytes,
      schemaHash: query.schemaHash,
      metadata: {
        elapsedMs: Math.round(elapsedMs),
        nullCounts,
        columns: query.live,
        // What the files hold: each column's Parquet field name and Trino type (the load's input).
        targetColumns: query.columns.map(targetColumnOf),
        incremental:
          incremental === null
            ? null
            : {
                column: incremental.cursorColumn,
                from: query.previousWatermark,
                to: nextWatermark,
              },
      },
    },
    logger,
  );
  const advanced =
    nextWatermark !== null && (opts.advanceWatermark ?? true)
      ? await advanceIncremental(opts.storage, plan, opts.partition, nextWatermark, opts.runId)
      : false;
  return {
    rowCount,
    bytes,
    files,
    partition: opts.partition,
    manifestKey: `${prefix.replace(/run=[^/]+\/$/, "")}_manifest.json`,
    location: manifest.location,
    schemaHash: query.schemaHash,
    elapsedMs,
    nullCounts,
    watermark:
      incremental === null
        ? null
        : {
            column: incremental.cursorColumn,
            previous: query.previousWatermark,
            next: nextWatermark,
            advanced,
          },
  };
}

function logDone(logger: Logger, result: ExtractResult): void {
  logger.info("extract done", {
    rows: result.rowCount,
    bytes: result.bytes,
    files: result.files.length,
    seconds: Math.round(result.elapsedMs) / 1000,
    rowsPerSecond: Math.round(result.rowCount / Math.max(result.elapsedMs / 1000, 0.001)),
  });
}

/**
 * The extract's error, or, when pg reported the connection lost, that: the COPY reader may see the
 * stream cut short before pg says why, and a lost connection is transient (a retry reconnects).
 */
function explainLostConnection(
  connection: SourceConnection,
  relation: string,
  error: unknown,
): unknown {
  const lost = connection.lost();
  if (lost === null) {
    return error;
  }
  return new Error(
    `source PostgreSQL connection lost during the extract of ${relation}: ${lost.message} (${(error as Error).message})`,
    { cause: lost },
  );
}

/** Writes an incremental pipeline's watermark; false (nothing written) for a full pipeline. */
async function advanceIncremental(
  storage: Storage,
  plan: PipelinePlan,
  partition: string | null,
  value: string,
  runId: string,
): Promise<boolean> {
  if (plan.incremental === null) {
    return false;
  }
  await writeWatermark(storage, {
    pipeline: plan.name,
    partition,
    cursorColumn: plan.incremental.cursorColumn,
    value,
    runId,
    updatedAt: new Date().toISOString(),
  });
  return true;
}

/** Advances an incremental pipeline's watermark (for callers that deferred it until after load). */
export async function advanceWatermark(
  storage: Storage,
  plan: PipelinePlan,
  partition: string | null,
  value: string,
  runId: string,
): Promise<void> {
  if (!(await advanceIncremental(storage, plan, partition, value, runId))) {
    throw new Error(`pipeline ${plan.name} is not incremental`);
  }
}
