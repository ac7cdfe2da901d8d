/**
 * `--only load-small`: the fixed cost of one load (issue 19 item 4). A 10-row daily partition is
 * extracted once to S3, then loaded again and again into an existing Iceberg table with
 * replace_partition and merge, interleaved: "before" checks schema and table on every load and
 * counts the staged rows first (what every load did until issue 19), "after" is a run's later
 * loads (checks made once per run or backfill, the manifest's row count, the partition guard
 * inside the write statement). Rows are so few that every second is the load's own statements;
 * each statement's time is taken from the Trino client, so the report says where the time goes.
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
import { z } from "zod";
import { round } from "../lib/context.js";
import { s3Settings } from "../lib/extract-runs.js";
import { interleave, median, ratioText } from "../lib/interleave.js";
import { defineSection } from "../lib/section.js";

const TARGET_SECONDS = 1;
const DAY = "2024-03-05";
const ROWS = 10;

const ModeSchema = z.object({
  ratio: z.string(),
  before: z.object({ median: z.number(), spread: z.number() }),
  after: z.object({ median: z.number(), spread: z.number() }),
  /** Median milliseconds per kind of statement, with how many a load sends. */
  statementsMedianMs: z.record(z.string(), z.number()),
});

export const LoadSmallResultsSchema = z.object({
  rows: z.number().int(),
  runs: z.number().int(),
  modes: z.object({ replace_partition: ModeSchema, merge: ModeSchema }),
  loadBefore: z.number(),
  loadAfter: z.number(),
});
export type LoadSmallResults = z.infer<typeof LoadSmallResultsSchema>;

const mark = (ok: boolean) => (ok ? "met" : "NOT met");

/** Records the time of every statement `client` sends into `statements`. */
function timed(client: TrinoClient, statements: { sql: string; ms: number }[]): TrinoClient {
  const execute = client.execute.bind(client);
  client.execute = async (sql, options) => {
    const outcome = await execute(sql, options);
    statements.push({ sql, ms: outcome.elapsedMs });
    return outcome;
  };
  return client;
}

