/**
 * An in-memory index over one tenant's file ledger, for the read queries (queries.ts). Reading
 * 100,000 record files for every question would take seconds, so the index reads each file once
 * and, on each refresh, only what changed: a directory whose mtime is unchanged is not listed
 * again, a listed directory yields its new names, and run files still "running" are re-read
 * (a run's file is rewritten when it ends; materialisation and check files are written once, their
 * names carrying run, asset and partition).
 *
 * It keeps compact entries (keys, status, times); full records are read from their file on
 * demand, so memory stays proportional to the number of records, not to their metadata.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import type { Logger } from "../logger.js";
import { readRecordFile } from "./file-record.js";
import type {
  AssetStateSummary,
  LatestStatus,
  PartitionQuery,
  RunDetail,
  RunQuery,
} from "./queries.js";
import { inRange, runMatches, summarizeStates } from "./queries.js";
import {
  type CheckRecord,
  CheckRecordSchema,
  type MaterializationRecord,
  MaterializationRecordSchema,
  type MaterializationStatus,
  type RunRecord,
  RunRecordSchema,
} from "./types.js";

interface MaterializationEntry {
  file: string;
  assetKey: string;
  partition: string | null;
  status: MaterializationStatus;
  startedAt: string;
  finishedAt: string;
  runId: string;
}

interface CheckEntry {
  file: string;
  assetKey: string;
  checkName: string;
  runId: string;
  checkedAt: string;
}

type Kind = "runs" | "materializations" | "checks";

/** How old a directory's mtime must be before an unchanged one is taken as "nothing new". */
const MTIME_TRUSTED_AFTER_MS = 1000;

/** Files read at once while (re)building the index. */
const READ_BATCH = 128;

/** How many full records the index keeps after reading them (a few pages' worth). */
const RECENT_RECORDS = 20_000;

function errorCode(e: unknown): unknown {
  return typeof e === "object" && e !== null && "code" in e ? e.code : undefined;
}

async function readRecord<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>> {
  const text = await readFile(file, "utf8").catch((e: unknown) => {
    throw new Error(`cannot read ledger record ${file}`, { cause: e });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`ledger record ${file} is not valid JSON`, { cause: e });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`ledger record ${file} is not valid: ${parsed.error.message}`);
  }
  return parsed.data;
}

/**
 * Reads files of one kind, a bounded number at once; pairs come back in the names' order. A damaged
 * file is quarantined and left out, as the ledger's own reads do.
 */
async function readMany<S extends z.ZodType>(
  dir: string,
  kind: Kind,
  names: readonly string[],
  schema: S,
  logger: Logger,
): Promise<[string, z.infer<S>][]> {
  const out: [string, z.infer<S>][] = [];
  for (let i = 0; i < names.length; i += READ_BATCH) {
    const batch = names.slice(i, i + READ_BATCH);
    const records = await Promise.all(
      batch.map((n) => readRecordFile(path.join(dir, kind), n, schema, logger)),
    );
    for (const [j, r] of records.entries()) {
      if (r !== null) out.push([batch[j] ?? "", r]);
    }
  }
  return out;
}

/** Pushes into a list kept sorted by `at` ascending (records mostly arrive in time order). */
function insertSorted<T>(list: T[], item: T, at: (x: T) => string): void {
  let i = list.length;
  while (i > 0 && at(list[i - 1] as T) > at(item)) i -= 1;
  list.splice(i, 0, item);
}

export class FileLedgerIndex {
  private readonly runs = new Map<string, RunRecord>();
  /** Files of runs last read as running: the only run files that can still change. */
  private readonly running = new Set<string>();
  private readonly materializations = new Map<string, MaterializationEntry>();
  private readonly latest = new Map<string, Map<string, MaterializationEntry>>();
  private readonly matsByAsset = new Map<string, MaterializationEntry[]>();
  private readonly matsByRun = new Map<string, MaterializationEntry[]>();
  private readonly checks = new Map<string, CheckEntry>();
  private readonly checksByAsset = new Map<string, CheckEntry[]>();
  private readonly checksByRun = new Map<string, CheckEntry[]>();
  private readonly mtimes = new Map<Kind, number>();
  private refreshing: Promise<void> | null = null;

