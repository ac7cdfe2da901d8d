/**
 * The stage implementations the executor dispatches to. Each stage is owned by its own module;
 * this file only adapts their entry points to `StageHandler`. The executor takes any subset of
 * handlers (tests give their own), and fails an asset whose stage has none with an error saying so.
 */
import {
  type CheckResult,
  type CheckScope,
  loadedScope,
  runChecks,
  runChecksByDay,
} from "../checks/checks.js";
import type { RunDbtResult } from "../dbt/run.js";
import { buildDbtAssets, dbtAssetRecord } from "../dbt/stage.js";
import { advanceWatermark, extractPartition } from "../extract/extract.js";
import { type BatchItem, batchProblem, loadPartitions } from "../load/batch.js";
import { stagedFromManifest } from "../load/committed.js";
import { EnsuredObjects } from "../load/ensured.js";
import {
  type LoadResult,
  loadPartition,
  type StagedData,
  TRANSFER_DATE_COLUMN,
} from "../load/load.js";
import {
  createStagingTable,
  dropStagingTable,
  ensureStagingSchema,
  type StagingPlace,
  stagingSession,
  stagingTableName,
  sweepStagingTables,
} from "../load/staging.js";
import { trinoDayOf, trinoPartitionsPredicate } from "../load/statements.js";
import type { AssetPlan, PipelinePlan, Stage } from "../plan.js";
import { tenantEnv } from "../resources.js";
import { classifyError, StageError } from "../retry/index.js";
import { runtimeObjects } from "../runtime-objects.js";
import { createStorage } from "../storage/index.js";
import { readManifest } from "../storage/layout.js";
import { scratchStorage } from "../storage/scratch.js";
import type { Storage } from "../storage/storage.js";
import { runTransfer } from "../transfer/run.js";
import { TrinoClient } from "../trino/client.js";
import { quoteTrinoColumn } from "../trino/sql.js";
import { resolveValue } from "../values.js";
import { BatchFailedError, type BatchOutcome, type ChunkLoads } from "./chunk.js";
import type {
  AssetOutcome,
  AssetRunContext,
  CheckOutcome,
  StageHandler,
  StageHandlers,
} from "./types.js";

/** Storage key segment of one attempt: retries never write into a failed attempt's folder. */
function attemptId(ctx: AssetRunContext): string {
  return ctx.attempt === 1 ? ctx.runId : `${ctx.runId}-a${ctx.attempt}`;
}

/**
 * The stage where a pipeline's data ends in this environment: its checks run there, over exactly
 * what that stage produced (the loaded rows, else the committed transfer or extract Parquet).
 */
export function checkStage(ctx: Pick<AssetRunContext, "envPlan">, p: PipelinePlan): Stage {
  const has = (stage: Stage) =>
    ctx.envPlan.assets.some((a) => a.pipeline === p.name && a.stage === stage);
  if (has("load")) return "load";
  if (p.hasTransfer && has("transfer")) return "transfer";
  return "extract";
}

function checkOutcomes(results: readonly CheckResult[]): CheckOutcome[] {
  return results.map((r) => ({
    name: r.name,
    severity: r.severity,
    passed: r.passed,
    metadata: { type: r.type, failing: r.failing, sample: r.sample, queryId: r.queryId },
  }));
}

/**
 * Runs the pipeline's checks over the committed Parquet of `stage` through a temporary Hive table
 * (the same bulk path the load uses), dropped afterwards even when a check query fails.
 */
