/**
 * The dbt stage as the executor uses it: expose the extracted data the selected dbt assets read,
 * then build them with one `dbt build`, and describe each asset's outcome as metadata and checks.
 */

import { parseAssetKey } from "../contract/asset-key.js";
import { readStaged } from "../load/committed.js";
import type { Logger } from "../logger.js";
import type { AssetPlan, EnvironmentPlan } from "../plan.js";
import type { ResolvedResources } from "../resources.js";
import { runtimeObjects } from "../runtime-objects.js";
import { readManifest as readPartitionManifest } from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import { TrinoClient } from "../trino/client.js";
import type { DbtAssetOutcome } from "./results.js";
import { type RunDbtResult, runDbt } from "./run.js";
import { type DbtSourceData, dbtSourceVars, exposeDbtSources } from "./sources.js";

export interface BuildDbtAssetsOptions {
  tenantId: string;
  /** The environment's plan: its pipelines are the extracts the sources come from. */
  envPlan: Pick<EnvironmentPlan, "pipelines" | "runtimeObjects">;
  /** The dbt assets to build (one run; dbt orders them itself). */
  assets: readonly AssetPlan[];
  resources: ResolvedResources;
  storage: Storage;
  /** The run's daily partition (YYYY-MM-DD), or null. */
  partition: string | null;
  logger: Logger;
  signal?: AbortSignal;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Why the stage could not start: every asset is failed with this message. */
function failAll(assets: readonly AssetPlan[], message: string): RunDbtResult {
  const out: Record<string, DbtAssetOutcome> = {};
  for (const a of assets) {
    if (a.dbt === null) continue;
    out[a.key] = {
      key: a.key,
      uniqueId: a.dbt.uniqueId,
      status: "failed",
      dbtStatus: null,
      message,
      startedAt: null,
      completedAt: null,
      elapsedMs: 0,
      rowsAffected: null,
      relation: null,
      checks: [],
      blocking: true,
    };
  }
  return {
    ok: false,
    exitCode: null,
    invocationId: null,
    elapsedMs: 0,
    args: [],
    assets: out,
    error: message,
  };
}

/**
 * Exposes the committed extract of every pipeline the assets read (their `<tenant>/extract/<p>`
 * deps) as dbt sources, then runs dbt. Unpartitioned pipelines are read from their snapshot.
 */
export async function buildDbtAssets(opts: BuildDbtAssetsOptions): Promise<RunDbtResult> {
  const { resources } = opts;
  if (resources.dbt === null) {
    return failAll(
      opts.assets,
      `tenant ${opts.tenantId} has no dbt project configured (dbt.enabled)`,
    );
  }
  const pipelineNames = [
    ...new Set(
      opts.assets.flatMap((a) =>
        a.deps.flatMap((d) => {
          const key = parseAssetKey(d);
          return key?.tenant === opts.tenantId && key.stage === "extract" ? [key.name] : [];
        }),
      ),
    ),
  ].sort();
  const sources: DbtSourceData[] = [];
  const problems: string[] = [];
  for (const name of pipelineNames) {
    const pipeline = opts.envPlan.pipelines.find((p) => p.name === name);
    if (pipeline === undefined) {
      problems.push(`dbt source ${name} has no pipeline in this environment`);
      continue;
    }
    if (!pipeline.saveToS3) {
      problems.push(
        `pipeline ${name} keeps its extract only on this machine for the run (save_to_s3: false), and dbt reads sources through Trino from S3: set save_to_s3: true`,
      );
      continue;
    }
    if (pipeline.columns === null) {
      problems.push(
        `pipeline ${name} has no column snapshot, so its extract cannot be exposed to dbt: run npm run introspect`,
      );
      continue;
    }
    const partition = pipeline.dateColumn === null ? null : opts.partition;
    const manifest = await readPartitionManifest(opts.storage, "extract", name, partition);
    if (manifest === null) {
      problems.push(
        `no committed extract of ${name} for ${partition ?? "its snapshot"}: run its extract before the dbt assets that read it`,
      );
      continue;
    }
    if (!manifest.location.startsWith("s3://")) {
      problems.push(
        `the extract of ${name} is on local storage (${manifest.location}); Trino reads sources from S3 only: set S3_BUCKET_NAME / storage.bucket`,
      );
      continue;
    }
    // The columns the files hold, under their target names (what the tenant's sources.yml names).
    const staged = readStaged(pipeline, manifest);
    if (!staged.ok) {
      problems.push(`pipeline ${name}: ${staged.error}`);
      continue;
    }
    sources.push({ table: name, columns: staged.staged.columns, location: manifest.location });
  }
  if (problems.length > 0) {
    return failAll(opts.assets, problems.join("; "));
  }
  const place = runtimeObjects(opts.tenantId, opts.envPlan).dbtSources;
  if (sources.length > 0) {
    const client = TrinoClient.create(resources.trino, { source: "etl-dbt", logger: opts.logger });
    try {
      await exposeDbtSources(client, place, sources, opts.logger);
    } catch (err) {
      return failAll(
        opts.assets,
        `could not expose dbt sources in Trino: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return runDbt({
    assets: opts.assets,
    dbt: resources.dbt,
    trino: resources.trino,
    partition: opts.partition,
    vars: dbtSourceVars(place),
    sourcesCatalog: place.catalog,
    logger: opts.logger,
    env: opts.env,
    signal: opts.signal,
  });
}

/** One asset's dbt outcome as the executor records it: metadata and checks. */
export function dbtAssetRecord(o: DbtAssetOutcome): {
  metadata: Record<string, unknown>;
  checks: {
    name: string;
    severity: "warn" | "error";
    passed: boolean;
    metadata: Record<string, unknown>;
  }[];
} {
  return {
    metadata: {
      dbtUniqueId: o.uniqueId,
      dbtStatus: o.dbtStatus,
      rowsAffected: o.rowsAffected,
      relation: o.relation,
      startedAt: o.startedAt,
      completedAt: o.completedAt,
      elapsedMs: o.elapsedMs,
      message: o.message,
    },
    checks: o.checks.map((c) => ({
      name: c.name,
      severity: c.severity,
      passed: c.status === "pass",
      metadata: {
        uniqueId: c.uniqueId,
        status: c.status,
        failures: c.failures,
        message: c.message,
      },
    })),
  };
}
