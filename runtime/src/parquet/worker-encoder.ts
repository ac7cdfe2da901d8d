/**
 * Parquet encoding on a worker thread, so that decoding the COPY stream (main thread) and encoding
 * plus compressing Parquet (worker, parquet-wasm) run on two cores at once.
 *
 * The main thread serialises each Arrow batch to one IPC buffer and transfers it (no copy) to the
 * worker; the worker feeds parquet-wasm's streaming writer with it and transfers the encoded bytes
 * back, which come out of `stream()` as a Node Readable. Flow control keeps memory flat: at most
 * MAX_IN_FLIGHT batches wait for the worker, and no batch is sent while the output stream is above
 * its high-water mark (a slow storage upload throttles the whole pipeline, COPY included).
 *
 * The worker's source is an inline CommonJS script: it must load under tsx, vitest and the compiled
 * package alike, and needs nothing but parquet-wasm (resolved here, passed as a path). Its writer
 * properties mirror `writerProperties()` in writer.ts; worker-encoder.test.ts checks that both
 * paths produce byte-identical files.
 */
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import { type RecordBatch, Table, tableToIPC } from "apache-arrow";
import { z } from "zod";
import type { ParquetWriteOptions } from "./writer.js";

/** Batches sent to the worker and not yet taken by its Parquet writer. */
export const MAX_IN_FLIGHT = 2;
/** Encoded bytes buffered for the storage upload before batches stop being sent. */
const OUTPUT_HIGH_WATER_MARK = 8 * 1024 * 1024;

const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const pw = require(workerData.parquetWasm);

function properties(o) {
  const codec = o.compression === "zstd" ? pw.Compression.ZSTD
    : o.compression === "snappy" ? pw.Compression.SNAPPY : pw.Compression.UNCOMPRESSED;
  let b = new pw.WriterPropertiesBuilder()
    .setCompression(codec)
    .setMaxRowGroupSize(o.rowGroupRows)
    .setCreatedBy("@etl/runtime (parquet-wasm)")
    .setStatisticsEnabled(pw.EnabledStatistics.Chunk);
  b = b.setDictionaryEnabled(o.dictionary === undefined ? false : o.dictionary);
  for (const [column, on] of Object.entries(o.dictionaryColumns || {})) {
    b = b.setColumnDictionaryEnabled(column, on);
  }
  if (o.metadata !== undefined) b = b.setKeyValueMetadata(new Map(Object.entries(o.metadata)));
  return b.build();
}

function fail(error) {
  parentPort.postMessage({
    type: "error",
    message: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack || "" : "",
  });
}

let file = null;

async function encode(state, options) {
  const source = new ReadableStream({
    async pull(controller) {
      while (state.queue.length === 0 && !state.ended) {
        await new Promise((resolve) => { state.wake = resolve; });
      }
      const ipc = state.queue.shift();
      if (ipc === undefined) {
        controller.close();
        return;
      }
      const table = pw.Table.fromIPCStream(ipc);
      const batch = table.recordBatch(0);
      table.free();
      parentPort.postMessage({ type: "taken" });
      if (batch === undefined) throw new Error("internal: an Arrow batch produced an empty IPC stream");
      controller.enqueue(batch);
    },
  }, { highWaterMark: 0 });
  const out = await pw.transformParquetStream(source, properties(options));
  const reader = out.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    let bytes = r.value;
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength || !(bytes.buffer instanceof ArrayBuffer)) {
      bytes = bytes.slice();
    }
    parentPort.postMessage({ type: "bytes", bytes }, [bytes.buffer]);
  }
  parentPort.postMessage({ type: "done" });
}

