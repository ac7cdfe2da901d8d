/** `run`, `backfill`, `status` and `serve`: the commands that execute jobs or report on them. */
import path from "node:path";
import { parseListenPort } from "../contract/port.js";
import { ChunkLoads, Slots, slottedHandlers } from "../executor/chunk.js";
import type { RunObserver } from "../executor/observer.js";
import { type AssetSummary, type RunOutcome, runJob } from "../executor/run.js";
import { defaultStageHandlers } from "../executor/stages.js";
import type { StageHandlers } from "../executor/types.js";
import type { FreshnessView } from "../freshness/index.js";
import { RunHistory, RunHistoryObserver } from "../ledger/history.js";
import {
  isPartitionMaterialized,
  type Ledger,
  latestByAssetPartition,
  openLedger,
} from "../ledger/index.js";
import { recordRunLogs } from "../ledger/run-log.js";
import { EnsuredObjects } from "../load/ensured.js";
import { Logger, type LogSink, parseLevel } from "../logger.js";
import {
  latestCompletePartition,
  partitionRange,
  validatePartition,
  validateRange,
} from "../partitions/index.js";
import type { JobPlan } from "../plan.js";
import {
  describeResourceProblems,
  type ResolvedResources,
  resolveResources,
} from "../resources.js";
import { retryPolicyFor } from "../retry/index.js";
import { runtimeObjects } from "../runtime-objects.js";
import { scheduledJobs, serve } from "../schedule/serve.js";
import { createStorage } from "../storage/index.js";
import { TrinoClient } from "../trino/client.js";
import { parsePositiveInt } from "./args.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type SelectedContext } from "./io.js";
import {
  freshnessCell,
  freshnessOf,
  openOperations,
  type SessionOperations,
  startServeOperations,
} from "./operations.js";
import { queuedBackfill } from "./workers.js";

export interface Session {
  resources: ResolvedResources;
  ledger: Ledger;
  /** Also records each run's log lines in the ledger (run-log.ts). */
  logger: Logger;
  /** Run events as Parquet under the tenant's `_runs/` on its storage. */
  history: RunHistory;
  /** Alerts and lineage events of the session's runs (cli/operations.ts). */
  operations: SessionOperations;
  /** Waits for alert and lineage deliveries, writes the pending run log lines, closes the ledger. */
  close: () => Promise<void>;
}

/** Resolves resources and opens the ledger; prints every problem and returns null on failure. */
export function openSession(ctx: SelectedContext): Session | null {
  const r = resolveResources(ctx.plan, ctx.environment, ctx.env);
  if (!r.ok) {
    ctx.io.err(
      `${describeResourceProblems(r)
        .map((l) => `error: ${l}`)
        .join("\n")}\n`,
    );
    return null;
  }
  // At the level of the environment the CLI was given (ETL_LOG_LEVEL), into the CLI's own error
  // stream (the process's stderr for the generated entrypoints), so an embedding caller (tests,
  // @etl/all) gets the run's log lines where it gets its other messages.
  const io = ctx.io;
  const progressLine = progressOnTerminal(ctx);
  const sink: LogSink = {
    // On a terminal a log line first clears the progress line it would otherwise run into.
    write: (line) => io.err(progressLine ? `\r\x1b[2K${line}` : line),
    get isTTY() {
      return io.isTTY;
    },
    color: io.isTTY && (ctx.env.NO_COLOR ?? "") === "",
  };
  const level = parseLevel(ctx.env.ETL_LOG_LEVEL);
  const sessionLogger = new Logger(
    { tenant: ctx.plan.tenant.id, environment: ctx.environment },
    sink,
    level,
    ctx.logFormat,
  );
  // The ledger warns through the session's logger (a quarantined record); the run's log lines
  // then go both to the session's stream and into the ledger.
  const ledger = openLedger(r.resources, sessionLogger);
  const recorded = recordRunLogs(sessionLogger, ledger, ctx.plan.tenant.id, level);
  const logger = recorded.logger;

  const history = new RunHistory(
    createStorage(r.resources.storage, logger),
    logger,
    // History writes use the storage-bound stages' policy: S3 restarts heal within its window.
    retryPolicyFor("extract", ctx.env),
    ctx.signal,
    // Only a table the plan names is kept registered: the default name is per tenant, and two
    // plans of one tenant (environments, test plans) with other base paths would fight over it.
    ctx.envPlan.runtimeObjects?.runHistory === undefined
      ? null
      : {
          client: TrinoClient.create(r.resources.trino, { logger }),
          place: runtimeObjects(ctx.plan.tenant.id, ctx.envPlan).runHistory,
        },
  );
  const operations = openOperations(ctx, r.resources, ledger, logger);
  return {
    resources: r.resources,
    ledger,
    logger,
    history,
    operations,
    close: async () => {
      await operations.drain();
      await operations.close();
      await recorded.flush();
      await ledger.close();
    },
  };
}

