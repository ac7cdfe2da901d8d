/**
 * One run of one job for one partition: takes the run lock, executes the selected assets in
 * dependency order with retries (asset.ts), records every materialisation and check in the ledger
 * and to the run's observers (observer.ts), and returns a summary. Stage work is delegated to
 * `StageHandlers`.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Ledger, LockOwner, LockResult, RunRecord } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import { runMaintenanceJob } from "../maintenance/job.js";
import { partitionWindow } from "../partitions/index.js";
import type { AssetPlan, EnvironmentPlan, JobPlan, Stage, TenantPlan } from "../plan.js";
import type { ResolvedResources } from "../resources.js";
import type { RetryPolicy } from "../retry/index.js";
import { removeScratch, sweepScratch } from "../storage/scratch.js";
import type { TransformRegistry } from "../transfer/types.js";
import { type ActiveRun, type AssetSummary, errorText, runAsset, skipAsset } from "./asset.js";
import { type AssetStatus, executeGraph, selectAssets } from "./graph.js";
import { type RunObserver, RunObservers } from "./observer.js";
import type { StageHandlers } from "./types.js";

export type { AssetSummary };

export interface RunJobOptions {
  plan: TenantPlan;
  envPlan: EnvironmentPlan;
  environment: string;
  job: JobPlan;
  partition: string | null;
  select: string | null;
  resources: ResolvedResources;
  transforms: TransformRegistry;
  handlers: StageHandlers;
  ledger: Ledger;
  logger: Logger;
  retry: (stage: Stage) => RetryPolicy;
  signal: AbortSignal;
  trigger: string;
  /** Terminal writer for progress lines; null for JSON log lines. */
  tty: ((text: string) => void) | null;
  /** Wait for a held run lock instead of refusing. */
  wait?: boolean;
  /** Overrides the job's concurrency. */
  concurrency?: number;
  /** Told about the run as it goes (run history, alerts, metrics, lineage); none by default. */
  observers?: readonly RunObserver[];
}

export type RunOutcome =
  | { kind: "completed"; run: RunRecord; assets: AssetSummary[] }
  | { kind: "locked"; message: string }
  | { kind: "invalid"; message: string };

