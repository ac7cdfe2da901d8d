/**
 * Backfills spread over many workers: `backfill <job> --from --to --workers N` queues the range in
 * the PostgreSQL ledger (ledger/queue.ts) and works it with N workers of its own (0: queue only),
 * and `worker <backfill-id>` joins from any process on any machine. A worker claims one partition
 * at a time under a lease it renews while the partition's run goes on, runs it as `run` would
 * (same run lock, waiting for a holder instead of refusing, same ledger records), and records the
 * outcome. It stops when no partition is left pending or held: a partition whose worker died is
 * taken over by a live one once its lease runs out.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { defaultStageHandlers } from "../executor/stages.js";
import type { StageHandlers } from "../executor/types.js";
import { type BackfillQueue, type BackfillSpec, newBackfillId } from "../ledger/queue.js";
import { isPartitionMaterialized, latestByAssetPartition } from "../ledger/types.js";
import type { JobPlan } from "../plan.js";
import { parsePositiveInt } from "./args.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type SelectedContext } from "./io.js";
import { backfillTodo, executeOne, formatSummary, openSession, type Session } from "./jobs.js";

/** How long a claim lasts without renewal; a dead worker's partition waits this long. */
export const DEFAULT_LEASE_SECONDS = 60;

export interface WorkOptions {
  leaseMs: number;
  /** How often a worker with nothing to claim looks again while others still hold partitions. */
  pollMs: number;
  handlers: StageHandlers;
}

/** What one worker loop did: each partition it ran, and whether its run succeeded. */
export interface WorkedPartition {
  partition: string;
  ok: boolean;
  line: string;
  /** The run that did it; null when an earlier worker's run already had. */
  runId: string | null;
}

/** A worker's id in the queue: host, pid and a random part (two loops in one process differ). */
export function workerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
}

function needQueue(ctx: SelectedContext, s: Session, what: string): BackfillQueue | null {
  if (s.ledger.backfills === null) {
    ctx.io.err(
      `error: ${what} needs the PostgreSQL ledger, where workers on every machine find the queue: set ETL_LEDGER_URL (this session uses the ${s.ledger.description}); without it, use backfill --concurrency N\n`,
    );
  }
  return s.ledger.backfills;
}

/** Whether `partition` was materialised by a run that ended after the backfill was created. */
async function doneSince(
  ctx: SelectedContext,
  s: Session,
  job: JobPlan,
  spec: BackfillSpec,
  partition: string,
): Promise<boolean> {
  const records = (await s.ledger.materializations(ctx.plan.tenant.id)).filter(
    (r) => r.partition === partition && r.finishedAt >= spec.createdAt,
  );
  const partitioned = job.assets.filter(
    (k) => ctx.envPlan.assets.find((a) => a.key === k)?.partitioned === true,
  );
  return isPartitionMaterialized(latestByAssetPartition(records), partitioned, partition);
}

/**
 * Runs one claimed partition while renewing its lease; a lease that cannot be renewed stops the
 * run (another worker may take the partition over, and the run lock keeps them from writing at
 * once). Returns the outcome to record, or null when the lease was lost.
 */
async function runClaimed(
  ctx: SelectedContext,
  s: Session,
  queue: BackfillQueue,
  job: JobPlan,
  spec: BackfillSpec,
  claim: { partition: string; attempt: number },
  worker: string,
  options: WorkOptions,
): Promise<WorkedPartition | null> {
  const { partition } = claim;
  const lost = new AbortController();
  const renew = setInterval(
    () => {
      queue.renew(spec.backfillId, partition, worker, options.leaseMs).then(
        (held) => {
          if (!held) lost.abort(new Error(`lease of ${partition} taken over`));
        },
        (error: unknown) => {
          s.logger.error("cannot renew the lease of a backfill partition", {
            backfill: spec.backfillId,
            partition,
            error: error instanceof Error ? error.message : String(error),
          });
          lost.abort(new Error(`lease of ${partition} could not be renewed`, { cause: error }));
        },
      );
    },
    Math.max(1000, Math.floor(options.leaseMs / 3)),
  );
  renew.unref();
  try {
    // A takeover's partition may have been finished by the worker that died before it could say so.
    if (claim.attempt > 1 && (await doneSince(ctx, s, job, spec, partition))) {
      s.logger.info("partition already materialised by this backfill", { partition });
      return { partition, ok: true, line: "succeeded (by an earlier worker)", runId: null };
    }
    const outcome = await executeOne(ctx, s, job, partition, "backfill", {
      handlers: options.handlers,
      wait: true,
      signal: lost.signal,
    });
    if (lost.signal.aborted) return null;
    if (outcome.kind === "completed") {
      ctx.io.out(formatSummary(outcome));
      return {
        partition,
        ok: outcome.run.status === "succeeded",
        line: outcome.run.status,
        runId: outcome.run.runId,
      };
    }
    ctx.io.err(`error: ${partition}: ${outcome.message}\n`);
    return { partition, ok: false, line: outcome.message, runId: null };
  } finally {
    clearInterval(renew);
  }
}

