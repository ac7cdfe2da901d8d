/**
 * runTransfer: runs a tenant transform on a partition's committed extract data and commits its
 * output as Parquet under stage `transfer`, with the same manifest commit as extract.
 */
import { createHash } from "node:crypto";
import { tableFromIPC } from "apache-arrow";
import { readParquet } from "parquet-wasm";
import { z } from "zod";
import { type Logger, rootLogger } from "../logger.js";
import { parquetStream } from "../parquet/writer.js";
import type { PipelinePlan } from "../plan.js";
import {
  commitPartition,
  type Manifest,
  type ManifestFile,
  partFileName,
  readManifest,
  runPrefix,
} from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import { OutputBatcher, OutputRowError, tableRows } from "./rows.js";
import type {
  Row,
  TransformContext,
  TransformFn,
  TransformInput,
  TransformOutput,
} from "./types.js";

export const TransferResultSchema = z.strictObject({
  pipeline: z.string(),
  partition: z.string().nullable(),
  runId: z.string(),
  rowsIn: z.record(z.string(), z.number().int().nonnegative()),
  rows: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** Absolute location of the committed run's folder (what load stages from). */
  location: z.string(),
  elapsedMs: z.number().nonnegative(),
});
export type TransferResult = z.infer<typeof TransferResultSchema>;

export interface RunTransferOptions {
  /** Where the output goes, and the inputs are read unless `inputStorage` says otherwise. */
  storage: Storage;
  /** Where the extract of an input pipeline is (pipelines may keep their files apart). */
  inputStorage?: (pipeline: string) => Storage;
  tenantId: string;
  pipeline: PipelinePlan;
  transform: TransformFn;
  /** YYYY-MM-DD, or null for an unpartitioned pipeline. */
  partition: string | null;
  /** Id of this attempt (a storage key segment: letters, digits, _ . -). */
  runId: string;
  logger?: Logger;
  /** Receives the output rows written so far (the executor's progress line). */
  onProgress?: (totals: { rows: number }) => void;
}

/** A transfer that cannot run: missing input, failing transform, refused output. */
export class TransferError extends Error {
  override readonly name = "TransferError";
  readonly transient = false;
}

async function readFileRows(storage: Storage, file: ManifestFile): Promise<Row[]> {
  const bytes = await storage.get(file.key);
  if (bytes === null) {
    throw new TransferError(`committed file ${storage.uri(file.key)} is missing`);
  }
  const wasm = readParquet(bytes);
  const table = tableFromIPC(wasm.intoIPCStream());
  return [...tableRows(table)];
}

function inputOf(
  storage: Storage,
  manifest: Manifest,
  counter: { rows: number },
): TransformInput<Row> {
  async function* rows(): AsyncGenerator<Row> {
    // One file at a time: memory is bounded by the extract's file size (maxFileRows).
    for (const file of manifest.files) {
      for (const row of await readFileRows(storage, file)) {
        counter.rows++;
        yield row;
      }
    }
  }
  return {
    rows,
    all: async () => {
      const out: Row[] = [];
      for await (const r of rows()) out.push(r);
      return out;
    },
  };
}

async function* outputRows(out: TransformOutput<object>): AsyncGenerator<unknown> {
  const resolved = await out;
  if (Symbol.asyncIterator in resolved) {
    yield* resolved as AsyncIterable<object>;
  } else {
    yield* resolved as Iterable<object>;
  }
}

/** Hash of the declared output columns, recorded in the manifest like extract's schema hash. */
function outputHash(pipeline: PipelinePlan): string {
  return createHash("sha256")
    .update(JSON.stringify(pipeline.transfer?.output ?? []))
    .digest("hex");
}

