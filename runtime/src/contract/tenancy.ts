/**
 * Tenant boundaries, written once for the generator and the runtime: which environment variables a
 * tenant's config may name, and which storage prefix is the tenant's alone.
 *
 * - Variables: a tenant names its own `<TENANT>_*` variables, the shared ones each in the one field
 *   it belongs to, and whatever its config lists under `allowed_env` (shown in its README). The
 *   generator refuses anything else, so another tenant's password never reaches a package's
 *   allowed variables.
 * - Storage: the prefix a tenant owns is its `storage.base_path` resolved with the defaults of its
 *   `${VAR:default}` references alone. The generator refuses two tenants whose prefixes are equal
 *   or nested; the runtime refuses a base_path that resolves (from the real environment) outside
 *   the tenant's own prefix, so no environment can point one tenant into another's files.
 */
import type { ConfigValue } from "../plan.js";
import { resolveValue } from "../values.js";

/**
 * The shared variables of DESIGN.md, each with the one config field it may be named in (`null`:
 * the runtime reads it itself, so no config field may name it).
 */
export const SHARED_CONFIG_VARS: Readonly<Record<string, string | null>> = {
  TRINO_HOST: "target_database.trino_host",
  TRINO_PORT: "target_database.trino_port",
  TRINO_USER: "target_database.trino_user",
  TRINO_PASSWORD: "target_database.trino_password",
  TRINO_HTTP_SCHEME: "target_database.trino_http_scheme",
  TRINO_CATALOG: "target_database.target_catalog",
  S3_BUCKET_NAME: "storage.bucket",
  S3_ENDPOINT_URL: null,
  AWS_ACCESS_KEY_ID: null,
  AWS_SECRET_ACCESS_KEY: null,
  AWS_REGION: null,
};

/**
 * Variables the runtime reads for itself (credentials, ledger URL, paths): never allowed in a
 * tenant's `allowed_env`, so no config field can copy them into a connection value.
 */
const RUNTIME_RESERVED = /^(ETL_|AWS_|S3_|TRINO_|DBT_)|^(PATH|HOME)$/;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `project_01` -> `PROJECT_01_`: the prefix of a tenant's own variables. */
export function tenantEnvPrefix(tenant: string): string {
  return `${tenant.toUpperCase()}_`;
}

/**
 * The tenant a variable belongs to: the one among `tenants` with the longest matching prefix (so
 * `ACME_EU_DB_PASSWORD` is tenant acme_eu's, not acme's, when both exist), or null.
 */
export function envVarOwner(name: string, tenants: readonly string[]): string | null {
  let owner: string | null = null;
  let longest = 0;
  for (const tenant of tenants) {
    const prefix = tenantEnvPrefix(tenant);
    if (name.startsWith(prefix) && prefix.length > longest) {
      owner = tenant;
      longest = prefix.length;
    }
  }
  return owner;
}

export type Verdict = { ok: true } | { ok: false; message: string; hint: string };

export interface EnvReference {
  /** The tenant whose config names the variable. */
  tenant: string;
  /** Every tenant id of the repository (the tenant itself included). */
  tenants: readonly string[];
  /** The config field, e.g. `source_database.password`. */
  field: string;
  /** The variable named. */
  name: string;
  /** The tenant's `allowed_env`. */
  allowed: readonly string[];
}