function pipeline(mode: "replace_partition" | "merge", schema: string): PipelinePlan {
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
      schema,
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

export const loadSmallSection = defineSection<LoadSmallResults>({
  name: "load-small",
  options: {
    "load-small-runs": {
      type: "string",
      description: "interleaved runs of before and after per write mode (default 7)",
    },
  },
  schema: LoadSmallResultsSchema,
  async run(ctx) {
    const runs = ctx.int("load-small-runs", 7, 5);
    const schema = `bench_small_${ctx.stamp}`;
    const source = { ...ctx.pg, database: "bench", schema };
    const storage = new S3Storage(s3Settings(ctx.env, `bench/${ctx.stamp}/small`));
    const statements: { sql: string; ms: number }[] = [];
    const quiet = new Logger({ bench: "load-small" }, { write: () => {}, isTTY: false }, "warn");
    const client = timed(
      TrinoClient.create(
        {
          host: ctx.env.TRINO_HOST ?? "127.0.0.1",
          port: Number(ctx.env.TRINO_PORT ?? 58080),
          user: ctx.env.TRINO_USER ?? "etl",
          password: null,
          scheme: "http",
        },
        { logger: quiet },
      ),
      statements,
    );
    const admin = new pg.Client({ ...ctx.pg, database: "postgres" });
    await admin.connect();
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'bench'");
    if (exists.rowCount === 0) await admin.query("CREATE DATABASE bench");
    await admin.end();
    const pgClient = new pg.Client({ ...ctx.pg, database: "bench" });
    await pgClient.connect();
    let loadBefore = 0;
    let loadAfter = 0;
    const modes: Partial<LoadSmallResults["modes"]> = {};
    try {
      await pgClient.query(`CREATE SCHEMA ${schema}`);
      await pgClient.query(
        `CREATE TABLE ${schema}.events (event_id integer PRIMARY KEY, kind varchar(20) NOT NULL, amount numeric(10,2), created_at timestamp NOT NULL)`,
      );
      await pgClient.query(
        `INSERT INTO ${schema}.events SELECT i, 'k' || (i % 3), i * 1.5, TIMESTAMP '${DAY} 00:00:00' + (i * 3600 || ' seconds')::interval FROM generate_series(1, ${ROWS}) i`,
      );
      await extractPartition({
        source,
        pipeline: pipeline("merge", schema),
        partition: DAY,
        timeZone: "UTC",
        storage,
        tenantId: "bench",
        runId: `small_${ctx.stamp}`,
        logger: quiet,
      });
      const manifest = await readManifest(storage, "extract", "events", DAY);
      if (manifest === null) throw new Error("the small load bench's extract has no manifest");
      for (const mode of ["replace_partition", "merge"] as const) {
        const plan = pipeline(mode, schema);
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
          if (loaded.rowsStaged !== ROWS) {
            throw new Error(`load staged ${loaded.rowsStaged} rows, expected ${ROWS}`);
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
          runs,
          (line) => ctx.log(`load-small ${mode}:${line}`),
        );
        const [before, after] = compared.variants;
        if (before === undefined || after === undefined) {
          throw new Error("interleave lost a variant");
        }
        if (mode === "replace_partition") loadBefore = round(compared.loadBefore);
        loadAfter = round(compared.loadAfter);
        modes[mode] = {
          ratio: ratioText(after, before),
          before: { median: round(before.median, 3), spread: round(before.spread, 3) },
          after: { median: round(after.median, 3), spread: round(after.spread, 3) },
          statementsMedianMs: Object.fromEntries(
            [...byKind].map(([kind, ms]) => [
              `${kind} (${ms.length / runs} per load)`,
              Math.round(median(ms)),
            ]),
          ),
        };
      }
    } finally {
      await client.execute(`DROP TABLE IF EXISTS iceberg.${schema}.events_replace_partition`);
      await client.execute(`DROP TABLE IF EXISTS iceberg.${schema}.events_merge`);
      await client.execute(`DROP SCHEMA IF EXISTS iceberg.${schema}`);
      await storage.deletePrefix("");
      await pgClient.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pgClient.end();
    }
    const { replace_partition, merge } = modes;
    if (replace_partition === undefined || merge === undefined) {
      throw new Error("load-small: a write mode was not measured");
    }
    return { rows: ROWS, runs, modes: { replace_partition, merge }, loadBefore, loadAfter };
  },
  targets(r) {
    return (["merge", "replace_partition"] as const).map((mode) => {
      const m = r.modes[mode];
      return `one load of a ${r.rows}-row partition < ${TARGET_SECONDS} s (${mode}): ${m.after.median} s ±${Math.round((m.after.spread * 100) / 2)}% (before: ${m.before.median} s), median of ${r.runs} interleaved runs, load average ${r.loadBefore} -> ${r.loadAfter} (${mark(m.after.median < TARGET_SECONDS)})`;
    });
  },
  markdown(r) {
    const lines = [
      `## Small loads: one ${r.rows}-row partition into an existing Iceberg table`,
      "",
      `${r.runs} interleaved runs of before (checks and a count on every load) and after (a run's later loads); load average ${r.loadBefore} before, ${r.loadAfter} after.`,
      "",
      "| write mode | before median s | after median s | after / before | statements (median ms) |",
      "|---|---:|---:|---|---|",
    ];
    for (const mode of ["replace_partition", "merge"] as const) {
      const m = r.modes[mode];
      const st = Object.entries(m.statementsMedianMs)
        .map(([k, ms]) => `${k}: ${ms}`)
        .join("; ");
      lines.push(`| ${mode} | ${m.before.median} | ${m.after.median} | ${m.ratio} | ${st} |`);
    }
    lines.push("");
    return lines;
  },
});
