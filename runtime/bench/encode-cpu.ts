/**
 * CPU cost of each stage after PostgreSQL, without PostgreSQL: replays a binary COPY dump
 * (`psql -c "COPY (SELECT * FROM t) TO STDOUT (FORMAT binary)" > file`) in 64 KiB chunks, like
 * pg-copy-streams delivers them. Lets writer settings be compared on a shared, noisy machine.
 *
 *   tsx --conditions=source runtime/bench/encode-cpu.ts --file /tmp/lot1m.copy --database extract_bench \
 *     --table lot_history_1000000 --variants parse,ipc,zstd,zstd-nodict
 */
import { readFileSync } from "node:fs";
import { type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { makeData, RecordBatch, Schema, Struct, Table, tableToIPC } from "apache-arrow";
import pg from "pg";
import { arrowField, planColumns } from "../src/extract/columns.js";
import { type ColumnBuilder, createBuilder } from "../src/parquet/columns.js";
import { WorkerParquetEncoder } from "../src/parquet/worker-encoder.js";
import { type ParquetWriteOptions, parquetStream } from "../src/parquet/writer.js";
import { CopyBinaryReader } from "../src/pg/copy-binary.js";
import { introspectRelation } from "../src/pg/introspect.js";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: "/tmp/lot1m.copy" },
    database: { type: "string", default: "extract_bench" },
    table: { type: "string", default: "lot_history_1000000" },
    variants: { type: "string", default: "parse,ipc,none,snappy,zstd" },
    repeat: { type: "string", default: "1" },
    chunk: { type: "string", default: "65536" },
  },
});
const client = new pg.Client({
  host: "127.0.0.1",
  port: 55432,
  user: "etl",
  password: "etl",
  database: values.database,
});
await client.connect();
const live = await introspectRelation(client, "public", values.table);
await client.end();
const planned = planColumns(values.table, live);
if (!planned.ok) throw new Error(planned.errors.join("; "));
const columns = planned.columns;
const dump = readFileSync(values.file);
const chunkSize = Number(values.chunk);

async function* chunks(): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < dump.length; o += chunkSize) {
    // A fresh Buffer per chunk, as the socket delivers them.
    yield Buffer.from(dump.subarray(o, Math.min(o + chunkSize, dump.length)));
  }
}

function setup(): { builders: ColumnBuilder[]; schema: Schema } {
  const builders = columns.map((c) => createBuilder(c.wire, c.context));
  const schema = new Schema(
    columns.map((c, i) => arrowField(c, (builders[i] as ColumnBuilder).type)),
  );
  return { builders, schema };
}

async function* batches(): AsyncGenerator<RecordBatch> {
  const { builders, schema } = setup();
  const reader = new CopyBinaryReader(chunks(), builders);
  while (!reader.done) {
    for (const b of builders) b.reset();
    const n = await reader.fill(65_536, 32 * 1024 * 1024);
    if (n === 0) continue;
    yield new RecordBatch(
      schema,
      makeData({
        type: new Struct(schema.fields),
        length: n,
        nullCount: 0,
        children: builders.map((b) => b.finish()),
      }),
    );
  }
}

async function encode(options: ParquetWriteOptions): Promise<number> {
  return drain(await parquetStream(batches(), options));
}

async function drain(out: Readable): Promise<number> {
  let bytes = 0;
  let chunks = 0;
  await pipeline(
    out,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        chunks++;
        cb();
      },
    }),
  );
  process.stderr.write(`${chunks} output chunks\n`);
  return bytes;
}

const base: ParquetWriteOptions = { compression: "zstd", rowGroupRows: 131_072 };
const variants: Record<string, () => Promise<number>> = {
  async read() {
    let n = 0;
    for await (const c of chunks()) n += c.length;
    return n;
  },
  async parse() {
    let rows = 0;
    const { builders } = setup();
    const reader = new CopyBinaryReader(chunks(), builders);
    while (!reader.done) {
      for (const b of builders) b.reset();
      rows += await reader.fill(65_536, 32 * 1024 * 1024);
    }
    return rows;
  },
  async batches() {
    let rows = 0;
    for await (const b of batches()) rows += b.numRows;
    return rows;
  },
  async ipc() {
    let bytes = 0;
    for await (const b of batches()) bytes += tableToIPC(new Table([b]), "stream").length;
    return bytes;
  },
  none: () => encode({ ...base, compression: "none" }),
  snappy: () => encode({ ...base, compression: "snappy" }),
  zstd: () => encode(base),
  async worker() {
    const encoder = new WorkerParquetEncoder();
    try {
      return await drain(encoder.stream(batches(), base));
    } finally {
      await encoder.close();
    }
  },
};
const extra = (process.env.VARIANT_OPTIONS ?? "").trim();
if (extra !== "") {
  variants.custom = () =>
    encode({ ...base, ...(JSON.parse(extra) as Partial<ParquetWriteOptions>) });
}

for (let r = 0; r < Number(values.repeat); r++) {
  for (const name of values.variants.split(",")) {
    const run = variants[name];
    if (run === undefined) throw new Error(`unknown variant ${name}`);
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const out = await run();
    const elu = performance.eventLoopUtilization(elu0);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    process.stdout.write(
      `${name.padEnd(14)} wall ${wall.toFixed(2)} s  cpu ${((c.user + c.system) / 1e6).toFixed(2)} s  main busy ${(elu.active / 1000).toFixed(2)} s  out ${out}\n`,
    );
  }
}