/** A live progress line only on a terminal, and not when JSON lines were asked for. */
function progressOnTerminal(ctx: SelectedContext): boolean {
  return ctx.io.isTTY && ctx.logFormat !== "json";
}

export function findJob(ctx: SelectedContext, name: string): JobPlan | null {
  const job = ctx.envPlan.jobs.find((j) => j.name === name);
  if (job === undefined) {
    const names = ctx.envPlan.jobs.map((j) => j.name).sort();
    ctx.io.err(`error: unknown job "${name}" (jobs: ${names.join(", ") || "none"})\n`);
    return null;
  }
  return job;
}

/** The summary table printed after every run. */
export function formatSummary(outcome: Extract<RunOutcome, { kind: "completed" }>): string {
  const w = Math.max(5, ...outcome.assets.map((a) => a.key.length));
  const lines = [
    `run ${outcome.run.runId}  job ${outcome.run.job}  partition ${outcome.run.partition ?? "-"}  ${outcome.run.status.toUpperCase()}`,
    `  ${"ASSET".padEnd(w)}  ${"STATUS".padEnd(9)}  TRIES  SECONDS  ERROR`,
  ];
  for (const a of outcome.assets) {
    lines.push(
      `  ${a.key.padEnd(w)}  ${a.status.padEnd(9)}  ${String(a.attempts).padStart(5)}  ${(a.durationMs / 1000).toFixed(1).padStart(7)}  ${a.error ?? ""}`,
    );
  }
  const r = outcome.run;
  lines.push(`  ${r.succeeded} succeeded, ${r.failed} failed, ${r.skipped} skipped`);
  return `${lines.join("\n")}\n`;
}

/** Runs one job for one partition through the executor, with the session's ledger and logger. */
export async function executeOne(
  ctx: SelectedContext,
  s: Session,
  job: JobPlan,
  partition: string | null,
  trigger: string,
  extra: {
    select?: string | null;
    concurrency?: number;
    wait?: boolean;
    /** Stage handlers shared with other runs (a backfill's); absent: the run's own. */
    handlers?: StageHandlers;
    /** Stops the run besides the session's signal (a worker's lost lease). */
    signal?: AbortSignal;
    /** Observers besides the session's (a backfill chunk's batched loads). */
    observers?: readonly RunObserver[];
  },
): Promise<RunOutcome> {
  return runJob({
    plan: ctx.plan,
    envPlan: ctx.envPlan,
    environment: ctx.environment,
    job,
    partition,
    select: extra.select ?? null,
    resources: s.resources,
    transforms: ctx.transforms,
    handlers: extra.handlers ?? ctx.stageHandlers ?? defaultStageHandlers(),
    ledger: s.ledger,
    logger: s.logger,
    retry: (stage) => retryPolicyFor(stage, ctx.env),
    signal: extra.signal === undefined ? ctx.signal : AbortSignal.any([ctx.signal, extra.signal]),
    trigger,
    tty: progressOnTerminal(ctx) ? ctx.io.err : null,
    observers: [
      new RunHistoryObserver(s.history),
      ...s.operations.observers,
      ...(extra.observers ?? []),
    ],
    ...(extra.wait === undefined ? {} : { wait: extra.wait }),
    ...(extra.concurrency === undefined ? {} : { concurrency: extra.concurrency }),
  });
}

export async function runCommand(ctx: SelectedContext): Promise<number> {
  const job = findJob(ctx, ctx.args.positionals[0] ?? "");
  if (job === null) return EXIT_USAGE;
  let partition: string | null = null;
  const given = ctx.args.strings.get("partition");
  if (job.partitioned) {
    const text = given ?? latestCompletePartition(ctx.envPlan.partitions.timezone);
    const v = validatePartition(text, ctx.envPlan.partitions);
    if (!v.ok) {
      ctx.io.err(`error: ${v.error}\n`);
      return EXIT_USAGE;
    }
    partition = v.partition;
  } else if (given !== undefined) {
    ctx.io.err(`error: job ${job.name} is not partitioned: drop --partition\n`);
    return EXIT_USAGE;
  }
  const s = openSession(ctx);
  if (s === null) return EXIT_USAGE;
  try {
    const outcome = await executeOne(ctx, s, job, partition, "cli", {
      select: ctx.args.strings.get("select") ?? null,
      wait: ctx.args.flags.has("wait"),
    });
    if (outcome.kind !== "completed") {
      ctx.io.err(`error: ${outcome.message}\n`);
      return outcome.kind === "invalid" ? EXIT_USAGE : EXIT_FAILURE;
    }
    ctx.io.out(formatSummary(outcome));
    return outcome.run.status === "succeeded" ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await s.close();
  }
}

