/**
 * The generator pipeline without the disk writes: load -> validate -> model -> emit. Returns the
 * complete FileMap, or every problem when any tenant is invalid (then nothing may be written).
 *
 * Each tenant compiles on its own (`compileTenant`: load, model, emit), so many tenants may be
 * compiled on worker threads (`generate-parallel.ts`); `assemble` then adds what needs every
 * tenant at once (cross-tenant checks, generated/all/). Both paths produce the same result.
 */
import { loadTenant, selectTenants } from "./config/load.js";
import { emitAll } from "./emit/all.js";
import type { FileMap } from "./emit/common.js";
import { emitTenant } from "./emit/tenant.js";
import { buildTenantModel, type TenantModel } from "./model/build.js";
import { type Problem, sortProblems } from "./problems.js";

export interface GenerateOptions {
  /** Repository root (absolute). */
  root: string;
  /** Only these tenants (generated/all/ is then left alone). */
  tenants?: readonly string[];
}

export type GenerateResult =
  | { ok: true; files: FileMap; models: TenantModel[]; ownedDirs: string[] }
  | { ok: false; problems: Problem[] };

/** One tenant compiled on its own: its problems, or its model and files. */
export interface CompiledTenant {
  dir: string;
  problems: Problem[];
  model: TenantModel | null;
  files: FileMap;
}

/** Loads, models and emits one tenant folder (files only when it has no problem). */
export function compileTenant(root: string, dir: string): CompiledTenant {
  const problems: Problem[] = [];
  const loaded = loadTenant(root, dir, problems);
  if (loaded === null) {
    return { dir, problems, model: null, files: new Map() };
  }
  const r = buildTenantModel(loaded);
  problems.push(...r.problems);
  const files = r.model !== null && problems.length === 0 ? emitTenant(r.model) : new Map();
  return { dir, problems, model: r.model, files };
}

/** Builds every output file in memory, on this thread. */
export function generate(options: GenerateOptions): GenerateResult {
  const selected = selectTenants(options.root, options.tenants);
  const compiled = selected.dirs.map((dir) => compileTenant(options.root, dir));
  return assemble(options, selected.problems, compiled);
}

/** Joins compiled tenants (in tenant-folder order) into the result: cross-tenant checks, all/. */
export function assemble(
  options: GenerateOptions,
  selectionProblems: readonly Problem[],
  compiled: readonly CompiledTenant[],
): GenerateResult {
  const problems: Problem[] = [...selectionProblems];
  const models: TenantModel[] = [];
  for (const c of compiled) {
    problems.push(...c.problems);
    if (c.model !== null) {
      models.push(c.model);
    }
  }
  problems.push(...crossTenantProblems(models));
  if (problems.length > 0) {
    return { ok: false, problems: sortProblems(problems) };
  }
  const files: FileMap = new Map();
  const ownedDirs: string[] = [];
  for (const c of compiled) {
    for (const [k, v] of c.files) {
      files.set(k, v);
    }
    ownedDirs.push(`generated/${c.dir}`);
  }
  if (options.tenants === undefined) {
    for (const [k, v] of emitAll(models)) {
      files.set(k, v);
    }
    ownedDirs.push("generated/all");
  }
  return {
    ok: true,
    files: new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    models,
    ownedDirs,
  };
}

/**
 * What tenants must not share: a storage prefix (one tenant would overwrite another's files) and
 * a dbt target schema (one tenant's `dbt build` would replace the other's models).
 */
function crossTenantProblems(models: readonly TenantModel[]): Problem[] {
  const storage = new Map<string, string>();
  const dbtSchemas = new Map<string, string>();
  const out: Problem[] = [];
  for (const m of models) {
    const env = m.plan.environments.dev;
    const s = env.resources.storage;
    const key = JSON.stringify([s.bucket, s.basePath]);
    const other = storage.get(key);
    if (other !== undefined) {
      out.push({
        file: `tenants/${m.id}/config.yaml`,
        line: 0,
        col: 0,
        path: "tenant.storage.base_path",
        message: `tenants ${other} and ${m.id} share the same storage bucket and base_path; their files would overwrite each other`,
        hint: `use base_path: "project_id=${m.id}"`,
      });
    } else {
      storage.set(key, m.id);
    }
    if (env.dbt === null) {
      continue;
    }
    const schema = env.dbt.targetSchema.toLowerCase();
    const owner = dbtSchemas.get(schema);
    if (owner !== undefined) {
      out.push({
        file: `tenants/${m.id}/config.yaml`,
        line: 0,
        col: 0,
        path: "dbt.target_schema",
        message: `tenants ${owner} and ${m.id} both build dbt models into schema "${env.dbt.targetSchema}"; one tenant's dbt run would replace the other's models`,
        hint: `use target_schema: "analytics_${m.id}"`,
      });
    } else {
      dbtSchemas.set(schema, m.id);
    }
  }
  return out;
}