  /** `dir` is the tenant's ledger folder (ETL_HOME/ledger/<tenant>). */
  constructor(
    private readonly dir: string,
    private readonly tenant: string,
    /** Hears of damaged record files, which are quarantined and left out (file-record.ts). */
    private readonly logger: Logger,
  ) {}

  /** Brings the index up to date with the files; concurrent callers share one refresh. */
  refresh(): Promise<void> {
    if (this.refreshing === null) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async changedNames(kind: Kind): Promise<string[] | null> {
    const dir = path.join(this.dir, kind);
    const st = await stat(dir).catch((e: unknown) => {
      if (errorCode(e) === "ENOENT") return null;
      throw new Error(`cannot inspect ledger directory ${dir}`, { cause: e });
    });
    if (st === null) return [];
    // The directory's mtime changes with every file created or renamed into it. A file created in
    // the same clock tick as the last listing would not change it again: an mtime that recent is
    // not trusted, and the directory is listed again.
    if (this.mtimes.get(kind) === st.mtimeMs && Date.now() - st.mtimeMs > MTIME_TRUSTED_AFTER_MS) {
      return null;
    }
    const names = await readdir(dir).catch((e: unknown) => {
      throw new Error(`cannot list ledger directory ${dir}`, { cause: e });
    });
    this.mtimes.set(kind, st.mtimeMs);
    return names.filter((n) => n.endsWith(".json"));
  }

  private async doRefresh(): Promise<void> {
    const runNames = await this.changedNames("runs");
    const runFiles = new Set([
      ...(runNames ?? []).filter((n) => !this.runs.has(n)),
      ...this.running,
    ]);
    // A run file read again is "running" only if it still says so (a quarantined one is gone).
    for (const name of runFiles) this.running.delete(name);
    const runs = await readMany(this.dir, "runs", [...runFiles], RunRecordSchema, this.logger);
    for (const [name, run] of runs) {
      if (run.tenant !== this.tenant) continue;
      this.runs.set(name, run);
      if (run.status === "running") this.running.add(name);
    }
    const newMaterializations = ((await this.changedNames("materializations")) ?? []).filter(
      (n) => !this.materializations.has(n),
    );
    for (const [name, m] of await readMany(
      this.dir,
      "materializations",
      newMaterializations,
      MaterializationRecordSchema,
      this.logger,
    )) {
      if (m.tenant !== this.tenant) continue;
      const entry: MaterializationEntry = {
        file: name,
        assetKey: m.assetKey,
        partition: m.partition,
        status: m.status,
        startedAt: m.startedAt,
        finishedAt: m.finishedAt,
        runId: m.runId,
      };
      this.materializations.set(name, entry);
      const byPartition = this.latest.get(m.assetKey) ?? new Map<string, MaterializationEntry>();
      this.latest.set(m.assetKey, byPartition);
      const pk = m.partition ?? "";
      const prev = byPartition.get(pk);
      if (prev === undefined || prev.finishedAt <= entry.finishedAt) byPartition.set(pk, entry);
      const forAsset = this.matsByAsset.get(m.assetKey) ?? [];
      this.matsByAsset.set(m.assetKey, forAsset);
      insertSorted(forAsset, entry, (x) => x.finishedAt);
      const forRun = this.matsByRun.get(m.runId) ?? [];
      this.matsByRun.set(m.runId, forRun);
      insertSorted(forRun, entry, (x) => x.startedAt);
    }
    const newChecks = ((await this.changedNames("checks")) ?? []).filter(
      (n) => !this.checks.has(n),
    );
    const checks = await readMany(this.dir, "checks", newChecks, CheckRecordSchema, this.logger);
    for (const [name, c] of checks) {
      if (c.tenant !== this.tenant) continue;
      const entry: CheckEntry = {
        file: name,
        assetKey: c.assetKey,
        checkName: c.checkName,
        runId: c.runId,
        checkedAt: c.checkedAt,
      };
      this.checks.set(name, entry);
      const forAsset = this.checksByAsset.get(c.assetKey) ?? [];
      this.checksByAsset.set(c.assetKey, forAsset);
      insertSorted(forAsset, entry, (x) => x.checkedAt);
      const forRun = this.checksByRun.get(c.runId) ?? [];
      this.checksByRun.set(c.runId, forRun);
      forRun.push(entry);
    }
  }

  async latestStates(query: PartitionQuery): Promise<LatestStatus[]> {
    await this.refresh();
    const keys = query.assetKeys ?? [...this.latest.keys()];
    const out: LatestStatus[] = [];
    for (const key of keys) {
      const byPartition = this.latest.get(key);
      if (byPartition === undefined) continue;
      // The entries themselves (they are PartitionStates): 100,000 of them are answered without
      // a copy each.
      for (const e of byPartition.values()) if (inRange(e.partition, query)) out.push(e);
    }
    return out;
  }

  /** Full records read lately, by file (they never change): pages ask for the same ones again. */
  private readonly recent = new Map<string, MaterializationRecord | CheckRecord>();

  private async cached<T extends MaterializationRecord | CheckRecord>(
    file: string,
    read: () => Promise<T>,
  ): Promise<T> {
    const hit = this.recent.get(file);
    if (hit !== undefined) return hit as T;
    const record = await read();
    this.recent.set(file, record);
    if (this.recent.size > RECENT_RECORDS) {
      const oldest = this.recent.keys().next();
      if (oldest.done !== true) this.recent.delete(oldest.value);
    }
    return record;
  }

  async assetSummaries(range: { from: string; to: string }): Promise<AssetStateSummary[]> {
    await this.refresh();
    const all = function* (latest: Map<string, Map<string, MaterializationEntry>>) {
      for (const byPartition of latest.values()) yield* byPartition.values();
    };
    return summarizeStates(all(this.latest), range);
  }

  private readMaterializations(
    entries: readonly MaterializationEntry[],
  ): Promise<MaterializationRecord[]> {
    return Promise.all(
      entries.map((e) =>
        this.cached(`m/${e.file}`, () =>
          readRecord(path.join(this.dir, "materializations", e.file), MaterializationRecordSchema),
        ),
      ),
    );
  }

  private readChecks(entries: readonly CheckEntry[]): Promise<CheckRecord[]> {
    return Promise.all(
      entries.map((e) =>
        this.cached(`c/${e.file}`, () =>
          readRecord(path.join(this.dir, "checks", e.file), CheckRecordSchema),
        ),
      ),
    );
  }

  async assetMaterializations(assetKey: string, limit: number): Promise<MaterializationRecord[]> {
    await this.refresh();
    const list = this.matsByAsset.get(assetKey) ?? [];
    return this.readMaterializations(list.slice(Math.max(0, list.length - limit)).reverse());
  }

  async assetChecks(assetKey: string, limit: number): Promise<CheckRecord[]> {
    await this.refresh();
    const list = this.checksByAsset.get(assetKey) ?? [];
    return this.readChecks(list.slice(Math.max(0, list.length - limit)).reverse());
  }

  async latestChecks(): Promise<CheckRecord[]> {
    await this.refresh();
    const latest = new Map<string, CheckEntry>();
    for (const [key, list] of this.checksByAsset) {
      for (const entry of list) {
        const name = `${key}|${entry.checkName}`;
        const prev = latest.get(name);
        if (prev === undefined || prev.checkedAt <= entry.checkedAt) latest.set(name, entry);
      }
    }
    return this.readChecks([...latest.values()]);
  }

  /**
   * Every run record, in run id order (the file ledger's `runs`): the runs read once, and on each
   * call only the new files and those last read as running (the only ones that still change).
   */
  async allRuns(): Promise<RunRecord[]> {
    await this.refresh();
    return [...this.runs.values()].sort((a, b) =>
      a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0,
    );
  }

  async findRuns(query: RunQuery): Promise<RunRecord[]> {
    await this.refresh();
    const candidates =
      query.status === "running"
        ? [...this.running].flatMap((f) => this.runs.get(f) ?? [])
        : [...this.runs.values()];
    return candidates
      .filter((r) => runMatches(r, query))
      .sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0))
      .slice(0, query.limit);
  }

  async getRun(runId: string): Promise<RunDetail | null> {
    await this.refresh();
    const run = [...this.runs.values()].find((r) => r.runId === runId);
    if (run === undefined) return null;
    return {
      run,
      materializations: await this.readMaterializations(this.matsByRun.get(runId) ?? []),
      checks: (await this.readChecks(this.checksByRun.get(runId) ?? [])).sort((a, b) =>
        a.checkedAt < b.checkedAt ? -1 : a.checkedAt > b.checkedAt ? 1 : 0,
      ),
    };
  }
}
