/**
 * One run of one job for one partition: takes the run lock, executes the selected assets in
 * dependency order with retries, records every materialisation and check in the ledger, and returns
 * a summary. Stage work is delegated to `StageHandlers`.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  assetEvent,
  checkEvent,
  type RunEvent,
  type RunHistory,
  runEvent,
} from "../ledger/history.js";
import type { CheckRecord, Ledger, MaterializationRecord, RunRecord } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import { runMaintenanceJob } from "../maintenance/job.js";
import { movedOf } from "../metrics/moved.js";
import { partitionWindow } from "../partitions/index.js";
import type { AssetPlan, EnvironmentPlan, JobPlan, Stage, TenantPlan } from "../plan.js";
import { createProgress } from "../progress/index.js";
import type { ResolvedResources } from "../resources.js";
import { RetryError, type RetryPolicy, withRetry } from "../retry/index.js";
import { removeScratch, sweepScratch } from "../storage/scratch.js";
import type { TransformRegistry } from "../transfer/types.js";
import { type AssetStatus, executeGraph, selectAssets } from "./graph.js";
import { type RunObserver, RunObservers } from "./observer.js";
import type { AssetRunContext, StageHandlers } from "./types.js";

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
  /** Where run events also go as Parquet (S3 `_runs/`); null or absent: ledger only. */
  history?: RunHistory | null;
  /** Told about the run as it goes (alerts, lineage); none by default. Their errors never fail it. */
  observers?: readonly RunObserver[];
}

export interface AssetSummary {
  key: string;
  status: AssetStatus;
  attempts: number;
  durationMs: number;
  error: string | null;
}

export type RunOutcome =
  | { kind: "completed"; run: RunRecord; assets: AssetSummary[] }
  | { kind: "locked"; message: string }
  | { kind: "invalid"; message: string };

