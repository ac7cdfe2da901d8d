/**
 * Backfills spread over worker processes through the PostgreSQL ledger, on the real stack: the
 * queue's claims, leases and takeovers against PostgreSQL itself, then `backfill --workers 0`
 * queueing three days of project_01 and four `worker <backfill-id>` processes working them, one
 * SIGKILLed in the middle of a partition. The range completes, the dead worker's partition is
 * taken over once its lease runs out, and each day's loaded rows equal PostgreSQL's (count, sum
 * and distinct keys: a partition loaded twice would show). Everything is named by this test run:
 * its own ledger database, Trino schema and storage prefix.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type CliIo, newBackfillId, PostgresLedger, runCli, TrinoClient } from "@etl/runtime";
import { transforms } from "@etl/tenant-project_01";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.js";
import { TENANT } from "./stack-plan.js";
import { RAW_JOB, workersPlace, workersPlan } from "./workers-plan.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const RUN_NAME = `${process.pid}_${Date.now().toString(36)}`;
const LEDGER_DB = `etl_bf_it_${RUN_NAME}`;
const DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"];
const place = workersPlace(RUN_NAME);
const plan = workersPlan(RUN_NAME);
const admin = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port: Number(process.env.PGPORT ?? 55432),
  user: process.env.PGUSER ?? "etl",
  password: process.env.PGPASSWORD ?? "etl",
};
const LEDGER_URL = `postgres://${admin.user}:${admin.password}@${admin.host}:${admin.port}/${LEDGER_DB}`;
const trino = TrinoClient.create({
  host: process.env.TRINO_HOST ?? "127.0.0.1",
  port: Number(process.env.TRINO_PORT ?? 58080),
  user: process.env.TRINO_USER ?? "etl",
  password: null,
  scheme: "http",
});

let env: Record<string, string | undefined> = {};
let ledger: PostgresLedger;
const children: ChildProcess[] = [];

async function stack(...args: string[]): Promise<string> {
  const r = await run("bash", [path.join(repoRoot, "test/stack/stack.sh"), ...args], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  return r.stdout;
}

async function pgQuery<T extends pg.QueryResultRow>(
  database: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ ...admin, database });
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

/** The worker test plan's entrypoint as a child process (node + tsx, from the sources). */
function spawnCli(argv: string[]): ChildProcess & { output: () => string } {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", tsx, path.join(here, "workers-main.ts"), ...argv],
    { cwd: repoRoot, env: { ...env } as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
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

/** Per day: rows, the sum of quantity and distinct lots, in PostgreSQL (the tenant's local days). */
async function pgDay(day: string): Promise<string> {
  const [r] = await pgQuery<{ v: string }>(
    TENANT,
    `SELECT count(*) || '/' || sum(quantity) || '/' || count(DISTINCT lot_id) AS v
       FROM public.lot_history WHERE created_at >= $1::date AND created_at < $1::date + 1`,
    [day],
  );
  return r?.v ?? "";
}

/** The same aggregates of the loaded day in Trino. */
async function trinoDay(day: string): Promise<string> {
  const rows = await trino.rows(
    `SELECT CAST(count(*) AS varchar) || '/' || CAST(sum(quantity) AS varchar) || '/' || CAST(count(DISTINCT lot_id) AS varchar) AS v
       FROM iceberg.${place.schema}.lot_raw
      WHERE project_id = '${TENANT}' AND created_at >= TIMESTAMP '${day} 00:00:00' AND created_at < TIMESTAMP '${day} 00:00:00' + INTERVAL '1' DAY`,
  );
  return String(rows[0]?.v ?? "");
}

beforeAll(async () => {
  const status = await stack("status");
  for (const c of ["postgres", "s3", "trino"]) {
    if (!new RegExp(`^${c}\\s+healthy`, "m").test(status)) {
      throw new Error(`the stack is not up (npm run stack -- up):\n${status}`);
    }
  }
  const stackEnv = Object.fromEntries(
    (await stack("env"))
      .split("\n")
      .map((l) => /^export ([A-Z0-9_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], (m[2] ?? "").replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1")]),
  );
  await pgQuery("postgres", `CREATE DATABASE ${LEDGER_DB}`);
  env = {
    ...process.env,
    ...stackEnv,
    ETL_HOME: await mkdtemp(path.join(tmpdir(), "etl-bf-it-")),
    ETL_ENVIRONMENT: "dev",
    ETL_LEDGER_URL: LEDGER_URL,
    ETL_RETRY_BASE_MS: "500",
    BACKFILL_IT_RUN: RUN_NAME,
  };
  for (const day of DAYS) {
    if ((await pgDay(day)).startsWith("0/")) {
      await run("npm", ["run", "-s", "sample-data", "--", "--tenant", TENANT], { cwd: repoRoot });
      break;
    }
  }
  ledger = PostgresLedger.fromUrl(LEDGER_URL);
}, 600_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await ledger?.close();
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${place.schema}.lot_raw`);
  await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${place.schema}`);
  await pgQuery("postgres", `DROP DATABASE IF EXISTS ${LEDGER_DB} WITH (FORCE)`);
});

describe.sequential("backfills over worker processes", () => {
  it("claims each partition once at a time, renews and finishes only under the lease, and hands an expired lease to another worker", async () => {
    const queue = ledger.backfills;
    const spec = {
      backfillId: newBackfillId(),
      tenant: "queue_only",
      environment: "dev",
      job: "daily_etl",
      from: "2026-01-01",
      to: "2026-01-03",
      force: false,
      createdAt: new Date().toISOString(),
    };
    await queue.create(spec, DAYS);
    const claims = await Promise.all(
      ["w1", "w2", "w3", "w4"].map((w) => queue.claim(spec.backfillId, w, 60_000)),
    );
    const claimed = claims.flatMap((c) => (c === null ? [] : [c.partition])).sort();
    expect(claimed).toEqual(DAYS);
    expect(claims.filter((c) => c === null)).toHaveLength(1);
    const holderOf = (day: string) =>
      ["w1", "w2", "w3", "w4"][claims.findIndex((c) => c?.partition === day)] ?? "";
    const first = holderOf("2026-01-01");
    const other = first === "w1" ? "w2" : "w1";
    expect(await queue.renew(spec.backfillId, "2026-01-01", other, 60_000)).toBe(false);
    expect(await queue.renew(spec.backfillId, "2026-01-01", first, 60_000)).toBe(true);
    expect(
      await queue.finish(spec.backfillId, "2026-01-01", other, {
        status: "succeeded",
        runId: null,
        error: null,
      }),
    ).toBe(false);
    // A lease that runs out makes the partition claimable again, as a second attempt.
    const second = holderOf("2026-01-02");
    expect(await queue.renew(spec.backfillId, "2026-01-02", second, 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const takeover = await queue.claim(spec.backfillId, "w9", 60_000);
    expect(takeover).toEqual({ partition: "2026-01-02", attempt: 2 });
    expect(
      await queue.finish(spec.backfillId, "2026-01-02", second, {
        status: "failed",
        runId: null,
        error: "late",
      }),
    ).toBe(false);
    for (const [day, worker] of [
      ["2026-01-01", first],
      ["2026-01-02", "w9"],
      ["2026-01-03", holderOf("2026-01-03")],
    ] as const) {
      expect(
        await queue.finish(spec.backfillId, day, worker, {
          status: day === "2026-01-03" ? "failed" : "succeeded",
          runId: `r-${day}`,
          error: day === "2026-01-03" ? "boom" : null,
        }),
      ).toBe(true);
    }
    const progress = await queue.progress(spec.backfillId);
    expect(progress).toMatchObject({
      total: 3,
      succeeded: 2,
      failed: 1,
      claimed: 0,
      pending: 0,
      failedPartitions: ["2026-01-03"],
      workers: [],
    });
  });

  it("four worker processes finish a queued range with one SIGKILLed mid-partition; each day's rows equal PostgreSQL's", async () => {
    const io = captureIo();
    const queued = await runCli({
      plan,
      transforms,
      argv: ["backfill", RAW_JOB, "--from", DAYS[0] ?? "", "--to", DAYS[2] ?? "", "--workers", "0"],
      env,
      io,
    });
    expect(queued, io.stderr).toBe(0);
    const backfillId = /^backfill (bf-\S+):/m.exec(io.stdout)?.[1] ?? "";
    expect(backfillId).not.toBe("");
    expect(io.stdout).toContain(`etl-${TENANT} worker ${backfillId}`);

    const workers = Array.from({ length: 4 }, () =>
      spawnCli(["worker", backfillId, "--lease-seconds", "6"]),
    );
    // Mid-partition: a worker holds a day whose extract has succeeded and whose run goes on.
    const deadline = Date.now() + 300_000;
    let victim: (typeof workers)[number] | undefined;
    let victimDay = "";
    while (victim === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const held = await pgQuery<{ partition_key: string; worker: string }>(
        LEDGER_DB,
        "SELECT partition_key, worker FROM etl_backfill_partitions WHERE backfill_id = $1 AND status = 'claimed'",
        [backfillId],
      );
      const runs = await ledger.runs(TENANT);
      const records = await ledger.materializations(TENANT);
      for (const h of held) {
        const running = runs.some((r) => r.partition === h.partition_key && r.status === "running");
        const extracted = records.some(
          (r) =>
            r.partition === h.partition_key &&
            r.assetKey === `${TENANT}/extract/lot_raw` &&
            r.status === "succeeded",
        );
        const pid = Number(h.worker.split(":")[1]);
        const child = workers.find((w) => w.pid === pid);
        if (running && extracted && child !== undefined) {
          victim = child;
          victimDay = h.partition_key;
          break;
        }
      }
    }
    expect(victim, workers.map((w) => w.output()).join("\n---\n")).toBeDefined();
    victim?.kill("SIGKILL");
    const codes = await Promise.all(workers.map((w) => exited(w)));
    const survivors = workers.filter((w) => w !== victim);
    for (const w of survivors) {
      expect(codes[workers.indexOf(w)], w.output()).toBe(0);
    }

    const progress = await ledger.backfills.progress(backfillId);
    expect(progress).toMatchObject({ total: 3, succeeded: 3, failed: 0, claimed: 0, pending: 0 });
    const [taken] = await pgQuery<{ attempts: number }>(
      LEDGER_DB,
      "SELECT attempts FROM etl_backfill_partitions WHERE backfill_id = $1 AND partition_key = $2",
      [backfillId, victimDay],
    );
    expect(taken?.attempts).toBe(2);
    // The ledger records every partition's load as any run does; the killed run is not left
    // "running" once another run of its job and partition has started.
    const records = await ledger.materializations(TENANT);
    for (const day of DAYS) {
      expect(
        records.some(
          (r) =>
            r.partition === day &&
            r.assetKey === `${TENANT}/load/lot_raw` &&
            r.status === "succeeded",
        ),
      ).toBe(true);
      expect(await trinoDay(day)).toBe(await pgDay(day));
    }
    const runs = await ledger.runs(TENANT);
    expect(runs.filter((r) => r.status === "running")).toEqual([]);

    const status = captureIo();
    expect(await runCli({ plan, transforms, argv: ["status"], env, io: status })).toBe(0);
    expect(status.stdout).toContain("QUEUED BACKFILLS");
    expect(status.stdout).toMatch(new RegExp(`${backfillId}\\s+${RAW_JOB}.*3/0/0/0 of 3`));
  });

  it("refuses --workers without the PostgreSQL ledger, and a worker of an unknown backfill", async () => {
    const fileLedger = captureIo();
    const { ETL_LEDGER_URL: _dropped, ...withoutLedger } = env;
    expect(
      await runCli({
        plan,
        transforms,
        argv: [
          "backfill",
          RAW_JOB,
          "--from",
          DAYS[0] ?? "",
          "--to",
          DAYS[0] ?? "",
          "--workers",
          "2",
        ],
        env: withoutLedger,
        io: fileLedger,
      }),
    ).toBe(2);
    expect(fileLedger.stderr).toMatch(/--workers needs the PostgreSQL ledger.*ETL_LEDGER_URL/);
    const unknown = captureIo();
    expect(await runCli({ plan, transforms, argv: ["worker", "bf-nope"], env, io: unknown })).toBe(
      2,
    );
    expect(unknown.stderr).toMatch(/no backfill "bf-nope"/);
  });
});