async function checkStaged(
  ctx: AssetRunContext,
  p: PipelinePlan,
  stage: "extract" | "transfer",
  storage: Storage,
  pending: StageState,
): Promise<CheckOutcome[]> {
  if (p.checks.length === 0 || checkStage(ctx, p) !== stage) return [];
  const partition = p.dateColumn === null ? null : (ctx.partition?.date ?? null);
  const manifest = await readManifest(storage, stage, p.name, partition);
  if (manifest === null) {
    throw new StageError(
      `checks of ${p.name}: the ${stage} stage reported success but no committed ${stage} output exists for ${partition ?? "its snapshot"}`,
      false,
    );
  }
  if (!p.saveToS3) {
    throw new StageError(
      `checks of ${p.name} run on Trino over its files on S3, but the pipeline keeps its files only on this machine for the run (save_to_s3: false): set save_to_s3: true, or remove the pipeline's checks`,
      false,
    );
  }
  if (!manifest.location.startsWith("s3://")) {
    throw new StageError(
      `checks of ${p.name} run on Trino, which cannot read local storage (${manifest.location}): set S3_BUCKET_NAME / storage.bucket, or remove the pipeline's checks`,
      false,
    );
  }
  const staged = stagedFromManifest(p, manifest);
  const client = TrinoClient.create(ctx.resources.trino, { logger: ctx.logger });
  const place: StagingPlace = runtimeObjects(ctx.plan.tenant.id, ctx.envPlan).staging;
  await pending.ensured.stagingSchema(place, () => ensureStagingSchema(client, place));
  const table = stagingTableName(`${ctx.plan.tenant.id}_${p.name}_checks`, new Date(), ctx.runId);
  const from = await createStagingTable(
    client,
    place,
    table,
    staged.columns.map((c) => ({ name: c.name.toLowerCase(), type: c.type })),
    staged.location,
  );
  let results: CheckResult[];
  try {
    const scope: CheckScope = { from, where: "true", session: stagingSession(place) };
    results = await runChecks(client, p.checks, scope, ctx.logger);
  } finally {
    // A failed drop leaves an orphan that sweepStagingTables removes later; it must not mask the
    // check outcome, but it is logged with the table name so it can be dropped by hand.
    await dropStagingTable(client, place, table).catch((e: unknown) => {
      ctx.logger.warn("could not drop the check staging table", {
        table,
        error: e instanceof Error ? e.message : String(e),
      });
    });
  }
  return checkOutcomes(results);
}

/**
 * Where a pipeline's stage files go: the tenant's storage, or, for a pipeline that keeps nothing
 * (`save_to_s3: false`), the run's scratch space, removed when the run ends.
 */
function stageStorage(ctx: AssetRunContext, pipeline: PipelinePlan): Storage {
  return pipeline.saveToS3
    ? createStorage(ctx.resources.storage, ctx.logger)
    : scratchStorage(ctx.resources, ctx.runId);
}

function needPipeline(ctx: AssetRunContext) {
  if (ctx.pipeline === null) {
    throw new StageError(`asset ${ctx.asset.key} names no pipeline of this plan`, false);
  }
  return ctx.pipeline;
}

/**
 * Watermarks of incremental extracts waiting for the pipeline's last stage of this run. A watermark
 * advances only once the rows it covers are stored where the run takes them (loaded into Trino, or
 * transferred, or extracted when nothing follows): if a later stage fails, or the process dies,
 * the next run extracts those rows again instead of skipping them. (A transform that aggregates a
 * whole partition sees only the new rows of an incremental input: docs/operations.md.)
 */
interface StageState {
  watermarks: Map<string, { storage: Storage; value: string }>;
  /**
   * Whether a load of these handlers already swept orphaned staging tables: once per run, or once
   * per backfill when its runs share the handlers.
   */
  swept: boolean;
  /** Schema and table checks made by these handlers' loads (per run, or per backfill). */
  ensured: EnsuredObjects;
  /** The chunk of a backfill whose partitioned loads go as one batch per pipeline; else null. */
  chunk: ChunkLoads | null;
}

/** Staging tables older than this are orphans of killed processes (no load runs that long). */
const STAGING_SWEEP_HOURS = 6;

function watermarkSlot(ctx: AssetRunContext, pipeline: string): string {
  return `${ctx.runId}/${pipeline}/${ctx.partition?.date ?? "snapshot"}`;
}

/** The stage of `pipeline` that runs last in this run (extract when nothing follows it). */
function lastStageOf(ctx: AssetRunContext, pipeline: string): "extract" | "transfer" | "load" {
  const stages = new Set<Stage>(
    ctx.selection.filter((a) => a.pipeline === pipeline).map((a) => a.stage),
  );
  return stages.has("load") ? "load" : stages.has("transfer") ? "transfer" : "extract";
}

