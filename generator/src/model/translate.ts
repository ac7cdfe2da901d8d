/**
 * The one place that decides names: TypeScript identifiers, storage prefixes and Trino/PostgreSQL
 * identifiers (asset keys are spelled by `assetKey` of @etl/runtime/contract, which the runtime
 * reads back). Every check of a name a tenant writes lives here so that the rules (and their error
 * messages) are the same everywhere.
 */
import { createHash } from "node:crypto";
import { pgIdentifierProblem } from "@etl/runtime/contract";
import type { Stage } from "@etl/runtime/plan";

export const ID_PATTERN = /^[a-z][a-z0-9_]*$/;
export const RESERVED_TENANT_IDS = ["all", "tenants", "ui"] as const;

/** Trino's reserved keywords (docs: "Reserved keywords"); refused as unquoted target names. */
const TRINO_RESERVED = new Set(
  `alter and as between by case cast constraint create cross cube current_catalog current_date
  current_path current_role current_schema current_time current_timestamp current_user deallocate
  delete describe distinct drop else end escape except execute exists extract false for from full
  group grouping having in inner insert intersect into is join json_array json_exists json_object
  json_query json_table json_value left like listagg localtime localtimestamp natural normalize not
  null on or order outer prepare recursive right rollup select skip table then trim true uescape
  union unnest using values when where with`
    .split(/\s+/)
    .filter((w) => w !== ""),
);

/** JavaScript reserved words and names that would shadow generated bindings. */
const JS_RESERVED = new Set(
  `break case catch class const continue debugger default delete do else enum export extends false
  finally for function if import in instanceof new null return super switch this throw true try
  typeof var void while with yield let static implements interface package private protected public
  await arguments eval undefined NaN Infinity plan transforms`
    .split(/\s+/)
    .filter((w) => w !== ""),
);

export type NameCheck = { ok: true } | { ok: false; message: string; hint: string };

const OK: NameCheck = { ok: true };

/** Tenant ids and pipeline names: `^[a-z][a-z0-9_]*$`, at most 63 characters. */
export function checkId(kind: string, name: string): NameCheck {
  if (!ID_PATTERN.test(name)) {
    return {
      ok: false,
      message: `${kind} "${name}" is not a valid id: expected lower-case letters, digits and "_", starting with a letter (^[a-z][a-z0-9_]*$)`,
      hint: `rename it, e.g. "${suggestId(name)}"`,
    };
  }
  if (name.length > 63) {
    return {
      ok: false,
      message: `${kind} "${name}" is longer than 63 characters`,
      hint: "use a shorter name",
    };
  }
  return OK;
}

function suggestId(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^[^a-z]+/, "");
  return s === "" ? "my_name" : s;
}

/** A Trino schema, table or column the tool creates or writes: unquoted-safe, not reserved. */
export function checkTrinoName(kind: string, name: string): NameCheck {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    return {
      ok: false,
      message: `${kind} "${name}" is not a safe Trino identifier: expected lower-case letters, digits and "_" (^[a-z_][a-z0-9_]*$)`,
      hint: `use "${suggestId(name)}"`,
    };
  }
  if (name.length > 63) {
    return {
      ok: false,
      message: `${kind} "${name}" is longer than 63 characters`,
      hint: "use a shorter name",
    };
  }
  if (TRINO_RESERVED.has(name)) {
    return {
      ok: false,
      message: `${kind} "${name}" is a reserved word in Trino SQL`,
      hint: `use another name, e.g. "${name}_"`,
    };
  }
  return OK;
}

/**
 * A PostgreSQL schema, table or column name of the source, written exactly as the database holds
 * it: any identifier PostgreSQL accepts (spaces, dots, quotes, capitals, any script), always
 * quoted by the runtime.
 */
export function checkSourceName(kind: string, name: string): NameCheck {
  const problem = pgIdentifierProblem(name);
  if (problem !== null) {
    return {
      ok: false,
      message: `${kind} ${JSON.stringify(name)} is not a PostgreSQL identifier: it ${problem}`,
      hint: "write the name exactly as the database holds it (case, spaces and punctuation are kept), or use query: for an expression",
    };
  }
  return OK;
}