/** Claims and runs partitions of the backfill until none is left pending or held. */
export async function workQueue(
  ctx: SelectedContext,
  s: Session,
  queue: BackfillQueue,
  job: JobPlan,
  spec: BackfillSpec,
  options: WorkOptions,
): Promise<WorkedPartition[]> {
  const worker = workerId();
  const worked: WorkedPartition[] = [];
  while (!ctx.signal.aborted) {
    const claim = await queue.claim(spec.backfillId, worker, options.leaseMs);
    if (claim === null) {
      const progress = await queue.progress(spec.backfillId);
      if (progress === null || progress.pending + progress.claimed === 0) break;
      // Others hold the rest; one of them may die, and its partition is then ours to take over.
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
      continue;
    }
    s.logger.info("claimed backfill partition", {
      backfill: spec.backfillId,
      partition: claim.partition,
      attempt: claim.attempt,
      worker,
    });
    const result = await runClaimed(ctx, s, queue, job, spec, claim, worker, options);
    if (result === null) {
      s.logger.warn("lost the lease of a backfill partition; another worker takes it over", {
        partition: claim.partition,
      });
      continue;
    }
    if (ctx.signal.aborted && !result.ok) {
      // Stopped mid-run (SIGTERM): the partition goes back to the queue for another worker.
      await queue.finish(spec.backfillId, claim.partition, worker, { status: "pending" });
      break;
    }
    await queue.finish(spec.backfillId, claim.partition, worker, {
      status: result.ok ? "succeeded" : "failed",
      runId: result.runId,
      error: result.ok ? null : result.line,
    });
    worked.push(result);
  }
  return worked;
}

/** `--lease-seconds S`, or the default. */
function leaseOption(ctx: SelectedContext): { ok: true; ms: number } | { ok: false } {
  const text = ctx.args.strings.get("lease-seconds");
  if (text === undefined) return { ok: true, ms: DEFAULT_LEASE_SECONDS * 1000 };
  const parsed = parsePositiveInt(text, "lease-seconds");
  if (!parsed.ok) {
    ctx.io.err(`error: ${parsed.error}\n`);
    return { ok: false };
  }
  return { ok: true, ms: parsed.value * 1000 };
}

function workOptions(ctx: SelectedContext, leaseMs: number): WorkOptions {
  return {
    leaseMs,
    pollMs: Math.min(5000, Math.max(500, Math.floor(leaseMs / 4))),
    handlers: ctx.stageHandlers ?? defaultStageHandlers(),
  };
}

/** The backfill's progress as one line. */
async function progressLine(queue: BackfillQueue, backfillId: string): Promise<string> {
  const p = await queue.progress(backfillId);
  if (p === null) return `backfill ${backfillId}: gone from the ledger`;
  return `backfill ${p.backfillId} (${p.job} ${p.from}..${p.to}): ${p.succeeded} succeeded, ${p.failed} failed${p.failed > 0 ? ` (${p.failedPartitions.join(", ")})` : ""}, ${p.claimed} held, ${p.pending} pending of ${p.total}`;
}

/**
 * `backfill <job> --from --to --workers N`: queues the partitions still to do (all with --force)
 * and works them with N workers in this process; `--workers 0` only queues them.
 */
