/**
 * The generator pipeline without the disk writes: load -> validate -> model -> emit. Returns the
 * complete FileMap, or every problem when any tenant is invalid (then nothing may be written).
 */
import { loadTenants } from "./config/load.js";
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

/** Builds every output file in memory. */
export function generate(options: GenerateOptions): GenerateResult {
  const loaded = loadTenants(options.root, options.tenants);
  const problems: Problem[] = [...loaded.problems];
  const models: TenantModel[] = [];
  for (const t of loaded.tenants) {
    const r = buildTenantModel(t);
    problems.push(...r.problems);
    if (r.model !== null) {
      models.push(r.model);
    }
  }
  problems.push(...crossTenantProblems(models));
  if (problems.length > 0) {
    return { ok: false, problems: sortProblems(problems) };
  }
  const files: FileMap = new Map();
  const ownedDirs: string[] = [];
  for (const m of models) {
    for (const [k, v] of emitTenant(m)) {
      files.set(k, v);
    }
    ownedDirs.push(`generated/${m.id}`);
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

/** Storage prefixes must not collide across tenants: one tenant would overwrite another's files. */
function crossTenantProblems(models: readonly TenantModel[]): Problem[] {
  const seen = new Map<string, string>();
  const out: Problem[] = [];
  for (const m of models) {
    const s = m.plan.environments.dev.resources.storage;
    const key = JSON.stringify([s.bucket, s.basePath]);
    const other = seen.get(key);
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
      seen.set(key, m.id);
    }
  }
  return out;
}
