/**
 * One asset of a run: its stage handler with retries, its checks, and its materialisation in the
 * ledger and to the run's observers. `runJob` (run.ts) hands these steps to the graph executor.
 */
import type { CheckRecord, Ledger, MaterializationRecord, RunRecord } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import type { AssetPlan, EnvironmentPlan, PipelinePlan, Stage, TenantPlan } from "../plan.js";
import { createProgress, type Progress } from "../progress/index.js";
import type { ResolvedResources } from "../resources.js";
import { type RetryPolicy, withRetry } from "../retry/index.js";
import type { TransformRegistry } from "../transfer/types.js";
import type { AssetStatus } from "./graph.js";
import type { RunObservers } from "./observer.js";
import type {
  AssetOutcome,
  AssetRunContext,
  CheckOutcome,
  StageHandler,
  StageHandlers,
} from "./types.js";

/** How one asset of a run ended, as the run's summary shows it. */
export interface AssetSummary {
  key: string;
  status: AssetStatus;
  attempts: number;
  durationMs: number;
  error: string | null;
}

/** What the asset steps of one run share: set up once by `runJob`, read by every asset. */
export interface ActiveRun {
  plan: TenantPlan;
  envPlan: EnvironmentPlan;
  handlers: StageHandlers;
  transforms: TransformRegistry;
  resources: ResolvedResources;
  ledger: Ledger;
  retry: (stage: Stage) => RetryPolicy;
  /** Terminal writer for progress lines; null for JSON log lines. */
  tty: ((text: string) => void) | null;
  /** The run as last recorded (status running until it ends). */
  record: RunRecord;
  /** Bound to run id, job and partition. */
  logger: Logger;
  /** The caller's signal, also aborted when the run lock is lost. */
  signal: AbortSignal;
  /** Every asset of the run, in dependency order. */
  selection: readonly AssetPlan[];
  /** The run's partition and its half-open window in the tenant's zone; null when unpartitioned. */
  window: AssetRunContext["partition"];
  pipelines: ReadonlyMap<string, PipelinePlan>;
  /** Filled as assets end (the graph executor's own status map only exists once it returns). */
  summaries: Map<string, AssetSummary>;
  observers: RunObservers;
}

/** What one asset's attempts produced, before it is recorded. */
export interface AssetResult {
  status: "succeeded" | "failed";
  attempts: number;
  metadata: Record<string, unknown>;
  error: string | null;
  rows: number | null;
  bytes: number | null;
}

/** The message of an error as the run records it (a retry's names its attempts and cause). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why an asset failed its error-severity checks, or null when none failed. */
export function checkFailure(checks: readonly CheckOutcome[]): string | null {
  const failed = checks.filter((c) => !c.passed && c.severity === "error").map((c) => c.name);
  if (failed.length === 0) {
    return null;
  }
  return `error-severity check${failed.length > 1 ? "s" : ""} failed: ${failed.join(", ")}`;
}

function assetPartition(run: ActiveRun, asset: AssetPlan): string | null {
  return asset.partitioned ? run.record.partition : null;
}

/** Runs one asset: its stage with retries, its checks, then its materialisation. */
export async function runAsset(run: ActiveRun, asset: AssetPlan): Promise<"succeeded" | "failed"> {
  const startedAt = new Date();
  const logger = run.logger.child({ asset: asset.key });
  await run.observers.assetStarted({
    run: run.record,
    asset,
    partition: assetPartition(run, asset),
  });
  const result = await attemptAsset(run, asset, logger);
  const finishedAt = new Date();
  const durationMs = finishedAt.getTime() - startedAt.getTime();
  if (result.status === "succeeded") {
    logger.info("asset succeeded", { attempts: result.attempts, durationMs, ...result.metadata });
  } else {
    logger.error("asset failed", { attempts: result.attempts, error: result.error });
  }
  await recordMaterialization(
    run,
    asset,
    {
      status: result.status,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      attempts: result.attempts,
      metadata: result.metadata,
      error: result.error,
    },
    { durationMs, rows: result.rows, bytes: result.bytes },
  );
  return result.status;
}

/** Records an asset skipped because an upstream asset did not succeed or the run was stopped. */
export async function skipAsset(run: ActiveRun, asset: AssetPlan, reason: string): Promise<void> {
  const now = new Date().toISOString();
  run.logger.warn("asset skipped", { asset: asset.key, reason });
  await recordMaterialization(
    run,
    asset,
    {
      status: "skipped",
      startedAt: now,
      finishedAt: now,
      attempts: 0,
      metadata: {},
      error: reason,
    },
    { durationMs: 0, rows: null, bytes: null },
  );
}

function failedResult(attempts: number, error: string): AssetResult {
  return { status: "failed", attempts, metadata: {}, error, rows: null, bytes: null };
}

/** Why an asset's stage cannot run at all: the handlers given to the executor leave it out. */
function missingHandler(handlers: StageHandlers, stage: Stage): string {
  const given = Object.keys(handlers).join(", ");
  return `no handler for stage "${stage}": the executor was given ${given === "" ? "none" : `handlers for ${given} only`}`;
}

