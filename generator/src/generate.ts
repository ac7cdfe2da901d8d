/**
 * The generator pipeline without the disk writes: load -> validate -> model -> emit. Returns the
 * complete FileMap, or every problem when any tenant is invalid (then nothing may be written).
 *
 * Each tenant compiles on its own (`compileTenant`: load, model, emit), so many tenants may be
 * compiled on worker threads (`generate-parallel.ts`); `assemble` then adds what needs every
 * tenant at once (cross-tenant checks, generated/all/). Both paths produce the same result.
 */

import { overlappingClaims, ownStoragePrefix, parseConfigValue } from "@etl/runtime/contract";
import type { ConfigValue } from "@etl/runtime/plan";
import { loadConfig, loadTenant, selectTenants, tenantDirs } from "./config/load.js";
import type { TenantConfig } from "./config/schema.js";
import { type AllTenant, emitAll } from "./emit/all.js";
import type { FileMap } from "./emit/common.js";
import { kubernetesObjectNames } from "./emit/k8s-pod.js";
import { emitTenant } from "./emit/tenant.js";
import { buildTenantModel, type TenantModel } from "./model/build.js";
import { byText, sortedEntries } from "./order.js";
import { fileProblem, type Problem, sortProblems } from "./problems.js";

export interface GenerateOptions {
  /** Repository root (absolute). */
  root: string;
  /** Only these tenants (generated/all/ is then left alone). */
  tenants?: readonly string[];
}

/** What the run keeps of every tenant it generates, compiled now or reused from the cache. */
export type TenantSummary = AllTenant;

export type GenerateResult =
  | {
      ok: true;
      /** Every file to write, but those of reused tenants (`kept`). */
      files: FileMap;
      /** The tenants compiled by this run. */
      models: TenantModel[];
      /** Every tenant of the result, in tenant-folder order. */
      tenants: TenantSummary[];
      /** Files of tenants reused from the cache: already on disk exactly as a full run writes them. */
      kept: string[];
      /**
       * The folders of reused tenants: the cache verified each holds exactly its kept files, so
       * the writer need not look into them (write.ts, `Output.keptDirs`).
       */
      keptDirs: string[];
      /** The tenants compiled by this run, each with its files and footprint (for the cache). */
      compiled: CompiledTenant[];
      ownedDirs: string[];
    }
  | { ok: false; problems: Problem[] };

/** One tenant compiled on its own: its problems, or its model and files. */
export interface CompiledTenant {
  dir: string;
  problems: Problem[];
  model: TenantModel | null;
  /** Its summary, when it has a model or was reused. */
  summary: TenantSummary | null;
  files: FileMap;
  /** What the cross-tenant checks compare, when its config loaded (even with other problems). */
  footprint: Footprint | null;
  /**
   * Reused from the cache: its files, already on disk as this run would write them, and nothing
   * else in its folder (generated/<dir>/) but build products.
   */
  kept?: string[];
}

/**
 * Loads, models and emits one tenant folder (files only when it has no problem). An internal
 * error (a generator bug some input triggers) becomes a problem of that tenant's config, with the
 * stack for --debug: the report still names the file and says nothing was written.
 */
export function compileTenant(root: string, dir: string): CompiledTenant {
  const problems: Problem[] = [];
  try {
    const loaded = loadTenant(root, dir, problems);
    if (loaded === null) {
      return { dir, problems, model: null, summary: null, files: new Map(), footprint: null };
    }
    const r = buildTenantModel(loaded);
    problems.push(...r.problems);
    const footprint = withKubernetesNames(footprintOf(loaded.config, true), r.model);
    const files = r.model !== null && problems.length === 0 ? emitTenant(r.model) : new Map();
    const summary = r.model === null ? null : summaryOf(r.model);
    return { dir, problems, model: r.model, summary, files, footprint };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    problems.push(
      fileProblem({
        file: `tenants/${dir}/config.yaml`,
        path: "",
        message: `internal error while compiling tenant ${dir}: ${error.message}`,
        hint: "this is a generator bug that an input of this tenant triggers; run with --debug for the stack and report it",
        ...(error.stack === undefined ? {} : { detail: error.stack }),
      }),
    );
    return { dir, problems, model: null, summary: null, files: new Map(), footprint: null };
  }
}

