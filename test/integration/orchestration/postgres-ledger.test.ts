/**
 * The PostgreSQL run ledger against the stack's PostgreSQL: records round-trip, the run lock
 * excludes a second holder, a lock whose connection dies is released by the server and
 * reported lost to its holder, held locks do not use up the pool the records are written with,
 * and a failed table creation releases the DDL lock every first run waits on.
 */
import { hostname } from "node:os";
import { PostgresLedger, runLedgerDdl } from "@etl/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DB = "etl_ledger_it";
const admin = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port: Number(process.env.PGPORT ?? 55432),
  user: "etl",
  password: process.env.PGPASSWORD ?? "etl",
};
const URL = `postgres://${admin.user}:${admin.password}@${admin.host}:${admin.port}/${DB}`;
// A tenant id per test run keeps reruns apart in the shared database.
const TENANT = `t${process.pid}_${Date.now()}`;
let ledger: PostgresLedger;

beforeAll(async () => {
  const c = new pg.Client({ ...admin, database: "postgres" });
  await c.connect().catch((e: unknown) => {
    throw new Error(`the stack's PostgreSQL is not reachable (npm run stack -- up)`, { cause: e });
  });
  try {
    const exists = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${DB}`);
  } finally {
    await c.end();
  }
  ledger = PostgresLedger.fromUrl(URL);
});

afterAll(async () => {
  await ledger.close();
});

describe("PostgreSQL ledger", () => {
  it("stores runs, materialisations and checks, replacing a run by id", async () => {
    const run = {
      runId: "r1",
      tenant: TENANT,
      environment: "dev",
      job: "daily_etl",
      partition: "2026-01-02",
      status: "running" as const,
      select: null,
      trigger: "cli",
      startedAt: "2026-01-03T00:00:00.000Z",
      finishedAt: null,
      pid: 1,
      host: "h",
      succeeded: 0,
      failed: 0,
      skipped: 0,
      error: null,
    };
    await ledger.putRun(run);
    await ledger.putRun({ ...run, status: "succeeded", finishedAt: "2026-01-03T00:01:00.000Z" });
    const m = {
      runId: "r1",
      tenant: TENANT,
      job: "daily_etl",
      assetKey: `${TENANT}/extract/a`,
      partition: "2026-01-02",
      status: "succeeded" as const,
      startedAt: "2026-01-03T00:00:01.000Z",
      finishedAt: "2026-01-03T00:00:02.000Z",
      attempts: 2,
      metadata: { rows: 3, location: "s3://x/y/" },
      error: null,
    };
    await ledger.putMaterialization(m);
    const c = {
      runId: "r1",
      tenant: TENANT,
      assetKey: m.assetKey,
      partition: m.partition,
      checkName: "not_null_x",
      severity: "error" as const,
      passed: false,
      metadata: { failing: 1 },
      checkedAt: "2026-01-03T00:00:02.000Z",
    };
    await ledger.putCheck(c);
    expect(await ledger.runs(TENANT)).toEqual([
      { ...run, status: "succeeded", finishedAt: "2026-01-03T00:01:00.000Z" },
    ]);
    expect(await ledger.materializations(TENANT)).toEqual([m]);
    expect(await ledger.checks(TENANT)).toEqual([c]);
    expect(await ledger.runs(`${TENANT}_other`)).toEqual([]);
  });

  it("answers the latest status per asset and partition, in a range, whatever order the records came in", async () => {
    const tenant = `${TENANT}_latest`;
    const mat = (
      runId: string,
      asset: string,
      partition: string | null,
      status: "succeeded" | "failed" | "skipped",
      finishedAt: string,
    ) => ({
      runId,
      tenant,
      job: "daily_etl",
      assetKey: `${tenant}/${asset}`,
      partition,
      status,
      startedAt: finishedAt,
      finishedAt,
      attempts: 1,
      metadata: {},
      error: null,
    });
    // Written newest first for one day, and days out of order, so neither insertion order nor
    // a sort inside the query decides the answer.
    await ledger.putMaterialization(
      mat("r3", "extract/a", "2026-01-03", "succeeded", "2026-01-05T00:00:00Z"),
    );
    await ledger.putMaterialization(
      mat("r1", "extract/a", "2026-01-03", "failed", "2026-01-04T00:00:00Z"),
    );
    await ledger.putMaterialization(
      mat("r1", "extract/a", "2026-01-01", "skipped", "2026-01-04T00:00:00Z"),
    );
    await ledger.putMaterialization(
      mat("r2", "extract/a", "2026-01-02", "failed", "2026-01-04T00:00:01Z"),
    );
    await ledger.putMaterialization(mat("r1", "load/m", null, "failed", "2026-01-04T00:00:00Z"));
    await ledger.putMaterialization(mat("r2", "load/m", null, "succeeded", "2026-01-04T00:00:01Z"));
    const text = (states: Awaited<ReturnType<PostgresLedger["latestStates"]>>) =>
      states.map((s) => `${s.assetKey.slice(tenant.length + 1)}|${s.partition}|${s.status}`).sort();
    expect(
      text(await ledger.latestStates(tenant, { assetKeys: null, from: null, to: null })),
    ).toEqual([
      "extract/a|2026-01-01|skipped",
      "extract/a|2026-01-02|failed",
      "extract/a|2026-01-03|succeeded",
      "load/m|null|succeeded",
    ]);
    expect(
      text(
        await ledger.latestStates(tenant, {
          assetKeys: [`${tenant}/extract/a`],
          from: "2026-01-02",
          to: "2026-01-03",
        }),
      ),
    ).toEqual(["extract/a|2026-01-02|failed", "extract/a|2026-01-03|succeeded"]);
  });

  it("lets one holder have a run lock; a dead connection releases it and tells the holder", async () => {
    const key = { tenant: TENANT, job: "daily_etl", partition: "2026-01-02" };
    const first = await ledger.tryLock(key, { runId: "a", pid: process.pid, host: hostname() });
    expect(first.ok).toBe(true);
    const other = PostgresLedger.fromUrl(URL);
    try {
      const second = await other.tryLock(key, { runId: "b", pid: 2, host: "elsewhere" });
      expect(second.ok).toBe(false);
      if (!second.ok) expect(second.holder.runId).toBe("a");
      // Another partition is another lock.
      const p3 = await other.tryLock(
        { ...key, partition: "2026-01-03" },
        { runId: "c", pid: 2, host: "elsewhere" },
      );
      expect(p3.ok).toBe(true);
      if (p3.ok) await p3.release();

      // Kill the first holder's session, as a crashed pod would lose it.
      const c = new pg.Client({ ...admin, database: DB });
      await c.connect();
      try {
        // The only advisory lock held in this dedicated database is the first holder's.
        const killed = await c.query(
          `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
           WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        expect(killed.rowCount).toBe(1);
      } finally {
        await c.end();
      }
      if (!first.ok) throw new Error("first lock not taken");
      await new Promise<void>((resolve) => {
        if (first.lost.aborted) resolve();
        else first.lost.addEventListener("abort", () => resolve());
      });
      expect(String(first.lost.reason)).toContain("connection failed");
      await first.release();
      const third = await other.tryLock(key, { runId: "d", pid: 2, host: "elsewhere" });
      expect(third.ok).toBe(true);
      if (third.ok) await third.release();
    } finally {
      await other.close();
    }
  });

  it("holds more run locks at once than its pool has connections, and still writes records", async () => {
    // Each held lock keeps a connection for its whole run: backfill --workers 6 in one process.
    const locks = await Promise.all(
      ["01", "02", "03", "04", "05", "06"].map((day) =>
        ledger.tryLock(
          { tenant: TENANT, job: "many_locks", partition: `2026-02-${day}` },
          { runId: `m${day}`, pid: process.pid, host: hostname() },
        ),
      ),
    );
    expect(locks.map((l) => l.ok)).toEqual([true, true, true, true, true, true]);
    const run = {
      runId: "m-record",
      tenant: TENANT,
      environment: "dev",
      job: "many_locks",
      partition: "2026-02-01",
      status: "running" as const,
      select: null,
      trigger: "backfill",
      startedAt: "2026-02-02T00:00:00.000Z",
      finishedAt: null,
      pid: 1,
      host: "h",
      succeeded: 0,
      failed: 0,
      skipped: 0,
      error: null,
    };
    await ledger.putRun(run);
    expect((await ledger.runs(TENANT)).some((r) => r.runId === "m-record")).toBe(true);
    for (const lock of locks) if (lock.ok) await lock.release();
  });

  it("releases the DDL lock when the DDL fails, so another process's first run does not wait forever", async () => {
    const pool = new pg.Pool({ connectionString: URL, max: 1 });
    try {
      await expect(runLedgerDdl(pool, "SELECT 1 / 0")).rejects.toThrow(/division by zero/);
      // Another session takes the lock at once: nobody holds it (pg_try_advisory_lock never waits).
      const other = new pg.Client({ ...admin, database: DB });
      await other.connect();
      try {
        const r = await other.query<{ got: boolean }>(
          "SELECT pg_try_advisory_lock(hashtext('etl_ledger_ddl')) AS got",
        );
        expect(r.rows[0]?.got).toBe(true);
        await other.query("SELECT pg_advisory_unlock(hashtext('etl_ledger_ddl'))");
      } finally {
        await other.end();
      }
      // The pool's connection is still usable for the next attempt.
      await runLedgerDdl(pool, "SELECT 1");
    } finally {
      await pool.end();
    }
  });
});