/** The partitions a backfill runs: those whose job assets are not all materialised (all with force). */
export async function backfillTodo(
  ctx: SelectedContext,
  s: Session,
  job: JobPlan,
  partitions: readonly string[],
  force: boolean,
): Promise<{ todo: string[]; done: number }> {
  const latest = latestByAssetPartition(await s.ledger.materializations(ctx.plan.tenant.id));
  const partitionedAssets = job.assets.filter(
    (k) => ctx.envPlan.assets.find((a) => a.key === k)?.partitioned === true,
  );
  const todo = partitions.filter(
    (p) => force || !isPartitionMaterialized(latest, partitionedAssets, p),
  );
  return { todo, done: partitions.length - todo.length };
}

/** Partitions a chunked backfill takes at once by default (`backfill --chunk`): a month. */
export const DEFAULT_BACKFILL_CHUNK = 31;

/** One partition's line of a backfill's results. */
export interface BackfillResult {
  partition: string;
  ok: boolean;
  line: string;
}

/**
 * Runs a backfill's partitions until done or the signal aborts: `concurrency` runs at once, or,
 * with `chunk` above 1 and the runtime's own stage handlers, `chunk` partitions at a time whose
 * work goes `concurrency` runs' worth at once and whose partitioned loads go as one batch per
 * pipeline (executor/chunk.ts). Chunks run one after the other, in date order.
 */
export async function backfillPartitions(
  ctx: SelectedContext,
  s: Session,
  job: JobPlan,
  todo: readonly string[],
  concurrency: number,
  onOutcome: (partition: string, outcome: RunOutcome) => void,
  chunk = 1,
): Promise<BackfillResult[]> {
  const results: BackfillResult[] = [];
  const record = (p: string, outcome: RunOutcome) => {
    onOutcome(p, outcome);
    results.push(
      outcome.kind === "completed"
        ? { partition: p, ok: outcome.run.status === "succeeded", line: outcome.run.status }
        : { partition: p, ok: false, line: outcome.message },
    );
  };
  if (chunk > 1 && ctx.stageHandlers === null) {
    await chunkedBackfill(ctx, s, job, todo, concurrency, chunk, record);
    return results;
  }
  const queue = [...todo];
  // One handler set for every run of the backfill: their loads check each table once.
  const handlers = ctx.stageHandlers ?? defaultStageHandlers();
  const worker = async () => {
    for (let p = queue.shift(); p !== undefined && !ctx.signal.aborted; p = queue.shift()) {
      record(p, await executeOne(ctx, s, job, p, "backfill", { handlers }));
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, worker),
  );
  return results;
}

/**
 * The chunks of a backfill, in date order, two in flight: once a chunk's loads go (its
 * extracts and transfers are done), the next one starts, so its extracts run while those commit. The work of both goes through one set of slots (the backfill's
 * concurrency), a chunk's batch of a pipeline goes after the previous chunk's (ChunkLoads), and a
 * third chunk starts only once the first has ended.
 */
