/**
 * The stage implementations the executor dispatches to. Each stage is owned by its own module;
 * this file only adapts their entry points to `StageHandler`. A stage whose implementation is not
 * part of this build is simply absent, and the executor fails its assets with a clear
 * "not available" error rather than pretending.
 */
import { columnsFromOutput, columnsFromSource } from "../load/columns.js";
import { loadPartition } from "../load/load.js";
import { tenantEnv } from "../resources.js";
import { StageError } from "../retry/index.js";
import { createStorage } from "../storage/index.js";
import { readManifest } from "../storage/layout.js";
import { TrinoClient } from "../trino/client.js";
import { resolveValue } from "../values.js";
import type { AssetOutcome, AssetRunContext, StageHandlers } from "./types.js";

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
  return { load: loadStage };
}