async function advancePendingWatermark(
  ctx: AssetRunContext,
  p: PipelinePlan,
  pending: StageState,
): Promise<void> {
  const slot = watermarkSlot(ctx, p.name);
  const wm = pending.watermarks.get(slot);
  if (wm === undefined) {
    return;
  }
  await advanceWatermark(wm.storage, p, ctx.partition?.date ?? null, wm.value, attemptId(ctx));
  pending.watermarks.delete(slot);
  ctx.logger.info("watermark advanced", { pipeline: p.name, watermark: wm.value });
}

async function extractStage(ctx: AssetRunContext, pending: StageState): Promise<AssetOutcome> {
  const p = needPipeline(ctx);
  const storage = stageStorage(ctx, p);
  const deferWatermark = p.incremental !== null && lastStageOf(ctx, p.name) !== "extract";
  const r = await extractPartition({
    advanceWatermark: !deferWatermark,
    source: ctx.resources.source,
    pipeline: p,
    partition: ctx.partition?.date ?? null,
    timeZone: ctx.envPlan.partitions.timezone,
    storage,
    tenantId: ctx.plan.tenant.id,
    runId: attemptId(ctx),
    logger: ctx.logger,
    signal: ctx.signal,
    onProgress: (totals) => ctx.progress.update(totals),
  });
  ctx.progress.update({ rows: r.rowCount, bytes: r.bytes });
  if (deferWatermark && r.watermark !== null && r.watermark.next !== null) {
    pending.watermarks.set(watermarkSlot(ctx, p.name), { storage, value: r.watermark.next });
  }
  return {
    metadata: {
      rows: r.rowCount,
      bytes: r.bytes,
      files: r.files.length,
      location: r.location,
      schemaHash: r.schemaHash,
      elapsedMs: r.elapsedMs,
      ...(r.watermark === null ? {} : { watermark: r.watermark }),
    },
    checks: await checkStaged(ctx, p, "extract", storage, pending),
    rows: r.rowCount,
    bytes: r.bytes,
  };
}

async function transferStage(ctx: AssetRunContext, pending: StageState): Promise<AssetOutcome> {
  const p = needPipeline(ctx);
  const transform = Object.hasOwn(ctx.transforms, p.name) ? ctx.transforms[p.name] : undefined;
  if (transform === undefined) {
    throw new StageError(
      `no transform registered for pipeline ${p.name} (generated src/transforms/index.ts)`,
      false,
    );
  }
  const storage = stageStorage(ctx, p);
  const inputPlans = (p.transfer?.inputs ?? []).flatMap((name) =>
    ctx.envPlan.pipelines.filter((q) => q.name === name),
  );
  const inputs = new Map(inputPlans.map((q) => [q.name, stageStorage(ctx, q)] as const));
  // An input that keeps nothing exists only in the scratch of the run that extracted it.
  const notInRun = inputPlans
    .filter((q) => !q.saveToS3)
    .map((q) => q.name)
    .filter(
      (name) => !ctx.selection.some((a) => a.key === `${ctx.plan.tenant.id}/extract/${name}`),
    );
  if (notInRun.length > 0) {
    throw new StageError(
      `transfer of ${p.name} reads ${notInRun.join(", ")}, whose extract keeps its files only for the run that made it (save_to_s3: false): select ${notInRun.map((n) => `${ctx.plan.tenant.id}/extract/${n}`).join(", ")} in the same run, or set save_to_s3: true`,
      false,
    );
  }
  const r = await runTransfer({
    storage,
    inputStorage: (name) => inputs.get(name) ?? storage,
    tenantId: ctx.plan.tenant.id,
    pipeline: p,
    transform,
    partition: ctx.partition?.date ?? null,
    runId: attemptId(ctx),
    logger: ctx.logger,
    onProgress: (totals) => ctx.progress.update(totals),
  });
  if (lastStageOf(ctx, p.name) === "transfer") {
    await advancePendingWatermark(ctx, p, pending);
  }
  return {
    metadata: { ...r },
    checks: await checkStaged(ctx, p, "transfer", storage, pending),
    rows: r.rows,
    bytes: r.bytes,
  };
}

/**
 * The dbt assets one `dbt build` can take together with `ctx.asset`: assets of this run with the
 * same partitioning, not started yet and not in an earlier batch, whose every upstream asset in
 * the run has succeeded or is itself in the batch (dbt orders the batch by its own graph).
 */