/** Runs one partition's transfer; see the module doc. */
export async function runTransfer(opts: RunTransferOptions): Promise<TransferResult> {
  const started = performance.now();
  const p = opts.pipeline;
  const spec = p.transfer;
  if (spec === null) {
    throw new TransferError(`pipeline ${p.name} has no transfer (has_transfer is false)`);
  }
  const logger = (opts.logger ?? rootLogger).child({ pipeline: p.name, stage: "transfer" });
  const storage = opts.storage;

  const counters: Record<string, { rows: number }> = {};
  const inputs: Record<string, TransformInput<Row>> = {};
  const missing: string[] = [];
  for (const name of spec.inputs) {
    const from = opts.inputStorage?.(name) ?? storage;
    const manifest = await readManifest(from, "extract", name, opts.partition);
    if (manifest === null) {
      missing.push(name);
      continue;
    }
    const counter = { rows: 0 };
    counters[name] = counter;
    inputs[name] = inputOf(from, manifest, counter);
  }
  if (missing.length > 0) {
    throw new TransferError(
      `transfer of pipeline ${p.name} (${opts.tenantId}) partition ${opts.partition ?? "snapshot"}: no committed extract for input(s) ${missing.join(", ")}; run their extract first`,
    );
  }

  const context: TransformContext = {
    tenantId: opts.tenantId,
    pipeline: p.name,
    partitionDate: opts.partition,
    logger: logger.child({ transform: spec.exportName }),
  };
  // TransformFn takes `never` so every typed transform fits the registry; the inputs built here
  // follow the plan's declared inputs, which the generator checked against the transform's type.
  const call = opts.transform as unknown as (
    inputs: Record<string, TransformInput<Row>>,
    context: TransformContext,
  ) => TransformOutput<object>;

  const batcher = new OutputBatcher(p.name, spec.output);
  let produced: TransformOutput<object>;
  try {
    produced = call(inputs, context);
  } catch (err) {
    throw new TransferError(
      `transform of pipeline ${p.name} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const source = outputRows(produced)[Symbol.asyncIterator]();
  const prefix = runPrefix("transfer", p.name, opts.partition, opts.runId);
  const files: ManifestFile[] = [];
  const rowGroup = p.extract.rowGroupRows;
  const maxFileRows = p.extract.maxFileRows;
  let next = await pull(source, p.name);
  // Always write at least one file: an empty partition commits an empty, well-typed file.
  do {
    let inFile = 0;
    const batches = async function* () {
      while (!next.done && inFile < maxFileRows) {
        batcher.push(next.value);
        inFile++;
        next = await pull(source, p.name);
        if (batcher.pending >= rowGroup) {
          opts.onProgress?.({ rows: batcher.rows });
          yield batcher.flush();
        }
      }
      yield batcher.flush();
    };
    const key = `${prefix}${partFileName(files.length)}`;
    const stream = await parquetStream(batches(), {
      compression: p.extract.compression,
      rowGroupRows: rowGroup,
    });
    const bytes = await storage.put(key, stream, "application/vnd.apache.parquet");
    files.push({ key, rows: inFile, bytes });
  } while (!next.done);

  const rowsIn = Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, v.rows]));
  const manifest = await commitPartition(
    storage,
    {
      tenant: opts.tenantId,
      stage: "transfer",
      pipeline: p.name,
      partition: opts.partition,
      runId: opts.runId,
      prefix,
      files,
      rowCount: batcher.rows,
      bytes: files.reduce((a, f) => a + f.bytes, 0),
      schemaHash: outputHash(p),
      metadata: { rowsIn, transform: `${spec.module}#${spec.exportName}` },
    },
    logger,
  );
  return {
    pipeline: p.name,
    partition: opts.partition,
    runId: opts.runId,
    rowsIn,
    rows: manifest.rowCount,
    files: files.length,
    bytes: manifest.bytes,
    location: manifest.location,
    elapsedMs: performance.now() - started,
  };
}

async function pull(
  source: AsyncIterator<unknown>,
  pipeline: string,
): Promise<IteratorResult<unknown>> {
  try {
    return await source.next();
  } catch (err) {
    if (err instanceof OutputRowError || err instanceof TransferError) throw err;
    throw new TransferError(
      `transform of pipeline ${pipeline} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
