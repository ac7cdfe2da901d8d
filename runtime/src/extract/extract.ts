/**
 * Extract one pipeline for one partition: PostgreSQL -> binary COPY -> Arrow batches -> Parquet
 * files under a run-specific prefix -> manifest commit -> watermark. Rows stream through; memory is
 * bounded by one batch plus the row group being encoded (see docs/decisions/parquet.md).
 */
import { makeData, RecordBatch, Schema, Struct } from "apache-arrow";
import pg from "pg";
import { z } from "zod";
import { assetKey } from "../contract/asset-key.js";
import { type Logger, registerSecret } from "../logger.js";
import { deriveTargetNames } from "../naming.js";
import { type ColumnBuilder, createBuilder } from "../parquet/columns.js";
import { WorkerParquetEncoder } from "../parquet/worker-encoder.js";
import { type ParquetWriteOptions, parquetStream } from "../parquet/writer.js";
import { CopyBinaryReader } from "../pg/copy-binary.js";
import { CopyOutQuery } from "../pg/copy-out.js";
import { describeStatement } from "../pg/describe.js";
import {
  compareColumns,
  describeDrift,
  introspectQuery,
  introspectRelation,
} from "../pg/introspect.js";
import {
  DEFAULT_TARGET_COLUMNS,
  type PipelinePlan,
  type SourceColumn,
  schemaHashOf,
} from "../plan.js";
import type { PostgresSettings } from "../resources.js";
import { commitPartition, partFileName, runPrefix } from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import { formatDate, formatMicros } from "../types/temporal.js";
import { arrowField, type ExtractColumn, planColumns, targetColumnOf } from "./columns.js";
import {
  buildSelect,
  incrementalPredicate,
  partitionPredicate,
  relationName,
  type Source,
} from "./query.js";
import { readWatermark, watermarkKey, writeWatermark } from "./watermark.js";

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

/**
 * Session settings the text form of text-carried types depends on (dates inside ranges and
 * composites, intervals, floats inside geometric types, bytea inside composites), fixed for the
 * extract's transaction so the same value always gives the same text (docs/types.md).
 */
const TEXT_OUTPUT_SETTINGS: readonly [string, string][] = [
  ["DateStyle", "ISO, MDY"],
  ["IntervalStyle", "postgres"],
  ["extra_float_digits", "1"],
  ["bytea_output", "hex"],
];

/**
 * Target names of the live columns: the generator's, from the snapshot (the drift check has just
 * proven the live columns equal it), else derived here with the plan's convention, before any row
 * is read, so a name the target cannot hold never fails the load after the data was copied.
 */
function targetNamesOf(plan: PipelinePlan, live: readonly SourceColumn[]): string[] {
  const target = plan.targetColumns ?? DEFAULT_TARGET_COLUMNS;
  if (plan.columns !== null && target.names !== null && target.names.length === live.length) {
    return target.names;
  }
  const derived = deriveTargetNames(
    live.map((c) => c.name),
    target.naming,
  );
  if (!derived.ok) {
    throw new Error(
      `pipeline ${plan.name}: ${derived.problems.length} source column name(s) cannot become target columns (nothing was extracted):\n  ${derived.problems.map((p) => `${p.message}; ${p.hint}`).join("\n  ")}\ntake a snapshot (npm run introspect) so the generator reports this before deployment`,
    );
  }
  return derived.names;
}

async function liveColumns(client: pg.Client, source: Source): Promise<SourceColumn[]> {
  if (source.query !== null) {
    return introspectQuery(client, source.schema, source.query);
  }
  if (source.table === null) {
    throw new Error("a pipeline needs either source_table or query");
  }
  return introspectRelation(client, source.schema, source.table);
}

/** Maximum non-null cursor value in a finished batch column, as a comparable bigint. */
function maxOf(column: ExtractColumn, data: ReturnType<ColumnBuilder["finish"]>): bigint | null {
  const values = data.values as unknown;
  let best: bigint | null = null;
  const valid = (i: number) => data.nullCount === 0 || data.getValid(i);
  if (values instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) {
      const v = values[i];
      if (v !== undefined && valid(i) && (best === null || v > best)) best = v;
    }
  } else if (values instanceof Int32Array || values instanceof Int16Array) {
    let m: number | null = null;
    for (let i = 0; i < data.length; i++) {
      const v = values[i];
      if (v !== undefined && valid(i) && (m === null || v > m)) m = v;
    }
    best = m === null ? null : BigInt(m);
  } else {
    throw new Error(`internal: cursor column ${column.source.name} has no comparable values`);
  }
  return best;
}