async function chunkedBackfill(
  ctx: SelectedContext,
  s: Session,
  job: JobPlan,
  todo: readonly string[],
  concurrency: number,
  chunk: number,
  record: (p: string, outcome: RunOutcome) => void,
): Promise<void> {
  // One set of table checks and slots for the whole backfill; the rest of the handlers' state per
  // chunk.
  const ensured = new EnsuredObjects();
  const slots = new Slots(concurrency * Math.max(1, job.concurrency));
  const sorted = [...todo].sort();
  let previous: { loads: ChunkLoads; done: Promise<void> } | null = null;
  for (let i = 0; i < sorted.length && !ctx.signal.aborted; i += chunk) {
    const part = sorted.slice(i, i + chunk);
    const loads: ChunkLoads = new ChunkLoads(part, slots, s.logger, previous?.loads ?? null);
    const handlers = slottedHandlers(defaultStageHandlers({ ensured, chunk: loads }), slots);
    const range = { job: job.name, from: part[0], to: part[part.length - 1] };
    s.logger.info("backfill chunk started", { ...range, partitions: part.length });
    const done = Promise.all(
      part.map(async (p) => {
        try {
          const outcome = await executeOne(ctx, s, job, p, "backfill", {
            handlers,
            // Every asset may wait for its batch without holding up the rest: the slots bound the work.
            concurrency: Math.max(1, job.assets.length),
            observers: [loads],
          });
          record(p, outcome);
        } finally {
          loads.runEnded(p);
        }
      }),
    ).then(() => {
      s.logger.info("backfill chunk finished", { ...range, batchLoads: loads.batchCount });
    });
    // Awaited below (a failure of the ledger ends the backfill there); until then not unhandled.
    done.catch(() => {});
    if (previous !== null) await previous.done;
    // The next chunk's work queues behind this one's: it starts once this one's loads go.
    await Promise.race([loads.loading, done]);
    previous = { loads, done };
  }
  if (previous !== null) await previous.done;
}

export async function backfillCommand(ctx: SelectedContext): Promise<number> {
  const job = findJob(ctx, ctx.args.positionals[0] ?? "");
  if (job === null) return EXIT_USAGE;
  if (!job.partitioned) {
    ctx.io.err(`error: job ${job.name} is not partitioned; use \`run ${job.name}\`\n`);
    return EXIT_USAGE;
  }
  const from = ctx.args.strings.get("from");
  const to = ctx.args.strings.get("to");
  if (from === undefined || to === undefined) {
    ctx.io.err("error: backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD\n");
    return EXIT_USAGE;
  }
  const range = validateRange(from, to, ctx.envPlan.partitions);
  if (!range.ok) {
    ctx.io.err(`${range.errors.map((e) => `error: ${e}`).join("\n")}\n`);
    return EXIT_USAGE;
  }
  const workers = ctx.args.strings.get("workers");
  if (workers !== undefined && ctx.args.strings.has("chunk")) {
    ctx.io.err(
      "error: --workers and --chunk exclude each other (workers claim partitions one at a time)\n",
    );
    return EXIT_USAGE;
  }
  if (workers !== undefined) {
    return queuedBackfill(ctx, job, { from, to, partitions: range.partitions }, workers);
  }
  let concurrency = 1;
  const c = ctx.args.strings.get("concurrency");
  if (c !== undefined) {
    const p = parsePositiveInt(c, "concurrency");
    if (!p.ok) {
      ctx.io.err(`error: ${p.error}\n`);
      return EXIT_USAGE;
    }
    concurrency = p.value;
  }
  let chunk = DEFAULT_BACKFILL_CHUNK;
  const k = ctx.args.strings.get("chunk");
  if (k !== undefined) {
    const p = parsePositiveInt(k, "chunk");
    if (!p.ok) {
      ctx.io.err(`error: ${p.error}\n`);
      return EXIT_USAGE;
    }
    chunk = p.value;
  }
  const s = openSession(ctx);
  if (s === null) return EXIT_USAGE;
  try {
    const { todo, done } = await backfillTodo(
      ctx,
      s,
      job,
      range.partitions,
      ctx.args.flags.has("force"),
    );
    ctx.io.out(
      `backfill ${job.name} ${from}..${to}: ${range.partitions.length} partitions, ${done} already materialised${done > 0 ? " (skipped; --force to redo)" : ""}, ${todo.length} to run, ${concurrency} at once${chunk > 1 ? `, in chunks of ${chunk} whose loads go as one statement per pipeline` : ""}\n`,
    );
    const results = await backfillPartitions(
      ctx,
      s,
      job,
      todo,
      concurrency,
      (p, outcome) => {
        if (outcome.kind === "completed") ctx.io.out(formatSummary(outcome));
        else ctx.io.err(`error: ${p}: ${outcome.message}\n`);
      },
      chunk,
    );
    const failed = results
      .filter((r) => !r.ok)
      .map((r) => r.partition)
      .sort();
    const notRun = todo.filter((p) => !results.some((r) => r.partition === p));
    ctx.io.out(
      `backfill ${job.name}: ${results.length - failed.length} succeeded, ${failed.length} failed${failed.length > 0 ? ` (${failed.join(", ")})` : ""}, ${done} skipped as already materialised${notRun.length > 0 ? `, ${notRun.length} not run (interrupted)` : ""}\n`,
    );
    return failed.length === 0 && notRun.length === 0 ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await s.close();
  }
}

