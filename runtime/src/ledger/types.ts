/** Records of the run ledger: runs, asset materialisations and check results. */
import { z } from "zod";
import type { Logger } from "../logger.js";
import type { LedgerQueries } from "./queries.js";
import type { BackfillQueue } from "./queue.js";

export const RunStatusSchema = z.enum(["running", "succeeded", "failed", "cancelled"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunRecordSchema = z.strictObject({
  runId: z.string(),
  tenant: z.string(),
  environment: z.string(),
  job: z.string(),
  /** Daily partition, or null for unpartitioned jobs. */
  partition: z.string().nullable(),
  status: RunStatusSchema,
  /** `--select` glob the run was restricted to, if any. */
  select: z.string().nullable(),
  /** What started it: cli, backfill, schedule. */
  trigger: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  pid: z.number().int(),
  host: z.string(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  error: z.string().nullable(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export const MaterializationStatusSchema = z.enum(["succeeded", "failed", "skipped"]);
export type MaterializationStatus = z.infer<typeof MaterializationStatusSchema>;

export const MaterializationRecordSchema = z.strictObject({
  runId: z.string(),
  tenant: z.string(),
  job: z.string(),
  assetKey: z.string(),
  partition: z.string().nullable(),
  status: MaterializationStatusSchema,
  startedAt: z.string(),
  finishedAt: z.string(),
  attempts: z.number().int(),
  /** What the stage reported (rows, bytes, files, table, ...). */
  metadata: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
});
export type MaterializationRecord = z.infer<typeof MaterializationRecordSchema>;

export const CheckRecordSchema = z.strictObject({
  runId: z.string(),
  tenant: z.string(),
  assetKey: z.string(),
  partition: z.string().nullable(),
  checkName: z.string(),
  severity: z.enum(["warn", "error"]),
  passed: z.boolean(),
  metadata: z.record(z.string(), z.unknown()),
  checkedAt: z.string(),
});
export type CheckRecord = z.infer<typeof CheckRecordSchema>;

export interface LockKey {
  tenant: string;
  job: string;
  partition: string | null;
}

export interface LockOwner {
  runId: string;
  pid: number;
  host: string;
}

export type LockResult =
  | {
      ok: true;
      release: () => Promise<void>;
      /**
       * Aborted (with an Error saying why) when the holder can no longer prove it holds the lock:
       * another process took it over, or heartbeats kept failing until others may consider it
       * stale. The run must stop: going on could let two copies write the same partition.
       */
      lost: AbortSignal;
    }
  | { ok: false; holder: LockOwner & { heartbeatAt: string } };

/**
 * The durable store every run writes to. Implementations: file (ETL_HOME) and PostgreSQL. The
 * read queries of `LedgerQueries` (queries.ts) answer the console without loading every record.
 */
export interface Ledger extends LedgerQueries {
  readonly description: string;
  /** The queue `backfill --workers` and `worker` share; null where only one machine runs (files). */
  readonly backfills: BackfillQueue | null;
  /** Inserts or replaces a run by id. */
  putRun(run: RunRecord): Promise<void>;
  putMaterialization(m: MaterializationRecord): Promise<void>;
  putCheck(c: CheckRecord): Promise<void>;
  runs(tenant: string): Promise<RunRecord[]>;
  materializations(tenant: string): Promise<MaterializationRecord[]>;
  checks(tenant: string): Promise<CheckRecord[]>;
  /** Takes the run lock of (tenant, job, partition), taking over a stale one. */
  tryLock(key: LockKey, owner: LockOwner, logger?: Logger): Promise<LockResult>;
  close(): Promise<void>;
}

/** Run lock name: partitionless jobs lock under "-". */
export function lockName(key: LockKey): string {
  return `${key.tenant}__${key.job}__${key.partition ?? "-"}`;
}

/** The newest record per (asset, partition), by finish time. */
export function latestByAssetPartition(
  records: readonly MaterializationRecord[],
): Map<string, MaterializationRecord> {
  const out = new Map<string, MaterializationRecord>();
  for (const r of records) {
    const k = `${r.assetKey}|${r.partition ?? ""}`;
    const prev = out.get(k);
    if (prev === undefined || prev.finishedAt <= r.finishedAt) {
      out.set(k, r);
    }
  }
  return out;
}

/** Whether every asset in `assetKeys` has a latest successful materialisation for `partition`. */
export function isPartitionMaterialized(
  latest: ReadonlyMap<string, MaterializationRecord>,
  assetKeys: readonly string[],
  partition: string | null,
): boolean {
  return assetKeys.every((k) => latest.get(`${k}|${partition ?? ""}`)?.status === "succeeded");
}
