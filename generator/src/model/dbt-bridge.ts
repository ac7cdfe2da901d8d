/**
 * Where dbt assets enter the model: the manifest is read and translated by generator/src/dbt/
 * (owned with the dbt work); this adapter only feeds it the tenant's facts.
 */
import type { AssetPlan, PipelinePlan } from "@etl/runtime/plan";
import type { SourceFile } from "../config/load.js";
import { type DbtManifest, dbtAssets, readManifest } from "../dbt/index.js";
import { repoPathProblem } from "../fs-guard.js";
import { fileProblem, type Problem } from "../problems.js";

export interface DbtAssetsInput {
  tenant: string;
  configFile: string;
  manifest: SourceFile | null;
  manifestPath: string;
  /** Whether the loader refused the manifest file (and reported why). */
  manifestRefused: boolean;
  pipelines: readonly PipelinePlan[];
  externalSources: readonly string[] | "all";
}

export interface DbtAssets {
  assets: AssetPlan[];
  /** `<source_name>.<table>` of every enabled source no pipeline feeds, sorted. */
  externalSources: string[];
  problems: Problem[];
}

/** dbt assets of one dbt-enabled tenant, or the problems that prevent them. */
export function dbtAssetsFor(input: DbtAssetsInput): DbtAssets {
  if (input.manifest === null) {
    if (repoPathProblem(input.manifestPath) !== null || input.manifestRefused) {
      // Never read: build reports the path itself (outside the repository, or not a plain path),
      // or the loader refused the file (a link out of the repository, a FIFO, ...).
      return { assets: [], externalSources: [], problems: [] };
    }
    return {
      assets: [],
      externalSources: [],
      problems: [
        fileProblem({
          file: input.manifestPath,
          path: "",
          message: `dbt is enabled for tenant ${input.tenant} but its manifest does not exist`,
          hint: `build it with npm run dbt -- parse --tenant ${input.tenant} and commit it, or set dbt.enabled: false`,
        }),
      ],
    };
  }
  const read = readManifest(input.manifest.path, input.manifest.text);
  if (!read.ok) {
    return { assets: [], externalSources: [], problems: read.problems };
  }
  const result = dbtAssets({
    tenantId: input.tenant,
    manifest: read.manifest,
    manifestPath: input.manifest.path,
    pipelines: input.pipelines.map((p) => ({ name: p.name, partitioned: p.dateColumn !== null })),
    externalSources: input.externalSources,
    configFile: input.configFile,
  });
  const external = result.sources.filter((s) => s.assetKey === null).map((s) => s.name);
  return {
    assets: result.assets,
    externalSources: [...new Set(external)].sort(),
    problems: [...result.problems, ...sourceColumnProblems(read.manifest, input)],
  };
}

/**
 * A dbt source fed by a pipeline reads that pipeline's extract, whose columns carry the target
 * names (PipelinePlan.targetColumns): every column its YAML declares must be one of them.
 */
function sourceColumnProblems(manifest: DbtManifest, input: DbtAssetsInput): Problem[] {
  const problems: Problem[] = [];
  for (const [id, source] of Object.entries(manifest.sources)) {
    const pipeline = input.pipelines.find((p) => p.name === source.name);
    const names = pipeline?.targetColumns?.names ?? null;
    if (!source.config.enabled || pipeline === undefined || names === null) {
      continue;
    }
    const columns = pipeline.columns ?? [];
    for (const [key, column] of Object.entries(source.columns ?? {})) {
      const declared = column.name ?? key;
      if (names.includes(declared)) {
        continue;
      }
      const index = columns.findIndex((c) => c.name === declared);
      const target = index >= 0 ? names[index] : undefined;
      problems.push(
        fileProblem({
          file: input.manifest?.path ?? input.manifestPath,
          path: `sources["${id}"].columns["${key}"]`,
          message: `dbt source ${source.source_name}.${source.name} (${source.original_file_path}) declares column ${JSON.stringify(declared)}, which the extract of pipeline "${pipeline.name}" does not produce (its columns carry target names, target_naming: ${pipeline.targetColumns?.naming ?? "snake_case"})`,
          hint:
            target === undefined
              ? `declare one of: ${[...names].sort().join(", ")}`
              : `name it "${target}" in ${source.original_file_path}, then refresh the manifest (npm run dbt -- parse --tenant ${input.tenant})`,
        }),
      );
    }
  }
  return problems;
}