export interface AssetStatusRow {
  key: string;
  stage: string;
  partitioned: boolean;
  lastMaterialization: {
    partition: string | null;
    finishedAt: string;
    runId: string;
    metadata: Record<string, unknown>;
  } | null;
  /** Partitions (start date .. latest complete day) without a successful materialisation. */
  missingPartitions: string[];
  /** Partitions whose latest attempt failed. */
  failedPartitions: string[];
  /** How old its data is and whether that breaks its freshness policy (freshness/index.ts). */
  freshness: FreshnessView | null;
}

export async function statusCommand(ctx: SelectedContext): Promise<number> {
  const s = openSession(ctx);
  if (s === null) return EXIT_USAGE;
  try {
    const records = await s.ledger.materializations(ctx.plan.tenant.id);
    const runs = await s.ledger.runs(ctx.plan.tenant.id);
    const latest = latestByAssetPartition(records);
    const end = latestCompletePartition(ctx.envPlan.partitions.timezone);
    const freshness = freshnessOf(ctx.envPlan, records);
    const all =
      ctx.envPlan.partitions.startDate <= end
        ? partitionRange(ctx.envPlan.partitions.startDate, end)
        : [];
    const rows: AssetStatusRow[] = [...ctx.envPlan.assets]
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map((a) => {
        const succ = records
          .filter((r) => r.assetKey === a.key && r.status === "succeeded")
          .sort((x, y) => (x.finishedAt < y.finishedAt ? -1 : 1));
        const last = succ[succ.length - 1];
        const parts = a.partitioned ? all : [];
        return {
          key: a.key,
          stage: a.stage,
          partitioned: a.partitioned,
          lastMaterialization:
            last === undefined
              ? null
              : {
                  partition: last.partition,
                  finishedAt: last.finishedAt,
                  runId: last.runId,
                  metadata: last.metadata,
                },
          missingPartitions: parts.filter(
            (p) => latest.get(`${a.key}|${p}`)?.status !== "succeeded",
          ),
          failedPartitions: parts.filter((p) => latest.get(`${a.key}|${p}`)?.status === "failed"),
          freshness: freshness.get(a.key) ?? null,
        };
      });
    const recentRuns = [...runs].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1)).slice(0, 10);
    // Queued backfills (backfill --workers) live in the PostgreSQL ledger only.
    const backfills =
      s.ledger.backfills === null ? [] : await s.ledger.backfills.list(ctx.plan.tenant.id, 5);
    if (ctx.args.flags.has("json")) {
      ctx.io.out(
        `${JSON.stringify({ tenant: ctx.plan.tenant.id, environment: ctx.environment, ledger: s.ledger.description, partitions: { first: ctx.envPlan.partitions.startDate, last: end }, assets: rows, recentRuns, backfills }, null, 2)}\n`,
      );
      return EXIT_OK;
    }
    const w = Math.max(5, ...rows.map((r) => r.key.length));
    const lines = [
      `tenant ${ctx.plan.tenant.id} (environment ${ctx.environment}), ${s.ledger.description}`,
      `partitions ${ctx.envPlan.partitions.startDate}..${end} (${all.length})`,
      "",
      `  ${"ASSET".padEnd(w)}  ${"LAST MATERIALISATION".padEnd(36)}  MISSING  ${"FAILED".padEnd(10)}  FRESHNESS`,
    ];
    for (const r of rows) {
      const last =
        r.lastMaterialization === null
          ? "never"
          : `${r.lastMaterialization.partition ?? "-"} at ${r.lastMaterialization.finishedAt.slice(0, 19)}Z`;
      lines.push(
        `  ${r.key.padEnd(w)}  ${last.padEnd(36)}  ${String(r.partitioned ? r.missingPartitions.length : "-").padStart(7)}  ${(r.failedPartitions.length === 0 ? "-" : r.failedPartitions.join(",")).padEnd(10)}  ${freshnessCell(r.freshness)}`,
      );
    }
    lines.push("", "RECENT RUNS");
    for (const r of recentRuns) {
      lines.push(
        `  ${r.runId}  ${r.job}  ${r.partition ?? "-"}  ${r.status}  ${r.succeeded}/${r.failed}/${r.skipped} ok/failed/skipped  ${r.trigger}`,
      );
    }
    if (recentRuns.length === 0) lines.push("  (none)");
    if (backfills.length > 0) {
      lines.push("", "QUEUED BACKFILLS");
      for (const b of backfills) {
        lines.push(
          `  ${b.backfillId}  ${b.job}  ${b.from}..${b.to}  ${b.succeeded}/${b.failed}/${b.claimed}/${b.pending} of ${b.total} ok/failed/held/pending  ${b.workers.length} workers${b.failed > 0 ? `  failed: ${b.failedPartitions.join(",")}` : ""}`,
        );
      }
    }
    ctx.io.out(`${lines.join("\n")}\n`);
    return EXIT_OK;
  } finally {
    await s.close();
  }
}

