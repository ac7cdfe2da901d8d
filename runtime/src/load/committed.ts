/**
 * loadCommitted: the executor's entry point. Finds the partition's committed run (transfer output
 * when the pipeline has a transfer, else extract), derives the staged columns from its manifest,
 * and loads it with loadPartition.
 */
import { z } from "zod";
import type { Logger } from "../logger.js";
import { DEFAULT_TARGET_COLUMNS, type PipelinePlan, SourceColumnSchema } from "../plan.js";
import { type Manifest, readManifest } from "../storage/layout.js";
import type { Storage } from "../storage/storage.js";
import type { TrinoClient } from "../trino/client.js";
import {
  columnsFromOutput,
  columnsFromRecorded,
  columnsFromSource,
  LoadColumnSchema,
  type LoadColumnsResult,
} from "./columns.js";
import type { EnsuredObjects } from "./ensured.js";
import {
  LoadError,
  type LoadResult,
  loadPartition,
  type StagedData,
  TRANSFER_DATE_COLUMN,
} from "./load.js";
import type { StagingPlace } from "./staging.js";

/**
 * Columns of a committed run: extract manifests record what their files hold (each column's target
 * name and Trino type); older ones only the live source columns, whose names the files then carry.
 */
export function stagedFromManifest(pipeline: PipelinePlan, manifest: Manifest): StagedData {
  const staged = readStaged(pipeline, manifest);
  if (!staged.ok) {
    throw new LoadError(staged.error);
  }
  return staged.staged;
}

/** stagedFromManifest's result without throwing: the staged data, or why it cannot be loaded. */
export function readStaged(
  pipeline: PipelinePlan,
  manifest: Manifest,
): { ok: true; staged: StagedData } | { ok: false; error: string } {
  const stage = manifest.stage === "transfer" ? "transfer" : "extract";
  let cols: LoadColumnsResult;
  let partitionColumn: string | null = null;
  if (stage === "transfer") {
    if (pipeline.transfer === null) {
      return {
        ok: false,
        error: `pipeline ${pipeline.name} has transfer output but no transfer plan`,
      };
    }
    cols = columnsFromOutput(pipeline.transfer.output);
    partitionColumn = pipeline.dateColumn === null ? null : TRANSFER_DATE_COLUMN;
  } else {
    const recorded = z.array(SourceColumnSchema).safeParse(manifest.metadata.columns);
    const source = recorded.success ? recorded.data : pipeline.columns;
    if (source === null) {
      return {
        ok: false,
        error: `extract manifest of ${pipeline.name} ${manifest.partition ?? "snapshot"} records no columns and the plan has no column snapshot`,
      };
    }
    const targets = z.array(LoadColumnSchema).safeParse(manifest.metadata.targetColumns);
    const unmapped = (pipeline.targetColumns ?? DEFAULT_TARGET_COLUMNS).unmappedTypes;
    cols =
      targets.success && targets.data.length === source.length
        ? columnsFromRecorded(targets.data)
        : columnsFromSource(source, undefined, unmapped);
    if (pipeline.dateColumn !== null && cols.ok) {
      // The date column is a source name; the files hold it under its target name.
      const index = source.findIndex((c) => c.name === pipeline.dateColumn);
      partitionColumn = cols.columns[index]?.name ?? pipeline.dateColumn;
    }
  }
  if (!cols.ok) {
    return { ok: false, error: `cannot load pipeline ${pipeline.name}: ${cols.errors.join("; ")}` };
  }
  return {
    ok: true,
    staged: {
      stage,
      location: manifest.location,
      runId: manifest.runId,
      columns: cols.columns,
      partitionColumn,
      rowCount: manifest.rowCount,
    },
  };
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
  /** Checks already made by this run or backfill (see loadPartition). */
  ensured?: EnsuredObjects;
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
    ...(opts.ensured === undefined ? {} : { ensured: opts.ensured }),
  });
}
