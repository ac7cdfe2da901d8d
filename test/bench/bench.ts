/**
 * `npm run bench`: the extract floor, our extract and a peer side by side, memory at scale,
 * generation at scale, and the Trino load against Trino's own CTAS; every time is reported as a
 * ratio against something measured in the same run on the same machine.
 *
 *   npm run bench [-- --rows N] [--big-rows N] [--load-rows N] [--tenants N] [--quick]
 *                 [--only extract|memory|generate|load|console (repeatable or comma-separated)]
 *
 * Results: test/bench/results/latest.json and latest.md, and a summary on stdout. Every output is
 * verified (row count and the exact sum of the numeric(18,4) column) before a number is reported.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { workerCount } from "@etl/generator/parallel";
import {
  createStagingTable,
  DEFAULT_STAGING_CATALOG,
  DEFAULT_STAGING_SCHEMA,
  dropStagingTable,
  ensureStagingSchema,
  Logger,
  loadCommitted,
  type PipelinePlan,
  readManifest,
  S3Storage,
  stagedExpr,
  stagedFromManifest,
  TrinoClient,
} from "@etl/runtime";
import pg from "pg";
import { z } from "zod";
import { isFresh } from "../../tools/source-stamp.mjs";
import { repoRoot } from "../src/paths.js";
import { benchConsole } from "./console-bench.js";
import { buildCorpus } from "./lib/corpus.js";
import { ExtractRunSchema } from "./lib/extract-run.js";
import { type Measured, runMeasured } from "./lib/proc.js";
import {
  type Results,
  ResultsSchema,
  renderMarkdown,
  summaryLines,
  type ToolResult,
} from "./lib/report.js";
import { assertMatches, sumParquetDecimal, unscaledToDecimal } from "./lib/verify.js";

const SECTIONS = ["extract", "memory", "generate", "load", "console"] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    rows: { type: "string" },
    "big-rows": { type: "string" },
    "load-rows": { type: "string" },
    tenants: { type: "string" },
    quick: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    "no-peer": { type: "boolean", default: false },
    merge: { type: "boolean", default: false },
    out: { type: "string", default: path.join(repoRoot, "test/bench/results") },
  },
  strict: true,
});
const quick = values.quick;
const num = (v: string | undefined, dflt: number, name: string): number => {
  const n = Number(v ?? dflt);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const ROWS = num(values.rows, quick ? 200_000 : 2_000_000, "rows");
const BIG_ROWS = num(values["big-rows"], quick ? 1_000_000 : 10_000_000, "big-rows");
const LOAD_ROWS = num(values["load-rows"], quick ? 200_000 : 1_000_000, "load-rows");
const TENANTS = num(values.tenants, quick ? 10 : 100, "tenants");
const only = (values.only ?? []).flatMap((o) => o.split(",")).map((o) => o.trim());
for (const o of only) {
  if (!(SECTIONS as readonly string[]).includes(o)) {
    throw new Error(`--only ${o}: expected one of ${SECTIONS.join(", ")}`);
  }
}
const wants = (s: Section) => only.length === 0 || only.includes(s);

const DATABASE = "bench";
const SCALE = 4;
const STAMP = `${Date.now().toString(36)}_${process.pid}`;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);

// ---------------------------------------------------------------------------------------------
// Stack and environment

function stackEnv(): NodeJS.ProcessEnv {
  const npm = (args: string[]) =>
    execFileSync("npm", ["run", "-s", "stack", "--", ...args], { cwd: repoRoot, encoding: "utf8" });
  try {
    npm(["status"]);
  } catch {
    // status exits non-zero when something is down: bring the stack up (its output goes to stderr).
    log("stack not healthy: npm run stack -- up");
    execFileSync("npm", ["run", "-s", "stack", "--", "up"], {
      cwd: repoRoot,
      stdio: ["ignore", process.stderr, process.stderr],
    });
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const line of npm(["env"]).split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] === undefined) continue;
    const raw = m[2] ?? "";
    env[m[1]] = /^'.*'$|^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return env;
}

const env = stackEnv();
const PG = {
  host: env.PGHOST ?? "127.0.0.1",
  port: Number(env.PGPORT ?? 55432),
  user: env.PGUSER ?? "etl",
  password: env.PGPASSWORD ?? "etl",
};
const stackHome = env.ETL_STACK_HOME ?? path.join(os.homedir(), ".cache/etl-stack");

// ---------------------------------------------------------------------------------------------
// Source tables

const COLUMNS = [
  "id bigint PRIMARY KEY",
  "lot_id text NOT NULL",
  "product_code text",
  "amount numeric(18,4) NOT NULL",
  "is_rework boolean",
  "updated_at timestamptz",
  "created_at timestamp NOT NULL",
  "work_date date",
  "attributes jsonb",
];
const COLUMN_NAMES = COLUMNS.map((c) => c.split(" ")[0] ?? "");

/**
 * A lot_history-shaped table of `rows` rows, deterministic (generate_series only), with NULLs in
 * the nullable columns. `oneDay` puts every created_at inside 2024-01-01 (one load partition).
 */
