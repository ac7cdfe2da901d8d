/**
 * One extract, measured: the unit `npm run bench` runs in a child process (so its peak RSS is the
 * extract's alone), and a standalone probe of extract throughput.
 *
 *   tsx --conditions=source test/bench/extract-bench.ts --rows 1000000 [--compression zstd]
 *   tsx --conditions=source test/bench/extract-bench.ts --database bench --table t \
 *     [--storage local|s3] [--dir D] [--base-path P] [--partition YYYY-MM-DD --date-column c]
 *     [--parallelism N]
 *
 * Without --table it creates (once per row count) `lot_history_<rows>` in the database
 * `extract_bench` and measures the floor (psql's binary COPY to /dev/null) first. With --table it
 * extracts that existing table and keeps the output (under --dir, or under --base-path in the
 * stack's bucket) for the caller to verify. Prints one JSON line (ExtractRunSchema), with the CPU
 * time of this process and of the PostgreSQL backends that served the extract (sampled from /proc
 * every 50 ms while they run: the server shares this machine).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { PipelinePlan, Storage } from "@etl/runtime";
import { extractPartition, LocalStorage, Logger, S3Storage } from "@etl/runtime";
import pg from "pg";
import { z } from "zod";
import { BackendCpu } from "./lib/backend-cpu.js";
import type { ExtractRun } from "./lib/extract-run.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    compression: { type: "string", default: "zstd" },
    "row-group": { type: "string", default: "131072" },
    "max-file-rows": { type: "string", default: "5000000" },
    "skip-floor": { type: "boolean", default: false },
    database: { type: "string" },
    schema: { type: "string", default: "public" },
    table: { type: "string" },
    storage: { type: "string", default: "local" },
    dir: { type: "string" },
    "base-path": { type: "string" },
    partition: { type: "string" },
    "date-column": { type: "string" },
    "run-id": { type: "string", default: "bench" },
    parallelism: { type: "string", default: "1" },
  },
});
const parallelism = Number(values.parallelism);
const rows = Number(values.rows);
const compression = z.enum(["zstd", "snappy", "none"]).parse(values.compression);
const storageKind = z.enum(["local", "s3"]).parse(values.storage);
const port = Number(process.env.PGPORT ?? process.env.ETL_TEST_PG_PORT ?? "55432");
const conn = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port,
  user: process.env.PGUSER ?? "etl",
  password: process.env.PGPASSWORD ?? "etl",
};
const standalone = values.table === undefined;
const tenantId = `bench_${process.pid}`;
const database = values.database ?? "extract_bench";
const table = values.table ?? `lot_history_${rows}`;

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
      `psql -h ${conn.host} -p ${port} -U ${conn.user} -d ${database} -c "COPY (SELECT * FROM ${table}) TO STDOUT (FORMAT binary)" > /dev/null`,
    ],
    { env: { ...process.env, PGPASSWORD: conn.password } },
  );
  return (performance.now() - start) / 1000;
}

function storageFor(dir: string): Storage {
  if (storageKind === "local") return new LocalStorage(dir, "bench");
  const env = process.env;
  return new S3Storage({
    bucket: env.S3_BUCKET_NAME ?? "data-lake",
    basePath: values["base-path"] ?? `bench/extract-${process.pid}`,
    endpoint: env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
    region: env.AWS_REGION ?? "us-east-1",
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
    sessionToken: null,
    forcePathStyle: true,
  });
}

if (standalone) await prepare();
const floor = !standalone || values["skip-floor"] ? null : floorSeconds();
const dir = values.dir ?? mkdtempSync(path.join(tmpdir(), "extract-bench-"));
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);
try {
  const plan: PipelinePlan = {
    name: "lot_history",
    sourceTable: table,
    query: null,
    dateColumn: values["date-column"] ?? null,
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
      ...(parallelism > 1 ? { parallelism } : {}),
    },
  };
  const storage = storageFor(dir);
  // The application name the extract's backends carry: unique to this process, so the sampler
  // counts no other extract's backends.
  const backends = await BackendCpu.start(
    { ...conn, database },
    `etl-extract ${tenantId}/${plan.name}`,
  );
  const cpuBefore = process.cpuUsage();
  const result = await extractPartition({
    source: { ...conn, database, schema: values.schema },
    pipeline: plan,
    partition: values.partition ?? null,
    timeZone: "UTC",
    storage,
    tenantId,
    runId: values["run-id"],
    logger: new Logger({}, undefined, "error"),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const backendCpuSeconds = await backends.stop();
  const seconds = result.elapsedMs / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const run: ExtractRun = {
    bench: "extract",
    table,
    storage: storageKind,
    rows: result.rowCount,
    compression,
    seconds: Math.round(seconds * 1000) / 1000,
    rowsPerSecond: Math.round(result.rowCount / seconds),
    floorSeconds: floor === null ? null : Math.round(floor * 100) / 100,
    ratioToFloor: floor === null ? null : Math.round((seconds / floor) * 100) / 100,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    backendCpuSeconds:
      backendCpuSeconds === null ? null : Math.round(backendCpuSeconds * 100) / 100,
    parallelism,
    parquetBytes: result.bytes,
    files: result.files,
    location: storageKind === "local" ? path.resolve(dir, "bench") : result.location,
    peakRssMiB: Math.round(peakRss / 1024 / 1024),
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
} finally {
  clearInterval(sampler);
  // The standalone probe cleans up; a caller that named --dir verifies and removes it itself.
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
