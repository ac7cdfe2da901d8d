/**
 * The stage implementations the executor dispatches to. Each stage is owned by its own module;
 * this file only adapts their entry points to `StageHandler`. A stage whose implementation is not
 * part of this build is simply absent, and the executor fails its assets with a clear
 * "not available" error rather than pretending.
 */
import { buildDbtAssets, dbtAssetRecord } from "../dbt/stage.js";
import { extractPartition } from "../extract/extract.js";
import { columnsFromOutput, columnsFromSource } from "../load/columns.js";
import { loadPartition } from "../load/load.js";
import { tenantEnv } from "../resources.js";
import { StageError } from "../retry/index.js";
import { createStorage } from "../storage/index.js";
import { readManifest } from "../storage/layout.js";
import { runTransfer } from "../transfer/run.js";
import { TrinoClient } from "../trino/client.js";
import { resolveValue } from "../values.js";
import type { AssetOutcome, AssetRunContext, StageHandlers } from "./types.js";

/** Storage key segment of one attempt: retries never write into a failed attempt's folder. */
function attemptId(ctx: AssetRunContext): string {
  return ctx.attempt === 1 ? ctx.runId : `${ctx.runId}-a${ctx.attempt}`;
}

function needPipeline(ctx: AssetRunContext) {
  if (ctx.pipeline === null) {
    throw new StageError(`asset ${ctx.asset.key} names no pipeline of this plan`, false);
  }
  return ctx.pipeline;
}

async function extractStage(ctx: AssetRunContext): Promise<AssetOutcome> {
  const p = needPipeline(ctx);
  const storage = createStorage(ctx.resources.storage, ctx.logger);
  const r = await extractPartition({
    source: ctx.resources.source,
    pipeline: p,
    partition: ctx.partition?.date ?? null,
    timeZone: ctx.envPlan.partitions.timezone,
    storage,
    tenantId: ctx.plan.tenant.id,
    runId: attemptId(ctx),
    logger: ctx.logger,
    signal: ctx.signal,
  });
  ctx.progress.update({ rows: r.rowCount, bytes: r.bytes });
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
    checks: [],
  };
}

async function transferStage(ctx: AssetRunContext): Promise<AssetOutcome> {
  const p = needPipeline(ctx);
  const transform = Object.hasOwn(ctx.transforms, p.name) ? ctx.transforms[p.name] : undefined;
  if (transform === undefined) {
    throw new StageError(
      `no transform registered for pipeline ${p.name} (generated src/transforms/index.ts)`,
      false,
    );
  }
  const storage = createStorage(ctx.resources.storage, ctx.logger);
  const r = await runTransfer({
    storage,
    tenantId: ctx.plan.tenant.id,
    pipeline: p,
    transform,
    partition: ctx.partition?.date ?? null,
    runId: attemptId(ctx),
    logger: ctx.logger,
  });
  return { metadata: { ...r }, checks: [] };
}

async function dbtStage(ctx: AssetRunContext): Promise<AssetOutcome> {
  const storage = createStorage(ctx.resources.storage, ctx.logger);
  const r = await buildDbtAssets({
    tenantId: ctx.plan.tenant.id,
    envPlan: ctx.envPlan,
    assets: [ctx.asset],
    resources: ctx.resources,
    storage,
    partition: ctx.partition?.date ?? null,
    logger: ctx.logger,
    signal: ctx.signal,
    env: tenantEnv(ctx.plan, process.env),
  });
  const mine = r.assets[ctx.asset.key];
  if (mine === undefined || mine.status === "failed") {
    throw new StageError(
      `dbt ${ctx.asset.dbt?.name ?? ctx.asset.key}: ${mine?.message ?? r.error ?? "not built"}`,
      false,
    );
  }
  return dbtAssetRecord(mine);
}

async function loadStage(ctx: AssetRunContext): Promise<AssetOutcome> {
  const p = ctx.pipeline;
  if (p === null || p.trinoOutput === null) {
    throw new StageError(`asset ${ctx.asset.key} has no pipeline with a Trino output`, false);
  }
  const fromStage = p.hasTransfer ? "transfer" : "extract";
  const storage = createStorage(ctx.resources.storage, ctx.logger);
  const manifest = await readManifest(storage, fromStage, p.name, ctx.partition?.date ?? null);
  if (manifest === null) {
    throw new StageError(
      `no committed ${fromStage} output for ${p.name} ${ctx.partition?.date ?? "snapshot"}: run the ${fromStage} asset first`,
      false,
    );
  }
  const cols =
    p.hasTransfer && p.transfer !== null
      ? columnsFromOutput(p.transfer.output)
      : p.columns === null
        ? {
            ok: false as const,
            errors: [`pipeline ${p.name} has no introspected columns (npm run introspect)`],
          }
        : columnsFromSource(p.columns);
  if (!cols.ok) {
    throw new StageError(cols.errors.join("; "), false);
  }
  const catalog = resolveValue(p.trinoOutput.catalog, tenantEnv(ctx.plan, process.env));
  if (!catalog.ok) {
    throw new StageError(`missing environment variables: ${catalog.missing.join(", ")}`, false);
  }
  const client = TrinoClient.create(ctx.resources.trino, { logger: ctx.logger });
  const result = await loadPartition({
    client,
    tenantId: ctx.plan.tenant.id,
    pipeline: p,
    catalog: catalog.value,
    staged: {
      stage: fromStage,
      location: manifest.location,
      runId: manifest.runId,
      columns: cols.columns,
    },
    partition:
      ctx.partition === null
        ? null
        : { date: ctx.partition.date, timeZone: ctx.partition.timeZone },
    logger: ctx.logger,
  });
  ctx.progress.update({ rows: result.rowsStaged });
  return { metadata: { ...result }, checks: [] };
}

/** Handlers for every stage implemented in this build. */
export function defaultStageHandlers(): StageHandlers {
  return { extract: extractStage, transfer: transferStage, load: loadStage, dbt: dbtStage };
}