export type { AssetSummary };

/** A port option to listen on: the contract's rule, with the option named in the message. */
function parsePort(text: string, option: string): ReturnType<typeof parseListenPort> {
  const parsed = parseListenPort(text);
  return parsed.ok ? parsed : { ok: false, message: `${option}: ${parsed.message}` };
}

export async function serveCommand(ctx: SelectedContext): Promise<number> {
  if (ctx.args.flags.has("catch-up") && ctx.args.flags.has("no-catch-up")) {
    ctx.io.err("error: --catch-up and --no-catch-up exclude each other\n");
    return EXIT_USAGE;
  }
  if (!ctx.args.flags.has("ui") && (ctx.args.strings.has("host") || ctx.args.strings.has("port"))) {
    ctx.io.err("error: --host and --port are options of --ui\n");
    return EXIT_USAGE;
  }
  const metricsPortText = ctx.args.strings.get("metrics-port");
  if (metricsPortText === undefined && ctx.args.strings.has("metrics-host")) {
    ctx.io.err("error: --metrics-host is an option of --metrics-port\n");
    return EXIT_USAGE;
  }
  const metricsPort =
    metricsPortText === undefined ? null : parsePort(metricsPortText, "--metrics-port");
  if (metricsPort !== null && !metricsPort.ok) {
    ctx.io.err(`error: ${metricsPort.message}\n`);
    return EXIT_USAGE;
  }
  const sched = scheduledJobs(ctx.envPlan.jobs, ctx.args.flags.has("all"));
  if (!sched.ok) {
    ctx.io.err(`${sched.errors.map((e) => `error: ${e}`).join("\n")}\n`);
    return EXIT_USAGE;
  }
  if (sched.jobs.length === 0) {
    ctx.io.err(
      "error: no job has a schedule with auto_start: true (use --all to serve every scheduled job)\n",
    );
    return EXIT_USAGE;
  }
  // The console first: a bad --host or missing tokens stop `serve` before any schedule fires.
  const ui = ctx.args.flags.has("ui")
    ? await (await import("../console/command.js")).openConsole({
        tenants: [{ plan: ctx.plan, transforms: ctx.transforms }],
        env: ctx.env,
        io: ctx.io,
        args: ctx.args,
        signal: ctx.signal,
      })
    : undefined;
  if (ui === null) return EXIT_USAGE;
  const s = openSession(ctx);
  if (s === null) {
    await ui?.close();
    return EXIT_USAGE;
  }
  const operations = await startServeOperations(
    ctx,
    s,
    metricsPort?.ok === true ? metricsPort.port : null,
    ctx.args.strings.get("metrics-host") ?? "127.0.0.1",
  ).catch(async (e: unknown) => {
    await ui?.close();
    await s.close();
    throw e;
  });
  try {
    let failures = 0;
    await serve({
      jobs: sched.jobs,
      stateDir: path.join(s.resources.etlHome, "schedules", ctx.plan.tenant.id),
      catchUp: ctx.args.flags.has("catch-up"),
      logger: s.logger,
      signal: ctx.signal,
      launch: async (fire) => {
        try {
          const outcome = await executeOne(ctx, s, fire.job, fire.partition, "schedule", {});
          if (outcome.kind === "completed") {
            ctx.io.out(formatSummary(outcome));
            if (outcome.run.status !== "succeeded") failures += 1;
          } else {
            s.logger.warn("scheduled run not started", {
              job: fire.job.name,
              reason: outcome.message,
            });
          }
        } catch (e) {
          failures += 1;
          s.logger.error("scheduled run failed", {
            job: fire.job.name,
            partition: fire.partition,
            error: e instanceof Error ? e.message : String(e),
          });
        }
      },
    });
    ctx.io.err(`serve stopped${failures > 0 ? ` (${failures} failed runs)` : ""}\n`);
    return EXIT_OK;
  } finally {
    await operations.stop();
    await ui?.close();
    await s.close();
  }
}
