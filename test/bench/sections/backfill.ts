/**
 * `--only backfill`: project_01's daily_etl (three pipelines: extract, transfer, load each) over a
 * range of daily partitions of sample data, a few thousand rows a day per table, from its own
 * database: "before", one partition at a time (`backfill --chunk 1`, what every backfill did until
 * issue 19), over the first `--backfill-before-days`; "after", the default chunked backfill (a
 * month of partitions at a time, each pipeline's loads of a chunk one statement), over
 * `--backfill-days`. Both at `--backfill-concurrency`, each into its own tables, ledger and prefix.
 *
 * Verified: every daily asset of every partition succeeded in the ledger, and each table's rows of
 * the days both variants ran are the same (count and a per-column checksum). Reported: partitions
 * per minute of each, the chunked run's total against the issue's 3 minutes for a year, attempts
 * beyond the first (retries, e.g. on commit conflicts) and the loads' statements.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  type CliIo,
  environmentPlan,
  FileLedger,
  runCli,
  S3Storage,
  sameEnvironments,
  type TenantPlan,
  TRANSFER_DATE_COLUMN,
  TrinoClient,
} from "@etl/runtime";
import { plan as generated, transforms } from "@etl/tenant-project_01";
import pg from "pg";
import { z } from "zod";
import { loadSampleData } from "../../src/sample-data.js";
import { round } from "../lib/context.js";
import { s3Settings } from "../lib/extract-runs.js";
import { defineSection } from "../lib/section.js";

const YEAR_TARGET_SECONDS = 180;
const TENANT = "project_01";
const JOB = "daily_etl";
const START = "2025-01-01";

const VariantSchema = z.object({
  name: z.string(),
  chunk: z.number().int(),
  days: z.number().int(),
  seconds: z.number(),
  partitionsPerMinute: z.number(),
  /** Materialisations that took more than one attempt. */
  retried: z.number().int(),
  /** Distinct load statements (Trino query ids) over the range. */
  loadStatements: z.number().int(),
  exitCode: z.number().int(),
});

export const BackfillResultsSchema = z.object({
  rowsPerDay: z.number().int(),
  concurrency: z.number().int(),
  tables: z.array(z.string()),
  before: VariantSchema,
  after: VariantSchema,
  /** The chunked run's seconds scaled to 365 days (equal to its seconds when it ran 365). */
  yearSeconds: z.number(),
  verified: z.string(),
  loadBefore: z.number(),
  loadAfter: z.number(),
});
export type BackfillResults = z.infer<typeof BackfillResultsSchema>;

const mark = (ok: boolean) => (ok ? "met" : "NOT met");

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** project_01's plan with its own source database, prefix and Trino schema. */
function benchPlan(basePath: string, schema: string): TenantPlan {
  const plan = structuredClone(generated);
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = basePath;
  for (const p of env.pipelines) {
    if (p.trinoOutput !== null) p.trinoOutput = { ...p.trinoOutput, schema };
  }
  return { ...plan, ...sameEnvironments(env) };
}

function quietIo(): CliIo & { text: () => string } {
  let out = "";
  return {
    isTTY: false,
    out: (t: string) => {
      out += t;
    },
    err: (t: string) => {
      out += t;
    },
    text: () => out,
  };
}