function fillSql(table: string, rows: number, oneDay: boolean): string {
  const created = oneDay
    ? `timestamp '2024-01-01' + (i * (86399.0 / ${rows})) * interval '1 second'`
    : "timestamp '2024-01-01' + i * interval '1 second'";
  return `INSERT INTO ${table} SELECT i, 'LOT-' || lpad(i::text, 10, '0'),
    CASE WHEN i % 50 = 0 THEN NULL ELSE 'PROD-' || (i % 97) END,
    round(((i * 7919) % 100000000)::numeric / 10000 * CASE WHEN i % 11 = 0 THEN -1 ELSE 1 END, 4),
    CASE WHEN i % 13 = 0 THEN NULL ELSE i % 7 = 0 END,
    CASE WHEN i % 17 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+00' + i * interval '997 milliseconds' END,
    ${created},
    CASE WHEN i % 19 = 0 THEN NULL ELSE date '2024-01-01' + (i % 365)::int END,
    jsonb_build_object('site', 'FAB' || (i % 3), 'seq', i, 'ok', i % 5 <> 0, 'tags', jsonb_build_array('a', i % 4))
    FROM generate_series(1::bigint, ${rows}::bigint) AS i`;
}

interface Truth {
  rows: number;
  sum: string;
  copyBytes: number;
}

async function ensureTable(table: string, rows: number, oneDay: boolean): Promise<Truth> {
  const admin = new pg.Client({ ...PG, database: "postgres" });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  const c = new pg.Client({ ...PG, database: DATABASE });
  await c.connect();
  try {
    const t = await c.query("SELECT 1 FROM pg_class WHERE relname = $1 AND relkind = 'r'", [table]);
    const count =
      t.rowCount === 0
        ? -1
        : Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
    if (count !== rows) {
      log(`creating ${DATABASE}.public.${table} (${rows} rows)`);
      const started = performance.now();
      await c.query(`DROP TABLE IF EXISTS ${table}`);
      await c.query(`CREATE TABLE ${table} (${COLUMNS.join(", ")})`);
      await c.query(fillSql(table, rows, oneDay)).catch((error: unknown) => {
        throw new Error(`filling ${DATABASE}.public.${table}: ${(error as Error).message}`, {
          cause: error,
        });
      });
      await c.query(`VACUUM ANALYZE ${table}`);
      log(`  created in ${round((performance.now() - started) / 1000, 1)} s`);
    }
    const r = await c.query<{ n: string; s: string }>(
      `SELECT count(*)::text AS n, sum(amount)::text AS s FROM ${table}`,
    );
    const row = r.rows[0];
    if (row === undefined) throw new Error(`no aggregate row from ${table}`);
    const copyBytes = Number(
      execFileSync("bash", ["-c", `${floorCommand(table)} | wc -c`], {
        env,
        encoding: "utf8",
      }).trim(),
    );
    return { rows: Number(row.n), sum: row.s, copyBytes };
  } finally {
    await c.end();
  }
}

function floorCommand(table: string): string {
  const select = `SELECT ${COLUMN_NAMES.join(", ")} FROM public.${table}`;
  return `psql -X -q -h ${PG.host} -p ${PG.port} -U ${PG.user} -d ${DATABASE} -c "COPY (${select}) TO STDOUT (FORMAT binary)"`;
}