/** Whether a tenant's config may name variable `ref.name` in field `ref.field`. */
export function checkEnvReference(ref: EnvReference): Verdict {
  const { tenant, name, field } = ref;
  const own = tenantEnvPrefix(tenant);
  if (Object.hasOwn(SHARED_CONFIG_VARS, name)) {
    const home = SHARED_CONFIG_VARS[name] ?? null;
    if (home === field) {
      return { ok: true };
    }
    return {
      ok: false,
      message:
        home === null
          ? `\${${name}} is a shared variable the runtime reads itself; no tenant config may name it`
          : `\${${name}} is a shared variable that may only be named in ${home}, not in ${field}`,
      hint: `name a variable of your own here, e.g. \${${own}${field.split(".").at(-1)?.toUpperCase() ?? "VALUE"}}`,
    };
  }
  // Before ownership: a tenant named etl or aws must not own ETL_LEDGER_URL or AWS_* by prefix.
  if (RUNTIME_RESERVED.test(name)) {
    return {
      ok: false,
      message: `\${${name}} is reserved for the runtime and the shared services; tenant ${tenant} may not name it`,
      hint: `use a variable of your own (${own}*)`,
    };
  }
  const owner = envVarOwner(
    name,
    ref.tenants.includes(tenant) ? ref.tenants : [...ref.tenants, tenant],
  );
  if (owner === tenant) {
    return { ok: true };
  }
  if (owner !== null) {
    return {
      ok: false,
      message: `\${${name}} belongs to tenant ${owner} (${tenantEnvPrefix(owner)}*); tenant ${tenant} may only name its own ${own}* variables and the shared ones`,
      hint: `use a variable of your own, e.g. \${${own}${name.slice(tenantEnvPrefix(owner).length)}}`,
    };
  }
  if (ref.allowed.includes(name)) {
    return { ok: true };
  }
  return {
    ok: false,
    message: `\${${name}} is neither one of tenant ${tenant}'s own ${own}* variables nor a shared one`,
    hint: `rename it ${own}..., or list it under allowed_env: [${name}] (the package README shows it)`,
  };
}

/** Whether `name` may be listed in tenant `tenant`'s `allowed_env`. */
export function checkAllowedEnv(tenant: string, tenants: readonly string[], name: string): Verdict {
  if (!ENV_NAME.test(name)) {
    return {
      ok: false,
      message: `allowed_env entry "${name}" is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`,
      hint: "list variable names only, e.g. CORP_PROXY_HOST",
    };
  }
  const owner = envVarOwner(name, tenants.includes(tenant) ? tenants : [...tenants, tenant]);
  if (owner === tenant) {
    return {
      ok: false,
      message: `allowed_env entry "${name}" is one of tenant ${tenant}'s own variables, which need no allowance`,
      hint: `remove "${name}" from allowed_env`,
    };
  }
  if (owner !== null) {
    return {
      ok: false,
      message: `allowed_env entry "${name}" belongs to tenant ${owner}; no allowance lets one tenant read another's variables`,
      hint: `remove "${name}" and use a variable of your own (${tenantEnvPrefix(tenant)}*)`,
    };
  }
  if (Object.hasOwn(SHARED_CONFIG_VARS, name) || RUNTIME_RESERVED.test(name)) {
    return {
      ok: false,
      message: `allowed_env entry "${name}" is a shared or runtime variable; it cannot be allowed outside its own field`,
      hint: `remove "${name}" from allowed_env`,
    };
  }
  return { ok: true };
}

function segments(prefix: string): string[] {
  return prefix.split("/").filter((s) => s !== "");
}

/**
 * The storage prefix a tenant owns: its base_path with every `${VAR:default}` resolved to its
 * default, without slashes at either end; null when a reference has no default.
 */
export function ownStoragePrefix(basePath: ConfigValue): string | null {
  const r = resolveValue(basePath, {});
  return r.ok ? segments(r.value).join("/") : null;
}

/** Whether two prefixes are equal or one holds the other, segment by segment ("" holds all). */
export function prefixesOverlap(a: string, b: string): boolean {
  const [short, long] = segments(a).length <= segments(b).length ? [a, b] : [b, a];
  return isWithinPrefix(short, long);
}

/** Whether `path` is `prefix` itself or a path under it, segment by segment. */
export function isWithinPrefix(prefix: string, path: string): boolean {
  const want = segments(prefix);
  const have = segments(path);
  return want.length <= have.length && want.every((s, i) => have[i] === s);
}