function summaryOf(model: TenantModel): TenantSummary {
  return { id: model.id, inputs: model.inputs, plan: { tenant: model.plan.tenant } };
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
  const tenants: TenantSummary[] = [];
  const kept: string[] = [];
  const keptDirs: string[] = [];
  for (const c of compiled) {
    problems.push(...c.problems);
    if (c.model !== null) {
      models.push(c.model);
    }
    if (c.summary !== null) {
      tenants.push(c.summary);
    }
    if (c.kept !== undefined) {
      kept.push(...c.kept);
      keptDirs.push(`generated/${c.dir}`);
    }
  }
  problems.push(...crossTenantProblems(footprints(options, compiled)));
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
    for (const [k, v] of emitAll(tenants)) {
      files.set(k, v);
    }
    ownedDirs.push("generated/all");
  }
  return {
    ok: true,
    files: new Map(sortedEntries(files)),
    models,
    tenants,
    kept: kept.sort(),
    keptDirs,
    compiled: compiled.filter((c) => c.kept === undefined),
    ownedDirs,
  };
}

/** What the cross-tenant checks need of one tenant. */
export interface Footprint {
  id: string;
  /** Whether this run compiles it (problems are reported only on compiled tenants). */
  compiled: boolean;
  bucket: ConfigValue;
  basePath: ConfigValue;
  dbtSchema: string | null;
  /** Names of its Kubernetes objects, when it was compiled into a model (else not compared). */
  kubernetesNames: string[];
}

/** The footprint with the names of the model's Kubernetes objects. */
function withKubernetesNames(
  footprint: Footprint | null,
  model: TenantModel | null,
): Footprint | null {
  return footprint === null || model === null
    ? footprint
    : { ...footprint, kubernetesNames: kubernetesObjectNames(model.id, model.plan) };
}

/** A tenant's footprint from its config; null when its storage values do not parse. */
function footprintOf(config: TenantConfig, compiled: boolean): Footprint | null {
  const bucket = parseConfigValue(config.storage.bucket);
  const basePath = parseConfigValue(config.storage.base_path);
  if (!bucket.ok || !basePath.ok) {
    return null;
  }
  return {
    id: config.id,
    compiled,
    bucket: bucket.value,
    basePath: basePath.value,
    dbtSchema: config.dbt.enabled ? config.dbt.target_schema : null,
    kubernetesNames: [],
  };
}

/**
 * The footprints of the compiled tenants (with problems or not: a shared prefix is reported with
 * everything else) and, when only some tenants are compiled (--tenant), of every other tenant
 * whose config loads: a tenant generated alone must not take another's prefix either.
 */
function footprints(options: GenerateOptions, compiled: readonly CompiledTenant[]): Footprint[] {
  const out = compiled.flatMap((c) => (c.footprint === null ? [] : [c.footprint]));
  if (options.tenants !== undefined) {
    for (const dir of tenantDirs(options.root)) {
      if (options.tenants.includes(dir)) {
        continue;
      }
      // Its own problems are its own generation's business; unreadable means not compared.
      const loaded = loadConfig(options.root, dir, []);
      const footprint = loaded === null ? null : footprintOf(loaded.config, false);
      if (footprint !== null) {
        out.push(footprint);
      }
    }
  }
  return out.sort(byText((footprint) => footprint.id));
}

/**
 * The pairs of tenants (indexes i < j, sorted) that may clash: equal or nested storage prefixes in
 * a bucket they may share (the contract's rule), one dbt target schema, a Kubernetes object name.
 * Each is found through an index, so the checks stay O(n log n) in the tenants, not a comparison of
 * every pair: 1,000 tenants are 500,000 pairs.
 */