export function dbtBatchMembers(
  ctx: Pick<AssetRunContext, "asset" | "selection" | "statusOf">,
  taken: ReadonlySet<string>,
): AssetPlan[] {
  const inRun = new Set(ctx.selection.map((a) => a.key));
  const members: AssetPlan[] = [];
  const chosen = new Set<string>();
  for (const a of ctx.selection) {
    const candidate =
      a.key === ctx.asset.key ||
      (a.stage === "dbt" &&
        a.dbt !== null &&
        a.partitioned === ctx.asset.partitioned &&
        !taken.has(a.key) &&
        ctx.statusOf(a.key) === null);
    if (!candidate) continue;
    const ready = a.deps.every(
      (d) => !inRun.has(d) || chosen.has(d) || ctx.statusOf(d) === "succeeded",
    );
    if (ready || a.key === ctx.asset.key) {
      members.push(a);
      chosen.add(a.key);
    }
  }
  return members;
}

/**
 * The dbt stage: the first dbt asset of a run that becomes ready builds, in one `dbt build`, every
 * dbt asset of the run that can go with it; the others pick their outcome from that build. A retry
 * (attempt 2+) builds its asset alone.
 */
function dbtStageHandler(): StageHandler {
  const batches = new Map<string, { keys: Set<string>; result: Promise<RunDbtResult> }[]>();
  const build = (ctx: AssetRunContext, assets: readonly AssetPlan[]) =>
    buildDbtAssets({
      tenantId: ctx.plan.tenant.id,
      envPlan: ctx.envPlan,
      assets,
      resources: ctx.resources,
      storage: createStorage(ctx.resources.storage, ctx.logger),
      partition: ctx.partition?.date ?? null,
      logger: ctx.logger,
      signal: ctx.signal,
      env: tenantEnv(ctx.plan, process.env),
    });
  return async (ctx) => {
    let result: RunDbtResult;
    if (ctx.attempt === 1) {
      const runBatches = batches.get(ctx.runId) ?? [];
      batches.set(ctx.runId, runBatches);
      let batch = runBatches.find((b) => b.keys.has(ctx.asset.key));
      if (batch === undefined) {
        const taken = new Set(runBatches.flatMap((b) => [...b.keys]));
        const members = dbtBatchMembers(ctx, taken);
        ctx.logger.info("dbt build of a batch", { assets: members.map((m) => m.key) });
        batch = { keys: new Set(members.map((m) => m.key)), result: build(ctx, members) };
        runBatches.push(batch);
      }
      result = await batch.result;
    } else {
      result = await build(ctx, [ctx.asset]);
    }
    const mine = result.assets[ctx.asset.key];
    if (mine === undefined || mine.status !== "success") {
      throw new StageError(
        `dbt ${ctx.asset.dbt?.name ?? ctx.asset.key}: ${mine?.status === "skipped" ? "not built" : "failed"}: ${mine?.message ?? result.error ?? "not built"}`,
        false,
      );
    }
    return {
      ...dbtAssetRecord(mine),
      metadata: {
        ...dbtAssetRecord(mine).metadata,
        dbtInvocationId: result.invocationId,
        dbtBatchSize: Object.keys(result.assets).length,
      },
      // Trino reports no row count (-1, or none) for views.
      ...(mine.rowsAffected !== null && mine.rowsAffected >= 0 ? { rows: mine.rowsAffected } : {}),
    };
  };
}

