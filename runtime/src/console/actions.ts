/**
 * The console's actions: launch a job for a partition, re-execute a run's failed assets, start a
 * backfill. Each opens a session and runs through the same functions as the `run` and `backfill`
 * commands (cli/jobs.ts), so a console run takes the same ledger lock as a `run` on any machine
 * and is recorded the same way. A launch answers once the run is recorded as started (or refused:
 * locked, invalid); the run goes on in the background of the console process.
 */

import type { CliIo, SelectedContext } from "../cli/io.js";
import {
  backfillPartitions,
  backfillTodo,
  DEFAULT_BACKFILL_CHUNK,
  executeOne,
  openSession,
  type Session,
} from "../cli/jobs.js";
import type { RunOutcome } from "../executor/run.js";
import type { Ledger, RunRecord } from "../ledger/types.js";
import type { Logger } from "../logger.js";
import { latestCompletePartition, validatePartition, validateRange } from "../partitions/index.js";
import type { TransformRegistry } from "../transfer/types.js";
import type { EnvSource } from "../values.js";
import type { BackfillRequest, BackfillResponse, LaunchRequest } from "./dto.js";
import type { ConsoleTenant } from "./model.js";

/** A refused action: HTTP status and a message for the person who asked. */
export class ActionError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface ActionContext {
  tenant: ConsoleTenant;
  transforms: TransformRegistry;
  env: EnvSource;
  /** Where run summaries and problems go (the console process's own streams). */
  io: CliIo;
  /** Aborted when the console stops: runs in flight are cancelled and recorded so. */
  signal: AbortSignal;
  logger: Logger;
  /** Who asked, for the audit line. */
  actor: string;
}

/** Runs started by this process, so the console can wait for them when it stops. */
const inFlight = new Set<Promise<unknown>>();