/** A new sortable run id: UTC timestamp to the second (`YYYYMMDDTHHMMSSZ`) plus randomness. */
export function newRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, "").slice(0, 15)}Z-${randomUUID().slice(0, 8)}`;
}

/** Runs `options.job` for `options.partition`; see the module doc. */
export async function runJob(options: RunJobOptions): Promise<RunOutcome> {
  if (options.job.kind === "maintenance") {
    // Iceberg upkeep has tables, not assets: its own steps (maintenance/job.ts), the same lock,
    // ledger and observers.
    return runMaintenanceJob({ ...options, retry: options.retry("load") });
  }
  const selected = selectAssets(options.envPlan.assets, options.job.assets, options.select);
  if (!selected.ok) {
    return { kind: "invalid", message: selected.error };
  }
  const owner: LockOwner = { runId: newRunId(), pid: process.pid, host: hostname() };
  const lock = await acquireRunLock(options, owner);
  if (!lock.ok) {
    return { kind: "locked", message: lockedMessage(options, lock.holder) };
  }
  const run = openRun(options, owner, selected.assets, lock.lost);
  try {
    await beginRun(run, options.trigger);
    const status = await executeAssets(run, options.concurrency ?? options.job.concurrency);
    run.record = settleRun(run.record, status, {
      lockLost: lock.lost.aborted ? errorText(lock.lost.reason) : null,
      aborted: run.signal.aborted,
      finishedAt: new Date().toISOString(),
    });
    await endRun(run);
    return { kind: "completed", run: run.record, assets: assetSummaries(run, status) };
  } catch (error) {
    await endFailedRun(run, error);
    throw new Error(`run ${owner.runId} of ${options.job.name} failed`, { cause: error });
  } finally {
    await closeRun(run, () => lock.release());
  }
}

/** Takes the run lock of the job and partition, waiting for a holder with `options.wait`. */
async function acquireRunLock(options: RunJobOptions, owner: LockOwner): Promise<LockResult> {
  const key = {
    tenant: options.plan.tenant.id,
    job: options.job.name,
    partition: options.partition,
  };
  let lock = await options.ledger.tryLock(key, owner, options.logger);
  while (!lock.ok && options.wait === true && !options.signal.aborted) {
    options.logger.info("waiting for run lock", { holder: lock.holder });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    lock = await options.ledger.tryLock(key, owner, options.logger);
  }
  return lock;
}

/** Why the run did not start: another run holds the lock. */
export function lockedMessage(
  options: Pick<RunJobOptions, "job" | "partition">,
  holder: Extract<LockResult, { ok: false }>["holder"],
): string {
  const partition = options.partition === null ? "" : ` partition ${options.partition}`;
  return `job ${options.job.name}${partition} is already running (run ${holder.runId}, pid ${holder.pid} on ${holder.host}, heartbeat ${holder.heartbeatAt}); use --wait to wait for it`;
}

/**
 * The run's shared state, before anything is recorded. Losing the run lock stops the run like a
 * signal does: in-flight assets are aborted, the rest are skipped, and the run is recorded failed
 * with the reason.
 */
function openRun(
  options: RunJobOptions,
  owner: LockOwner,
  selection: readonly AssetPlan[],
  lockLost: AbortSignal,
): ActiveRun {
  const { plan, envPlan, handlers, transforms, resources, ledger, retry, tty } = options;
  const logger = options.logger.child({
    runId: owner.runId,
    job: options.job.name,
    partition: options.partition,
  });
  return {
    ...{ plan, envPlan, handlers, transforms, resources, ledger, retry, tty },
    record: runningRecord(options, owner),
    logger,
    signal: AbortSignal.any([options.signal, lockLost]),
    selection,
    window: runWindow(options.partition, envPlan.partitions.timezone),
    pipelines: new Map(envPlan.pipelines.map((p) => [p.name, p])),
    summaries: new Map(),
    observers: new RunObservers(options.observers ?? [], logger),
  };
}

/** The run as it is first recorded: running, nothing counted yet. */
function runningRecord(options: RunJobOptions, owner: LockOwner): RunRecord {
  return {
    runId: owner.runId,
    tenant: options.plan.tenant.id,
    environment: options.environment,
    job: options.job.name,
    partition: options.partition,
    status: "running",
    select: options.select,
    trigger: options.trigger,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    pid: owner.pid,
    host: owner.host,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    error: null,
  };
}

/** The partition's half-open window in the tenant's zone; null for an unpartitioned run. */
function runWindow(partition: string | null, timeZone: string): ActiveRun["window"] {
  return partition === null
    ? null
    : { date: partition, timeZone, ...partitionWindow(partition, timeZone) };
}

/** Records the run as running, closes runs a dead process left, and sweeps ended runs' scratch. */
async function beginRun(run: ActiveRun, trigger: string): Promise<void> {
  await run.ledger.putRun(run.record);
  await run.observers.runStarted(run.record);
  await closeInterrupted(run);
  await sweepEndedScratch(run);
  run.logger.info("run started", { assets: run.selection.length, trigger });
}

/**
 * Records as failed every other "running" run of this job and partition. Holding the run lock
 * proves they are not running: their process died (SIGKILL, OOM, lost node) before it could
 * record an outcome. Without this, `status` would show them running forever.
 */
async function closeInterrupted(run: ActiveRun): Promise<void> {
  const { runId, tenant, job, partition } = run.record;
  for (const other of await run.ledger.runs(tenant)) {
    if (
      other.status !== "running" ||
      other.runId === runId ||
      other.job !== job ||
      other.partition !== partition
    ) {
      continue;
    }
    const closed: RunRecord = {
      ...other,
      status: "failed",
      finishedAt: new Date().toISOString(),
      error: `interrupted: its process (pid ${other.pid} on ${other.host}) ended without recording an outcome; found by run ${runId}`,
    };
    await run.ledger.putRun(closed);
    run.logger.warn("recorded an interrupted run as failed", { interruptedRun: other.runId });
    await run.observers.runFinished(closed);
  }
}

/** Removes the scratch folders of the tenant's ended runs; a failure is logged, not fatal. */
async function sweepEndedScratch(run: ActiveRun): Promise<void> {
  const { tenant } = run.record;
  await sweepScratch(run.resources.etlHome, tenant, async () => {
    const runs = await run.ledger.runs(tenant);
    return new Set(runs.filter((r) => r.status === "running").map((r) => r.runId));
  }).then(
    (removed) => {
      if (removed.length > 0) run.logger.info("removed scratch of ended runs", { runs: removed });
    },
    (error: unknown) =>
      run.logger.warn("could not sweep the scratch space", { error: errorText(error) }),
  );
}

/** Every selected asset in dependency order, `concurrency` at once; returns each one's status. */
function executeAssets(run: ActiveRun, concurrency: number): Promise<Map<string, AssetStatus>> {
  return executeGraph(run.selection, concurrency, {
    signal: run.signal,
    skip: (asset, reason) => skipAsset(run, asset, reason),
    run: (asset) => runAsset(run, asset),
  });
}

/**
 * The run's outcome from its assets' statuses: failed when the lock was lost (with the reason),
 * cancelled when stopped, failed when any asset failed or was skipped, else succeeded.
 */
export function settleRun(
  running: RunRecord,
  status: ReadonlyMap<string, AssetStatus>,
  ended: { lockLost: string | null; aborted: boolean; finishedAt: string },
): RunRecord {
  const counts = { succeeded: 0, failed: 0, skipped: 0 };
  for (const s of status.values()) counts[s] += 1;
  const outcome: RunRecord["status"] =
    ended.lockLost !== null
      ? "failed"
      : ended.aborted
        ? "cancelled"
        : counts.failed + counts.skipped > 0
          ? "failed"
          : "succeeded";
  return {
    ...running,
    ...counts,
    status: outcome,
    error: ended.lockLost ?? running.error,
    finishedAt: ended.finishedAt,
  };
}

/** Records the settled run and tells the observers. */
async function endRun(run: ActiveRun): Promise<void> {
  const { status, succeeded, failed, skipped } = run.record;
  await run.ledger.putRun(run.record);
  await run.observers.runFinished(run.record);
  run.logger.info("run finished", { status, succeeded, failed, skipped });
}

/** Records a run the executor itself could not carry on (the ledger failed) as failed. */
async function endFailedRun(run: ActiveRun, error: unknown): Promise<void> {
  run.record = {
    ...run.record,
    status: "failed",
    error: errorText(error),
    finishedAt: new Date().toISOString(),
  };
  await run.ledger.putRun(run.record).catch((putError: unknown) => {
    run.logger.error("could not record the failed run", { error: errorText(putError) });
  });
  await run.observers.runFinished(run.record);
}

/**
 * Removes the run's scratch space (the files of pipelines that keep nothing, save_to_s3: false,
 * live only as long as the run) and releases the run lock.
 */
async function closeRun(run: ActiveRun, releaseLock: () => Promise<void>): Promise<void> {
  await removeScratch(run.resources.etlHome, run.record.tenant, run.record.runId).catch(
    (error: unknown) =>
      run.logger.warn("could not remove the run's scratch space", { error: errorText(error) }),
  );
  await releaseLock();
}

/** Each selected asset's summary, in the run's order (assets never reached count as skipped). */
function assetSummaries(run: ActiveRun, status: ReadonlyMap<string, AssetStatus>): AssetSummary[] {
  return run.selection.map(
    (asset) =>
      run.summaries.get(asset.key) ?? {
        key: asset.key,
        status: status.get(asset.key) ?? "skipped",
        attempts: 0,
        durationMs: 0,
        error: null,
      },
  );
}