// ---------------------------------------------------------------------------------------------
// Extract runs

const s3Settings = (basePath: string) => ({
  bucket: env.S3_BUCKET_NAME ?? "data-lake",
  basePath,
  endpoint: env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
  region: env.AWS_REGION ?? "us-east-1",
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
  sessionToken: null,
  forcePathStyle: true,
});

function toolResult(
  tool: string,
  truth: Truth,
  m: Measured,
  seconds: number,
  outputBytes: number | null,
  verified: string,
): ToolResult {
  return {
    tool,
    rows: truth.rows,
    seconds: round(seconds, 3),
    wallSeconds: round(m.seconds, 3),
    rowsPerSecond: Math.round(truth.rows / seconds),
    mbPerSecond: round(truth.copyBytes / 1024 / 1024 / seconds, 1),
    peakRssMiB: mib(m.peakRssBytes),
    peakProcesses: m.peakProcesses,
    outputBytes,
    verified,
  };
}

async function runFloor(table: string, truth: Truth): Promise<ToolResult> {
  const m = await runMeasured("bash", ["-c", `${floorCommand(table)} > /dev/null`], { env });
  return toolResult(
    "floor: psql binary COPY > /dev/null",
    truth,
    m,
    m.seconds,
    null,
    `${truth.copyBytes} bytes of binary COPY (counted separately)`,
  );
}

interface OursOptions {
  storage: "local" | "s3";
  table: string;
  partition?: string;
  basePath?: string;
}