/**
 * The stage of `asset` with its retries, then its check results recorded and judged. Never
 * throws: a failure is the result's error.
 */
async function attemptAsset(
  run: ActiveRun,
  asset: AssetPlan,
  logger: Logger,
): Promise<AssetResult> {
  const handler = run.handlers[asset.stage];
  if (handler === undefined) {
    return failedResult(0, missingHandler(run.handlers, asset.stage));
  }
  logger.info("asset started", { stage: asset.stage });
  const progress = createProgress({ logger, label: asset.key, tty: run.tty });
  try {
    const staged = await runStage(run, asset, handler, logger, progress);
    if (!staged.ok) {
      return failedResult(staged.attempts, staged.error);
    }
    const { outcome, attempts } = staged;
    const checkError = await recordChecks(run, asset, outcome.checks, logger).then(
      () => checkFailure(outcome.checks),
      (error: unknown) => errorText(error),
    );
    return {
      status: checkError === null ? "succeeded" : "failed",
      attempts,
      metadata: outcome.metadata,
      error: checkError,
      rows: outcome.rows ?? null,
      bytes: outcome.bytes ?? null,
    };
  } finally {
    progress.done();
  }
}

/** Calls the stage handler under the stage's retry policy; says how many attempts it took. */
async function runStage(
  run: ActiveRun,
  asset: AssetPlan,
  handler: StageHandler,
  logger: Logger,
  progress: Progress,
): Promise<
  | { ok: true; attempts: number; outcome: AssetOutcome }
  | { ok: false; attempts: number; error: string }
> {
  let attempts = 0;
  try {
    const produced = await withRetry(
      (attempt) => {
        attempts = attempt;
        return handler(assetContext(run, asset, logger, progress, attempt));
      },
      run.retry(asset.stage),
      {
        signal: run.signal,
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn("transient failure, retrying", { attempt, delayMs, error: errorText(error) }),
      },
    );
    return { ok: true, attempts, outcome: produced.value };
  } catch (error) {
    return { ok: false, attempts, error: errorText(error) };
  }
}

/** What the stage handler of `asset` sees on one attempt. */
function assetContext(
  run: ActiveRun,
  asset: AssetPlan,
  logger: Logger,
  progress: Progress,
  attempt: number,
): AssetRunContext {
  return {
    runId: run.record.runId,
    job: run.record.job,
    plan: run.plan,
    envPlan: run.envPlan,
    asset,
    pipeline: asset.pipeline === null ? null : (run.pipelines.get(asset.pipeline) ?? null),
    partition: asset.partitioned ? run.window : null,
    resources: run.resources,
    transforms: run.transforms,
    logger: logger.child({ attempt }),
    progress,
    signal: run.signal,
    attempt,
    selection: run.selection,
    statusOf: (key) => run.summaries.get(key)?.status ?? null,
    endedRuns: async () =>
      (await run.ledger.runs(run.record.tenant))
        .filter((r) => r.status !== "running")
        .map((r) => r.runId),
  };
}

/** Records each check result in the ledger and to the observers; logs the failed ones. */
async function recordChecks(
  run: ActiveRun,
  asset: AssetPlan,
  checks: readonly CheckOutcome[],
  logger: Logger,
): Promise<void> {
  const checkedAt = new Date().toISOString();
  for (const c of checks) {
    const check: CheckRecord = {
      runId: run.record.runId,
      tenant: run.record.tenant,
      assetKey: asset.key,
      partition: assetPartition(run, asset),
      checkName: c.name,
      severity: c.severity,
      passed: c.passed,
      metadata: c.metadata,
      checkedAt,
    };
    await run.ledger.putCheck(check);
    await run.observers.checkEvaluated({ run: run.record, check });
    if (!c.passed) {
      const fields = { check: c.name, severity: c.severity, ...c.metadata };
      if (c.severity === "error") logger.error("check failed", fields);
      else logger.warn("check failed", fields);
    }
  }
}

/** The asset's summary line, its materialisation in the ledger, and the observers' event. */
async function recordMaterialization(
  run: ActiveRun,
  asset: AssetPlan,
  ended: Pick<
    MaterializationRecord,
    "status" | "startedAt" | "finishedAt" | "attempts" | "metadata" | "error"
  >,
  measured: { durationMs: number; rows: number | null; bytes: number | null },
): Promise<void> {
  run.summaries.set(asset.key, {
    key: asset.key,
    status: ended.status,
    attempts: ended.attempts,
    durationMs: measured.durationMs,
    error: ended.error,
  });
  const materialization: MaterializationRecord = {
    assetKey: asset.key,
    partition: assetPartition(run, asset),
    ...ended,
    runId: run.record.runId,
    tenant: run.record.tenant,
    job: run.record.job,
  };
  await run.ledger.putMaterialization(materialization);
  await run.observers.assetFinished({ run: run.record, asset, materialization, ...measured });
}
