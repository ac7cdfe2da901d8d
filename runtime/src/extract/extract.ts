/**
 * Extract one pipeline for one partition: PostgreSQL -> binary COPY -> Arrow batches -> Parquet
 * files under a run-specific prefix -> manifest commit -> watermark. Rows stream through; memory is
 * bounded by one batch plus the row group being encoded (see docs/decisions/parquet.md). The steps
 * live beside it: the source connection, snapshot and statement (source.ts), the data path from
 * COPY to part files (parts.ts).
 */
import { z } from "zod";
import { assetKey } from "../contract/asset-key.js";
import type { Logger } from "../logger.js";
import type { ParquetWriteOptions } from "../parquet/writer.js";
import { CopyOutQuery } from "../pg/copy-out.js";
import type { PipelinePlan } from "../plan.js";
import type { PostgresSettings } from "../resources.js";
import { commitPartition, runPrefix } from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import { targetColumnOf } from "./columns.js";
import { CopyBatches, type PartFile, type PartOptions, RunParts } from "./parts.js";
import { relationName, type Source } from "./query.js";
import {
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
  const connection = await connectSource(
    opts.source,
    `etl-extract ${opts.tenantId}/${plan.name}`,
    logger,
  );
  const prefix = runPrefix("extract", plan.name, partition, opts.runId);
  let parts: RunParts | null = null;
  try {
    await beginSnapshot(connection.client);
    const query = await planQuery(connection.client, { ...opts, source, logger });
    parts = new RunParts(partOptions(opts, query, prefix, logger));
    const batches = copyBatches(connection, opts, query, started, logger);
    const files = await parts.write(batches);
    await connection.client.query("COMMIT");
    const result = await commitExtract(opts, query, { prefix, files, batches, started }, logger);
    logDone(logger, result);
    return ExtractResultSchema.parse(result);
  } catch (error) {
    await parts?.discard();
    throw explainLostConnection(connection, relationName(source), error);
  } finally {
    await parts?.close();
    await connection.end();
  }
}

/** Where and how the run's part files are written. */
function partOptions(
  opts: ExtractOptions,
  query: ExtractQuery,
  prefix: string,
  logger: Logger,
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
    logger,
  };
}

/** Starts the COPY of the extract statement and decodes it into batches as they are taken. */
function copyBatches(
  connection: SourceConnection,
  opts: ExtractOptions,
  query: ExtractQuery,
  started: number,
  logger: Logger,
): CopyBatches {
  // A 1 MiB read-ahead lets PostgreSQL keep producing while a batch is being encoded.
  const copy = connection.client.query(
    new CopyOutQuery(`COPY (\n${query.sql}\n) TO STDOUT (FORMAT binary)`, COPY_READ_AHEAD_BYTES),
  );
  return new CopyBatches(copy[Symbol.asyncIterator](), query.columns, query.cursor, {
    batchRows: Math.min(
      opts.limits?.batchRows ?? DEFAULT_BATCH_ROWS,
      opts.pipeline.extract.rowGroupRows,
    ),
    batchBytes: opts.limits?.batchBytes ?? DEFAULT_BATCH_BYTES,
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
    progressMs: (opts.progressSeconds ?? 5) * 1000,
    started,
    pipeline: opts.pipeline.name,
    logger,
  });
}

/** What the copy produced, for the commit. */
interface Copied {
  prefix: string;
  files: PartFile[];
  batches: CopyBatches;
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
  const { prefix, files, batches } = copied;
  const rowCount = files.reduce((s, f) => s + f.rows, 0);
  const bytes = files.reduce((s, f) => s + f.bytes, 0);
  const nextWatermark = batches.maxCursor ?? query.previousWatermark;
  const elapsedMs = performance.now() - copied.started;
  const nullCounts = Object.fromEntries(batches.nullCounts);
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
