/**
 * Where the extract's time goes, phase by phase, on the benchmark table (test/bench/extract-bench.ts
 * creates it). Each phase adds one stage to the previous one, all in this one process and run, so
 * the differences are comparable on a noisy machine. Not a test; outputs are not committed.
 *
 *   tsx --conditions=source runtime/bench/extract-phases.ts --table lot_history_1000000 \
 *     [--phases floor,copy,parse,ipc,wasm,none,snappy,zstd,extract]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { makeData, RecordBatch, Schema, Struct, Table, tableToIPC } from "apache-arrow";
import { Table as WasmTable } from "parquet-wasm";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { arrowField, planColumns } from "../src/extract/columns.js";
import { extractPartition } from "../src/extract/extract.js";
import { buildSelect } from "../src/extract/query.js";
import { Logger } from "../src/logger.js";
import { type ColumnBuilder, createBuilder } from "../src/parquet/columns.js";
import { type ParquetCompression, parquetStream } from "../src/parquet/writer.js";
import { CopyBinaryReader } from "../src/pg/copy-binary.js";
import { CopyOutQuery } from "../src/pg/copy-out.js";
import { introspectRelation } from "../src/pg/introspect.js";
import type { PipelinePlan } from "../src/plan.js";
import { LocalStorage } from "../src/storage/local.js";

const { values } = parseArgs({
  options: {
    database: { type: "string", default: "extract_bench" },
    table: { type: "string", default: "lot_history_1000000" },
    phases: { type: "string", default: "floor,copy,parse,ipc,wasm,none,snappy,zstd,extract,floor" },
    "row-group": { type: "string", default: "131072" },
    compression: { type: "string", default: "zstd" },
  },
});
const conn = {
  host: "127.0.0.1",
  port: Number(process.env.PGPORT ?? "55432"),
  user: "etl",
  password: "etl",
  database: values.database,
};
const table = values.table;

async function withCopy<T>(
  run: (source: AsyncIterator<Uint8Array>, setup: Setup) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(conn);
  await client.connect();
  try {
    const live = await introspectRelation(client, "public", table);
    const planned = planColumns(table, live);
    if (!planned.ok) throw new Error(planned.errors.join("; "));
    const columns = planned.columns;
    const builders = columns.map((c) => createBuilder(c.wire, c.context));
    const schema = new Schema(
      columns.map((c, i) => arrowField(c, (builders[i] as ColumnBuilder).type)),
    );
    const sql = buildSelect({ schema: "public", table, query: null }, columns, []);
    const text = `COPY (${sql}) TO STDOUT (FORMAT binary)`;
    const copy =
      process.env.COPY_IMPL === "pg-copy-streams"
        ? client.query(copyTo(text, { highWaterMark: 1024 * 1024 }))
        : client.query(new CopyOutQuery(text, 1024 * 1024));
    return await run(copy[Symbol.asyncIterator](), { builders, schema });
  } finally {
    await client.end();
  }
}
interface Setup {
  builders: ColumnBuilder[];
  schema: Schema;
}

async function* batchesOf(
  source: AsyncIterator<Uint8Array>,
  s: Setup,
): AsyncGenerator<RecordBatch> {
  const reader = new CopyBinaryReader(source, s.builders);
  while (!reader.done) {
    for (const b of s.builders) b.reset();
    const n = await reader.fill(65_536, 32 * 1024 * 1024);
    if (n === 0) continue;
    const children = s.builders.map((b) => b.finish());
    yield new RecordBatch(
      s.schema,
      makeData({ type: new Struct(s.schema.fields), length: n, nullCount: 0, children }),
    );
  }
}

const phases: Record<string, () => Promise<number>> = {
  async floor() {
    execFileSync(
      "bash",
      [
        "-c",
        `psql -h ${conn.host} -p ${conn.port} -U ${conn.user} -d ${conn.database} -c "COPY (SELECT * FROM ${table}) TO STDOUT (FORMAT binary)" > /dev/null`,
      ],
      { env: { ...process.env, PGPASSWORD: conn.password } },
    );
    return 0;
  },
  copy: () =>
    withCopy(async (source) => {
      let bytes = 0;
      for (;;) {
        const r = await source.next();
        if (r.done === true) return bytes;
        bytes += r.value.length;
      }
    }),
  parse: () =>
    withCopy(async (source, s) => {
      const reader = new CopyBinaryReader(source, s.builders);
      let rows = 0;
      while (!reader.done) {
        for (const b of s.builders) b.reset();
        rows += await reader.fill(65_536, 32 * 1024 * 1024);
      }
      return rows;
    }),
  ipc: () =>
    withCopy(async (source, s) => {
      let bytes = 0;
      for await (const batch of batchesOf(source, s)) {
        bytes += tableToIPC(new Table([batch]), "stream").length;
      }
      return bytes;
    }),
  wasm: () =>
    withCopy(async (source, s) => {
      let rows = 0;
      for await (const batch of batchesOf(source, s)) {
        const t = WasmTable.fromIPCStream(tableToIPC(new Table([batch]), "stream"));
        rows += t.recordBatch(0)?.numRows ?? 0;
        t.free();
      }
      return rows;
    }),
  none: () => encode("none"),
  snappy: () => encode("snappy"),
  zstd: () => encode("zstd"),
  extract: () => extract("auto"),
  "extract-thread": () => extract("never"),
};

async function extract(encodeInWorker: "auto" | "never"): Promise<number> {
  {
    const dir = mkdtempSync(path.join(tmpdir(), "extract-phases-"));
    try {
      const plan: PipelinePlan = {
        name: "lot_history",
        sourceTable: table,
        query: null,
        dateColumn: null,
        incremental: null,
        saveToS3: true,
        hasTransfer: false,
        transfer: null,
        hasDbtTransform: false,
        dbtTransform: null,
        saveToTrino: false,
        trinoOutput: null,
        columns: null,
        schemaHash: null,
        checks: [],
        extract: {
          compression: values.compression as ParquetCompression,
          rowGroupRows: Number(values["row-group"]),
          maxFileRows: 5_000_000,
        },
      };
      const r = await extractPartition({
        source: { ...conn, schema: "public" },
        pipeline: plan,
        partition: null,
        timeZone: "UTC",
        storage: new LocalStorage(dir, "bench"),
        tenantId: "bench",
        runId: "phases",
        logger: new Logger({}, undefined, "error"),
        encodeInWorker,
      });
      return r.bytes;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function encode(compression: ParquetCompression): Promise<number> {
  return withCopy(async (source, s) => {
    const out = await parquetStream(batchesOf(source, s), {
      compression,
      rowGroupRows: Number(values["row-group"]),
    });
    let bytes = 0;
    await pipeline(
      out,
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          cb();
        },
      }),
    );
    return bytes;
  });
}

const results: { phase: string; wall: number; cpu: number; out: number }[] = [];
for (const name of values.phases.split(",")) {
  const run = phases[name];
  if (run === undefined) throw new Error(`unknown phase ${name}`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  results.push({ phase: name, wall, cpu: (c.user + c.system) / 1e6, out });
  process.stdout.write(
    `${name.padEnd(8)} wall ${wall.toFixed(2)} s  cpu ${((c.user + c.system) / 1e6).toFixed(2)} s  out ${out}\n`,
  );
}
const floors = results.filter((r) => r.phase === "floor").map((r) => r.wall);
if (floors.length > 0) {
  const floor = floors.reduce((a, b) => a + b, 0) / floors.length;
  for (const r of results) {
    if (r.phase !== "floor")
      process.stdout.write(`${r.phase.padEnd(8)} ratio ${(r.wall / floor).toFixed(2)}\n`);
  }
}
