/**
 * The manifest's sources: each enabled one is fed by the extract of the pipeline of the same
 * table name, or declared external (`dbt.external_sources`); anything else is a problem.
 */
import { assetKey } from "@etl/runtime/contract";
import { fileProblem, type Problem } from "../problems.js";
import type { DbtManifest, DbtSource } from "./manifest.js";

/** How one dbt source resolved. */
export interface DbtSourceResolution {
  uniqueId: string;
  /** `<source_name>.<table>`. */
  name: string;
  /** `<tenant>/extract/<table>` when a pipeline feeds it; null for an external source. */
  assetKey: string | null;
}

export interface SourcesInput {
  tenant: string;
  manifest: DbtManifest;
  manifestFile: string;
  configFile: string;
  /** The tenant's pipeline names. */
  pipelines: readonly string[];
  /** `dbt.external_sources`: `<source>.<table>` or `<table>` entries, or "all". */
  externalSources: readonly string[] | "all";
}

export interface ResolvedSources {
  /** Every enabled source, in manifest order. */
  sources: DbtSourceResolution[];
  /** The extract asset feeding each source by unique id (null: external). */
  keys: Map<string, string | null>;
  problems: Problem[];
}

function matchesExternal(source: DbtSource, external: readonly string[] | "all"): boolean {
  if (external === "all") {
    return true;
  }
  return (
    external.includes(`${source.source_name}.${source.name}`) || external.includes(source.name)
  );
}

/** Resolves every enabled source; sources nothing feeds and unknown external entries are problems. */
export function resolveSources(input: SourcesInput): ResolvedSources {
  const { tenant, manifestFile: file, configFile } = input;
  const problems: Problem[] = [];
  const pipelines = new Set(input.pipelines);
  const keys = new Map<string, string | null>();
  const sources: DbtSourceResolution[] = [];
  const unmatched: DbtSource[] = [];
  const knownNames = new Set<string>();
  for (const [id, source] of Object.entries(input.manifest.sources)) {
    if (!source.config.enabled) {
      continue;
    }
    const name = `${source.source_name}.${source.name}`;
    knownNames.add(name).add(source.name);
    let key: string | null = null;
    if (pipelines.has(source.name)) {
      key = assetKey(tenant, "extract", source.name);
    } else if (!matchesExternal(source, input.externalSources)) {
      unmatched.push(source);
    }
    keys.set(id, key);
    sources.push({ uniqueId: id, name, assetKey: key });
  }
  if (unmatched.length > 0) {
    const names = unmatched.map((s) => `${s.source_name}.${s.name} (${s.original_file_path})`);
    names.sort();
    problems.push(
      fileProblem({
        file,
        path: "sources",
        message: `${unmatched.length} dbt source${unmatched.length > 1 ? "s have" : " has"} no pipeline of the same table name in tenant ${tenant}: ${names.join(", ")}`,
        hint: `add a pipeline named after each source table in ${configFile}, or list them under dbt.external_sources (or set it to all) when something outside this tenant loads them`,
      }),
    );
  }
  if (input.externalSources !== "all") {
    for (const entry of input.externalSources) {
      if (!knownNames.has(entry)) {
        problems.push(
          fileProblem({
            file: configFile,
            path: "dbt.external_sources",
            message: `external source "${entry}" is not a source of the dbt project (${file})`,
            hint: "use <source_name>.<table> or <table> of a source declared in the project's sources.yml, or remove the entry",
          }),
        );
      }
    }
  }
  return { sources, keys, problems };
}
