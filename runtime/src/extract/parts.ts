/**
 * The extract's data path: the binary COPY stream decoded into Arrow batches (`CopyBatches`), and
 * the batches written as Parquet part files under the run's prefix (`writeParts`). Memory is
 * bounded by one batch plus the row group being encoded (docs/decisions/parquet.md).
 */
import { makeData, RecordBatch, Schema, Struct } from "apache-arrow";
import type { Logger } from "../logger.js";
import { type ColumnBuilder, createBuilder } from "../parquet/columns.js";
import { WorkerParquetEncoder } from "../parquet/worker-encoder.js";
import { type ParquetWriteOptions, parquetStream } from "../parquet/writer.js";
import { CopyBinaryReader } from "../pg/copy-binary.js";
import { partFileName } from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import { formatDate, formatMicros } from "../types/temporal.js";
import { arrowField, type ExtractColumn } from "./columns.js";

/** How batches are cut and who hears about progress. */
export interface BatchLimits {
  /** Rows per batch at most. */
  batchRows: number;
  /** Decoded bytes per batch before it is cut early (wide rows). */
  batchBytes: number;
  signal?: AbortSignal;
  /** Receives the totals after every batch; when given, no progress log lines are written. */
  onProgress?: (totals: { rows: number; bytes: number }) => void;
  /** Milliseconds between progress log lines. */
  progressMs: number;
  /** performance.now() when the extract started (the rate of the progress lines). */
  started: number;
  pipeline: string;
  logger: Logger;
}

/**
 * Arrow batches from a binary COPY stream, with what the commit needs of them: each column's null
 * count and the incremental cursor's maximum.
 */
export class CopyBatches {
  readonly schema: Schema;
  /** Nulls per target column over every batch taken. */
  readonly nullCounts: Map<string, number>;
  private readonly builders: ColumnBuilder[];
  private readonly reader: CopyBinaryReader;
  private readonly cursorIndex: number;
  private maxCursorValue: bigint | null = null;
  private totalRows = 0;
  private lastProgress: number;

  constructor(
    copy: AsyncIterator<Uint8Array>,
    private readonly columns: readonly ExtractColumn[],
    private readonly cursor: ExtractColumn | null,
    private readonly limits: BatchLimits,
  ) {
    this.builders = columns.map((c) => createBuilder(c.wire, c.context));
    this.schema = new Schema(
      columns.map((c, i) => arrowField(c, (this.builders[i] as ColumnBuilder).type)),
    );
    this.reader = new CopyBinaryReader(copy, this.builders);
    this.nullCounts = new Map(columns.map((c) => [c.target, 0]));
    this.cursorIndex = cursor === null ? -1 : columns.indexOf(cursor);
    this.lastProgress = performance.now();
  }

  /** The COPY stream was read to its end. */
  get done(): boolean {
    return this.reader.done;
  }

  /** Decoded bytes of the batch being filled. */
  get byteSize(): number {
    return this.builders.reduce((s, b) => s + b.byteSize, 0);
  }

  /** The cursor rendered as the next watermark, or null when no row had one. */
  get maxCursor(): string | null {
    return this.cursor === null || this.maxCursorValue === null
      ? null
      : renderCursor(this.cursor, this.maxCursorValue);
  }

  /** The cursor's maximum as a comparable value (null when no row had one). */
  get maxCursorRaw(): bigint | null {
    return this.maxCursorValue;
  }

  /** Fills the builders with the next batch of at most `limit` rows; returns its row count. */
  async fill(limit: number): Promise<number> {
    const { signal } = this.limits;
    if (signal?.aborted === true) {
      throw new Error(`extract of ${this.limits.pipeline} aborted: ${String(signal.reason)}`);
    }
    for (const b of this.builders) b.reset();
    const n = await this.reader.fill(
      Math.min(this.limits.batchRows, limit),
      this.limits.batchBytes,
    );
    this.totalRows += n;
    this.reportProgress();
    return n;
  }

  /** The filled batch of `rows` rows as an Arrow record batch (counting its nulls and cursor). */
  take(rows: number): RecordBatch {
    const children = this.builders.map((b, i) => {
      const data = b.finish();
      const name = this.columns[i]?.target ?? "";
      this.nullCounts.set(name, (this.nullCounts.get(name) ?? 0) + data.nullCount);
      if (i === this.cursorIndex && this.cursor !== null) {
        const m = maxOf(this.cursor, data);
        if (m !== null && (this.maxCursorValue === null || m > this.maxCursorValue)) {
          this.maxCursorValue = m;
        }
      }
      return data;
    });
    return new RecordBatch(
      this.schema,
      makeData({ type: new Struct(this.schema.fields), length: rows, nullCount: 0, children }),
    );
  }

  private reportProgress(): void {
    const { onProgress, progressMs, started, logger } = this.limits;
    onProgress?.({ rows: this.totalRows, bytes: this.reader.bytesRead });
    const now = performance.now();
    if (onProgress === undefined && now - this.lastProgress >= progressMs) {
      this.lastProgress = now;
      logger.info("extract progress", {
        rows: this.totalRows,
        copyBytes: this.reader.bytesRead,
        rowsPerSecond: Math.round(this.totalRows / ((now - started) / 1000)),
      });
    }
  }
}

