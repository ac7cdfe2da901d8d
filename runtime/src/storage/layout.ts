/**
 * Where a stage's files live and how a partition is committed atomically. See
 * docs/decisions/storage-layout.md.
 *
 *   <stage>/<pipeline>/dt=YYYY-MM-DD/run=<run_id>/part-00000.parquet   files of one attempt
 *   <stage>/<pipeline>/dt=YYYY-MM-DD/_manifest.json                    names the committed run
 *   <stage>/<pipeline>/snapshot/...                                     unpartitioned pipelines
 *   _state/watermarks/<pipeline>.json                                   incremental watermarks
 *
 * A run writes only under its own `run=<id>/` prefix; committing is one PUT of the manifest, which
 * S3 and a local rename both make atomic. Readers go through the manifest and read exactly one
 * run prefix, which holds nothing but that run's complete files.
 */
import { z } from "zod";
import type { Logger } from "../logger.js";
import type { Stage } from "../plan.js";
import type { Storage } from "./storage.js";

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function segment(value: string, what: string): string {
  if (!SEGMENT.test(value)) {
    throw new Error(
      `${what} "${value}" is not usable in a storage key (letters, digits, _ . - only)`,
    );
  }
  return value;
}

/** `dt=YYYY-MM-DD` for a daily partition, `snapshot` for an unpartitioned pipeline. */
export function partitionSegment(partition: string | null): string {
  if (partition === null) {
    return "snapshot";
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(partition)) {
    throw new Error(`partition "${partition}" is not a YYYY-MM-DD date`);
  }
  return `dt=${partition}`;
}

/** Folder of one partition (no trailing slash). */
export function partitionPrefix(stage: Stage, pipeline: string, partition: string | null): string {
  return `${stage}/${segment(pipeline, "pipeline name")}/${partitionSegment(partition)}`;
}

/** Folder of one run's files inside a partition, with a trailing slash. */
export function runPrefix(
  stage: Stage,
  pipeline: string,
  partition: string | null,
  runId: string,
): string {
  return `${partitionPrefix(stage, pipeline, partition)}/run=${segment(runId, "run id")}/`;
}

/** `part-00000.parquet`. */
export function partFileName(index: number): string {
  return `part-${String(index).padStart(5, "0")}.parquet`;
}

export function manifestKey(stage: Stage, pipeline: string, partition: string | null): string {
  return `${partitionPrefix(stage, pipeline, partition)}/_manifest.json`;
}

export const ManifestFileSchema = z.strictObject({
  /** Key relative to the tenant base path. */
  key: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

export const ManifestSchema = z.strictObject({
  version: z.literal(1),
  tenant: z.string(),
  stage: z.string(),
  pipeline: z.string(),
  partition: z.string().nullable(),
  runId: z.string(),
  /** The run's folder (relative key with trailing slash): holds exactly `files`. */
  prefix: z.string(),
  /** Absolute location of `prefix` for engines (s3://bucket/... or a local path). */
  location: z.string(),
  files: z.array(ManifestFileSchema),
  rowCount: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  schemaHash: z.string(),
  committedAt: z.string(),
  /** Stage-specific facts (extract: null counts, elapsed time, watermark). */
  metadata: z.record(z.string(), z.unknown()),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** The committed manifest of a partition, or null when nothing was committed yet. */
export async function readManifest(
  storage: Storage,
  stage: Stage,
  pipeline: string,
  partition: string | null,
): Promise<Manifest | null> {
  const key = manifestKey(stage, pipeline, partition);
  const bytes = await storage.get(key);
  if (bytes === null) {
    return null;
  }
  const parsed = ManifestSchema.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
  if (!parsed.success) {
    throw new Error(`manifest ${storage.uri(key)} is not valid: ${parsed.error.message}`);
  }
  return parsed.data;
}

/**
 * Makes a run's files the partition's content: checks they are all there with the sizes written,
 * replaces the manifest in one PUT, then deletes the previous run's files (and the files of older
 * attempts that never committed), which no manifest names any more.
 */
export async function commitPartition(
  storage: Storage,
  manifest: Omit<Manifest, "version" | "location" | "committedAt">,
  logger: Logger,
): Promise<Manifest> {
  const stage = manifest.stage as Stage;
  const present = new Map((await storage.list(manifest.prefix)).map((o) => [o.key, o.size]));
  for (const f of manifest.files) {
    const size = present.get(f.key);
    if (size !== f.bytes) {
      throw new Error(
        `cannot commit ${manifest.pipeline} ${manifest.partition ?? "snapshot"}: ${storage.uri(f.key)} is ${size === undefined ? "missing" : `${size} bytes, expected ${f.bytes}`}`,
      );
    }
  }
  const previous = await readManifest(storage, stage, manifest.pipeline, manifest.partition);
  const full: Manifest = {
    version: 1,
    ...manifest,
    location: storage.uri(manifest.prefix),
    committedAt: new Date().toISOString(),
  };
  const key = manifestKey(stage, manifest.pipeline, manifest.partition);
  await storage.put(key, Buffer.from(`${JSON.stringify(full, null, 2)}\n`), "application/json");
  logger.info("partition committed", {
    manifest: storage.uri(key),
    files: full.files.length,
    rows: full.rowCount,
  });
  // Garbage-collect every run folder except the committed one. Only runs older than the commit
  // are touched: a run folder is written before its commit, and a concurrent attempt on the same
  // partition is refused by the executor's partition lock, not by this code.
  const partition = `${partitionPrefix(stage, manifest.pipeline, manifest.partition)}/`;
  const stale = new Set<string>();
  for (const o of await storage.list(`${partition}run=`)) {
    const folder = o.key.slice(0, o.key.indexOf("/", partition.length) + 1);
    if (folder !== manifest.prefix) {
      stale.add(folder);
    }
  }
  if (previous !== null && previous.prefix !== manifest.prefix) {
    stale.add(previous.prefix);
  }
  for (const folder of stale) {
    const n = await storage.deletePrefix(folder);
    logger.debug("removed files of a replaced run", { prefix: folder, files: n });
  }
  return full;
}