export const backfillSection = defineSection<BackfillResults>({
  name: "backfill",
  options: {
    "backfill-days": {
      type: "string",
      description: "days of the chunked backfill (default 365)",
    },
    "backfill-before-days": {
      type: "string",
      description: "days of the one-at-a-time backfill it is compared with (default 31)",
    },
    "backfill-rows": {
      type: "string",
      description: "rows a day of each event table (default 2,000)",
    },
    "backfill-concurrency": {
      type: "string",
      description: "backfill --concurrency of both runs (default 2)",
    },
  },
  schema: BackfillResultsSchema,
  async run(ctx) {
    const days = ctx.int("backfill-days", 365, 31);
    const beforeDays = Math.min(days, ctx.int("backfill-before-days", 31, 7));
    const rowsPerDay = ctx.int("backfill-rows", 2000, 1000);
    const concurrency = ctx.int("backfill-concurrency", 2, 2);
    const database = `bench_backfill_${ctx.stamp}`;
    const admin = new pg.Client({ ...ctx.pg, database: "postgres" });
    await admin.connect();
    const trino = TrinoClient.create({
      host: ctx.env.TRINO_HOST ?? "127.0.0.1",
      port: Number(ctx.env.TRINO_PORT ?? 58080),
      user: ctx.env.TRINO_USER ?? "etl",
      password: null,
      scheme: "http",
    });
    const homes: string[] = [];
    const prefixes: string[] = [];
    const schemas: string[] = [];
    try {
      await admin.query(`CREATE DATABASE ${database}`);
      const src = new pg.Client({ ...ctx.pg, database });
      await src.connect();
      try {
        ctx.log(`backfill: sample data, ${days} days x ${rowsPerDay} rows a day, in ${database}`);
        await loadSampleData(src, {
          tenant: TENANT,
          rows: rowsPerDay * days,
          days,
          start: START,
        });
      } finally {
        await src.end();
      }
      const loadBefore = os.loadavg()[0] ?? 0;
      const variant = async (name: string, chunk: number, n: number) => {
        const schema = `bench_backfill_${ctx.stamp}_${name}`;
        const basePath = `bench/${ctx.stamp}/backfill-${name}/project_id=${TENANT}`;
        schemas.push(schema);
        prefixes.push(basePath);
        const home = await mkdtemp(path.join(os.tmpdir(), `bench-backfill-${name}-`));
        homes.push(home);
        const plan = benchPlan(basePath, schema);
        const io = quietIo();
        const to = addDays(START, n - 1);
        ctx.log(`backfill: ${name}: ${JOB} ${START}..${to}, --chunk ${chunk}`);
        const started = performance.now();
        const exitCode = await runCli({
          plan,
          transforms,
          argv: [
            "backfill",
            JOB,
            "--from",
            START,
            "--to",
            to,
            "--concurrency",
            String(concurrency),
            "--chunk",
            String(chunk),
          ],
          env: {
            ...ctx.env,
            ETL_HOME: home,
            ETL_ENVIRONMENT: "dev",
            ETL_LOG_LEVEL: "warn",
            PROJECT_01_DB_NAME: database,
          },
          io,
        });
        const seconds = (performance.now() - started) / 1000;
        if (exitCode !== 0) {
          throw new Error(
            `backfill ${name} exited ${exitCode}:\n${io.text().split("\n").slice(-40).join("\n")}`,
          );
        }
        const records = await new FileLedger(home, TENANT).materializations(TENANT);
        const job = environmentPlan(plan, "dev").jobs.find((j) => j.name === JOB);
        if (job === undefined) throw new Error(`project_01 has no job ${JOB}`);
        const missing: string[] = [];
        for (let d = 0; d < n; d++) {
          const day = addDays(START, d);
          for (const key of job.assets) {
            const ok = records.some(
              (r) => r.assetKey === key && r.partition === day && r.status === "succeeded",
            );
            if (!ok) missing.push(`${key} ${day}`);
          }
        }
        if (missing.length > 0) {
          throw new Error(`backfill ${name}: not materialised: ${missing.slice(0, 5).join(", ")}`);
        }
        const loads = records.filter((r) => r.assetKey.includes("/load/"));
        const result = {
          name,
          chunk,
          days: n,
          seconds: round(seconds, 1),
          partitionsPerMinute: round((n * 60) / seconds, 1),
          retried: records.filter((r) => r.attempts > 1).length,
          loadStatements: new Set(loads.map((r) => String(r.metadata.queryId))).size,
          exitCode,
        };
        ctx.log(
          `backfill: ${name}: ${result.seconds} s, ${result.partitionsPerMinute} partitions/min, ${result.retried} retried, ${result.loadStatements} load statements`,
        );
        return { result, schema };
      };
      const before = await variant("before", 1, beforeDays);
      const after = await variant("after", 31, days);
      const loadAfter = os.loadavg()[0] ?? 0;
      // The same rows in every table for the days both ran.
      const tables = (await trino.rows(`SHOW TABLES FROM iceberg.${before.schema}`)).map((r) =>
        String(r.Table),
      );
      const last = addDays(START, beforeDays - 1);
      for (const table of tables) {
        const columns = (await trino.rows(`SHOW COLUMNS FROM iceberg.${before.schema}.${table}`))
          .map((r) => String(r.Column))
          .filter((c) => c !== "");
        const fingerprint = async (schema: string) => {
          const sums = columns.map((c) => `to_hex(checksum("${c}"))`).join(" || ',' || ");
          const rows = await trino.rows(
            `SELECT CAST(count(*) AS varchar) || ':' || ${sums} AS f FROM iceberg.${schema}.${table} WHERE "${TRANSFER_DATE_COLUMN}" BETWEEN DATE '${START}' AND DATE '${last}'`,
          );
          return String(rows[0]?.f ?? "");
        };
        const a = await fingerprint(before.schema);
        const b = await fingerprint(after.schema);
        if (a !== b || a.startsWith("0:")) {
          throw new Error(
            `backfill: ${table} differs between the runs (or is empty): ${a} vs ${b}`,
          );
        }
      }
      return {
        rowsPerDay,
        concurrency,
        tables,
        before: before.result,
        after: after.result,
        yearSeconds: round((after.result.seconds * 365) / days, 1),
        verified: `every asset of ${JOB} succeeded for every partition of both runs; ${tables.join(", ")}: the same count and per-column checksums over ${START}..${last}`,
        loadBefore: round(loadBefore),
        loadAfter: round(loadAfter),
      };
    } finally {
      for (const schema of schemas) {
        for (const t of await trino.rows(`SHOW TABLES FROM iceberg.${schema}`).catch(() => [])) {
          await trino.execute(`DROP TABLE IF EXISTS iceberg.${schema}."${String(t.Table)}"`);
        }
        await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${schema}`);
      }
      for (const prefix of prefixes) {
        await new S3Storage(s3Settings(ctx.env, prefix)).deletePrefix("");
      }
      for (const home of homes) await rm(home, { recursive: true, force: true });
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    }
  },
  targets(b) {
    return [
      `backfill of 365 daily partitions < 3 min: ${round(b.yearSeconds / 60, 1)} min (${b.after.days === 365 ? "measured" : `scaled from ${b.after.days} days`}; ${b.after.partitionsPerMinute} partitions/min chunked, ${b.before.partitionsPerMinute} one at a time), ${b.after.retried} retries, load average ${b.loadBefore} -> ${b.loadAfter} (${mark(b.yearSeconds < YEAR_TARGET_SECONDS)})`,
    ];
  },
  markdown(b) {
    const row = (v: BackfillResults["before"]) =>
      `| ${v.name} | ${v.chunk} | ${v.days} | ${v.seconds} | ${v.partitionsPerMinute} | ${v.retried} | ${v.loadStatements} |`;
    return [
      `## Backfill: project_01's ${JOB} over daily partitions (${b.rowsPerDay.toLocaleString("en-US")} rows a day per table)`,
      "",
      `\`backfill ${JOB} --concurrency ${b.concurrency}\`, one run of each (a run is minutes); load average ${b.loadBefore} before, ${b.loadAfter} after.`,
      "",
      "| run | --chunk | days | seconds | partitions/min | retried | load statements |",
      "|---|---:|---:|---:|---:|---:|---:|",
      row(b.before),
      row(b.after),
      "",
      `A year at the chunked rate: ${round(b.yearSeconds / 60, 1)} min (target under 3).`,
      "",
      `- ${b.verified}`,
      "",
    ];
  },
});
