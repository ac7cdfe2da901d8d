/**
 * The local ledger under ETL_HOME/ledger/<tenant>/: one JSON file per record, written to a temporary
 * file, fsynced and renamed into place, so a SIGKILL at any moment leaves either the old or the new
 * record, never half of one.
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import type { z } from "zod";
import {
  type CheckRecord,
  CheckRecordSchema,
  type Ledger,
  type LockKey,
  type LockOwner,
  type LockResult,
  lockName,
  type MaterializationRecord,
  MaterializationRecordSchema,
  type RunRecord,
  RunRecordSchema,
} from "./types.js";

/** A lock whose heartbeat is older than this belongs to a dead or hung process. */
export const LOCK_STALE_MS = 60_000;
const HEARTBEAT_MS = 10_000;

/** Writes `text` to `file` atomically (temp file + fsync + rename). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`);
}

async function readAll<S extends z.ZodType>(dir: string, schema: S): Promise<z.infer<S>[]> {
  const names = await readdir(dir).catch((e: unknown) => {
    if ((e as { code?: unknown }).code === "ENOENT") return [] as string[];
    throw new Error(`cannot list ledger directory ${dir}`, { cause: e });
  });
  const out: z.infer<S>[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(".json")) continue;
    const file = path.join(dir, name);
    const text = await readFile(file, "utf8");
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(`ledger record ${file} is not valid: ${parsed.error.message}`);
    }
    out.push(parsed.data);
  }
  return out;
}

interface LockFile extends LockOwner {
  heartbeatAt: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as { code?: unknown }).code === "EPERM";
  }
}

/** Whether a lock's holder is gone: a dead pid on this host, or a heartbeat too old anywhere. */
export function isStale(lock: LockFile, now: number = Date.now()): boolean {
  if (lock.host === hostname() && !processAlive(lock.pid)) {
    return true;
  }
  return now - Date.parse(lock.heartbeatAt) > LOCK_STALE_MS;
}

export class FileLedger implements Ledger {
  readonly description: string;
  private readonly dir: string;
  private readonly lockDir: string;

  constructor(etlHome: string, tenant: string) {
    this.dir = path.join(etlHome, "ledger", safeName(tenant));
    this.lockDir = path.join(etlHome, "locks");
    this.description = `file ledger ${this.dir}`;
  }

  async putRun(run: RunRecord): Promise<void> {
    await writeFileAtomic(
      path.join(this.dir, "runs", `${safeName(run.runId)}.json`),
      `${JSON.stringify(RunRecordSchema.parse(run))}\n`,
    );
  }

  async putMaterialization(m: MaterializationRecord): Promise<void> {
    const name = `${safeName(m.runId)}__${safeName(m.assetKey)}__${m.partition ?? "-"}.json`;
    await writeFileAtomic(
      path.join(this.dir, "materializations", name),
      `${JSON.stringify(MaterializationRecordSchema.parse(m))}\n`,
    );
  }

  async putCheck(c: CheckRecord): Promise<void> {
    const name = `${safeName(c.runId)}__${safeName(c.assetKey)}__${c.partition ?? "-"}__${safeName(c.checkName)}.json`;
    await writeFileAtomic(
      path.join(this.dir, "checks", name),
      `${JSON.stringify(CheckRecordSchema.parse(c))}\n`,
    );
  }

  async runs(tenant: string): Promise<RunRecord[]> {
    return (await readAll(path.join(this.dir, "runs"), RunRecordSchema)).filter(
      (r) => r.tenant === tenant,
    );
  }

  async materializations(tenant: string): Promise<MaterializationRecord[]> {
    return (
      await readAll(path.join(this.dir, "materializations"), MaterializationRecordSchema)
    ).filter((r) => r.tenant === tenant);
  }

  async checks(tenant: string): Promise<CheckRecord[]> {
    return (await readAll(path.join(this.dir, "checks"), CheckRecordSchema)).filter(
      (r) => r.tenant === tenant,
    );
  }

  async tryLock(key: LockKey, owner: LockOwner): Promise<LockResult> {
    await mkdir(this.lockDir, { recursive: true });
    const file = path.join(this.lockDir, `${safeName(lockName(key))}.lock`);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const body: LockFile = { ...owner, heartbeatAt: new Date().toISOString() };
      const created = await open(file, "wx").then(
        async (fh) => {
          try {
            await fh.writeFile(`${JSON.stringify(body)}\n`);
            await fh.sync();
          } finally {
            await fh.close();
          }
          return true;
        },
        (e: unknown) => {
          if ((e as { code?: unknown }).code === "EEXIST") return false;
          throw new Error(`cannot create run lock ${file}`, { cause: e });
        },
      );
      if (created) {
        return { ok: true, release: this.holdLock(file, owner) };
      }
      const holder = await readLock(file);
      if (holder === null) {
        continue; // Released between our create and read: try again.
      }
      if (!isStale(holder)) {
        return { ok: false, holder };
      }
      // Move the stale lock aside (atomic), then compete for a fresh create like everyone else.
      await rename(file, `${file}.stale.${randomUUID()}`).catch((e: unknown) => {
        if ((e as { code?: unknown }).code !== "ENOENT") {
          throw new Error(`cannot remove stale run lock ${file}`, { cause: e });
        }
      });
    }
    const holder = await readLock(file);
    if (holder === null) {
      throw new Error(`run lock ${file} keeps changing hands; try again`);
    }
    return { ok: false, holder };
  }

  private holdLock(file: string, owner: LockOwner): () => Promise<void> {
    const timer = setInterval(() => {
      const body: LockFile = { ...owner, heartbeatAt: new Date().toISOString() };
      // A missed heartbeat only risks a takeover after LOCK_STALE_MS; the next beat retries.
      writeFileAtomic(file, `${JSON.stringify(body)}\n`).catch(() => undefined);
    }, HEARTBEAT_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      const current = await readLock(file);
      if (current !== null && current.runId === owner.runId) {
        await rm(file, { force: true });
      }
    };
  }

  async close(): Promise<void> {}
}

async function readLock(file: string): Promise<LockFile | null> {
  const text = await readFile(file, "utf8").catch((e: unknown) => {
    if ((e as { code?: unknown }).code === "ENOENT") return null;
    throw new Error(`cannot read run lock ${file}`, { cause: e });
  });
  if (text === null || text.trim() === "") {
    // Empty: its creator was killed between create and write; treat as a dead holder.
    return text === null
      ? null
      : { runId: "?", pid: 0, host: "?", heartbeatAt: new Date(0).toISOString() };
  }
  return JSON.parse(text) as LockFile;
}