/** A new sortable run id: UTC timestamp plus randomness. */
export function newRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, "").replace("T", "T").slice(0, 15)}Z-${randomUUID().slice(0, 8)}`;
}

function errorText(e: unknown): string {
  if (e instanceof RetryError && e.cause instanceof Error) {
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * Records as failed every other "running" run of this job and partition. Holding the run lock
 * proves they are not running: their process died (SIGKILL, OOM, lost node) before it could
 * record an outcome. Without this, `status` would show them running forever.
 */
async function closeInterrupted(
  ledger: Ledger,
  run: RunRecord,
  history: RunHistory | null,
  logger: Logger,
  observers: RunObservers,
): Promise<void> {
  const runs = await ledger.runs(run.tenant);
  for (const r of runs) {
    if (
      r.status !== "running" ||
      r.runId === run.runId ||
      r.job !== run.job ||
      r.partition !== run.partition
    ) {
      continue;
    }
    const closed: RunRecord = {
      ...r,
      status: "failed",
      finishedAt: new Date().toISOString(),
      error: `interrupted: its process (pid ${r.pid} on ${r.host}) ended without recording an outcome; found by run ${run.runId}`,
    };
    await ledger.putRun(closed);
    logger.warn("recorded an interrupted run as failed", { interruptedRun: r.runId });
    await history?.write(closed, "end", [runEvent(closed, "run_finished")]);
    await observers.runFinished(closed);
  }
}

export async function runJob(o: RunJobOptions): Promise<RunOutcome> {
  if (o.job.kind === "maintenance") {
    // Iceberg upkeep has tables, not assets: its own steps (maintenance/job.ts), the same lock,
    // ledger and observers.
    return runMaintenanceJob({ ...o, retry: o.retry("load") });
  }
  const selected = selectAssets(o.envPlan.assets, o.job.assets, o.select);
  if (!selected.ok) {
    return { kind: "invalid", message: selected.error };
  }
  const runId = newRunId();
  const tenant = o.plan.tenant.id;
  const owner = { runId, pid: process.pid, host: hostname() };
  const lockKey = { tenant, job: o.job.name, partition: o.partition };
  let lock = await o.ledger.tryLock(lockKey, owner, o.logger);
  while (!lock.ok && o.wait === true && !o.signal.aborted) {
    o.logger.info("waiting for run lock", { holder: lock.holder });
    await new Promise((r) => setTimeout(r, 2000));
    lock = await o.ledger.tryLock(lockKey, owner, o.logger);
  }
  if (!lock.ok) {
    const h = lock.holder;
    return {
      kind: "locked",
      message: `job ${o.job.name}${o.partition === null ? "" : ` partition ${o.partition}`} is already running (run ${h.runId}, pid ${h.pid} on ${h.host}, heartbeat ${h.heartbeatAt}); use --wait to wait for it`,
    };
  }
  const runLogger = o.logger.child({ runId, job: o.job.name, partition: o.partition });
  const observers = new RunObservers(o.observers ?? [], runLogger);
  // Losing the run lock stops the run like a signal does: in-flight assets are aborted, the rest
  // are skipped, and the run is recorded failed with the reason.
  const signal = AbortSignal.any([o.signal, lock.lost]);
  const lockLost = (): string | null =>
    lock.ok && lock.lost.aborted ? errorText(lock.lost.reason) : null;
  const run: RunRecord = {
    runId,
    tenant,
    environment: o.environment,
    job: o.job.name,
    partition: o.partition,
    status: "running",
    select: o.select,
    trigger: o.trigger,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    pid: process.pid,
    host: owner.host,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    error: null,
  };
  const summaries = new Map<string, AssetSummary>();
  const history = o.history ?? null;
  const events: RunEvent[] = [];
  const putCheck = async (c: CheckRecord) => {
    await o.ledger.putCheck(c);
    events.push(checkEvent(run, c));
    await observers.checkEvaluated({ run, check: c });
  };
  // The start file is written in the background (storage may be retrying), and awaited before
  // the end file so the two never race; the run does not wait for history to start working.
  let started: Promise<unknown> = Promise.resolve();
  const writeEnd = async () => {
    await started;
    await history?.write(run, "end", [...events, runEvent(run, "run_finished")]);
    await history?.publish();
  };
  try {
    await o.ledger.putRun(run);
    started = history?.write(run, "start", [runEvent(run, "run_started")]) ?? started;
    await observers.runStarted(run);
    await closeInterrupted(o.ledger, run, history, runLogger, observers);
    await sweepScratch(o.resources.etlHome, tenant, async () => {
      const runs = await o.ledger.runs(tenant);
      return new Set(runs.filter((r) => r.status === "running").map((r) => r.runId));
    }).then(
      (removed) => {
        if (removed.length > 0) runLogger.info("removed scratch of ended runs", { runs: removed });
      },
      (e: unknown) => runLogger.warn("could not sweep the scratch space", { error: errorText(e) }),
    );
    runLogger.info("run started", { assets: selected.assets.length, trigger: o.trigger });
    const window =
      o.partition === null
        ? null
        : {
            date: o.partition,
            timeZone: o.envPlan.partitions.timezone,
            ...partitionWindow(o.partition, o.envPlan.partitions.timezone),
          };
    const pipelines = new Map(o.envPlan.pipelines.map((p) => [p.name, p]));
    const record = async (
      asset: AssetPlan,
      m: Omit<MaterializationRecord, "runId" | "tenant" | "job">,
    ) => {
      const full: MaterializationRecord = { ...m, runId, tenant, job: o.job.name };
      await o.ledger.putMaterialization(full);
      events.push(assetEvent(run, full));
      const moved = movedOf(full.metadata);
      await observers.assetFinished({
        run,
        asset,
        materialization: full,
        durationMs: Date.parse(full.finishedAt) - Date.parse(full.startedAt),
        ...moved,
      });
    };

    const status = await executeGraph(selected.assets, o.concurrency ?? o.job.concurrency, {
      signal,
      skip: async (asset, reason) => {
        const now = new Date().toISOString();
        runLogger.warn("asset skipped", { asset: asset.key, reason });
        summaries.set(asset.key, {
          key: asset.key,
          status: "skipped",
          attempts: 0,
          durationMs: 0,
          error: reason,
        });
        await record(asset, {
          assetKey: asset.key,
          partition: asset.partitioned ? o.partition : null,
          status: "skipped",
          startedAt: now,
          finishedAt: now,
          attempts: 0,
          metadata: {},
          error: reason,
        });
      },
      run: async (asset) => {
        const started = new Date();
        const logger = runLogger.child({ asset: asset.key });
        const partition = asset.partitioned ? o.partition : null;
        const handler = o.handlers[asset.stage];
        let attempts = 0;
        let outcome: "succeeded" | "failed" = "failed";
        let error: string | null = null;
        let metadata: Record<string, unknown> = {};
        if (handler === undefined) {
          error = `stage "${asset.stage}" is not available in this build of @etl/runtime`;
        } else {
          logger.info("asset started", { stage: asset.stage });
          await observers.assetStarted({ run, asset, partition });
          const progress = createProgress({ logger, label: asset.key, tty: o.tty });
          try {
            const r = await withRetry(
              (attempt) => {
                attempts = attempt;
                const ctx: AssetRunContext = {
                  runId,
                  job: o.job.name,
                  plan: o.plan,
                  envPlan: o.envPlan,
                  asset,
                  pipeline:
                    asset.pipeline === null ? null : (pipelines.get(asset.pipeline) ?? null),
                  partition: asset.partitioned ? window : null,
                  resources: o.resources,
                  transforms: o.transforms,
                  logger: logger.child({ attempt }),
                  progress,
                  signal,
                  attempt,
                  selection: selected.assets,
                  statusOf: (key) => summaries.get(key)?.status ?? null,
                  endedRuns: async () =>
                    (await o.ledger.runs(tenant))
                      .filter((r) => r.status !== "running")
                      .map((r) => r.runId),
                };
                return handler(ctx);
              },
              o.retry(asset.stage),
              {
                signal,
                onRetry: ({ attempt, delayMs, error: e }) =>
                  logger.warn("transient failure, retrying", {
                    attempt,
                    delayMs,
                    error: errorText(e),
                  }),
              },
            );
            metadata = r.value.metadata;
            const checkedAt = new Date().toISOString();
            const failedChecks: string[] = [];
            for (const c of r.value.checks) {
              await putCheck({
                runId,
                tenant,
                assetKey: asset.key,
                partition,
                checkName: c.name,
                severity: c.severity,
                passed: c.passed,
                metadata: c.metadata,
                checkedAt,
              });
              if (!c.passed) {
                (c.severity === "error" ? logger.error : logger.warn).call(logger, "check failed", {
                  check: c.name,
                  severity: c.severity,
                  ...c.metadata,
                });
                if (c.severity === "error") failedChecks.push(c.name);
              }
            }
            if (failedChecks.length > 0) {
              error = `error-severity check${failedChecks.length > 1 ? "s" : ""} failed: ${failedChecks.join(", ")}`;
            } else {
              outcome = "succeeded";
            }
          } catch (e) {
            error = errorText(e);
          } finally {
            progress.done();
          }
        }
        const finished = new Date();
        if (outcome === "succeeded") {
          logger.info("asset succeeded", {
            attempts,
            durationMs: finished.getTime() - started.getTime(),
            ...metadata,
          });
        } else {
          logger.error("asset failed", { attempts, error });
        }
        summaries.set(asset.key, {
          key: asset.key,
          status: outcome,
          attempts,
          durationMs: finished.getTime() - started.getTime(),
          error,
        });
        await record(asset, {
          assetKey: asset.key,
          partition,
          status: outcome,
          startedAt: started.toISOString(),
          finishedAt: finished.toISOString(),
          attempts,
          metadata,
          error,
        });
        return outcome;
      },
    });
    const counts = { succeeded: 0, failed: 0, skipped: 0 };
    for (const s of status.values()) counts[s] += 1;
    run.succeeded = counts.succeeded;
    run.failed = counts.failed;
    run.skipped = counts.skipped;
    const lostReason = lockLost();
    run.status =
      lostReason !== null
        ? "failed"
        : signal.aborted
          ? "cancelled"
          : counts.failed + counts.skipped > 0
            ? "failed"
            : "succeeded";
    if (lostReason !== null) run.error = lostReason;
    run.finishedAt = new Date().toISOString();
    await o.ledger.putRun(run);
    await writeEnd();
    await observers.runFinished(run);
    runLogger.info("run finished", { status: run.status, ...counts });
    return {
      kind: "completed",
      run,
      assets: selected.assets.map(
        (a) =>
          summaries.get(a.key) ?? {
            key: a.key,
            status: status.get(a.key) ?? "skipped",
            attempts: 0,
            durationMs: 0,
            error: null,
          },
      ),
    };
  } catch (e) {
    run.status = "failed";
    run.error = errorText(e);
    run.finishedAt = new Date().toISOString();
    await o.ledger.putRun(run).catch((e2: unknown) => {
      runLogger.error("could not record the failed run", { error: errorText(e2) });
    });
    await writeEnd();
    await observers.runFinished(run);
    throw new Error(`run ${runId} of ${o.job.name} failed`, { cause: e });
  } finally {
    // Files of pipelines that keep nothing (save_to_s3: false) live only as long as the run.
    await removeScratch(o.resources.etlHome, tenant, runId).catch((e: unknown) =>
      runLogger.warn("could not remove the run's scratch space", { error: errorText(e) }),
    );
    await lock.release();
  }
}