function renderCursor(column: ExtractColumn, value: bigint): string {
  switch (column.logical.kind) {
    case "date":
      return formatDate(Number(value));
    case "timestamp":
      return formatMicros(value, false);
    case "timestamptz":
      return formatMicros(value, true);
    default:
      return value.toString();
  }
}

/** Extracts one partition (or the whole table) into committed Parquet files. */
export async function extractPartition(opts: ExtractOptions): Promise<ExtractResult> {
  const started = performance.now();
  const { pipeline: plan, partition, storage } = opts;
  const logger = opts.logger.child({
    asset: assetKey(opts.tenantId, "extract", plan.name),
    partition: partition ?? "snapshot",
    runId: opts.runId,
  });
  assertPartitionArgs(plan, partition);
  const source: Source = {
    schema: opts.source.schema,
    table: plan.sourceTable,
    query: plan.query,
  };
  const relation = relationName(source);
  registerSecret(opts.source.password);
  const client = new pg.Client({
    host: opts.source.host,
    port: opts.source.port,
    database: opts.source.database,
    user: opts.source.user,
    password: opts.source.password,
    application_name: `etl-extract ${opts.tenantId}/${plan.name}`,
  });
  // pg reports a lost connection twice: to the running query (which fails the extract with it) and
  // as a client 'error' event, which would crash the process without a listener. The query's
  // failure carries the error; here it is only logged.
  let connectionLost: Error | null = null;
  client.on("error", (error: Error) => {
    connectionLost = error;
    logger.warn("source PostgreSQL connection lost", { error: error.message });
  });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot connect to source PostgreSQL ${opts.source.user}@${opts.source.host}:${opts.source.port}/${opts.source.database}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const prefix = runPrefix("extract", plan.name, partition, opts.runId);
  let wroteFiles = false;
  let encoder: WorkerParquetEncoder | null = null;
  try {
    // A read-only repeatable-read transaction: introspection and COPY see one snapshot.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query(
      `SELECT ${TEXT_OUTPUT_SETTINGS.map((_, i) => `pg_catalog.set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ")}`,
      TEXT_OUTPUT_SETTINGS.flat(),
    );
    const live = await liveColumns(client, source);
    if (plan.columns !== null) {
      const diffs = compareColumns(plan.columns, live);
      if (diffs.length > 0) {
        throw new Error(
          describeDrift(`${opts.tenantId}/${plan.name} (${relation})`, opts.tenantId, diffs),
        );
      }
    } else {
      logger.warn(
        "pipeline has no schema snapshot: the source schema is not checked for drift; run `npm run introspect` to take one",
      );
    }
    const planned = planColumns(
      relation,
      live,
      targetNamesOf(plan, live),
      (plan.targetColumns ?? DEFAULT_TARGET_COLUMNS).unmappedTypes,
    );
    if (!planned.ok) {
      throw new Error(
        `pipeline ${plan.name}: ${planned.errors.length} column(s) cannot be extracted:\n  ${planned.errors.join("\n  ")}`,
      );
    }
    const columns = planned.columns;
    const predicates: string[] = [];
    if (partition !== null && plan.dateColumn !== null) {
      const tz = await client.query("SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = $1", [
        opts.timeZone,
      ]);
      if (tz.rowCount === 0) {
        throw new Error(
          `partition time zone "${opts.timeZone}" is unknown to the source PostgreSQL (pg_timezone_names)`,
        );
      }
      predicates.push(partitionPredicate(columns, plan.dateColumn, partition, opts.timeZone));
    }
    let previousWatermark: string | null = null;
    let cursor: ExtractColumn | null = null;
    if (plan.incremental !== null) {
      const cursorName = plan.incremental.cursorColumn;
      cursor = columns.find((c) => c.source.name === cursorName) ?? null;
      const stored = await readWatermark(storage, plan.name, partition);
      if (stored !== null && stored.cursorColumn !== cursorName) {
        throw new Error(
          `stored watermark ${storage.uri(watermarkKey(plan.name, partition))} is for cursor column ${stored.cursorColumn}, the pipeline now uses ${cursorName}: delete the watermark file to re-extract everything`,
        );
      }
      previousWatermark = stored?.value ?? null;
      if (previousWatermark !== null) {
        predicates.push(
          incrementalPredicate(
            columns,
            cursorName,
            previousWatermark,
            plan.incremental.lookbackSeconds,
          ),
        );
      } else {
        // Validates the cursor column even on the first (full) run.
        incrementalPredicate(columns, cursorName, "0", 0);
      }
    }
    const sql = buildSelect(source, columns, predicates);
    logger.debug("extract query", { sql });
    // COPY goes through the simple protocol, which runs every statement of its text: the exact
    // SELECT is first parsed alone (Parse takes one statement), so the COPY around it is one too.
    await describeStatement(client, sql).catch((error: unknown) => {
      throw new Error(
        `pipeline ${plan.name}: the extract statement is not exactly one statement (${(error as Error).message}); nothing was extracted`,
        { cause: error },
      );
    });

    const builders = columns.map((c) => createBuilder(c.wire, c.context));
    const fields = columns.map((c, i) => arrowField(c, (builders[i] as ColumnBuilder).type));
    const schema = new Schema(fields);
    // A 1 MiB read-ahead lets PostgreSQL keep producing while a batch is being encoded.
    const copy = client.query(
      new CopyOutQuery(`COPY (\n${sql}\n) TO STDOUT (FORMAT binary)`, COPY_READ_AHEAD_BYTES),
    );
    const reader = new CopyBinaryReader(copy[Symbol.asyncIterator](), builders);
    const nullCounts = new Map<string, number>(columns.map((c) => [c.target, 0]));
    const cursorIndex = cursor === null ? -1 : columns.indexOf(cursor);
    let maxCursor: bigint | null = null;

    const batchRows = Math.min(
      opts.limits?.batchRows ?? DEFAULT_BATCH_ROWS,
      plan.extract.rowGroupRows,
    );
    const batchBytes = opts.limits?.batchBytes ?? DEFAULT_BATCH_BYTES;
    const maxFileBytes = opts.limits?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const writeOptions: ParquetWriteOptions = {
      compression: plan.extract.compression,
      rowGroupRows: plan.extract.rowGroupRows,
      ...opts.encoding,
      metadata: {
        "etl.tenant": opts.tenantId,
        "etl.pipeline": plan.name,
        "etl.schema_hash": schemaHashOf(live),
      },
    };

    let totalRows = 0;
    let lastProgress = performance.now();
    const progressMs = (opts.progressSeconds ?? 5) * 1000;

    /** Fills the builders with the next batch; returns its row count. */
    const nextBatch = async (limit: number): Promise<number> => {
      if (opts.signal?.aborted === true) {
        throw new Error(`extract of ${plan.name} aborted: ${String(opts.signal.reason)}`);
      }
      for (const b of builders) b.reset();
      const n = await reader.fill(Math.min(batchRows, limit), batchBytes);
      totalRows += n;
      opts.onProgress?.({ rows: totalRows, bytes: reader.bytesRead });
      const now = performance.now();
      if (opts.onProgress === undefined && now - lastProgress >= progressMs) {
        lastProgress = now;
        const seconds = (now - started) / 1000;
        logger.info("extract progress", {
          rows: totalRows,
          copyBytes: reader.bytesRead,
          rowsPerSecond: Math.round(totalRows / seconds),
        });
      }
      return n;
    };

    const toRecordBatch = (rows: number): RecordBatch => {
      const children = builders.map((b, i) => {
        const data = b.finish();
        const name = columns[i]?.target ?? "";
        nullCounts.set(name, (nullCounts.get(name) ?? 0) + data.nullCount);
        if (i === cursorIndex && cursor !== null) {
          const m = maxOf(cursor, data);
          if (m !== null && (maxCursor === null || m > maxCursor)) maxCursor = m;
        }
        return data;
      });
      return new RecordBatch(
        schema,
        makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }),
      );
    };

    const files: { key: string; rows: number; bytes: number }[] = [];
    let pending = await nextBatch(plan.extract.maxFileRows);
    // One Parquet file per loop; the first batch of each file is read before the file is opened,
    // so an extract that ends exactly on a file boundary does not leave an empty last file.
    while (files.length === 0 || pending > 0) {
      const fileIndex = files.length;
      let fileRows = 0;
      let fileBytes = 0;
      const first = pending;
      async function* batches(): AsyncGenerator<RecordBatch> {
        let rows = first;
        for (;;) {
          fileRows += rows;
          fileBytes += builders.reduce((s, b) => s + b.byteSize, 0);
          yield toRecordBatch(rows);
          if (reader.done || fileRows >= plan.extract.maxFileRows || fileBytes >= maxFileBytes) {
            return;
          }
          rows = await nextBatch(plan.extract.maxFileRows - fileRows);
          if (rows === 0) {
            return;
          }
        }
      }
      const key = `${prefix}${partFileName(fileIndex)}`;
      wroteFiles = true;
      const workerMode = opts.encodeInWorker ?? "never";
      if (
        encoder === null &&
        (workerMode === "always" || (workerMode === "auto" && !reader.done))
      ) {
        encoder = new WorkerParquetEncoder();
      }
      const parquet =
        encoder === null
          ? await parquetStream(batches(), writeOptions)
          : encoder.stream(batches(), writeOptions);
      const bytes = await storage.put(key, parquet, "application/vnd.apache.parquet");
      files.push({ key, rows: fileRows, bytes });
      logger.debug("file written", { key, rows: fileRows, bytes });
      pending = reader.done ? 0 : await nextBatch(plan.extract.maxFileRows);
    }
    if (!reader.done) {
      throw new Error("internal: the COPY stream was not read to its end");
    }
    await client.query("COMMIT");

    const rowCount = files.reduce((s, f) => s + f.rows, 0);
    const bytes = files.reduce((s, f) => s + f.bytes, 0);
    const schemaHash = schemaHashOf(live);
    const nextWatermark =
      maxCursor === null || cursor === null ? previousWatermark : renderCursor(cursor, maxCursor);
    const elapsedMs = performance.now() - started;
    const nullCountsObj = Object.fromEntries(nullCounts);
    const manifest = await commitPartition(
      storage,
      {
        tenant: opts.tenantId,
        stage: "extract",
        pipeline: plan.name,
        partition,
        runId: opts.runId,
        prefix,
        files,
        rowCount,
        bytes,
        schemaHash,
        metadata: {
          elapsedMs: Math.round(elapsedMs),
          nullCounts: nullCountsObj,
          columns: live,
          // What the files hold: each column's Parquet field name and Trino type (the load's input).
          targetColumns: columns.map(targetColumnOf),
          incremental:
            plan.incremental === null
              ? null
              : {
                  column: plan.incremental.cursorColumn,
                  from: previousWatermark,
                  to: nextWatermark,
                },
        },
      },
      logger,
    );
    let advanced = false;
    if (plan.incremental !== null && nextWatermark !== null && (opts.advanceWatermark ?? true)) {
      await writeWatermark(storage, {
        pipeline: plan.name,
        partition,
        cursorColumn: plan.incremental.cursorColumn,
        value: nextWatermark,
        runId: opts.runId,
        updatedAt: new Date().toISOString(),
      });
      advanced = true;
    }
    const result: ExtractResult = {
      rowCount,
      bytes,
      files,
      partition,
      manifestKey: `${prefix.replace(/run=[^/]+\/$/, "")}_manifest.json`,
      location: manifest.location,
      schemaHash,
      elapsedMs,
      nullCounts: nullCountsObj,
      watermark:
        plan.incremental === null
          ? null
          : {
              column: plan.incremental.cursorColumn,
              previous: previousWatermark,
              next: nextWatermark,
              advanced,
            },
    };
    logger.info("extract done", {
      rows: rowCount,
      bytes,
      files: files.length,
      seconds: Math.round(elapsedMs) / 1000,
      rowsPerSecond: Math.round(rowCount / Math.max(elapsedMs / 1000, 0.001)),
    });
    return ExtractResultSchema.parse(result);
  } catch (error) {
    if (wroteFiles) {
      // The run's own folder holds only this attempt's uncommitted files.
      await storage.deletePrefix(prefix).catch((cleanupError: unknown) => {
        logger.error("could not remove files of the failed run", {
          prefix,
          error: (cleanupError as Error).message,
        });
      });
    }
    if (connectionLost !== null) {
      // The COPY reader may see the stream cut short before pg reports why: the lost connection
      // is the cause (and transient: a retry reconnects).
      throw new Error(
        `source PostgreSQL connection lost during the extract of ${relation}: ${(connectionLost as Error).message} (${(error as Error).message})`,
        { cause: connectionLost },
      );
    }
    throw error;
  } finally {
    if (encoder !== null) {
      await encoder.close();
    }
    await client.end().catch((endError: unknown) => {
      logger.warn("closing the source connection failed", { error: (endError as Error).message });
    });
  }
}

/** Advances an incremental pipeline's watermark (for callers that deferred it until after load). */
export async function advanceWatermark(
  storage: Storage,
  plan: PipelinePlan,
  partition: string | null,
  value: string,
  runId: string,
): Promise<void> {
  if (plan.incremental === null) {
    throw new Error(`pipeline ${plan.name} is not incremental`);
  }
  await writeWatermark(storage, {
    pipeline: plan.name,
    partition,
    cursorColumn: plan.incremental.cursorColumn,
    value,
    runId,
    updatedAt: new Date().toISOString(),
  });
}
