/**
 * A run's scratch space: where the stage files of pipelines with `save_to_s3: false` live. They
 * are written with the same layout as the tenant's storage, under
 * `ETL_HOME/scratch/<tenant>/<run id>/<base_path>/`, read there by the pipeline's later stages and
 * by other pipelines' transfers of the same run, and removed when the run ends. A run killed
 * before it could remove its scratch leaves the folder; the next run of the tenant removes the
 * folders of every run the ledger no longer records as running.
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { ResolvedResources } from "../resources.js";
import { LocalStorage } from "./local.js";
import type { Storage } from "./storage.js";

function tenantScratch(etlHome: string, tenantId: string): string {
  return path.join(etlHome, "scratch", tenantId);
}

/** The folder of one run's scratch space. */
export function scratchDir(etlHome: string, tenantId: string, runId: string): string {
  return path.join(tenantScratch(etlHome, tenantId), runId);
}

/** The run's scratch space as storage, with the tenant's base path inside it. */
export function scratchStorage(
  resources: Pick<ResolvedResources, "etlHome" | "tenantId" | "storage">,
  runId: string,
): Storage {
  return new LocalStorage(
    scratchDir(resources.etlHome, resources.tenantId, runId),
    resources.storage.basePath,
  );
}

/** Removes a run's scratch space (nothing when it has none). */
export async function removeScratch(
  etlHome: string,
  tenantId: string,
  runId: string,
): Promise<void> {
  await rm(scratchDir(etlHome, tenantId, runId), { recursive: true, force: true });
}

/**
 * Removes the scratch folders of the tenant's runs that are not running: folders killed
 * processes left. `running` returns the ids of the runs the ledger records as running; it is
 * asked after the folders were listed, and a run records itself before it writes scratch, so a
 * run that starts meanwhile is never swept. Returns the run ids whose folders were removed.
 */
export async function sweepScratch(
  etlHome: string,
  tenantId: string,
  running: () => Promise<ReadonlySet<string>>,
): Promise<string[]> {
  const dir = tenantScratch(etlHome, tenantId);
  const entries = await readdir(dir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw new Error(`listing the scratch space ${dir} failed: ${error.message}`, {
        cause: error,
      });
    },
  );
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (folders.length === 0) return [];
  const alive = await running();
  const removed: string[] = [];
  for (const runId of folders) {
    if (alive.has(runId)) continue;
    await rm(path.join(dir, runId), { recursive: true, force: true });
    removed.push(runId);
  }
  return removed.sort();
}
