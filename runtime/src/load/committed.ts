/**
 * loadCommitted: the executor's entry point. Finds the partition's committed run (transfer output
 * when the pipeline has a transfer, else extract), derives the staged columns from its manifest,
 * and loads it with loadPartition.
 */
import { z } from "zod";
import type { Logger } from "../logger.js";
import { type PipelinePlan, SourceColumnSchema } from "../plan.js";
import { type Manifest, readManifest } from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import type { TrinoClient } from "../trino/client.js";
import { columnsFromOutput, columnsFromSource, type LoadColumnsResult } from "./columns.js";
import { LoadError, type LoadResult, loadPartition, type StagedData } from "./load.js";
import type { StagingPlace } from "./staging.js";

/** Columns of a committed run: extract manifests record the live source columns they wrote. */
export function stagedFromManifest(pipeline: PipelinePlan, manifest: Manifest): StagedData {
  const stage = manifest.stage === "transfer" ? "transfer" : "extract";
  let cols: LoadColumnsResult;
  if (stage === "transfer") {
    if (pipeline.transfer === null) {
      throw new LoadError(`pipeline ${pipeline.name} has transfer output but no transfer plan`);
    }
    cols = columnsFromOutput(pipeline.transfer.output);
  } else {
    const recorded = z.array(SourceColumnSchema).safeParse(manifest.metadata.columns);
    const source = recorded.success ? recorded.data : pipeline.columns;
    if (source === null) {
      throw new LoadError(
        `extract manifest of ${pipeline.name} ${manifest.partition ?? "snapshot"} records no columns and the plan has no column snapshot`,
      );
    }
    cols = columnsFromSource(source);
  }
  if (!cols.ok) {
    throw new LoadError(`cannot load pipeline ${pipeline.name}: ${cols.errors.join("; ")}`);
  }
  return { stage, location: manifest.location, runId: manifest.runId, columns: cols.columns };
}

export interface LoadCommittedOptions {
  client: TrinoClient;
  storage: Storage;
  tenantId: string;
  pipeline: PipelinePlan;
  catalog: string;
  partition: string | null;
  timeZone: string;
  staging?: StagingPlace;
  logger?: Logger;
}

/** Loads the committed data of one partition of one pipeline. */
export async function loadCommitted(opts: LoadCommittedOptions): Promise<LoadResult> {
  const stage = opts.pipeline.hasTransfer ? "transfer" : "extract";
  const manifest = await readManifest(opts.storage, stage, opts.pipeline.name, opts.partition);
  if (manifest === null) {
    throw new LoadError(
      `nothing to load for pipeline ${opts.pipeline.name} (${opts.tenantId}) partition ${opts.partition ?? "snapshot"}: no committed ${stage} run; run the ${stage} asset first`,
    );
  }
  return loadPartition({
    client: opts.client,
    tenantId: opts.tenantId,
    pipeline: opts.pipeline,
    catalog: opts.catalog,
    staged: stagedFromManifest(opts.pipeline, manifest),
    partition: opts.partition === null ? null : { date: opts.partition, timeZone: opts.timeZone },
    ...(opts.staging === undefined ? {} : { staging: opts.staging }),
    ...(opts.logger === undefined ? {} : { logger: opts.logger }),
  });
}
