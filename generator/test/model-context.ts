// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are literal `${VAR}` configuration text
/**
 * Test support for the model phases' given/want tables: a tenant given as its config (laid over a
 * minimal valid one), snapshot columns and transform modules is written to a temporary folder,
 * loaded with the real loader (so paths, line numbers and the strict schema are the generator's
 * own) and turned into the real ModelContext; the folder is removed once loaded.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SourceColumn } from "@etl/runtime/plan";
import { stringify } from "yaml";
import { loadTenant } from "../src/config/load.js";
import { type ModelContext, modelContext } from "../src/model/context.js";
import { type PipelineScope, pipelineScope } from "../src/model/pipeline/scope.js";
import { formatProblems, type Problem } from "../src/problems.js";

/** The smallest tenant the schema accepts; a case's config is laid over it key by key. */
export const BASE_TENANT = {
  id: "acme",
  name: "Acme",
  source_database: {
    host: "${ACME_DB_HOST:127.0.0.1}",
    database: "acme",
    username: "etl",
    password: "${ACME_DB_PASSWORD}",
  },
  storage: { base_path: "project_id=acme" },
};

export interface GivenTenant {
  /** Keys of `tenant:` laid over BASE_TENANT (a key given replaces the base's whole). */
  config?: Record<string, unknown>;
  /** Snapshot columns by pipeline (introspection.json). */
  snapshot?: Record<string, SourceColumn[]>;
  /** Transform modules by module name (transforms/<name>.ts). */
  transforms?: Record<string, string>;
}

/** The real ModelContext of a tenant given in memory; throws when the loader refuses it. */
export function tenantContext(given: GivenTenant = {}): ModelContext {
  const root = mkdtempSync(path.join(tmpdir(), "etl-model-"));
  try {
    const tenant = { ...BASE_TENANT, ...(given.config ?? {}) };
    const dir = path.join(root, "tenants", "acme");
    mkdirSync(path.join(dir, "transforms"), { recursive: true });
    writeFileSync(path.join(dir, "config.yaml"), stringify({ tenant }));
    if (given.snapshot !== undefined) {
      const pipelines = Object.fromEntries(
        Object.entries(given.snapshot).map(([name, columns]) => [
          name,
          { source: `table ${name}`, columns },
        ]),
      );
      writeFileSync(
        path.join(dir, "introspection.json"),
        JSON.stringify({ version: 1, pipelines }, null, 2),
      );
    }
    for (const [name, text] of Object.entries(given.transforms ?? {})) {
      writeFileSync(path.join(dir, "transforms", `${name}.ts`), text);
    }
    const problems: Problem[] = [];
    const loaded = loadTenant(root, "acme", problems);
    if (loaded === null || problems.length > 0) {
      throw new Error(`the given tenant does not load:\n${formatProblems(problems)}`);
    }
    return modelContext(loaded);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The scope of one pipeline of the context's tenant, as buildPipeline makes it. */
export function scopeOf(ctx: ModelContext, name: string): PipelineScope {
  const config = ctx.pipelines.configs[name];
  if (config === undefined) {
    throw new Error(`tenant ${ctx.config.id} has no pipeline "${name}"`);
  }
  return pipelineScope(ctx, name, config, Object.keys(ctx.pipelines.configs).sort());
}

/** The problems reported so far as `path: message`, in the order they were reported. */
export function reported(ctx: ModelContext): string[] {
  return ctx.problems.map((p) => `${p.path}: ${p.message}`);
}

/** A snapshot column (nullable unless said otherwise). */
export function column(name: string, pgType: string, nullable = true): SourceColumn {
  return { name, pgType, domainBase: null, arrayElement: null, enumLabels: null, nullable };
}

/** A transform module exporting `exportName` (its body is never run by the model step). */
export function transformModule(exportName: string): string {
  return `export async function* ${exportName}() {}\n`;
}