/** Resolves once every run this process started from the console has ended. */
export async function settleActions(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

function selectedContext(a: ActionContext, io: CliIo): SelectedContext {
  return {
    plan: a.tenant.plan,
    transforms: a.transforms,
    env: a.env,
    io,
    args: { positionals: [], strings: new Map(), flags: new Set() },
    debug: false,
    // Pretty on a terminal, JSON lines otherwise, as the CLI's default.
    logFormat: "auto",
    stageHandlers: null,
    signal: a.signal,
    environment: a.tenant.environment,
    envPlan: a.tenant.envPlan,
  };
}

/** Opens a session like the CLI does; its problems (missing variables) become a 503. */
function session(ctx: SelectedContext): Session {
  // What openSession reports while opening is the refusal; after that, its logger's lines go
  // to the console's own stream.
  let opening = true;
  let problems = "";
  const io: CliIo = {
    out: (text) => ctx.io.out(text),
    err: (text) => {
      if (opening) problems += text;
      else ctx.io.err(text);
    },
    get isTTY() {
      return ctx.io.isTTY;
    },
  };
  const s = openSession({ ...ctx, io });
  opening = false;
  if (s === null) {
    throw new ActionError(
      503,
      `runs cannot be launched from this console: ${problems.trim().replace(/^error: /gm, "")}`,
    );
  }
  return s;
}

/** The ledger of `s`, reporting the first run record it writes. */
function watchStart(ledger: Ledger, onStart: (run: RunRecord) => void): Ledger {
  return new Proxy(ledger, {
    get(target, prop, receiver) {
      if (prop === "putRun") {
        return async (run: RunRecord) => {
          await target.putRun(run);
          onStart(run);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function track<T>(p: Promise<T>): Promise<T> {
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
  return p;
}

function refused(outcome: Exclude<RunOutcome, { kind: "completed" }>): ActionError {
  return new ActionError(outcome.kind === "locked" ? 409 : 400, outcome.message);
}

/**
 * Starts one run of `job` in the background; resolves with its run id once the run is recorded as
 * running, or rejects with the executor's refusal (the lock is held, the selection is invalid).
 */
export async function launchRun(
  a: ActionContext,
  request: LaunchRequest,
  trigger = "console",
): Promise<{ runId: string }> {
  const envPlan = a.tenant.envPlan;
  const job = envPlan.jobs.find((j) => j.name === request.job);
  if (job === undefined) {
    throw new ActionError(
      404,
      `unknown job "${request.job}" (jobs: ${envPlan.jobs.map((j) => j.name).join(", ")})`,
    );
  }
  let partition: string | null = null;
  if (job.partitioned) {
    const text = request.partition ?? latestCompletePartition(envPlan.partitions.timezone);
    const v = validatePartition(text, envPlan.partitions);
    if (!v.ok) throw new ActionError(400, v.error);
    partition = v.partition;
  } else if (request.partition != null) {
    throw new ActionError(400, `job ${job.name} is not partitioned: leave the partition out`);
  }
  const ctx = selectedContext(a, a.io);
  const s = session(ctx);
  let started: (run: RunRecord) => void = () => {};
  const startedRun = new Promise<RunRecord>((resolve) => {
    started = resolve;
  });
  const watched: Session = { ...s, ledger: watchStart(s.ledger, (run) => started(run)) };
  a.logger.info("console launched a run", {
    actor: a.actor,
    job: job.name,
    partition,
    select: request.select ?? null,
    trigger,
  });
  const outcome = track(
    executeOne(ctx, watched, job, partition, trigger, { select: request.select ?? null }).finally(
      () => s.close(),
    ),
  );
  const first = await Promise.race([
    startedRun.then((run) => ({ kind: "started" as const, run })),
    outcome.then((o) => ({ kind: "ended" as const, outcome: o })),
  ]);
  if (first.kind === "started") {
    void outcome.then(
      (o) => {
        if (o.kind === "completed")
          a.logger.info("console run ended", { runId: o.run.runId, status: o.run.status });
      },
      (e: unknown) =>
        a.logger.error("console run failed", {
          runId: first.run.runId,
          error: e instanceof Error ? e.message : String(e),
        }),
    );
    return { runId: first.run.runId };
  }
  if (first.outcome.kind !== "completed") throw refused(first.outcome);
  return { runId: first.outcome.run.runId };
}

/** Re-executes the failed and skipped assets of a run, for its partition, as a new run. */
export async function reexecuteRun(
  a: ActionContext,
  runId: string,
  failedAssets: readonly string[],
  run: RunRecord,
) {
  if (failedAssets.length === 0) {
    throw new ActionError(409, `run ${runId} has no failed or skipped asset to re-execute`);
  }
  if (run.status === "running") {
    throw new ActionError(409, `run ${runId} is still running`);
  }
  // Asset keys hold no glob characters or commas: each is a glob matching itself alone.
  return launchRun(a, { job: run.job, partition: run.partition, select: failedAssets.join(",") });
}

/** Starts a backfill over a range in the background; answers with what it will run. */
export async function startBackfill(
  a: ActionContext,
  request: BackfillRequest,
): Promise<BackfillResponse> {
  const envPlan = a.tenant.envPlan;
  const job = envPlan.jobs.find((j) => j.name === request.job);
  if (job === undefined) throw new ActionError(404, `unknown job "${request.job}"`);
  if (!job.partitioned) {
    throw new ActionError(400, `job ${job.name} is not partitioned: launch it as a run`);
  }
  const range = validateRange(request.from, request.to, envPlan.partitions);
  if (!range.ok) throw new ActionError(400, range.errors.join("; "));
  const ctx = selectedContext(a, a.io);
  const s = session(ctx);
  let todo: string[];
  let done: number;
  try {
    ({ todo, done } = await backfillTodo(ctx, s, job, range.partitions, request.force === true));
  } catch (e) {
    await s.close();
    throw e;
  }
  a.logger.info("console started a backfill", {
    actor: a.actor,
    job: job.name,
    from: request.from,
    to: request.to,
    partitions: range.partitions.length,
    toRun: todo.length,
  });
  void track(
    backfillPartitions(
      ctx,
      s,
      job,
      todo,
      request.concurrency ?? 1,
      () => {},
      DEFAULT_BACKFILL_CHUNK,
    )
      .then((results) =>
        a.logger.info("console backfill ended", {
          job: job.name,
          from: request.from,
          to: request.to,
          failed: results.filter((r) => !r.ok).map((r) => r.partition),
        }),
      )
      .catch((e: unknown) =>
        a.logger.error("console backfill failed", {
          job: job.name,
          error: e instanceof Error ? e.message : String(e),
        }),
      )
      .finally(() => s.close()),
  );
  return {
    job: job.name,
    from: request.from,
    to: request.to,
    partitions: range.partitions.length,
    alreadyMaterialized: done,
    toRun: todo.length,
  };
}
