/**
 * Orchestration on the real stack (PostgreSQL, S3, Trino/Iceberg) with project_01's generated
 * plan (see stack-plan.ts for what the test changes): a three-day backfill SIGKILLed after its
 * first partition and re-run, S3 stopped during a run, a bad SQL query, pipeline checks, run
 * history queried through Trino, and `status --json` after all of it. The tests run in order and
 * share one ETL_HOME.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type CliIo,
  FileLedger,
  type MaterializationRecord,
  runCli,
  runHistoryTableSql,
  S3Storage,
  TrinoClient,
} from "@etl/runtime";
import { transforms } from "@etl/tenant-project_01";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.js";
import { BASE_PATH, dailyAssets, orchestrationPlan, TENANT, TRINO_SCHEMA } from "./stack-plan.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"];
const plan = orchestrationPlan();
const DAILY = dailyAssets(plan);

let etlHome = "";
let env: Record<string, string | undefined> = {};
const trino = TrinoClient.create({
  host: process.env.TRINO_HOST ?? "127.0.0.1",
  port: Number(process.env.TRINO_PORT ?? 58080),
  user: process.env.TRINO_USER ?? "etl",
  password: null,
  scheme: "http",
});
const storage = new S3Storage({
  bucket: process.env.S3_BUCKET_NAME ?? "data-lake",
  basePath: BASE_PATH,
  endpoint: process.env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
  region: process.env.AWS_REGION ?? "us-east-1",
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
  sessionToken: null,
  forcePathStyle: true,
});

async function stack(...args: string[]): Promise<string> {
  const r = await run("bash", [path.join(repoRoot, "test/stack/stack.sh"), ...args], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  return r.stdout;
}

async function pgQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
  const c = new pg.Client({
    host: "127.0.0.1",
    port: 55432,
    user: "etl",
    password: "etl",
    database: TENANT,
  });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out: (t: string) => {
      io.stdout += t;
    },
    err: (t: string) => {
      io.stderr += t;
    },
  };
  return io;
}

async function cli(argv: string[], extraEnv: Record<string, string> = {}) {
  const io = captureIo();
  const code = await runCli({ plan, transforms, argv, env: { ...env, ...extraEnv }, io });
  return { code, ...io };
}

/** The test plan's entrypoint as a child process (node + tsx, from the sources). */
function spawnCli(argv: string[]): ChildProcess & { output: () => string } {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", tsx, path.join(here, "child-main.ts"), ...argv],
    { cwd: repoRoot, env: { ...env } as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  return Object.assign(child, { output: () => out });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

const ledger = () => new FileLedger(etlHome, TENANT);

function succeededFor(records: MaterializationRecord[], day: string): Set<string> {
  return new Set(
    records.filter((r) => r.partition === day && r.status === "succeeded").map((r) => r.assetKey),
  );
}

/** Rows of lot_history in the tenant's half-open day (created_at is a local timestamp). */
async function pgDay(day: string) {
  const [r] = await pgQuery<{ n: string; groups: string }>(
    `SELECT count(*)::text AS n,
            count(DISTINCT (coalesce(process_step, ''), coalesce(product_code, '')))
              FILTER (WHERE status IN ('IN_PROGRESS', 'COMPLETED'))::text AS groups
     FROM public.lot_history
     WHERE created_at >= $1::date AND created_at < $1::date + 1`,
    [day],
  );
  return { rows: Number(r?.n), wipGroups: Number(r?.groups) };
}

async function trinoCount(table: string, where: string): Promise<number> {
  const rows = await trino.rows(
    `SELECT count(*) AS n FROM iceberg.${TRINO_SCHEMA}.${table} WHERE project_id = '${TENANT}' AND ${where}`,
  );
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  const status = await stack("status");
  for (const c of ["postgres", "s3", "trino"]) {
    if (!new RegExp(`^${c}\\s+healthy`, "m").test(status)) {
      throw new Error(`the stack is not up (npm run stack -- up):\n${status}`);
    }
  }
  env = Object.fromEntries(
    (await stack("env"))
      .split("\n")
      .map((l) => /^export ([A-Z0-9_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], (m[2] ?? "").replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1")]),
  );
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-orch-"));
  env = {
    ...process.env,
    ...env,
    ETL_HOME: etlHome,
    ETL_ENVIRONMENT: "dev",
    ETL_RETRY_BASE_MS: "500",
  };
  for (const day of DAYS) {
    if ((await pgDay(day)).rows === 0) {
      await run("npm", ["run", "-s", "sample-data", "--", "--tenant", TENANT], { cwd: repoRoot });
      break;
    }
  }
  // A clean slate for this suite's own prefix and schema.
  await storage.deletePrefix("");
  await trino.execute(`CREATE SCHEMA IF NOT EXISTS iceberg.${TRINO_SCHEMA}`);
  for (const t of [
    "lot_raw",
    "aps_input_wip",
    "equipment_utilization",
    "aps_input_cycle_time",
    "cfg_item_master",
  ]) {
    await trino.execute(`DROP TABLE IF EXISTS iceberg.${TRINO_SCHEMA}.${t}`);
  }
  await trino.execute(`DROP TABLE IF EXISTS hive.etl_ops.${TENANT}_orch_it_runs`);
}, 600_000);

let s3Stopped = false;
/** Runs the SIGKILLed chunked backfill left open (recorded interrupted by the re-run). */
let chunkInterrupted = 0;

afterAll(async () => {
  // Never leave the S3 server down for the suites that follow.
  if (s3Stopped) await stack("start", "s3");
});

describe.sequential("orchestration on the real stack", () => {
  it("backfills three days; SIGKILLed after the first, a re-run finishes without redoing it or duplicating rows", async () => {
    // One partition at a time (--chunk 1), so that the kill falls between two partitions.
    const child = spawnCli([
      "backfill",
      "daily_etl",
      "--from",
      DAYS[0] ?? "",
      "--to",
      DAYS[2] ?? "",
      "--chunk",
      "1",
    ]);
    // Kill mid-way: the first partition is done and the second one's run is under way.
    const deadline = Date.now() + 300_000;
    let first: string | null = null;
    let midway = false;
    while (!midway && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
      const recs = await ledger().materializations(TENANT);
      first = DAYS.find((d) => DAILY.every((k) => succeededFor(recs, d).has(k))) ?? null;
      const runs = await ledger().runs(TENANT);
      midway =
        first !== null &&
        runs.some((r) => r.partition === DAYS[1] && r.status === "running") &&
        recs.some((r) => r.partition === DAYS[1]);
    }
    expect(child.exitCode, child.output()).toBeNull();
    expect(first).toBe(DAYS[0]);
    expect(midway).toBe(true);
    child.kill("SIGKILL");
    await exited(child);
    const before = await ledger().materializations(TENANT);
    const doneBefore = DAYS.filter((d) => DAILY.every((k) => succeededFor(before, d).has(k)));
    expect(doneBefore.length).toBeLessThan(3);

    const again = spawnCli([
      "backfill",
      "daily_etl",
      "--from",
      DAYS[0] ?? "",
      "--to",
      DAYS[2] ?? "",
      "--chunk",
      "1",
    ]);
    const code = await exited(again);
    expect(code, again.output()).toBe(0);
    expect(again.output()).toContain(`${doneBefore.length} already materialised`);

    const after = await ledger().materializations(TENANT);
    for (const d of DAYS) {
      expect([...succeededFor(after, d)].sort()).toEqual([...DAILY].sort());
    }
    // Finished partitions were not redone: no record of them beyond what existed at the kill.
    for (const d of doneBefore) {
      expect(after.filter((r) => r.partition === d).length).toBe(
        before.filter((r) => r.partition === d).length,
      );
    }
    for (const d of DAYS) {
      const want = await pgDay(d);
      expect(
        await trinoCount(
          "lot_raw",
          `created_at >= TIMESTAMP '${d} 00:00:00' AND created_at < TIMESTAMP '${d} 00:00:00' + INTERVAL '1' DAY`,
        ),
      ).toBe(want.rows);
      expect(await trinoCount("aps_input_wip", `snapshot_date = DATE '${d}'`)).toBe(want.wipGroups);
    }
    // The checks ran where each pipeline's data ends (its load: project_01 loads everything), and were recorded.
    const checks = await ledger().checks(TENANT);
    const names = new Set(checks.map((c) => `${c.assetKey} ${c.checkName}`));
    expect(names).toContain(`${TENANT}/load/lot_raw some_rows`);
    expect(names).toContain(`${TENANT}/load/lot_history not_null_process_step`);
    expect(names).toContain(`${TENANT}/load/process_result range_avg_cycle_time`);
    expect(names).toContain(`${TENANT}/load/equipment_event range_utilization_rate`);
  }, 900_000);

  it("re-runs the three days as one chunk: the same tables, one batched load per pipeline, no retry", async () => {
    const tables = ["lot_raw", "aps_input_wip", "equipment_utilization", "aps_input_cycle_time"];
    const contents = async () => {
      const out: Record<string, string[]> = {};
      for (const t of tables) {
        const rows = await trino.rows(
          `SELECT * FROM iceberg.${TRINO_SCHEMA}.${t} WHERE project_id = '${TENANT}'`,
        );
        out[t] = rows.map((r) => JSON.stringify(r)).sort();
      }
      return out;
    };
    const dayByDay = await contents();
    const startedAt = new Date().toISOString();
    /** Each check's verdict per asset and day, from the records of `when` (before or since). */
    const verdicts = async (since: boolean) => {
      const out = new Map<string, string>();
      const all = (await ledger().checks(TENANT))
        .filter((c) => c.checkedAt >= startedAt === since && DAYS.includes(c.partition ?? ""))
        .sort((a, b) => (a.checkedAt < b.checkedAt ? -1 : 1));
      for (const c of all) {
        out.set(
          `${c.assetKey} ${c.partition} ${c.checkName}`,
          `${c.passed} ${String(c.metadata.failing)}`,
        );
      }
      return out;
    };
    const checksDayByDay = await verdicts(false);
    const r = await cli([
      "backfill",
      "daily_etl",
      "--from",
      DAYS[0] ?? "",
      "--to",
      DAYS[2] ?? "",
      "--force",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("in chunks of 31");
    expect(await contents()).toEqual(dayByDay);
    // The checks, run once per pipeline for the three days, gave each day the day-by-day verdict.
    expect(checksDayByDay.size).toBeGreaterThan(0);
    expect(await verdicts(true)).toEqual(checksDayByDay);
    const loads = (await ledger().materializations(TENANT)).filter(
      (m) => m.startedAt >= startedAt && m.assetKey.includes("/load/"),
    );
    const loadKeys = DAILY.filter((k) => k.includes("/load/"));
    expect(loads).toHaveLength(loadKeys.length * DAYS.length);
    for (const key of loadKeys) {
      const mine = loads.filter((m) => m.assetKey === key);
      expect(mine.map((m) => m.partition).sort()).toEqual(DAYS);
      // Every partition's load was the first try, and all three were the same statement.
      expect(mine.map((m) => [m.status, m.attempts])).toEqual(DAYS.map(() => ["succeeded", 1]));
      expect(new Set(mine.map((m) => m.metadata.queryId)).size, key).toBe(1);
      expect(mine.map((m) => (m.metadata.batch as { partitions?: number }).partitions)).toEqual(
        DAYS.map(() => DAYS.length),
      );
    }
  }, 600_000);

  it("a chunked backfill SIGKILLed while its loads wait or run: a re-run converges, nothing doubled", async () => {
    const startedAt = new Date().toISOString();
    const child = spawnCli([
      "backfill",
      "daily_etl",
      "--from",
      DAYS[0] ?? "",
      "--to",
      DAYS[2] ?? "",
      "--force",
    ]);
    // Kill once every day's raw extract has succeeded: the chunk's loads wait for each other or
    // are being written, with three runs open.
    const deadline = Date.now() + 300_000;
    let extracted = false;
    while (!extracted && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
      const recs = (await ledger().materializations(TENANT)).filter(
        (m) => m.startedAt >= startedAt,
      );
      extracted = DAYS.every((d) =>
        recs.some(
          (m) =>
            m.assetKey === `${TENANT}/extract/lot_raw` &&
            m.partition === d &&
            m.status === "succeeded",
        ),
      );
    }
    expect(child.exitCode, child.output()).toBeNull();
    expect(extracted).toBe(true);
    child.kill("SIGKILL");
    await exited(child);
    const open = (await ledger().runs(TENANT)).filter(
      (r) => r.startedAt >= startedAt && r.status === "running",
    );
    expect(open.length).toBeGreaterThan(0);
    chunkInterrupted = open.length;

    // --force: the days' earlier loads still count as materialised (the killed run's loads had
    // not recorded anything), and the killed runs are closed by the next runs of their days.
    const again = spawnCli([
      "backfill",
      "daily_etl",
      "--from",
      DAYS[0] ?? "",
      "--to",
      DAYS[2] ?? "",
      "--force",
    ]);
    const code = await exited(again);
    expect(code, again.output()).toBe(0);
    const after = await ledger().materializations(TENANT);
    for (const d of DAYS) {
      expect([...succeededFor(after, d)].sort()).toEqual([...DAILY].sort());
      const want = await pgDay(d);
      expect(
        await trinoCount(
          "lot_raw",
          `created_at >= TIMESTAMP '${d} 00:00:00' AND created_at < TIMESTAMP '${d} 00:00:00' + INTERVAL '1' DAY`,
        ),
      ).toBe(want.rows);
      expect(await trinoCount("aps_input_wip", `snapshot_date = DATE '${d}'`)).toBe(want.wipGroups);
    }
    // The killed runs were recorded as interrupted by the re-run's runs of their days.
    const runs = await ledger().runs(TENANT);
    for (const r of open) {
      expect(runs.find((x) => x.runId === r.runId)?.status).toBe("failed");
    }
  }, 900_000);

  it("rides out an S3 server stopped for a few seconds by retrying", async () => {
    await stack("stop", "s3");
    s3Stopped = true;
    const restart = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        stack("start", "s3").then(() => {
          s3Stopped = false;
          resolve();
        }, reject);
      }, 4000);
    });
    // The default backoff (1 s doubling, 5 attempts) spans the restart.
    const r = await cli(
      [
        "run",
        "daily_etl",
        "--partition",
        DAYS[1] ?? "",
        "--select",
        `${TENANT}/extract/lot_raw,${TENANT}/load/lot_raw`,
      ],
      { ETL_RETRY_BASE_MS: "1000" },
    );
    await restart;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runId = /^run (\S+)/m.exec(r.stdout)?.[1];
    const recs = (await ledger().materializations(TENANT)).filter((m) => m.runId === runId);
    const extract = recs.find((m) => m.assetKey === `${TENANT}/extract/lot_raw`);
    expect(extract?.status).toBe("succeeded");
    expect(extract?.attempts).toBeGreaterThan(1);
    expect(recs.find((m) => m.assetKey === `${TENANT}/load/lot_raw`)?.status).toBe("succeeded");
    expect(
      await trinoCount(
        "lot_raw",
        `created_at >= TIMESTAMP '${DAYS[1]} 00:00:00' AND created_at < TIMESTAMP '${DAYS[1]} 00:00:00' + INTERVAL '1' DAY`,
      ),
    ).toBe((await pgDay(DAYS[1] ?? "")).rows);
  }, 600_000);

  it("does not retry bad SQL: fails once, skips the dependents, exits 1", async () => {
    const r = await cli(["run", "broken", "--partition", DAYS[1] ?? ""]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no_such_column/);
    const runId = /^run (\S+)/m.exec(r.stdout)?.[1];
    const recs = (await ledger().materializations(TENANT)).filter((m) => m.runId === runId);
    const broken = recs.find((m) => m.assetKey === `${TENANT}/extract/broken`);
    expect(broken?.status).toBe("failed");
    expect(broken?.attempts).toBe(1);
    expect(recs.find((m) => m.assetKey === `${TENANT}/transfer/broken_child`)?.status).toBe(
      "skipped",
    );
  }, 300_000);

  it("writes run history as Parquet that Trino queries through the documented table", async () => {
    const sql = runHistoryTableSql({
      catalog: "hive",
      schema: "etl_ops",
      table: `${TENANT}_orch_it_runs`,
      location: storage.uri("_runs/"),
    });
    await trino.execute(sql.createSchema);
    await trino.execute(sql.createTable);
    await trino.execute(sql.syncPartitions);
    const runs = await ledger().runs(TENANT);
    const finished = await trino.rows(
      `SELECT run_id, status FROM hive.etl_ops.${TENANT}_orch_it_runs WHERE event_type = 'run_finished' ORDER BY run_id`,
    );
    expect(finished).toEqual(
      runs
        .map((r) => ({ run_id: r.runId, status: r.status }))
        .sort((a, b) => (a.run_id < b.run_id ? -1 : 1)),
    );
    const started = await trino.rows(
      `SELECT count(*) AS n FROM hive.etl_ops.${TENANT}_orch_it_runs WHERE event_type = 'run_started'`,
    );
    expect(Number(started[0]?.n)).toBe(runs.length);
    // Every asset outcome in the ledger is in the history, with its status and attempts.
    const ledgerAssets = (await ledger().materializations(TENANT))
      .filter((m) =>
        runs.some((r) => r.runId === m.runId && r.error?.startsWith("interrupted") !== true),
      )
      .map((m) => `${m.runId} ${m.assetKey} ${m.partition} ${m.status} ${m.attempts}`)
      .sort();
    const historyAssets = (
      await trino.rows(
        `SELECT run_id, asset_key, partition_key, status, attempts FROM hive.etl_ops.${TENANT}_orch_it_runs WHERE event_type IN ('asset_materialized', 'asset_failed', 'asset_skipped')`,
      )
    )
      .map((r) => `${r.run_id} ${r.asset_key} ${r.partition_key} ${r.status} ${r.attempts}`)
      .sort();
    expect(historyAssets).toEqual(ledgerAssets);
    const checks = await trino.rows(
      `SELECT count(*) AS n FROM hive.etl_ops.${TENANT}_orch_it_runs WHERE event_type = 'check_result' AND check_name = 'some_rows' AND check_passed`,
    );
    expect(Number(checks[0]?.n)).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it("status --json tells the truth after all of the above", async () => {
    const r = await cli(["status", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as {
      assets: { key: string; missingPartitions: string[]; failedPartitions: string[] }[];
      recentRuns: { runId: string; status: string; error: string | null }[];
    };
    for (const key of DAILY) {
      const a = s.assets.find((x) => x.key === key);
      for (const d of DAYS) expect(a?.missingPartitions, key).not.toContain(d);
      expect(a?.failedPartitions, key).toEqual([]);
    }
    const broken = s.assets.find((x) => x.key === `${TENANT}/extract/broken`);
    expect(broken?.failedPartitions).toEqual([DAYS[1]]);
    // The SIGKILLed run is not shown as still running.
    expect(s.recentRuns.filter((x) => x.status === "running")).toEqual([]);
    const runs = await ledger().runs(TENANT);
    const interrupted = runs.filter((x) => x.error?.startsWith("interrupted") === true);
    // The day-by-day backfill's SIGKILLed run, and the chunked backfill's.
    expect(interrupted).toHaveLength(1 + chunkInterrupted);
    expect(interrupted[0]?.status).toBe("failed");
  }, 120_000);
});
