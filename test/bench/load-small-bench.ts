/**
 * The fixed cost of one load (issue 19 item 4): a 10-row daily partition extracted once to S3,
 * then loaded again and again into an existing Iceberg table with replace_partition and merge,
 * interleaved: "before" checks schema and table on every load and counts the staged rows first
 * (what every load did until issue 19), "after" is a run's later loads (checks made once per run
 * or backfill, the manifest's row count, the partition guard inside the write statement).
 * Rows are so few that every second is the load's own statements; each statement's time is taken
 * from the Trino client's debug log, so the report says where the time goes.
 *
 *   npx tsx --conditions=source test/bench/load-small-bench.ts [--runs N]
 */
import {
  EnsuredObjects,
  extractPartition,
  Logger,
  loadPartition,
  type PipelinePlan,
  readManifest,
  S3Storage,
  stagedFromManifest,
  TrinoClient,
} from "@etl/runtime";
import pg from "pg";
import { interleave, median, ratioText } from "./lib/interleave.js";

const round = (value: number) => Number(value.toFixed(3));

const env = process.env;
const STAMP = `${Date.now().toString(36)}_${process.pid}`;
const PG_SCHEMA = `bench_small_${STAMP}`;
const TARGET_SCHEMA = `bench_small_${STAMP}`;
const DAY = "2024-03-05";
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

const source = {
  host: env.PGHOST ?? "127.0.0.1",
  port: Number(env.PGPORT ?? 55432),
  database: "bench",
  user: env.PGUSER ?? "etl",
  password: env.PGPASSWORD ?? "etl",
  schema: PG_SCHEMA,
};
const trinoConnection = {
  host: env.TRINO_HOST ?? "127.0.0.1",
  port: Number(env.TRINO_PORT ?? 58080),
  user: env.TRINO_USER ?? "etl",
  password: null,
  scheme: "http" as const,
};
const storage = new S3Storage({
  bucket: env.S3_BUCKET_NAME ?? "data-lake",
  basePath: `bench/${STAMP}/small`,
  endpoint: env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
  region: env.AWS_REGION ?? "us-east-1",
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
  sessionToken: null,
  forcePathStyle: true,
});

/** Statement times of the load being measured (every statement goes through `execute`). */
const statements: { sql: string; ms: number }[] = [];
function timed(client: TrinoClient): TrinoClient {
  const execute = client.execute.bind(client);
  client.execute = async (sql, options) => {
    const outcome = await execute(sql, options);
    statements.push({ sql, ms: outcome.elapsedMs });
    return outcome;
  };
  return client;
}
const quiet = new Logger({ bench: "load-small" }, { write: () => {}, isTTY: false }, "warn");

function pipeline(mode: "replace_partition" | "merge"): PipelinePlan {
  return {
    name: "events",
    sourceTable: "events",
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
      schema: TARGET_SCHEMA,
      table: `events_${mode}`,
      keyColumns: mode === "merge" ? ["event_id"] : [],
      writeMode: mode,
      tenantColumn: "project_id",
    },
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 10_000, maxFileRows: 1_000_000 },
  };
}

/** The first word or two of a statement: what kind of round trip it was. */
function kindOf(sql: string): string {
  const words = sql.trim().split(/\s+/);
  const head = (words[0] ?? "").toUpperCase();
  if (head === "SELECT") {
    if (/\$snapshots/.test(sql)) return "SELECT snapshot";
    if (/information_schema/.test(sql)) return "SELECT information_schema";
    return "SELECT count";
  }
  return `${head} ${(words[1] ?? "").toUpperCase()}`.trim();
}

async function main(): Promise<void> {
  const pgClient = new pg.Client(source);
  await pgClient.connect();
  await pgClient.query(`CREATE SCHEMA ${PG_SCHEMA}`);
  await pgClient.query(
    `CREATE TABLE ${PG_SCHEMA}.events (event_id integer PRIMARY KEY, kind varchar(20) NOT NULL, amount numeric(10,2), created_at timestamp NOT NULL)`,
  );
  await pgClient.query(
    `INSERT INTO ${PG_SCHEMA}.events SELECT i, 'k' || (i % 3), i * 1.5, TIMESTAMP '${DAY} 00:00:00' + (i * 3600 || ' seconds')::interval FROM generate_series(1, 10) i`,
  );
  const client = timed(TrinoClient.create(trinoConnection, { logger: quiet }));
  const results: Record<string, unknown> = {};
  try {
    await extractPartition({
      source,
      pipeline: pipeline("merge"),
      partition: DAY,
      timeZone: "UTC",
      storage,
      tenantId: "bench",
      runId: `small_${STAMP}`,
      logger: quiet,
    });
    const manifest = await readManifest(storage, "extract", "events", DAY);
    if (manifest === null) throw new Error("the small load bench's extract has no manifest");
    for (const mode of ["replace_partition", "merge"] as const) {
      const plan = pipeline(mode);
      const staged = stagedFromManifest(plan, manifest);
      // One run's checks, as the stage handlers share them between the loads of a run or backfill.
      const ensured = new EnsuredObjects();
      const load = (variant: "before" | "after") =>
        loadPartition({
          client,
          tenantId: "bench",
          pipeline: plan,
          catalog: "iceberg",
          partition: { date: DAY, timeZone: "UTC" },
          logger: quiet,
          // Before: every load checks schema and table again and counts the staged rows first.
          ...(variant === "after"
            ? { ensured, staged }
            : { staged: { ...staged, rowCount: null } }),
        });
      // The first load creates the table: not the steady state a backfill lives in.
      await load("after");
      const byKind = new Map<string, number[]>();
      const measure = (variant: "before" | "after") => async () => {
        statements.length = 0;
        const started = performance.now();
        const loaded = await load(variant);
        const seconds = (performance.now() - started) / 1000;
        if (loaded.rowsStaged !== 10) {
          throw new Error(`load staged ${loaded.rowsStaged} rows, expected 10`);
        }
        for (const s of statements) {
          const kind = `${variant}: ${kindOf(s.sql)}`;
          byKind.set(kind, [...(byKind.get(kind) ?? []), s.ms]);
        }
        return seconds;
      };
      const compared = await interleave(
        [
          { name: "before", measure: measure("before") },
          { name: "after", measure: measure("after") },
        ],
        RUNS,
      );
      const [before, after] = compared.variants;
      if (before === undefined || after === undefined) throw new Error("interleave lost a variant");
      results[mode] = {
        ratio: ratioText(after, before),
        before: { medianSeconds: round(before.median), spread: round(before.spread) },
        after: { medianSeconds: round(after.median), spread: round(after.spread) },
        statementsMedianMs: Object.fromEntries(
          [...byKind].map(([kind, ms]) => [
            `${kind} (${ms.length / RUNS} per load)`,
            Math.round(median(ms)),
          ]),
        ),
        loadAverage: { before: round(compared.loadBefore), after: round(compared.loadAfter) },
      };
    }
    process.stdout.write(`${JSON.stringify({ runs: RUNS, rows: 10, results }, null, 2)}\n`);
  } finally {
    await client.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.events_replace_partition`);
    await client.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.events_merge`);
    await client.execute(`DROP SCHEMA IF EXISTS iceberg.${TARGET_SCHEMA}`);
    await storage.deletePrefix("");
    await pgClient.query(`DROP SCHEMA ${PG_SCHEMA} CASCADE`);
    await pgClient.end();
  }
}

await main();