parentPort.on("message", (m) => {
  if (m.type === "start") {
    const state = { queue: [], ended: false, wake: null };
    file = state;
    encode(state, m.options).catch(fail);
  } else if (file !== null && m.type === "batch") {
    file.queue.push(m.ipc);
    if (file.wake !== null) { const w = file.wake; file.wake = null; w(); }
  } else if (file !== null && m.type === "end") {
    file.ended = true;
    if (file.wake !== null) { const w = file.wake; file.wake = null; w(); }
  }
});
`;

const WorkerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("taken") }),
  z.object({ type: z.literal("bytes"), bytes: z.instanceof(Uint8Array) }),
  z.object({ type: z.literal("done") }),
  z.object({ type: z.literal("error"), message: z.string(), stack: z.string() }),
]);
type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Serialises one batch to an Arrow IPC stream whose ArrayBuffer can be transferred. */
function ipcOf(batch: RecordBatch): Uint8Array {
  const ipc = tableToIPC(new Table([batch]), "stream");
  return ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength ? ipc : ipc.slice();
}

/** One worker thread that encodes Parquet files one after another. Call `close()` when done. */
export class WorkerParquetEncoder {
  private readonly worker: Worker;
  private failure: Error | null = null;
  private current: {
    output: Readable;
    inFlight: number;
    wake: (() => void) | null;
  } | null = null;

  constructor() {
    const parquetWasm = createRequire(import.meta.url).resolve("parquet-wasm");
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { parquetWasm } });
    this.worker.on("message", (raw: unknown) => {
      const m = WorkerMessageSchema.safeParse(raw);
      if (m.success) {
        this.onMessage(m.data);
      } else {
        this.fail(
          new Error(`internal: unexpected message from the Parquet worker: ${m.error.message}`),
        );
      }
    });
    this.worker.on("error", (error: Error) =>
      this.fail(new Error(`Parquet encoder worker failed: ${error.message}`, { cause: error })),
    );
    this.worker.on("exit", (code: number) => {
      if (this.current !== null) {
        this.fail(new Error(`Parquet encoder worker exited (code ${code}) while writing a file`));
      }
    });
  }

  private onMessage(m: WorkerMessage): void {
    const file = this.current;
    if (m.type === "error") {
      const error = new Error(`Parquet encoding failed in the worker: ${m.message}`);
      error.stack = `${error.stack ?? ""}\nworker stack: ${m.stack}`;
      this.fail(error);
      return;
    }
    if (file === null) {
      this.fail(new Error(`internal: Parquet worker sent "${m.type}" with no file open`));
      return;
    }
    if (m.type === "taken") {
      file.inFlight--;
      this.wake();
    } else if (m.type === "bytes") {
      file.output.push(m.bytes);
    } else {
      this.current = null;
      file.output.push(null);
    }
  }

  private wake(): void {
    const w = this.current?.wake ?? null;
    if (w !== null && this.current !== null) {
      this.current.wake = null;
      w();
    }
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    const file = this.current;
    this.current = null;
    if (file !== null) {
      file.output.destroy(error);
      const w = file.wake;
      file.wake = null;
      w?.();
    }
  }

  /**
   * Encodes the batches of `batches` as one Parquet file and returns its bytes as a Node stream,
   * like `parquetStream()`. One file at a time: the returned stream must end before the next call.
   */
  stream(batches: AsyncIterable<RecordBatch>, options: ParquetWriteOptions): Readable {
    if (this.failure !== null) {
      throw this.failure;
    }
    if (this.current !== null) {
      throw new Error("internal: a Parquet file is still being encoded by this worker");
    }
    const output = new Readable({
      highWaterMark: OUTPUT_HIGH_WATER_MARK,
      read: () => this.wake(),
    });
    const file: { output: Readable; inFlight: number; wake: (() => void) | null } = {
      output,
      inFlight: 0,
      wake: null,
    };
    this.current = file;
    output.on("close", () => {
      // Destroyed by its consumer (a failed upload) before the worker finished the file.
      if (this.current === file) {
        this.fail(new Error("the Parquet output stream was closed before the file was complete"));
      }
    });
    this.worker.postMessage({
      type: "start",
      options: {
        compression: options.compression,
        rowGroupRows: options.rowGroupRows,
        metadata: options.metadata,
        dictionary: options.dictionary,
        dictionaryColumns: options.dictionaryColumns,
      },
    });
    const mayProceed = () =>
      this.current !== file ||
      (file.inFlight < MAX_IN_FLIGHT && output.readableLength < OUTPUT_HIGH_WATER_MARK);
    const pump = async () => {
      for await (const batch of batches) {
        while (!mayProceed()) {
          await new Promise<void>((resolve) => {
            file.wake = resolve;
          });
        }
        if (this.current !== file) {
          return; // failed or destroyed: the output stream already carries the error
        }
        const ipc = ipcOf(batch);
        file.inFlight++;
        this.worker.postMessage({ type: "batch", ipc }, [ipc.buffer as ArrayBuffer]);
      }
      if (this.current === file) {
        this.worker.postMessage({ type: "end" });
      }
    };
    pump().catch((error: unknown) => {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    });
    return output;
  }

  /** Stops the worker thread (also after a failure). */
  async close(): Promise<void> {
    this.current = null;
    await this.worker.terminate();
  }
}