async function loadStage(ctx: AssetRunContext, pending: StageState): Promise<AssetOutcome> {
  const p = ctx.pipeline;
  if (p === null || p.trinoOutput === null) {
    throw new StageError(`asset ${ctx.asset.key} has no pipeline with a Trino output`, false);
  }
  const fromStage = p.hasTransfer ? "transfer" : "extract";
  if (!p.saveToS3) {
    throw new StageError(
      `pipeline ${p.name} loads into Trino, which reads the staged files from S3, but it keeps them only on this machine for the run (save_to_s3: false): set save_to_s3: true, or save_to_trino: false`,
      false,
    );
  }
  const storage = createStorage(ctx.resources.storage, ctx.logger);
  const partition =
    ctx.partition === null ? null : { date: ctx.partition.date, timeZone: ctx.partition.timeZone };
  const manifest = await readManifest(storage, fromStage, p.name, partition?.date ?? null);
  if (manifest === null) {
    throw new StageError(
      `no committed ${fromStage} output for ${p.name} ${partition?.date ?? "snapshot"}: run the ${fromStage} asset first`,
      false,
    );
  }
  // Columns come from the manifest (what the files really hold), not the plan's snapshot.
  const staged = stagedFromManifest(p, manifest);
  const catalog = resolveValue(p.trinoOutput.catalog, tenantEnv(ctx.plan, process.env));
  if (!catalog.ok) {
    throw new StageError(`missing environment variables: ${catalog.missing.join(", ")}`, false);
  }
  const client = TrinoClient.create(ctx.resources.trino, { logger: ctx.logger });
  const staging = runtimeObjects(ctx.plan.tenant.id, ctx.envPlan).staging;
  if (!pending.swept) {
    // Once per handler set: staging tables of killed processes: those of this tenant's ended runs (a
    // killed run is recorded as ended when the next run of its job and partition starts), and
    // any older than a load in progress could be.
    pending.swept = true;
    await ctx
      .endedRuns()
      .then((ended) =>
        sweepStagingTables(client, staging, STAGING_SWEEP_HOURS, ctx.logger, new Date(), ended),
      )
      .catch((e: unknown) => {
        // A failed sweep leaves orphans for the next run; it must not fail this load.
        ctx.logger.warn("could not sweep orphaned staging tables", {
          error: e instanceof Error ? e.message : String(e),
        });
      });
  }
  const single = () =>
    loadPartition({
      client,
      tenantId: ctx.plan.tenant.id,
      pipeline: p,
      catalog: catalog.value,
      staged,
      partition,
      logger: ctx.logger,
      runId: ctx.runId,
      staging,
      ensured: pending.ensured,
    });
  const chunk = pending.chunk;
  // In a chunk the first try of a partitioned load joins its pipeline's batch; a retry, and a load
  // a batch cannot take, goes alone (through the chunk's slots).
  const batched =
    chunk !== null &&
    partition !== null &&
    ctx.attempt === 1 &&
    chunk.has(partition.date) &&
    batchProblem(p, [{ staged }]) === null;
  // The rows a load is responsible for, for its checks: this tenant's rows of its days.
  const dateName = (
    staged.partitionColumn ??
    (fromStage === "transfer" ? TRANSFER_DATE_COLUMN : (p.dateColumn ?? ""))
  ).toLowerCase();
  const stagedDate = staged.columns.find((c) => c.name.toLowerCase() === dateName);
  const dateCol =
    p.dateColumn === null || stagedDate === undefined
      ? null
      : { name: dateName, type: stagedDate.type };
  const scopeOf = (days: readonly string[]) =>
    loadedScope(
      p,
      catalog.value,
      ctx.plan.tenant.id,
      dateCol === null || days.length === 0
        ? null
        : trinoPartitionsPredicate(
            quoteTrinoColumn(dateName),
            dateCol,
            days,
            ctx.envPlan.partitions.timezone,
          ),
    );
  const loadBatch = async (items: BatchItem[]): Promise<BatchOutcome> => {
    const load = await loadPartitions({
      client,
      tenantId: ctx.plan.tenant.id,
      pipeline: p,
      catalog: catalog.value,
      items,
      logger: ctx.logger,
      staging,
      ensured: pending.ensured,
    });
    if (p.checks.length === 0 || dateCol === null) return { load, checks: null };
    // The checks of every day of the batch, one query per check grouped by day. If they cannot
    // run, each day runs its own after the load, as it would alone.
    const checks = await runChecksByDay(
      client,
      p.checks,
      scopeOf(load.partitions),
      trinoDayOf(quoteTrinoColumn(dateName), dateCol, ctx.envPlan.partitions.timezone),
      load.partitions,
      ctx.logger,
    ).catch((error: unknown) => {
      ctx.logger.warn("the batch's checks failed to run; each day runs its own", {
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    });
    return { load, checks };
  };
  const joinBatch = async (
    c: ChunkLoads,
    date: string,
  ): Promise<{ result: LoadResult | BatchedLoad; checks: CheckResult[] | null }> => {
    try {
      const b = await c.load(
        p.name,
        {
          staged,
          partition: { date, timeZone: ctx.envPlan.partitions.timezone },
          runId: ctx.runId,
        },
        loadBatch,
        ctx.signal,
      );
      return {
        result: batchedLoadResult(staged, date, b.load),
        checks: b.checks?.get(date) ?? null,
      };
    } catch (error) {
      // A batch of several days that failed for good (a row outside its day, a bad value): each
      // day loads alone, so only the day at fault fails, with its own message. A transient failure
      // is the executor's to retry (its retry loads alone too).
      if (
        !(error instanceof BatchFailedError) ||
        classifyError(error.cause) === "transient" ||
        ctx.signal.aborted
      ) {
        throw error;
      }
      ctx.logger.warn("batch load failed; loading this partition alone", {
        error: error.message,
      });
      return { result: await c.slots.use(single), checks: null };
    }
  };
  const done = batched
    ? await joinBatch(chunk, partition.date)
    : { result: chunk === null ? await single() : await chunk.slots.use(single), checks: null };
  const result = done.result;
  ctx.progress.update({ rows: result.rowsStaged });
  await advancePendingWatermark(ctx, p, pending);
  let checks: CheckOutcome[] = [];
  if (p.checks.length > 0) {
    const scope = scopeOf(partition === null ? [] : [partition.date]);
    const run = () => runChecks(client, p.checks, scope, ctx.logger);
    checks = checkOutcomes(done.checks ?? (await (chunk === null ? run() : chunk.slots.use(run))));
  }
  return { metadata: { ...result }, checks, rows: result.rowsStaged };
}

/**
 * A partition's part of a chunk's batch load, as its materialisation records it: its own staged
 * rows, and the batch's statement with what it wrote over all of the batch's days (a merge's
 * inserts and updates are counted per statement, not per day).
 */
interface BatchedLoad {
  target: string;
  writeMode: string;
  partition: string;
  runId: string;
  rowsStaged: number;
  snapshotId: string | null;
  tableCreated: boolean;
  columnsAdded: string[];
  queryId: string;
  elapsedMs: number;
  batch: {
    partitions: number;
    first: string;
    last: string;
    rowsStaged: number;
    rowsInserted: number;
    rowsUpdated: number;
    rowsDeleted: number;
  };
}

function batchedLoadResult(
  staged: StagedData,
  date: string,
  b: Awaited<ReturnType<typeof loadPartitions>>,
): BatchedLoad {
  const at = b.partitions.indexOf(date);
  return {
    target: b.target,
    writeMode: b.writeMode,
    partition: date,
    runId: staged.runId,
    rowsStaged: b.rowsStagedByPartition[at] ?? staged.rowCount ?? 0,
    snapshotId: b.snapshotId,
    tableCreated: b.tableCreated,
    columnsAdded: b.columnsAdded,
    queryId: b.queryId,
    elapsedMs: b.elapsedMs,
    batch: {
      partitions: b.partitions.length,
      first: b.partitions[0] ?? date,
      last: b.partitions[b.partitions.length - 1] ?? date,
      rowsStaged: b.rowsStaged,
      rowsInserted: b.rowsInserted,
      rowsUpdated: b.rowsUpdated,
      rowsDeleted: b.rowsDeleted,
    },
  };
}

/**
 * The runtime's handlers of every stage (extract, transfer, load, dbt). A backfill gives one set
 * to all of its runs, so their loads share the schema and table checks (load/ensured.ts).
 */
export function defaultStageHandlers(
  options: {
    /** Checks shared with other handler sets (a backfill's chunks); absent: these handlers' own. */
    ensured?: EnsuredObjects;
    /** The chunk whose runs these handlers serve (its loads batch); absent: none. */
    chunk?: ChunkLoads;
  } = {},
): StageHandlers {
  const pending: StageState = {
    watermarks: new Map(),
    swept: false,
    ensured: options.ensured ?? new EnsuredObjects(),
    chunk: options.chunk ?? null,
  };
  return {
    extract: (ctx) => extractStage(ctx, pending),
    transfer: (ctx) => transferStage(ctx, pending),
    load: (ctx) => loadStage(ctx, pending),
    dbt: dbtStageHandler(),
  };
}
