/**
 * The local ledger under ETL_HOME/ledger/<tenant>/: one JSON file per record, written to a temporary
 * file, fsynced and renamed into place, so a SIGKILL at any moment leaves either the old or the new
 * record, never half of one.
 */
import { randomUUID } from "node:crypto";
import {
  appendFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { z } from "zod";
import { type Logger, rootLogger } from "../logger.js";
import { FileLedgerIndex } from "./file-index.js";
import { readRecordFile } from "./file-record.js";
import {
  type AssetStateSummary,
  type LatestStatus,
  type PartitionQuery,
  type RunDetail,
  type RunLogLine,
  RunLogLineSchema,
  type RunQuery,
} from "./queries.js";
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
/** How often a holder rewrites its heartbeat (and checks it still owns the lock). */
export const HEARTBEAT_MS = 10_000;

/** Writes `text` to a new temp file beside `file`, fsynced; returns the temp file's path. */
async function writeTemp(file: string, text: string): Promise<string> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  const fh = await open(tmp, "wx");
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Writes `text` to `file` atomically (temp file + fsync + rename). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await rename(await writeTemp(file, text), file);
}

/** A takeover mutex older than this was left by a process killed during its (millisecond) takeover. */
const TAKEOVER_STALE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates `file` holding `text` only if it does not exist, in one step: the text goes to a temp
 * file (fsynced), which is hard-linked to `file` (link fails when `file` exists). Returns false
 * when `file` exists.
 */
