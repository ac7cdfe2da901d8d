import { mkdtemp, readdir, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Logger, type LogSink } from "../logger.js";
import { FileLedger } from "./file.js";
import { type LockKey, lockName } from "./types.js";

const KEY: LockKey = { tenant: "t", job: "daily_etl", partition: "2026-01-02" };

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink: LogSink = {
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    isTTY: false,
  };
  return { logger: new Logger({}, sink, "debug", "json"), lines };
}

async function staleLock(home: string): Promise<void> {
  const dir = path.join(home, "locks");
  await new FileLedger(home, "t").tryLock(KEY, { runId: "seed", pid: 1, host: "x" }).then((l) => {
    if (!l.ok) throw new Error("could not seed the lock");
    return l.release();
  });
  // A holder on another host whose heartbeat is long past: stale everywhere.
  await writeFile(
    path.join(dir, `${lockName(KEY)}.lock`),
    `${JSON.stringify({ runId: "old", pid: 1, host: "elsewhere", heartbeatAt: new Date(0).toISOString() })}\n`,
  );
}

describe("file run lock", () => {
  it("lets exactly one of many concurrent takers take over a stale lock (20 rounds)", async () => {
    // The race once let two takers win now and then (a taker judged a half-written fresh lock
    // stale, or moved a fresh lock aside): repeat it so a regression shows up.
    for (let round = 0; round < 20; round++) {
      const home = await mkdtemp(path.join(tmpdir(), "etl-lock-"));
      await staleLock(home);
      const takers = Array.from({ length: 8 }, (_, i) =>
        new FileLedger(home, "t").tryLock(KEY, {
          runId: `r${i}`,
          pid: process.pid,
          host: hostname(),
        }),
      );
      const results = await Promise.all(takers);
      const winners = results.filter((r) => r.ok);
      expect(winners, `round ${round}`).toHaveLength(1);
      for (const r of results) {
        if (!r.ok) expect(r.holder.runId).toMatch(/^r\d$/);
      }
      for (const w of winners) if (w.ok) await w.release();
      // Nothing left behind: no temp file, no takeover mutex, no lock.
      expect(await readdir(path.join(home, "locks")), `round ${round}`).toEqual([]);
    }
  });

  it("takes over a stale lock whose takeover was abandoned by a killed process", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-lock-"));
    await staleLock(home);
    const mutex = path.join(home, "locks", `${lockName(KEY)}.lock.takeover`);
    await writeFile(mutex, "{}\n");
    const old = new Date(Date.now() - 60_000);
    await utimes(mutex, old, old);
    const { logger, lines } = capture();
    const r = await new FileLedger(home, "t").tryLock(
      KEY,
      { runId: "new", pid: process.pid, host: hostname() },
      logger,
    );
    expect(r.ok).toBe(true);
    expect(lines.map((l) => l.msg)).toContain("removed an abandoned run lock takeover");
    if (r.ok) await r.release();
  });

  it("signals `lost` and logs when another process has taken the lock over", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-lock-"));
    const { logger } = capture();
    const ledger = new FileLedger(home, "t", { heartbeatMs: 50 });
    const mine = await ledger.tryLock(
      KEY,
      { runId: "mine", pid: process.pid, host: hostname() },
      logger,
    );
    expect(mine.ok).toBe(true);
    if (!mine.ok) return;
    // Someone judged us stale and replaced the file.
    await writeFile(
      path.join(home, "locks", `${lockName(KEY)}.lock`),
      `${JSON.stringify({ runId: "thief", pid: 1, host: "elsewhere", heartbeatAt: new Date().toISOString() })}\n`,
    );
    await new Promise<void>((resolve) => mine.lost.addEventListener("abort", () => resolve()));
    expect(String(mine.lost.reason)).toContain("taken over by run thief");
    await mine.release();
    // Release leaves the new holder's lock alone.
    const other = await new FileLedger(home, "t").tryLock(KEY, {
      runId: "third",
      pid: process.pid,
      host: hostname(),
    });
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.holder.runId).toBe("thief");
  });

  it("logs a failing heartbeat with the lock and the error", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-lock-"));
    const { logger, lines } = capture();
    const ledger = new FileLedger(home, "t", { heartbeatMs: 50 });
    const mine = await ledger.tryLock(
      KEY,
      { runId: "mine", pid: process.pid, host: hostname() },
      logger,
    );
    if (!mine.ok) throw new Error("lock not taken");
    // A lock file that is not JSON makes the heartbeat's ownership read fail.
    await writeFile(path.join(home, "locks", `${lockName(KEY)}.lock`), "{not json");
    for (let i = 0; i < 40 && !lines.some((l) => l.msg === "run lock heartbeat failed"); i += 1) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const line = lines.find((l) => l.msg === "run lock heartbeat failed");
    expect(line?.lock).toContain(lockName(KEY));
    expect(String(line?.error)).toContain("is not valid JSON");
    await expect(mine.release()).rejects.toThrow(/is not valid JSON/);
  });
});
