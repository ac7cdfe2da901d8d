import type { Readable } from "node:stream";
import {
  Bool,
  Decimal,
  Field,
  Int32,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Timestamp,
  TimeUnit,
  Utf8,
} from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { WorkerParquetEncoder } from "./worker-encoder.js";
import { type ParquetWriteOptions, parquetStream } from "./writer.js";

/** Deterministic batches covering fixed-width, string, decimal, timestamp, bool, list and nulls. */
function* batches(count: number, rows: number): Generator<RecordBatch> {
  const schema = new Schema([
    new Field("id", new Int32(), true),
    new Field("name", new Utf8(), true),
    new Field("amount", new Decimal(4, 18, 128), true),
    new Field("at", new Timestamp(TimeUnit.MICROSECOND, "UTC"), true),
    new Field("ok", new Bool(), true),
    new Field("tags", new List(new Field("element", new Int32(), true)), true),
  ]);
  for (let b = 0; b < count; b++) {
    const ids = new Int32Array(rows);
    const words = new Uint32Array(rows * 4);
    const micros = new BigInt64Array(rows);
    const bits = new Uint8Array((rows + 7) >> 3);
    const validity = new Uint8Array((rows + 7) >> 3);
    const offsets = new Int32Array(rows + 1);
    const listOffsets = new Int32Array(rows + 1);
    const tagValues: number[] = [];
    const text: number[] = [];
    let nulls = 0;
    for (let i = 0; i < rows; i++) {
      const n = b * rows + i;
      ids[i] = n * 7919;
      words[4 * i] = (n * 104729) >>> 0;
      words[4 * i + 1] = n % 3 === 0 ? 0xffffffff : 0;
      words[4 * i + 2] = n % 3 === 0 ? 0xffffffff : 0;
      words[4 * i + 3] = n % 3 === 0 ? 0xffffffff : 0;
      micros[i] = 1_700_000_000_000_000n + BigInt(n) * 1_000_003n;
      if (n % 2 === 0) bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
      if (n % 11 !== 0) validity[i >> 3] = (validity[i >> 3] ?? 0) | (1 << (i & 7));
      else nulls++;
      for (const c of Buffer.from(`name-${n % 97}-é`)) text.push(c);
      offsets[i + 1] = text.length;
      for (let k = 0; k < n % 4; k++) tagValues.push(n + k);
      listOffsets[i + 1] = tagValues.length;
    }
    const common = { length: rows, nullCount: nulls, nullBitmap: validity };
    const children = [
      makeData({ type: new Int32(), data: ids, ...common }),
      makeData({ type: new Utf8(), valueOffsets: offsets, data: Uint8Array.from(text), ...common }),
      makeData({ type: new Decimal(4, 18, 128), data: words, ...common }),
      makeData({ type: new Timestamp(TimeUnit.MICROSECOND, "UTC"), data: micros, ...common }),
      makeData({ type: new Bool(), data: bits, ...common }),
      makeData({
        type: new List(new Field("element", new Int32(), true)),
        valueOffsets: listOffsets,
        child: makeData({
          type: new Int32(),
          length: tagValues.length,
          data: Int32Array.from(tagValues),
        }),
        ...common,
      }),
    ];
    yield new RecordBatch(
      schema,
      makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }),
    );
  }
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

let encoder: WorkerParquetEncoder | null = null;
afterEach(async () => {
  await encoder?.close();
  encoder = null;
});

describe("WorkerParquetEncoder", () => {
  it("writes byte-identical files to the in-thread writer, file after file", async () => {
    encoder = new WorkerParquetEncoder();
    const variants: ParquetWriteOptions[] = [
      { compression: "zstd", rowGroupRows: 3000, metadata: { "etl.test": "1" } },
      { compression: "snappy", rowGroupRows: 1000, dictionary: true },
      { compression: "none", rowGroupRows: 5000, dictionaryColumns: { name: true } },
    ];
    for (const options of variants) {
      const local = await bytesOf(await parquetStream(asAsync(batches(5, 1200)), options));
      const viaWorker = await bytesOf(encoder.stream(asAsync(batches(5, 1200)), options));
      expect(viaWorker.length).toBeGreaterThan(1000);
      expect(viaWorker.equals(local)).toBe(true);
    }
  });

  it("fails the output stream with the producer's error and refuses further files", async () => {
    encoder = new WorkerParquetEncoder();
    async function* failing(): AsyncGenerator<RecordBatch> {
      yield* batches(1, 100);
      throw new Error("source broke at batch 2");
    }
    const out = encoder.stream(failing(), { compression: "zstd", rowGroupRows: 1000 });
    await expect(bytesOf(out)).rejects.toThrow("source broke at batch 2");
    expect(() =>
      encoder?.stream(asAsync(batches(1, 10)), { compression: "zstd", rowGroupRows: 10 }),
    ).toThrow("source broke at batch 2");
  });

  it("reports a worker-side encoding failure on the output stream", async () => {
    encoder = new WorkerParquetEncoder();
    // A row group size of 0 is rejected by the Parquet writer inside the worker.
    const out = encoder.stream(asAsync(batches(1, 10)), { compression: "zstd", rowGroupRows: 0 });
    await expect(bytesOf(out)).rejects.toThrow(/Parquet encoding failed in the worker/);
  });
});