/** A name exported by a transform module. */
export function checkTsExport(kind: string, name: string): NameCheck {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) || JS_RESERVED.has(name)) {
    return {
      ok: false,
      message: `${kind} "${name}" is not a usable TypeScript identifier`,
      hint: "export the function under a plain name such as transformWip",
    };
  }
  return OK;
}

/** A transform module path under tenants/<id>/transforms/ (no extension, no directories). */
export function checkModuleName(name: string): NameCheck {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    return {
      ok: false,
      message: `transfer.module "${name}" is not a module name: expected a file name under transforms/ without extension (^[a-z][a-z0-9_-]*$)`,
      hint: `write module: ${suggestId(name.replace(/\.(ts|js)$/, ""))}`,
    };
  }
  return OK;
}

/** PascalCase TypeScript identifier of a snake_case name: `lot_history` -> `LotHistory`. */
export function pascal(name: string): string {
  return name
    .split(/[_-]+/)
    .filter((p) => p !== "")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

/** camelCase TypeScript identifier: `lot_history` -> `lotHistory`. */
export function camel(name: string): string {
  const p = pascal(name);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

/** Row interface of a pipeline's source rows. */
export function rowTypeName(pipeline: string): string {
  return `${pascal(pipeline)}Row`;
}

/** Output row interface of a pipeline's transform. */
export function outputTypeName(pipeline: string): string {
  return `${pascal(pipeline)}Output`;
}

/** Function type a pipeline's transform must satisfy. */
export function transformTypeName(pipeline: string): string {
  return `${pascal(pipeline)}Transform`;
}

/** Inputs object type of a pipeline's transform. */
export function inputsTypeName(pipeline: string): string {
  return `${pascal(pipeline)}Inputs`;
}

/** Storage prefix of one tenant asset under the tenant's base path. */
export function storagePrefix(stage: Stage, pipeline: string): string {
  return `${stage}/${pipeline}`;
}

/** Workspace package name of a tenant. */
export function packageName(tenant: string): string {
  return `@etl/tenant-${tenant}`;
}

/** Upper-cased env var prefix of a tenant: `project_01` -> `PROJECT_01`. */
export function envPrefix(tenant: string): string {
  return tenant.toUpperCase();
}

/** Longest Kubernetes object name the generated manifests use (CronJob names: 52 characters). */
export const K8S_NAME_MAX = 52;

/** An RFC 1123 label: lower-case letters, digits and "-", starting and ending alphanumerically. */
const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A Kubernetes object name (RFC 1123 label, at most 52 characters for CronJobs) from parts made of
 * lower-case letters, digits and "_": each "_" becomes "-", so distinct ids give distinct names. A
 * name that is too long, or would start or end with "-", keeps its start and ends with 8 hex
 * digits of a hash of the whole name, so it stays distinct and valid.
 */
export function k8sName(...parts: string[]): string {
  const full = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-");
  if (full.length <= K8S_NAME_MAX && RFC1123_LABEL.test(full)) {
    return full;
  }
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  const head = full.slice(0, K8S_NAME_MAX - hash.length - 1).replace(/^-+|-+$/g, "");
  return head === "" ? hash : `${head}-${hash}`;
}

/** Two or more sources whose derived names are equal: `name` is what they collide on. */
export interface NameCollision {
  name: string;
  sources: string[];
}

/** Every derived name shared by two or more sources, each with its sources in input order. */
export function collisions(
  sources: readonly string[],
  derive: (source: string) => string,
  fold: (name: string) => string = (n) => n,
): NameCollision[] {
  const by = new Map<string, { name: string; sources: string[] }>();
  for (const source of sources) {
    const name = derive(source);
    const key = fold(name);
    const entry = by.get(key) ?? { name, sources: [] };
    if (!entry.sources.includes(source)) {
      entry.sources.push(source);
    }
    by.set(key, entry);
  }
  return [...by.values()].filter((e) => e.sources.length > 1);
}