export async function createExclusive(file: string, text: string): Promise<boolean> {
  const tmp = await writeTemp(file, text);
  try {
    return await link(tmp, file).then(
      () => true,
      (e: unknown) => {
        if (errorCode(e) === "EEXIST") return false;
        throw new Error(`cannot create ${file}`, { cause: e });
      },
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

/** A record id as a file name: characters outside [A-Za-z0-9_.-] as ~hex. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`);
}

/**
 * Every record of one kind; a damaged file is quarantined and left out (`readRecordFile`), never
 * breaking `status` and every later `run`.
 */
async function readAll<S extends z.ZodType>(
  dir: string,
  schema: S,
  logger: Logger,
): Promise<z.infer<S>[]> {
  const names = await readdir(dir).catch((e: unknown) => {
    if ((e as { code?: unknown }).code === "ENOENT") return [] as string[];
    throw new Error(`cannot list ledger directory ${dir}`, { cause: e });
  });
  const out: z.infer<S>[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(".json")) continue;
    const record = await readRecordFile(dir, name, schema, logger);
    if (record !== null) out.push(record);
  }
  return out;
}

const LockFileSchema = z.strictObject({
  runId: z.string(),
  pid: z.number().int(),
  host: z.string(),
  heartbeatAt: z.string(),
});
type LockFile = z.infer<typeof LockFileSchema>;

function errorCode(e: unknown): unknown {
  return typeof e === "object" && e !== null && "code" in e ? e.code : undefined;
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
  /** A queue for workers on many machines needs the PostgreSQL ledger. */
  readonly backfills = null;
  private readonly dir: string;
  private readonly lockDir: string;

  private readonly heartbeatMs: number;
  private readonly logger: Logger;

  /** `heartbeatMs` defaults to HEARTBEAT_MS (tests shorten it); `logger` hears of quarantined records. */
  constructor(
    etlHome: string,
    private readonly tenant: string,
    options: { heartbeatMs?: number; logger?: Logger } = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.logger = options.logger ?? rootLogger;
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

  /**
   * Every run of the tenant, through the read index: every run starts by asking for them (and an
   * alert for each run's end), so reading every run file each time made a long backfill's runs
   * slower and slower (a year of daily runs: 70-130 ms per call at the end).
   */
  async runs(tenant: string): Promise<RunRecord[]> {
    if (tenant !== this.tenant) return [];
    return this.queries(tenant).allRuns();
  }

  async materializations(tenant: string): Promise<MaterializationRecord[]> {
    return (
      await readAll(
        path.join(this.dir, "materializations"),
        MaterializationRecordSchema,
        this.logger,
      )
    ).filter((r) => r.tenant === tenant);
  }

  async checks(tenant: string): Promise<CheckRecord[]> {
    return (await readAll(path.join(this.dir, "checks"), CheckRecordSchema, this.logger)).filter(
      (r) => r.tenant === tenant,
    );
  }

  /**
   * Takes the run lock of `key`, or reports its live holder. The lock file is created with its
   * content in one step (a fully written temp file hard-linked into place, which fails when the
   * lock exists), so nobody ever reads a half-written lock. A stale lock (dead holder) is removed
   * only under the takeover mutex (`<lock>.takeover`, also created by link), after re-reading it
   * there: two processes can never both judge the same lock stale and remove a fresh one in
   * between. After removal every contender competes for the create again; exactly one wins.
   */
  async tryLock(key: LockKey, owner: LockOwner, logger: Logger = rootLogger): Promise<LockResult> {
    await mkdir(this.lockDir, { recursive: true });
    const file = path.join(this.lockDir, `${safeName(lockName(key))}.lock`);
    // Each round either ends, or waits for another process's takeover (milliseconds).
    for (let round = 0; round < 200; round += 1) {
      const body: LockFile = { ...owner, heartbeatAt: new Date().toISOString() };
      if (await createExclusive(file, `${JSON.stringify(body)}\n`)) {
        const held = this.holdLock(file, owner, logger);
        return { ok: true, release: held.release, lost: held.lost };
      }
      const holder = await readLock(file);
      if (holder === null) {
        continue; // Released between our create and read: try again.
      }
      if (!isStale(holder)) {
        return { ok: false, holder };
      }
      const took = await this.removeStale(file, logger);
      if (took === "busy") {
        await sleep(10 + Math.floor(Math.random() * 20));
      }
    }
    const holder = await readLock(file);
    if (holder === null) {
      throw new Error(`run lock ${file} keeps changing hands; try again`);
    }
    return { ok: false, holder };
  }

  /**
   * Under the takeover mutex, removes the lock file when it is (still) stale. "busy": another
   * process holds the mutex; "done": the lock is gone or no longer stale (the caller retries).
   * A mutex left by a process killed during its takeover (older than TAKEOVER_STALE_MS) is removed.
   */
  private async removeStale(file: string, logger: Logger): Promise<"busy" | "done"> {
    const mutex = `${file}.takeover`;
    const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() })}\n`;
    if (!(await createExclusive(mutex, mine))) {
      const age = await stat(mutex).then(
        (st) => Date.now() - st.mtimeMs,
        (e: unknown) => {
          if (errorCode(e) === "ENOENT") return 0;
          throw new Error(`cannot inspect run lock takeover ${mutex}`, { cause: e });
        },
      );
      if (age > TAKEOVER_STALE_MS) {
        logger.warn("removed an abandoned run lock takeover", { lock: file, ageMs: age });
        await rm(mutex, { force: true });
      }
      return "busy";
    }
    try {
      const current = await readLock(file);
      if (current !== null && isStale(current)) {
        await rm(file, { force: true });
        logger.warn("took over a stale run lock", { lock: file, holder: current });
      }
      return "done";
    } finally {
      await rm(mutex, { force: true });
    }
  }

  private holdLock(
    file: string,
    owner: LockOwner,
    logger: Logger,
  ): { release: () => Promise<void>; lost: AbortSignal } {
    const lost = new AbortController();
    let lastBeat = Date.now();
    let beating = false;
    const beat = async () => {
      const current = await readLock(file);
      if (current === null || current.runId !== owner.runId) {
        lost.abort(
          new Error(
            `run lock ${file} was taken over by ${current === null ? "nobody (it was removed)" : `run ${current.runId} (pid ${current.pid} on ${current.host})`}`,
          ),
        );
        return;
      }
      const body: LockFile = { ...owner, heartbeatAt: new Date().toISOString() };
      await writeFileAtomic(file, `${JSON.stringify(body)}\n`);
      lastBeat = Date.now();
    };
    const timer = setInterval(() => {
      if (beating || lost.signal.aborted) return;
      beating = true;
      beat()
        .catch((e: unknown) => {
          const ageMs = Date.now() - lastBeat;
          logger.error("run lock heartbeat failed", {
            lock: file,
            runId: owner.runId,
            lastHeartbeatAgeMs: ageMs,
            error: e instanceof Error ? e.message : String(e),
          });
          // Once our heartbeat is nearly stale, another process may take the lock over at any
          // moment; stop before that can happen rather than run two copies of the partition.
          if (ageMs > LOCK_STALE_MS - this.heartbeatMs) {
            lost.abort(
              new Error(
                `run lock ${file}: no heartbeat written for ${Math.round(ageMs / 1000)} s`,
                { cause: e },
              ),
            );
          }
        })
        .finally(() => {
          beating = false;
        });
    }, this.heartbeatMs);
    timer.unref();
    const release = async () => {
      clearInterval(timer);
      const current = await readLock(file);
      if (current !== null && current.runId === owner.runId) {
        await rm(file, { force: true });
      }
    };
    return { release, lost: lost.signal };
  }

  private index: FileLedgerIndex | null = null;

  /** The read index, built on first use and refreshed by every query. */
  private queries(tenant: string): FileLedgerIndex {
    if (this.tenant !== tenant) {
      throw new Error(`${this.description} holds tenant ${this.tenant}, not ${tenant}`);
    }
    this.index ??= new FileLedgerIndex(this.dir, this.tenant, this.logger);
    return this.index;
  }

  latestStates(tenant: string, query: PartitionQuery): Promise<LatestStatus[]> {
    return this.queries(tenant).latestStates(query);
  }

  assetMaterializations(
    tenant: string,
    assetKey: string,
    limit: number,
  ): Promise<MaterializationRecord[]> {
    return this.queries(tenant).assetMaterializations(assetKey, limit);
  }

  assetChecks(tenant: string, assetKey: string, limit: number): Promise<CheckRecord[]> {
    return this.queries(tenant).assetChecks(assetKey, limit);
  }

  assetSummaries(
    tenant: string,
    range: { from: string; to: string },
  ): Promise<AssetStateSummary[]> {
    return this.queries(tenant).assetSummaries(range);
  }

  latestChecks(tenant: string): Promise<CheckRecord[]> {
    return this.queries(tenant).latestChecks();
  }

  findRuns(tenant: string, query: RunQuery): Promise<RunRecord[]> {
    return this.queries(tenant).findRuns(query);
  }

  getRun(tenant: string, runId: string): Promise<RunDetail | null> {
    return this.queries(tenant).getRun(runId);
  }

  private logFile(runId: string): string {
    return path.join(this.dir, "logs", `${safeName(runId)}.jsonl`);
  }

  /**
   * Appends lines to the run's `logs/<run id>.jsonl`. Unlike the records, a log is appended, not
   * replaced: a process killed mid-write can leave a torn last line, which `runLogs` leaves out.
   */
  async appendLogs(tenant: string, runId: string, lines: readonly RunLogLine[]): Promise<void> {
    this.queries(tenant);
    if (lines.length === 0) return;
    const file = this.logFile(runId);
    await mkdir(path.dirname(file), { recursive: true });
    await appendFile(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  }

  async runLogs(
    tenant: string,
    runId: string,
    afterSeq: number,
    limit: number,
  ): Promise<RunLogLine[]> {
    this.queries(tenant);
    const file = this.logFile(runId);
    const text = await readFile(file, "utf8").catch((e: unknown) => {
      if (errorCode(e) === "ENOENT") return "";
      throw new Error(`cannot read run log ${file}`, { cause: e });
    });
    const rows = text.split("\n");
    // The text after the last newline is a line still being written (or torn by a kill).
    rows.pop();
    const out: RunLogLine[] = [];
    for (const [i, row] of rows.entries()) {
      let json: unknown;
      try {
        json = JSON.parse(row);
      } catch (e) {
        throw new Error(`run log ${file}:${i + 1} is not valid JSON`, { cause: e });
      }
      const parsed = RunLogLineSchema.safeParse(json);
      if (!parsed.success) {
        throw new Error(`run log ${file}:${i + 1} is not a log line: ${parsed.error.message}`);
      }
      if (parsed.data.seq > afterSeq) out.push(parsed.data);
      if (out.length >= limit) break;
    }
    return out;
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`run lock ${file} is not valid JSON (delete it if no run is in progress)`, {
      cause: e,
    });
  }
  const lock = LockFileSchema.safeParse(parsed);
  if (!lock.success) {
    throw new Error(`run lock ${file} is not a lock record: ${lock.error.message}`);
  }
  return lock.data;
}
