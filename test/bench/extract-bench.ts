/**
 * Extract throughput and memory on a lot_history-shaped table (the seed's main sample table).
 *
 *   tsx --conditions=source test/bench/extract-bench.ts --rows 1000000 [--compression zstd]
 *   /usr/bin/time -v tsx ... (peak RSS: "Maximum resident set size")
 *
 * Creates (once per row count) `lot_history_<rows>` in the database `extract_bench` of the stack's
 * PostgreSQL, measures the floor (psql's binary COPY to /dev/null), then extracts it to local storage
 * under a temporary folder and prints one JSON line: rows, seconds, rows/s, ratio to the floor,
 * Parquet bytes, files, peak RSS seen by the process.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { PipelinePlan } from "@etl/runtime";
import { extractPartition, LocalStorage, Logger } from "@etl/runtime";
import pg from "pg";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    compression: { type: "string", default: "zstd" },
    "row-group": { type: "string", default: "131072" },
    "max-file-rows": { type: "string", default: "5000000" },
    "skip-floor": { type: "boolean", default: false },
  },
});
const rows = Number(values.rows);
const compression = values.compression as "zstd" | "snappy" | "none";
const port = Number(process.env.ETL_TEST_PG_PORT ?? "55432");
const conn = { host: "127.0.0.1", port, user: "etl", password: "etl" };
const database = "extract_bench";
const table = `lot_history_${rows}`;

async function prepare(): Promise<void> {
  const admin = new pg.Client({ ...conn, database: "postgres" });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const c = new pg.Client({ ...conn, database });
  await c.connect();
  const t = await c.query("SELECT 1 FROM pg_class WHERE relname = $1", [table]);
  if (t.rowCount === 0) {
    process.stderr.write(`creating ${table} ...\n`);
    await c.query(`CREATE TABLE ${table} (
      lot_id varchar(50) PRIMARY KEY, product_code varchar(50) NOT NULL, process_step varchar(100) NOT NULL,
      equipment_id varchar(50), start_time timestamp, end_time timestamp, quantity integer NOT NULL DEFAULT 0,
      status varchar(20) NOT NULL DEFAULT 'IN_PROGRESS', created_at timestamp NOT NULL DEFAULT now())`);
    await c.query(
      `INSERT INTO ${table} SELECT 'LOT-' || lpad(i::text, 10, '0'), 'PRD-' || (i % 500), 'STEP-' || (i % 37) || '-ETCH',
         CASE WHEN i % 10 = 0 THEN NULL ELSE 'EQ-' || (i % 120) END,
         timestamp '2024-01-01' + (i || ' seconds')::interval, timestamp '2024-01-01' + ((i + 3600) || ' seconds')::interval,
         (i * 7) % 1000, (ARRAY['IN_PROGRESS','DONE','HOLD'])[1 + i % 3], timestamp '2024-01-01' + (i || ' seconds')::interval
       FROM generate_series(1, $1::int) AS i`,
      [rows],
    );
    await c.query(`VACUUM ANALYZE ${table}`);
  }
  await c.end();
}

function floorSeconds(): number {
  const start = performance.now();
  execFileSync(
    "bash",
    [
      "-c",
      `psql -h 127.0.0.1 -p ${port} -U etl -d ${database} -c "COPY (SELECT * FROM ${table}) TO STDOUT (FORMAT binary)" > /dev/null`,
    ],
    { env: { ...process.env, PGPASSWORD: "etl" } },
  );
  return (performance.now() - start) / 1000;
}

await prepare();
const floor = values["skip-floor"] ? null : floorSeconds();
const dir = mkdtempSync(path.join(tmpdir(), "extract-bench-"));
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);
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
      compression,
      rowGroupRows: Number(values["row-group"]),
      maxFileRows: Number(values["max-file-rows"]),
    },
  };
  const cpuBefore = process.cpuUsage();
  const result = await extractPartition({
    source: { ...conn, database, schema: "public" },
    pipeline: plan,
    partition: null,
    timeZone: "UTC",
    storage: new LocalStorage(dir, "bench"),
    tenantId: "bench",
    runId: "bench",
    logger: new Logger({}, undefined, "warn"),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = result.elapsedMs / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  process.stdout.write(
    `${JSON.stringify({
      bench: "extract",
      table,
      rows: result.rowCount,
      compression,
      seconds: Math.round(seconds * 100) / 100,
      rowsPerSecond: Math.round(result.rowCount / seconds),
      floorSeconds: floor === null ? null : Math.round(floor * 100) / 100,
      floorRowsPerSecond: floor === null ? null : Math.round(result.rowCount / floor),
      ratioToFloor: floor === null ? null : Math.round((seconds / floor) * 100) / 100,
      // CPU seconds of this process: meaningful even when other work shares the machine.
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      parquetBytes: result.bytes,
      files: result.files.length,
      peakRssMiB: Math.round(peakRss / 1024 / 1024),
    })}\n`,
  );
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