/** Runs our extract in its own node process and verifies what it wrote. */
async function runOurs(
  truth: Truth,
  o: OursOptions,
): Promise<{ result: ToolResult; location: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-ours-"));
  const args = [
    "--conditions=source",
    "--import",
    "tsx",
    path.join(repoRoot, "test/bench/extract-bench.ts"),
    "--database",
    DATABASE,
    "--table",
    o.table,
    "--storage",
    o.storage,
    "--dir",
    dir,
    "--run-id",
    STAMP,
  ];
  if (o.basePath !== undefined) args.push("--base-path", o.basePath);
  if (o.partition !== undefined)
    args.push("--partition", o.partition, "--date-column", "created_at");
  try {
    const m = await runMeasured(process.execPath, args, { env, cwd: repoRoot });
    const last = m.stdout.trim().split("\n").pop() ?? "";
    const run = ExtractRunSchema.parse(JSON.parse(last));
    let rows = 0;
    let sum = 0n;
    const s3 = o.storage === "s3" ? new S3Storage(s3Settings(o.basePath ?? "")) : null;
    for (const f of run.files) {
      const bytes =
        s3 === null
          ? new Uint8Array(readFileSync(path.join(run.location, ...f.key.split("/"))))
          : await s3.get(f.key);
      if (bytes === null) throw new Error(`extract file ${f.key} is missing from ${o.storage}`);
      const part = await sumParquetDecimal(bytes, "amount");
      rows += part.rows;
      sum += part.sum;
    }
    const verified = assertMatches(
      `ours (${o.storage}, ${o.table})`,
      truth,
      { rows, sum: unscaledToDecimal(sum, SCALE) },
      SCALE,
    );
    const tool = `ours: extract to Parquet on ${o.storage === "s3" ? "the S3 server" : "local disk"}`;
    return {
      result: toolResult(tool, truth, m, run.seconds, run.parquetBytes, verified),
      location: run.location,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The peer: dlt sql_database (pyarrow / connectorx backends) in a cached virtualenv

const PEER_REQUIREMENTS = [
  "dlt[parquet,sql_database]==1.31.0",
  "psycopg[binary]==3.3.9",
  "pyarrow==26.0.1",
  "sqlalchemy==2.1.9",
];
const CONNECTORX = "connectorx==0.4.6";

/** The venv's python, creating or refreshing the venv when its recorded requirements differ. */
function peerPython(): { python: string; connectorx: string | null } {
  const venv = path.join(stackHome, "bench-venv");
  const python = path.join(venv, "bin", "python");
  const marker = path.join(venv, ".etl-bench-requirements");
  const want = [...PEER_REQUIREMENTS, CONNECTORX].join("\n");
  const have = existsSync(marker) ? readFileSync(marker, "utf8") : null;
  const cxMarker = path.join(venv, ".etl-bench-connectorx-error");
  if (have !== want || !existsSync(python)) {
    log(`installing the peer into ${venv} (${PEER_REQUIREMENTS.join(", ")})`);
    rmSync(venv, { recursive: true, force: true });
    execFileSync("python3", ["-m", "venv", venv], { stdio: ["ignore", process.stderr, "inherit"] });
    const pip = (pkgs: string[]) =>
      execFileSync(python, ["-m", "pip", "install", "-q", ...pkgs], {
        stdio: ["ignore", process.stderr, "pipe"],
      });
    pip(["--upgrade", "pip"]);
    pip(PEER_REQUIREMENTS);
    rmSync(cxMarker, { force: true });
    try {
      pip([CONNECTORX]);
    } catch (error) {
      // connectorx is optional ("if it installs"): remember why, and report it.
      writeFileSync(cxMarker, String((error as Error).message).slice(0, 2000));
    }
    writeFileSync(marker, want);
  }
  const cxError = existsSync(cxMarker) ? readFileSync(cxMarker, "utf8") : null;
  return { python, connectorx: cxError };
}

async function runPeer(
  python: string,
  backend: "pyarrow" | "connectorx",
  table: string,
  truth: Truth,
): Promise<ToolResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-peer-"));
  const script = path.join(repoRoot, "test/bench/peer_dlt.py");
  const peerEnv = { ...env, RUNTIME__DLTHUB_TELEMETRY: "false", DLT_DATA_DIR: dir };
  try {
    const dsn = `postgresql://${PG.user}:${encodeURIComponent(PG.password)}@${PG.host}:${PG.port}/${DATABASE}`;
    const m = await runMeasured(
      python,
      [script, "run", "--dsn", dsn, "--table", table, "--out", dir, "--backend", backend],
      { env: peerEnv },
    );
    const run = z
      .object({ seconds: z.number(), bytes: z.number().int(), dlt: z.string() })
      .parse(JSON.parse(m.stdout.trim().split("\n").pop() ?? ""));
    const v = await runMeasured(
      python,
      [script, "verify", "--out", path.join(dir, "data"), "--column", "amount"],
      { env: peerEnv },
    );
    const got = z
      .object({ rows: z.number().int(), sum: z.string(), type: z.string() })
      .parse(JSON.parse(v.stdout.trim().split("\n").pop() ?? ""));
    const verified = `${assertMatches(`peer dlt ${run.dlt} (${backend})`, truth, got, SCALE)}; amount read back by pyarrow as ${got.type}`;
    return toolResult(
      `peer: dlt ${run.dlt} sql_database (${backend}) to Parquet on local disk`,
      truth,
      m,
      run.seconds,
      run.bytes,
      verified,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

const ratio = (a: number, b: number) => round(a / b, 2);

async function benchExtract(results: Results): Promise<void> {
  const table = `lot_history_${ROWS}`;
  const truth = await ensureTable(table, ROWS, false);
  log(`extract: ${truth.rows} rows, ${mib(truth.copyBytes)} MiB of binary COPY`);
  const floor = await runFloor(table, truth);
  log(`  floor ${floor.seconds} s`);
  const local = (await runOurs(truth, { storage: "local", table })).result;
  log(`  ours local ${local.seconds} s`);
  const basePath = `bench/${STAMP}/extract`;
  const s3 = (await runOurs(truth, { storage: "s3", table, basePath })).result;
  await new S3Storage(s3Settings(basePath)).deletePrefix("");
  log(`  ours s3 ${s3.seconds} s`);
  const tools: ToolResult[] = [floor, local, s3];
  const peers: ToolResult[] = [];
  const peerErrors: string[] = [];
  if (!values["no-peer"]) {
    const { python, connectorx } = peerPython();
    peers.push(await runPeer(python, "pyarrow", table, truth));
    log(`  peer pyarrow ${peers[0]?.seconds} s`);
    if (connectorx === null) {
      try {
        peers.push(await runPeer(python, "connectorx", table, truth));
        log(`  peer connectorx ${peers[1]?.seconds} s`);
      } catch (error) {
        // The connectorx variant is optional: its failure is reported, the run goes on.
        peerErrors.push(`dlt with connectorx failed: ${(error as Error).message.slice(0, 600)}`);
      }
    } else {
      peerErrors.push(`connectorx did not install: ${connectorx.slice(0, 600)}`);
    }
  }
  tools.push(...peers);
  const pyarrowPeer = peers[0];
  results.extract = {
    table: `${DATABASE}.public.${table}`,
    rows: truth.rows,
    copyBytes: truth.copyBytes,
    amountSum: truth.sum,
    tools,
    ratios: {
      oursLocalOverFloor: ratio(local.seconds, floor.seconds),
      oursS3OverFloor: ratio(s3.seconds, floor.seconds),
      oursLocalOverPeer:
        pyarrowPeer === undefined ? null : ratio(local.seconds, pyarrowPeer.seconds),
      oursLocalOverPeerWall:
        pyarrowPeer === undefined ? null : ratio(local.wallSeconds, pyarrowPeer.wallSeconds),
      oursLocalOverBestPeer:
        peers.length === 0 ? null : ratio(local.seconds, Math.min(...peers.map((p) => p.seconds))),
    },
    peerErrors,
  };
}

async function benchMemory(results: Results): Promise<void> {
  const points: { rows: number; result: ToolResult }[] = [];
  for (const rows of [ROWS, BIG_ROWS]) {
    const table = `lot_history_${rows}`;
    const existing = results.extract?.tools.find((t) =>
      t.tool.startsWith("ours: extract to Parquet on local"),
    );
    if (rows === ROWS && existing !== undefined) {
      points.push({ rows, result: existing });
      continue;
    }
    const truth = await ensureTable(table, rows, false);
    const r = (await runOurs(truth, { storage: "local", table })).result;
    log(`memory: ${rows} rows, peak ${r.peakRssMiB} MiB`);
    points.push({ rows, result: r });
  }
  const [base, big] = points;
  if (base === undefined || big === undefined) throw new Error("internal: memory points missing");
  results.memory = {
    points: points.map((p) => ({
      rows: p.rows,
      peakRssMiB: p.result.peakRssMiB,
      seconds: p.result.seconds,
      rowsPerSecond: p.result.rowsPerSecond,
      verified: p.result.verified,
    })),
    bigOverBase: ratio(big.result.peakRssMiB, base.result.peakRssMiB),
  };
}

async function benchGenerate(results: Results): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), "bench-corpus-"));
  const empty = mkdtempSync(path.join(os.tmpdir(), "bench-corpus-empty-"));
  try {
    const shape = { tenants: TENANTS, pipelines: 20, models: 300 };
    const ids = buildCorpus(root, repoRoot, shape);
    // `npm run generate` runs the built generator when its dist/ is fresh: build it, as users do.
    execFileSync(
      "npx",
      ["turbo", "run", "build", "--filter=@etl/generator", "--output-logs=errors-only"],
      {
        cwd: repoRoot,
        stdio: ["ignore", process.stderr, "inherit"],
      },
    );
    const from = isFresh(path.join(repoRoot, "generator"), [path.join(repoRoot, "runtime")])
      ? "dist"
      : "source";
    log(`generate: the generator runs from ${from}`);
    mkdirSync(path.join(empty, "tenants"), { recursive: true });
    mkdirSync(path.join(empty, "generator"), { recursive: true });
    const gen = (r: string, extra: string[]) =>
      runMeasured("npm", ["run", "-s", "generate", "--", "--root", r, ...extra], {
        env,
        cwd: repoRoot,
      });
    // Sub-second runs are noisy on a shared machine: the median of 5.
    const median5 = async (r: string, extra: string[]): Promise<Measured> => {
      const runs: Measured[] = [];
      for (let i = 0; i < 5; i++) runs.push(await gen(r, extra));
      const sorted = runs.sort((a, b) => a.seconds - b.seconds);
      const mid = sorted[2];
      if (mid === undefined) throw new Error("internal: no median run");
      log(
        `  runs: ${sorted.map((m) => round(m.seconds)).join(", ")} s (median ${round(mid.seconds)})`,
      );
      return mid;
    };
    const startup = await median5(empty, []);
    log(`generate: start-up (no tenants) ${round(startup.seconds)} s`);
    const all = await gen(root, []);
    log(`generate: ${ids.length} tenants ${round(all.seconds)} s`);
    const written = /generated .*: (\d+) added/.exec(all.stdout);
    if (written?.[1] === undefined) throw new Error(`unexpected generate output: ${all.stdout}`);
    const check = await gen(root, ["--check"]);
    if (!check.stdout.includes("up to date")) {
      throw new Error(`generate --check did not report up to date: ${check.stdout}`);
    }
    log(`generate --check: ${round(check.seconds)} s`);
    const first = ids[0] ?? "";
    const one = await median5(root, ["--tenant", first]);
    log(`generate one tenant: ${round(one.seconds)} s`);
    const row = (what: string, m: Measured) => ({
      what,
      seconds: round(m.seconds),
      overStartup: ratio(m.seconds, startup.seconds),
      peakRssMiB: mib(m.peakRssBytes),
    });
    results.generate = {
      corpus: { ...shape, filesWritten: Number(written[1]) },
      generatorFrom: from,
      workerThreads: workerCount(ids.length),
      runs: [
        row("npm run generate, no tenants (start-up; median of 5)", startup),
        row(`npm run generate, ${ids.length} tenants`, all),
        row(`npm run generate --check, ${ids.length} tenants`, check),
        row("npm run generate --tenant (one tenant; median of 5)", one),
      ],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

async function benchLoad(results: Results): Promise<void> {
  const table = `lot_history_day_${LOAD_ROWS}`;
  const truth = await ensureTable(table, LOAD_ROWS, true);
  const basePath = `bench/${STAMP}/load`;
  const partition = "2024-01-01";
  const extracted = await runOurs(truth, { storage: "s3", table, partition, basePath });
  log(`load: extracted ${truth.rows} rows to ${extracted.location}`);
  const storage = new S3Storage(s3Settings(basePath));
  const client = TrinoClient.create({
    host: env.TRINO_HOST ?? "127.0.0.1",
    port: Number(env.TRINO_PORT ?? 58080),
    user: env.TRINO_USER ?? "etl",
    password: null,
    scheme: "http",
  });
  const schema = "bench_load";
  const oursTable = `ours_${STAMP}`;
  const ctasTable = `ctas_${STAMP}`;
  const stagingTable = `etl_stg_bench_ctas_${STAMP}`;
  const place = { catalog: DEFAULT_STAGING_CATALOG, schema: DEFAULT_STAGING_SCHEMA };
  const plan: PipelinePlan = {
    name: "lot_history",
    sourceTable: table,
    query: null,
    dateColumn: "created_at",
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: true,
    trinoOutput: {
      catalog: "iceberg",
      schema,
      table: oursTable,
      keyColumns: [],
      writeMode: "replace_partition",
      tenantColumn: "project_id",
    },
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 131_072, maxFileRows: 5_000_000 },
  };
  const verify = async (what: string, name: string) => {
    const rows = await client.rows(
      `SELECT CAST(count(*) AS varchar) AS n, CAST(sum(amount) AS varchar) AS s FROM iceberg.${schema}.${name}`,
    );
    const r = z.object({ n: z.string(), s: z.string() }).parse(rows[0]);
    return assertMatches(what, truth, { rows: Number(r.n), sum: r.s }, SCALE);
  };
  try {
    const startedOurs = performance.now();
    const loaded = await loadCommitted({
      client,
      storage,
      tenantId: "bench",
      pipeline: plan,
      catalog: "iceberg",
      partition,
      timeZone: "UTC",
      logger: new Logger({}, undefined, "warn"),
    });
    const oursSeconds = (performance.now() - startedOurs) / 1000;
    const oursVerified = await verify("ours: loadCommitted (replace_partition)", oursTable);
    log(`load: ours ${round(oursSeconds)} s`);

    // Trino's floor: a Hive external table over the same prefix, then one plain CTAS.
    const manifest = await readManifest(storage, "extract", plan.name, partition);
    if (manifest === null) throw new Error("the load benchmark's extract has no manifest");
    const staged = stagedFromManifest(plan, manifest);
    await ensureStagingSchema(client, place);
    const stagingName = await createStagingTable(
      client,
      place,
      stagingTable,
      staged.columns.map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
      staged.location,
    );
    const select = staged.columns
      .map((c) => `${stagedExpr(`"${c.name.toLowerCase()}"`, c.type)} AS "${c.name.toLowerCase()}"`)
      .join(", ");
    const startedCtas = performance.now();
    await client.execute(
      `CREATE TABLE iceberg.${schema}.${ctasTable} WITH (format = 'PARQUET', partitioning = ARRAY['day(created_at)']) AS SELECT ${select}, 'bench' AS project_id FROM ${stagingName}`,
    );
    const ctasSeconds = (performance.now() - startedCtas) / 1000;
    const ctasVerified = await verify("Trino CTAS over a Hive external table", ctasTable);
    log(`load: CTAS ${round(ctasSeconds)} s`);
    results.load = {
      rows: truth.rows,
      partition,
      ours: {
        seconds: round(oursSeconds, 3),
        rowsStaged: loaded.rowsStaged,
        verified: oursVerified,
      },
      ctas: { seconds: round(ctasSeconds, 3), verified: ctasVerified },
      oursOverCtas: ratio(oursSeconds, ctasSeconds),
    };
  } finally {
    await dropStagingTable(client, place, stagingTable);
    await client.execute(`DROP TABLE IF EXISTS iceberg.${schema}.${oursTable}`);
    await client.execute(`DROP TABLE IF EXISTS iceberg.${schema}.${ctasTable}`);
    await storage.deletePrefix("");
  }
}

// ---------------------------------------------------------------------------------------------

function machine(): Results["machine"] {
  const pgVersion = execFileSync(
    "psql",
    [
      "-X",
      "-At",
      "-h",
      PG.host,
      "-p",
      String(PG.port),
      "-U",
      PG.user,
      "-d",
      "postgres",
      "-c",
      "SHOW server_version",
    ],
    { env, encoding: "utf8" },
  ).trim();
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
    loadAverageAtStart: os.loadavg().map((l) => round(l)),
    loadAverageAtEnd: [],
  };
}

const started = performance.now();
const results: Results = {
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  date: new Date().toISOString(),
  options: { rows: ROWS, bigRows: BIG_ROWS, loadRows: LOAD_ROWS, tenants: TENANTS, quick, only },
  machine: machine(),
  extract: null,
  memory: null,
  generate: null,
  load: null,
  console: null,
  totalSeconds: 0,
};
/** Writes the results so far: a long run stopped in a later section keeps the earlier ones. */
function save(): Results {
  results.machine.loadAverageAtEnd = os.loadavg().map((l) => round(l));
  results.totalSeconds = round((performance.now() - started) / 1000, 1);
  const checked = ResultsSchema.parse(results);
  mkdirSync(values.out, { recursive: true });
  writeFileSync(path.join(values.out, "latest.json"), `${JSON.stringify(checked, null, 2)}\n`);
  writeFileSync(path.join(values.out, "latest.md"), renderMarkdown(checked));
  return checked;
}

// --merge keeps the sections of the previous results file that this run does not measure.
const previous = path.join(values.out, "latest.json");
if (values.merge && existsSync(previous)) {
  const prior = ResultsSchema.parse(JSON.parse(readFileSync(previous, "utf8")));
  const kept = SECTIONS.filter((s) => !wants(s) && prior[s] !== null);
  for (const s of kept) Object.assign(results, { [s]: prior[s] });
  if (kept.length > 0) results.command = `${prior.command}; then ${results.command}`;
}

const sections: [Section, (r: Results) => Promise<void>][] = [
  ["extract", benchExtract],
  ["memory", benchMemory],
  ["generate", benchGenerate],
  ["load", benchLoad],
  [
    "console",
    async (r) => {
      r.console = await benchConsole(env, log);
    },
  ],
];
for (const [name, run] of sections) {
  if (!wants(name)) continue;
  await run(results);
  save();
}
process.stdout.write(`${summaryLines(save()).join("\n")}\n`);