/**
 * One tenant's claim on storage for the overlap rule: its prefix (segments joined by "/", as
 * `ownStoragePrefix` gives it) and its bucket, or null when the bucket is not known for certain
 * (a reference some environment may set): such a claim may share a bucket with any other.
 */
export interface StorageClaim {
  bucket: string | null;
  prefix: string;
}

/** A node of the segment trie: the claims whose prefix ends here, and the longer prefixes. */
interface PrefixNode {
  here: number[];
  below: Map<string, PrefixNode>;
}

function prefixTrie(): PrefixNode {
  return { here: [], below: new Map() };
}

function insertClaim(trie: PrefixNode, segs: readonly string[], index: number): void {
  let node = trie;
  for (const seg of segs) {
    let next = node.below.get(seg);
    if (next === undefined) {
      next = prefixTrie();
      node.below.set(seg, next);
    }
    node = next;
  }
  node.here.push(index);
}

/** The claims of `trie` equal to, holding, or held by the prefix `segs`. */
function overlapping(trie: PrefixNode, segs: readonly string[]): number[] {
  const out: number[] = [];
  let node: PrefixNode | undefined = trie;
  for (const seg of segs) {
    out.push(...node.here);
    node = node.below.get(seg);
    if (node === undefined) return out;
  }
  const stack = [node];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    out.push(...next.here);
    stack.push(...next.below.values());
  }
  return out;
}

/**
 * The storage rule across tenants: every pair of claims in one bucket (a null bucket may be any)
 * whose prefixes are equal or nested segment by segment ("" holds every prefix), as index pairs
 * [i, j] with i < j, sorted. Built on segment tries (one over every claim, one per literal
 * bucket), so it takes O(n * depth + pairs found), not a comparison of every pair.
 */
export function overlappingClaims(claims: readonly StorageClaim[]): [number, number][] {
  const segs = claims.map((claim) => segments(claim.prefix));
  const every = prefixTrie();
  const byBucket = new Map<string, PrefixNode>();
  for (const [i, claim] of claims.entries()) {
    const own = segs[i] ?? [];
    insertClaim(every, own, i);
    if (claim.bucket !== null) {
      let trie = byBucket.get(claim.bucket);
      if (trie === undefined) {
        trie = prefixTrie();
        byBucket.set(claim.bucket, trie);
      }
      insertClaim(trie, own, i);
    }
  }
  const n = claims.length;
  const found = new Set<number>();
  for (const [i, claim] of claims.entries()) {
    // A claim of unknown bucket meets every claim; one of a literal bucket meets that bucket's
    // (and the unknown ones, found from their side).
    const trie = claim.bucket === null ? every : byBucket.get(claim.bucket);
    if (trie === undefined) continue;
    for (const j of overlapping(trie, segs[i] ?? [])) {
      if (j !== i) found.add(Math.min(i, j) * n + Math.max(i, j));
    }
  }
  return [...found]
    .sort((a, b) => a - b)
    .map((key): [number, number] => [Math.floor(key / n), key % n]);
}

/** One tenant's resolved storage location. */
export interface TenantStorage {
  tenant: string;
  bucket: string;
  basePath: string;
}

/** Every pair of tenants whose resolved storage is in one bucket under equal or nested prefixes. */
export function storageOverlaps(storages: readonly TenantStorage[]): string[] {
  const sorted = [...storages].sort((a, b) => (a.tenant < b.tenant ? -1 : 1));
  const claims = sorted.map((s) => ({ bucket: s.bucket, prefix: s.basePath }));
  return overlappingClaims(claims).flatMap(([i, j]) => {
    const a = sorted[i];
    const b = sorted[j];
    if (a === undefined || b === undefined) return [];
    return [
      `tenants ${a.tenant} and ${b.tenant} resolve to overlapping storage: bucket "${a.bucket}", prefixes "${a.basePath}" and "${b.basePath}"; one tenant's files would land in the other's`,
    ];
  });
}