export async function queuedBackfill(
  ctx: SelectedContext,
  job: JobPlan,
  range: { from: string; to: string; partitions: readonly string[] },
  workersText: string,
): Promise<number> {
  const workers =
    workersText === "0"
      ? { ok: true as const, value: 0 }
      : parsePositiveInt(workersText, "workers");
  if (!workers.ok) {
    ctx.io.err(`error: ${workers.error}\n`);
    return EXIT_USAGE;
  }
  if (ctx.args.strings.has("concurrency")) {
    ctx.io.err(
      "error: --workers and --concurrency exclude each other (each worker runs one partition at a time)\n",
    );
    return EXIT_USAGE;
  }
  const lease = leaseOption(ctx);
  if (!lease.ok) return EXIT_USAGE;
  const s = openSession(ctx);
  if (s === null) return EXIT_USAGE;
  try {
    const queue = needQueue(ctx, s, "backfill --workers");
    if (queue === null) return EXIT_USAGE;
    const force = ctx.args.flags.has("force");
    const { todo, done } = await backfillTodo(ctx, s, job, range.partitions, force);
    const spec: BackfillSpec = {
      backfillId: newBackfillId(),
      tenant: ctx.plan.tenant.id,
      environment: ctx.environment,
      job: job.name,
      from: range.from,
      to: range.to,
      force,
      createdAt: new Date().toISOString(),
    };
    await queue.create(spec, todo);
    ctx.io.out(
      `backfill ${spec.backfillId}: ${job.name} ${range.from}..${range.to}, ${range.partitions.length} partitions, ${done} already materialised${done > 0 ? " (skipped; --force to redo)" : ""}, ${todo.length} queued; more workers: etl-${ctx.plan.tenant.id} worker ${spec.backfillId}\n`,
    );
    if (workers.value === 0) return EXIT_OK;
    const options = workOptions(ctx, lease.ms);
    await Promise.all(
      Array.from({ length: Math.min(workers.value, Math.max(1, todo.length)) }, () =>
        workQueue(ctx, s, queue, job, spec, options),
      ),
    );
    ctx.io.out(`${await progressLine(queue, spec.backfillId)}\n`);
    const progress = await queue.progress(spec.backfillId);
    return progress !== null && progress.failed + progress.pending + progress.claimed === 0
      ? EXIT_OK
      : EXIT_FAILURE;
  } finally {
    await s.close();
  }
}

/** `worker <backfill-id>`: works the backfill's queue until nothing is left; see the module doc. */
export async function workerCommand(ctx: SelectedContext): Promise<number> {
  const backfillId = ctx.args.positionals[0] ?? "";
  const lease = leaseOption(ctx);
  if (!lease.ok) return EXIT_USAGE;
  const s = openSession(ctx);
  if (s === null) return EXIT_USAGE;
  try {
    const queue = needQueue(ctx, s, "worker");
    if (queue === null) return EXIT_USAGE;
    const spec = await queue.spec(backfillId);
    if (spec === null) {
      ctx.io.err(
        `error: no backfill "${backfillId}" in the ${s.ledger.description}; \`status\` lists the tenant's backfills\n`,
      );
      return EXIT_USAGE;
    }
    if (spec.tenant !== ctx.plan.tenant.id || spec.environment !== ctx.environment) {
      ctx.io.err(
        `error: backfill ${backfillId} belongs to tenant ${spec.tenant} in ${spec.environment}, not ${ctx.plan.tenant.id} in ${ctx.environment}: start etl-${spec.tenant} worker with ETL_ENVIRONMENT=${spec.environment}\n`,
      );
      return EXIT_USAGE;
    }
    const job = ctx.envPlan.jobs.find((j) => j.name === spec.job);
    if (job === undefined) {
      ctx.io.err(
        `error: backfill ${backfillId} runs job ${spec.job}, which this package's plan no longer has: deploy the package that queued it\n`,
      );
      return EXIT_USAGE;
    }
    const worked = await workQueue(ctx, s, queue, job, spec, workOptions(ctx, lease.ms));
    const failed = worked.filter((w) => !w.ok).map((w) => w.partition);
    ctx.io.out(
      `worker: ran ${worked.length} partitions (${failed.length} failed${failed.length > 0 ? `: ${failed.join(", ")}` : ""}); ${await progressLine(queue, backfillId)}\n`,
    );
    return failed.length === 0 && !ctx.signal.aborted ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await s.close();
  }
}