function candidatePairs(
  tenants: readonly Footprint[],
  prefixes: readonly (string | null)[],
): { pairs: [number, number][]; storage: Set<number> } {
  const n = tenants.length;
  const storage = new Set<number>();
  const claimed = tenants.flatMap((t, i) => {
    const prefix = prefixes[i];
    // A bucket that is a reference may be any bucket: only two literals are certainly different.
    const bucket = typeof t.bucket === "string" ? t.bucket : null;
    return prefix === null || prefix === undefined ? [] : [{ index: i, claim: { bucket, prefix } }];
  });
  for (const [a, b] of overlappingClaims(claimed.map((c) => c.claim))) {
    const i = claimed[a]?.index;
    const j = claimed[b]?.index;
    if (i !== undefined && j !== undefined) storage.add(Math.min(i, j) * n + Math.max(i, j));
  }
  const found = new Set(storage);
  const sharing = (keys: (t: Footprint) => readonly string[]) => {
    const holders = new Map<string, number[]>();
    for (const [i, t] of tenants.entries()) {
      for (const key of new Set(keys(t))) {
        const list = holders.get(key);
        if (list === undefined) holders.set(key, [i]);
        else list.push(i);
      }
    }
    for (const list of holders.values()) {
      for (const [x, i] of list.entries()) {
        for (const j of list.slice(x + 1)) found.add(i * n + j);
      }
    }
  };
  sharing((t) => (t.dbtSchema === null ? [] : [t.dbtSchema.toLowerCase()]));
  sharing((t) => t.kubernetesNames);
  const pairs = [...found]
    .sort((x, y) => x - y)
    .map((key): [number, number] => [Math.floor(key / n), key % n]);
  return { pairs, storage };
}

/**
 * What tenants must not share: a storage prefix, compared on base_path with the defaults of its
 * references (equal or nested prefixes: one tenant would overwrite or list another's files; the
 * runtime keeps each tenant under this prefix), a dbt target schema (one tenant's `dbt build`
 * would replace the other's models), and a Kubernetes object name (compared among the tenants this
 * run compiles: every tenant shares one namespace). Each problem names both tenants.
 */
function crossTenantProblems(tenants: readonly Footprint[]): Problem[] {
  const out: Problem[] = [];
  const at = (t: Footprint, path: string, message: string, hint: string): Problem =>
    fileProblem({
      file: `tenants/${t.id}/config.yaml`,
      path,
      message,
      hint,
    });
  const prefixes = tenants.map((t) => ownStoragePrefix(t.basePath));
  const { pairs, storage } = candidatePairs(tenants, prefixes);
  for (const [i, j] of pairs) {
    const a = tenants[i];
    const b = tenants[j];
    if (a === undefined || b === undefined || (!a.compiled && !b.compiled)) {
      continue;
    }
    // Reported on the second of the pair this run compiles.
    const on = b.compiled ? b : a;
    const other = on === b ? a : b;
    const pa = prefixes[i] ?? null;
    const pb = prefixes[j] ?? null;
    if (pa !== null && pb !== null && storage.has(i * tenants.length + j)) {
      if (pa === pb) {
        out.push(
          at(
            on,
            "tenant.storage.base_path",
            `tenants ${a.id} and ${b.id} share the same storage bucket and base_path; their files would overwrite each other`,
            `use base_path: "project_id=${on.id}"`,
          ),
        );
      } else {
        out.push(
          at(
            on,
            "tenant.storage.base_path",
            `tenants ${a.id} and ${b.id} have nested storage prefixes "${pa}" and "${pb}" (base_path with its defaults); one tenant's files would land inside the other's`,
            `give ${on.id} a prefix of its own beside ${other.id}'s, e.g. base_path: "project_id=${on.id}"`,
          ),
        );
      }
    }
    if (
      a.dbtSchema !== null &&
      b.dbtSchema !== null &&
      a.dbtSchema.toLowerCase() === b.dbtSchema.toLowerCase()
    ) {
      out.push(
        at(
          on,
          "dbt.target_schema",
          `tenants ${a.id} and ${b.id} both build dbt models into schema "${on.dbtSchema}"; one tenant's dbt run would replace the other's models`,
          `use target_schema: "analytics_${on.id}"`,
        ),
      );
    }
    const shared = a.kubernetesNames.filter((name) => b.kubernetesNames.includes(name));
    if (shared.length > 0) {
      out.push(
        at(
          on,
          "tenant.id",
          `tenants ${a.id} and ${b.id} both deploy Kubernetes objects named ${shared.map((n) => `"${n}"`).join(", ")} (names join the tenant id and the job name, "_" becoming "-"); one tenant's objects would replace the other's in a shared namespace`,
          `rename a job of ${on.id} or of ${other.id} so that "etl-<tenant>-<job>" differs`,
        ),
      );
    }
  }
  return out;
}