/** What the commit needs of every range's batches: null counts summed, the cursor's maximum. */
export function batchTotals(
  ranges: readonly CopyBatches[],
  cursor: ExtractColumn | null,
): { nullCounts: Record<string, number>; maxCursor: string | null } {
  const nullCounts: Record<string, number> = {};
  let max: bigint | null = null;
  for (const batches of ranges) {
    for (const [name, n] of batches.nullCounts) nullCounts[name] = (nullCounts[name] ?? 0) + n;
    const m = batches.maxCursorRaw;
    if (m !== null && (max === null || m > max)) max = m;
  }
  return {
    nullCounts,
    maxCursor: cursor === null || max === null ? null : renderCursor(cursor, max),
  };
}

/** One Parquet part file written. */
export interface PartFile {
  key: string;
  rows: number;
  bytes: number;
}

/** Where and how part files are written. */
export interface PartOptions {
  storage: Storage;
  /** The run's own prefix (ends with `/`). */
  prefix: string;
  write: ParquetWriteOptions;
  /** Rows per part file at most. */
  maxFileRows: number;
  /** Decoded bytes per part file before the next one starts. */
  maxFileBytes: number;
  encodeInWorker: "auto" | "always" | "never";
  /** The next part file's number: shared by the ranges of a parallel extract (one run folder). */
  nextFileIndex: () => number;
  logger: Logger;
}

/**
 * The part files of one run. Keeps the Parquet worker (when one is used) across files, and knows
 * whether anything was written, so a failed run removes exactly its own files.
 */
export class RunParts {
  private encoder: WorkerParquetEncoder | null = null;
  private wrote = false;

  constructor(private readonly options: PartOptions) {}

  /**
   * Writes every batch as part files: one file per loop; the first batch of each file is read
   * before the file is opened, so an extract that ends exactly on a file boundary does not leave
   * an empty last file (an empty result, or an empty range, still gets one file).
   */
  async write(batches: CopyBatches): Promise<PartFile[]> {
    const files: PartFile[] = [];
    let pending = await batches.fill(this.options.maxFileRows);
    while (files.length === 0 || pending > 0) {
      files.push(await this.writeFile(batches, this.options.nextFileIndex(), pending));
      pending = batches.done ? 0 : await batches.fill(this.options.maxFileRows);
    }
    if (!batches.done) {
      throw new Error("internal: the COPY stream was not read to its end");
    }
    return files;
  }

  /** Whether a file was started (a failed run then has files to remove). */
  get wroteAny(): boolean {
    return this.wrote;
  }

  /** Removes the run's files after a failure (its folder holds only this attempt's files). */
  async discard(): Promise<void> {
    if (!this.wrote) {
      return;
    }
    const { storage, prefix, logger } = this.options;
    await storage.deletePrefix(prefix).catch((cleanupError: unknown) => {
      logger.error("could not remove files of the failed run", {
        prefix,
        error: (cleanupError as Error).message,
      });
    });
  }

  /** Stops the Parquet worker, if one was started. */
  async close(): Promise<void> {
    if (this.encoder !== null) {
      await this.encoder.close();
    }
  }

  /** One part file: `first` rows are already filled; more are read until a file limit is hit. */
  private async writeFile(batches: CopyBatches, index: number, first: number): Promise<PartFile> {
    const { storage, prefix, maxFileRows, maxFileBytes, logger } = this.options;
    let fileRows = 0;
    let fileBytes = 0;
    async function* fileBatches(): AsyncGenerator<RecordBatch> {
      let rows = first;
      for (;;) {
        fileRows += rows;
        fileBytes += batches.byteSize;
        yield batches.take(rows);
        if (batches.done || fileRows >= maxFileRows || fileBytes >= maxFileBytes) {
          return;
        }
        rows = await batches.fill(maxFileRows - fileRows);
        if (rows === 0) {
          return;
        }
      }
    }
    const key = `${prefix}${partFileName(index)}`;
    this.wrote = true;
    const bytes = await storage.put(
      key,
      await this.encode(fileBatches(), !batches.done),
      "application/vnd.apache.parquet",
    );
    logger.debug("file written", { key, rows: fileRows, bytes });
    return { key, rows: fileRows, bytes };
  }

  /**
   * Parquet bytes of `source`: on this thread, or on a worker ("always"; "auto" once the result
   * is larger than one batch, so decoding and encoding overlap).
   */
  private async encode(source: AsyncGenerator<RecordBatch>, moreThanOneBatch: boolean) {
    const mode = this.options.encodeInWorker;
    if (this.encoder === null && (mode === "always" || (mode === "auto" && moreThanOneBatch))) {
      this.encoder = new WorkerParquetEncoder();
    }
    return this.encoder === null
      ? parquetStream(source, this.options.write)
      : this.encoder.stream(source, this.options.write);
  }
}

/** Maximum non-null cursor value in a finished batch column, as a comparable bigint. */
export function maxOf(
  column: Pick<ExtractColumn, "source">,
  data: ReturnType<ColumnBuilder["finish"]>,
): bigint | null {
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

/** A cursor value as the watermark stores it: dates and timestamps as text, integers as digits. */
export function renderCursor(column: Pick<ExtractColumn, "logical">, value: bigint): string {
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
