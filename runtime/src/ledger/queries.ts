/**
 * Read queries over the ledger that answer a question without loading every record (the
 * console's partition matrix, an asset's history, one run), and the run log lines each run
 * records beside its other records. Both ledgers implement them: PostgreSQL with indexed SQL,
 * the file ledger with an in-memory index it refreshes from the files that changed.
 */
import { z } from "zod";
import type {
  CheckRecord,
  MaterializationRecord,
  MaterializationStatus,
  RunRecord,
  RunStatus,
} from "./types.js";

/** One log line of a run, as its process logged it (already redacted). */
export const RunLogLineSchema = z.strictObject({
  /** 0, 1, 2, ... in the order the run logged them. */
  seq: z.number().int().nonnegative(),
  ts: z.string(),
  level: z.enum(["debug", "info", "warn", "error"]),
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()),
});
export type RunLogLine = z.infer<typeof RunLogLineSchema>;

/** The latest materialisation of one asset for one partition (null: unpartitioned). */
export interface PartitionState {
  assetKey: string;
  partition: string | null;
  status: MaterializationStatus;
  finishedAt: string;
  runId: string;
}

/** The status of the latest record of one asset for one partition (null: unpartitioned). */
export type LatestStatus = Pick<PartitionState, "assetKey" | "partition" | "status">;

/** One asset's latest states, summed up (the console's overview and health). */
export interface AssetStateSummary {
  assetKey: string;
  /** The latest record of any partition. */
  latest: PartitionState;
  /** Finish time of the newest latest-per-partition record that succeeded, or null. */
  lastSuccessAt: string | null;
  /** Partitions in [from, to] whose latest record has each status. */
  counts: Record<MaterializationStatus, number>;
  /** Status of the latest record for partition `to`, or null. */
  atEnd: MaterializationStatus | null;
}

export interface PartitionQuery {
  /** Assets to answer for; null: every asset of the tenant. */
  assetKeys: readonly string[] | null;
  /** Inclusive bounds on the partition (YYYY-MM-DD); null: open. Unpartitioned records always match. */
  from: string | null;
  to: string | null;
}

export interface RunQuery {
  job?: string | null;
  status?: RunStatus | null;
  partition?: string | null;
  trigger?: string | null;
  /** Only runs whose id sorts before this one (run ids sort by start time): the next page. */
  before?: string | null;
  limit: number;
}

export interface RunDetail {
  run: RunRecord;
  materializations: MaterializationRecord[];
  checks: CheckRecord[];
}

/** What the console asks the ledger; every list is newest first unless it says otherwise. */
export interface LedgerQueries {
  /** The latest status per (asset, partition) in the query's range, in no particular order. */
  latestStates(tenant: string, query: PartitionQuery): Promise<LatestStatus[]>;
  /** An asset's materialisations, newest first, at most `limit`. */
  assetMaterializations(
    tenant: string,
    assetKey: string,
    limit: number,
  ): Promise<MaterializationRecord[]>;
  /** Per asset with any record: its latest states summed up over the range [from, to]. */
  assetSummaries(tenant: string, range: { from: string; to: string }): Promise<AssetStateSummary[]>;
  /** The latest result of every (asset, check name), in no particular order. */
  latestChecks(tenant: string): Promise<CheckRecord[]>;
  /** An asset's check results, newest first, at most `limit`. */
  assetChecks(tenant: string, assetKey: string, limit: number): Promise<CheckRecord[]>;
  /** Runs matching every given filter, newest first. */
  findRuns(tenant: string, query: RunQuery): Promise<RunRecord[]>;
  /** One run with its materialisations (by start time) and check results; null when unknown. */
  getRun(tenant: string, runId: string): Promise<RunDetail | null>;
  /** Appends log lines of a run (their `seq` continues the run's earlier lines). */
  appendLogs(tenant: string, runId: string, lines: readonly RunLogLine[]): Promise<void>;
  /** A run's log lines with `seq` > `afterSeq` (-1: from the start), in order, at most `limit`. */
  runLogs(tenant: string, runId: string, afterSeq: number, limit: number): Promise<RunLogLine[]>;
}

/** Whether a run matches a query's filters (not its page bounds). */
export function runMatches(run: RunRecord, query: RunQuery): boolean {
  return (
    (query.job == null || run.job === query.job) &&
    (query.status == null || run.status === query.status) &&
    (query.partition == null || run.partition === query.partition) &&
    (query.trigger == null || run.trigger === query.trigger) &&
    (query.before == null || run.runId < query.before)
  );
}

/** Whether a partition lies in a query's inclusive range; unpartitioned (null) always does. */
export function inRange(partition: string | null, query: PartitionQuery): boolean {
  if (partition === null) return true;
  return (
    (query.from === null || partition >= query.from) && (query.to === null || partition <= query.to)
  );
}

/** Sums up latest states per asset (the file ledger's answer; PostgreSQL sums them in SQL). */
export function summarizeStates(
  states: Iterable<PartitionState>,
  range: { from: string; to: string },
): AssetStateSummary[] {
  const out = new Map<string, AssetStateSummary>();
  for (const s of states) {
    let sum = out.get(s.assetKey);
    if (sum === undefined) {
      sum = {
        assetKey: s.assetKey,
        latest: s,
        lastSuccessAt: null,
        counts: { succeeded: 0, failed: 0, skipped: 0 },
        atEnd: null,
      };
      out.set(s.assetKey, sum);
    }
    if (s.finishedAt > sum.latest.finishedAt) sum.latest = s;
    if (
      s.status === "succeeded" &&
      (sum.lastSuccessAt === null || s.finishedAt > sum.lastSuccessAt)
    ) {
      sum.lastSuccessAt = s.finishedAt;
    }
    if (s.partition !== null && s.partition >= range.from && s.partition <= range.to) {
      sum.counts[s.status] += 1;
      if (s.partition === range.to) sum.atEnd = s.status;
    }
  }
  return [...out.values()];
}
