/**
 * Resolution of a tenant's resources (PostgreSQL source, storage, Trino, dbt) from the selected
 * environment plan and the process environment, at run time.
 *
 * Isolation: a tenant package only sees the variables its own plan references (`plan.envVars`) plus
 * the shared runtime variables listed in SHARED_ENV_VARS, so a package deployed next to another
 * tenant's secrets can never read them by accident, and every storage path it writes is under its own
 * base path.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseBasePath } from "./contract/base-path.js";
import { describeValue, referencedVars } from "./contract/envref.js";
import { parsePort } from "./contract/port.js";
import {
  isWithinPrefix,
  ownStoragePrefix,
  storageOverlaps,
  type TenantStorage,
} from "./contract/tenancy.js";
import { registerSecret, registerUrlSecrets } from "./logger.js";
import {
  type ConfigValue,
  ENVIRONMENTS,
  type EnvironmentName,
  type EnvironmentPlan,
  environmentPlan,
  type TenantPlan,
} from "./plan.js";
import { type EnvSource, resolveValue } from "./values.js";

/** Variables every tenant package may read besides the ones its plan references. */
export const SHARED_ENV_VARS = [
  "ETL_ENVIRONMENT",
  "ETL_HOME",
  "ETL_LEDGER_URL",
  "ETL_LOG_FORMAT",
  "ETL_LOG_LEVEL",
  "ETL_PROJECT_ROOT",
  "ETL_RETRY_ATTEMPTS",
  "ETL_RETRY_BASE_MS",
  "ETL_RETRY_MAX_MS",
  // Operations (docs/operations.md): the console's base URL for alert links, alert delivery.
  "ETL_CONSOLE_URL",
  "ETL_ALERT_ATTEMPTS",
  "ETL_ALERT_BACKOFF_MS",
  "ETL_ALERT_TIMEOUT_MS",
  "ETL_FRESHNESS_INTERVAL_MS",
  "S3_ENDPOINT_URL",
  "S3_BUCKET_NAME",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "DBT_BIN",
  "DBT_PROFILES_DIR",
  "PATH",
  "HOME",
] as const;

export type SelectedEnvironment =
  | { ok: true; name: EnvironmentName; plan: EnvironmentPlan }
  | { ok: false; error: string };

/**
 * Picks the environment named by ETL_ENVIRONMENT (default dev), with its complete plan; unknown
 * or disabled is an error.
 */
export function selectEnvironment(plan: TenantPlan, env: EnvSource): SelectedEnvironment {
  const raw = env.ETL_ENVIRONMENT;
  const name = raw === undefined || raw === "" ? "dev" : raw;
  const known = (ENVIRONMENTS as readonly string[]).includes(name);
  if (!known) {
    return {
      ok: false,
      error: `ETL_ENVIRONMENT="${name}" is not a known environment: expected one of ${ENVIRONMENTS.join(", ")}`,
    };
  }
  const envName = name as EnvironmentName;
  const envPlan = environmentPlan(plan, envName);
  if (!envPlan.enabled) {
    return {
      ok: false,
      error: `environment "${envName}" is disabled for tenant ${plan.tenant.id} (environments.${envName}.enabled is false in its config)`,
    };
  }
  return { ok: true, name: envName, plan: envPlan };
}

/** The slice of `env` a tenant package may read: its own variables and the shared ones. */
export function tenantEnv(plan: TenantPlan, env: EnvSource): EnvSource {
  const allowed = new Set<string>([...plan.envVars, ...SHARED_ENV_VARS]);
  const out: Record<string, string | undefined> = {};
  for (const name of allowed) {
    const v = env[name];
    if (v !== undefined) {
      out[name] = v;
    }
  }
  return out;
}

export interface PostgresSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  schema: string;
}

export type StorageSettings =
  | {
      kind: "s3";
      bucket: string;
      /** Prefix inside the bucket, without leading or trailing slash. */
      basePath: string;
      /** Custom endpoint (MinIO, versitygw); null means AWS. */
      endpoint: string | null;
      region: string;
      accessKeyId: string | null;
      secretAccessKey: string | null;
      sessionToken: string | null;
      /** Path-style addressing, required by most S3-compatible servers. */
      forcePathStyle: boolean;
    }
  | {
      kind: "local";
      /** Directory standing in for the bucket. */
      root: string;
      basePath: string;
    };

export interface TrinoSettings {
  host: string;
  port: number;
  user: string;
  /** Null when no password is configured (Trino without authentication). */
  password: string | null;
  scheme: "http" | "https";
  catalog: string;
  schema: string;
}

export interface DbtSettings {
  /** Executable: DBT_BIN, else `dbt` on PATH. */
  bin: string;
  projectDir: string;
  target: string;
  targetSchema: string;
}

export interface ResolvedResources {
  tenantId: string;
  environment: EnvironmentName;
  /** Local state directory (ledger, local storage). */
  etlHome: string;
  /** PostgreSQL URL of a shared run ledger, or null for the local file ledger. */
  ledgerUrl: string | null;
  source: PostgresSettings;
  storage: StorageSettings;
  trino: TrinoSettings;
  dbt: DbtSettings | null;
}

export type ResourcesResult =
  | { ok: true; resources: ResolvedResources }
  | { ok: false; missing: string[]; errors: string[] };

export interface ResolveOptions {
  /** Directory relative paths (ETL_HOME, dbt project) are resolved against; default cwd. */
  cwd?: string;
}

/** Resolves every resource setting of one environment; reports all missing variables at once. */
export function resolveResources(
  plan: TenantPlan,
  envName: EnvironmentName,
  fullEnv: EnvSource,
  options: ResolveOptions = {},
): ResourcesResult {
  const env = tenantEnv(plan, fullEnv);
  const cwd = options.cwd ?? process.cwd();
  const envPlan = environmentPlan(plan, envName);
  const missing = new Set<string>();
  const errors: string[] = [];
  const get = (value: ConfigValue): string => {
    const r = resolveValue(value, env);
    if (r.ok) {
      return r.value;
    }
    for (const m of r.missing) {
      missing.add(m);
    }
    return "";
  };
  const port = (value: ConfigValue, what: string): number => {
    const before = missing.size;
    const text = get(value);
    const parsed = parsePort(text);
    // A missing variable is reported once, as missing, not also as a bad port.
    if (!parsed.ok && missing.size === before) {
      errors.push(`${what}: ${parsed.message}`);
    }
    return parsed.ok ? parsed.port : 0;
  };

  const src = envPlan.resources.source;
  const source: PostgresSettings = {
    host: get(src.host),
    port: port(src.port, "source_database.port"),
    database: get(src.database),
    user: get(src.user),
    password: get(src.password),
    schema: get(src.schema),
  };

  const { etlHome, ledgerUrl } = ledgerLocation(plan, fullEnv, options);
  const bucket = get(envPlan.resources.storage.bucket);
  const missingBefore = missing.size;
  const base = parseBasePath(get(envPlan.resources.storage.basePath));
  if (!base.ok && missing.size === missingBefore) {
    errors.push(base.message);
  }
  const basePath = base.ok ? base.basePath : "";
  if (base.ok) {
    const basePathError = ownPrefixError(
      plan.tenant.id,
      envPlan.resources.storage.basePath,
      basePath,
    );
    if (basePathError !== null && missing.size === 0) {
      errors.push(basePathError);
    }
  }
  let storage: StorageSettings;
  if (bucket === "") {
    storage = { kind: "local", root: path.join(etlHome, "storage"), basePath };
  } else {
    const endpoint = nonEmpty(env.S3_ENDPOINT_URL);
    const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
    const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
    // A custom endpoint has no instance role or SSO behind it: static keys are the only way in.
    if (endpoint !== null) {
      if (accessKeyId === null) missing.add("AWS_ACCESS_KEY_ID");
      if (secretAccessKey === null) missing.add("AWS_SECRET_ACCESS_KEY");
    }
    storage = {
      kind: "s3",
      bucket,
      basePath,
      endpoint,
      region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? "us-east-1",
      accessKeyId,
      secretAccessKey,
      sessionToken: nonEmpty(env.AWS_SESSION_TOKEN),
      forcePathStyle: endpoint !== null,
    };
  }

  const t = envPlan.resources.trino;
  const schemeText = get(t.httpScheme) || "http";
  if (schemeText !== "http" && schemeText !== "https") {
    errors.push(`target_database.trino_http_scheme must be http or https, got "${schemeText}"`);
  }
  const trinoPassword = get(t.password);
  const trino: TrinoSettings = {
    host: get(t.host),
    port: port(t.port, "target_database.trino_port"),
    user: get(t.user),
    password: trinoPassword === "" ? null : trinoPassword,
    scheme: schemeText === "https" ? "https" : "http",
    catalog: get(t.catalog),
    schema: get(t.schema),
  };

  const dbt: DbtSettings | null =
    envPlan.dbt === null
      ? null
      : {
          bin: nonEmpty(env.DBT_BIN) ?? "dbt",
          projectDir: resolveDbtProjectDir(envPlan.dbt.projectDir, cwd, env),
          target: envPlan.dbt.target,
          targetSchema: envPlan.dbt.targetSchema,
        };

  // Registered before anything can fail, so not even a message about another setting shows them.
  registerSecret(source.password);
  registerSecret(trino.password ?? undefined);
  registerUrlSecrets(ledgerUrl);
  if (storage.kind === "s3") {
    registerSecret(storage.secretAccessKey ?? undefined);
    registerSecret(storage.sessionToken ?? undefined);
    registerUrlSecrets(storage.endpoint);
  }
  if (missing.size > 0 || errors.length > 0) {
    return { ok: false, missing: [...missing].sort(), errors };
  }
  return {
    ok: true,
    resources: {
      tenantId: plan.tenant.id,
      environment: envName,
      etlHome,
      ledgerUrl,
      source,
      storage,
      trino,
      dbt,
    },
  };
}

/**
 * Why a resolved base_path is not the tenant's (null when it is): it must be the prefix the
 * generator checked against every other tenant (base_path with its defaults) or a path under it.
 */
function ownPrefixError(tenant: string, declared: ConfigValue, resolved: string): string | null {
  const own = ownStoragePrefix(declared);
  if (own === null) {
    return `storage.base_path ${describeValue(declared)} has a reference without a default, so no prefix was checked as tenant ${tenant}'s own; regenerate the package (the generator requires defaults)`;
  }
  if (isWithinPrefix(own, resolved)) {
    return null;
  }
  const vars = referencedVars(declared);
  return `storage.base_path resolves to "${resolved}", outside "${own}", the prefix checked as tenant ${tenant}'s own (no other tenant writes under it); set ${vars.join(", ")} so that base_path is "${own}" or a path under it`;
}

/**
 * For a process serving several tenants (etl-all): every pair of tenants whose storage, resolved
 * from `fullEnv` for the environment ETL_ENVIRONMENT selects, is one bucket under equal or nested
 * prefixes. Tenants whose environment is disabled or whose variables are missing are left out
 * (their own commands report that).
 */
export function storageConflicts(plans: readonly TenantPlan[], fullEnv: EnvSource): string[] {
  const storages: TenantStorage[] = [];
  for (const plan of plans) {
    const selected = selectEnvironment(plan, fullEnv);
    if (!selected.ok) {
      continue;
    }
    const env = tenantEnv(plan, fullEnv);
    const storage = selected.plan.resources.storage;
    const bucket = resolveValue(storage.bucket, env);
    const basePath = resolveValue(storage.basePath, env);
    if (bucket.ok && basePath.ok) {
      storages.push({ tenant: plan.tenant.id, bucket: bucket.value, basePath: basePath.value });
    }
  }
  return storageOverlaps(storages);
}

/**
 * Where a tenant's run ledger is: PostgreSQL at ETL_LEDGER_URL, else files under ETL_HOME (default
 * `.etl/` in `cwd`). Needs none of the tenant's other variables (the console reads with it alone).
 */
export function ledgerLocation(
  plan: TenantPlan,
  fullEnv: EnvSource,
  options: ResolveOptions = {},
): Pick<ResolvedResources, "tenantId" | "etlHome" | "ledgerUrl"> {
  const env = tenantEnv(plan, fullEnv);
  return {
    tenantId: plan.tenant.id,
    etlHome: path.resolve(options.cwd ?? process.cwd(), env.ETL_HOME ?? ".etl"),
    ledgerUrl: nonEmpty(env.ETL_LEDGER_URL),
  };
}

/** One line per problem, for CLIs: missing variables first (all of them), then invalid values. */
export function describeResourceProblems(result: {
  missing: string[];
  errors: string[];
}): string[] {
  const lines: string[] = [];
  if (result.missing.length > 0) {
    lines.push(
      `missing environment variable${result.missing.length > 1 ? "s" : ""}: ${result.missing.join(", ")}`,
    );
  }
  lines.push(...result.errors);
  return lines;
}

/**
 * Joins a key under the tenant's base path. Refuses keys that would climb out of it, which is what
 * keeps one tenant's writes inside its own prefix.
 */
export function tenantStorageKey(storage: StorageSettings, ...parts: string[]): string {
  const rel = parts.map(trimSlashes).filter((p) => p !== "");
  for (const p of rel) {
    if (p.split("/").some((seg) => seg === ".." || seg === ".")) {
      throw new Error(`storage key part "${p}" must not contain "." or ".." segments`);
    }
  }
  return [storage.basePath, ...rel].filter((p) => p !== "").join("/");
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, "");
}

function nonEmpty(v: string | undefined): string | null {
  return v === undefined || v === "" ? null : v;
}

/**
 * The plan names the dbt project relative to the repository root. `ETL_PROJECT_ROOT` names that
 * root; else the nearest folder at or above `cwd` that holds the
 * project (so a package runs from the repository root, a sub-folder, or an image whose working
 * directory holds `tenants/`). When none holds it, the path under `cwd` is returned and the dbt
 * stage reports it missing.
 */
export function resolveDbtProjectDir(relative: string, cwd: string, env: EnvSource): string {
  const root = nonEmpty(env.ETL_PROJECT_ROOT);
  if (root !== null) {
    return path.resolve(cwd, root, relative);
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (existsSync(path.join(candidate, "dbt_project.yml"))) {
      return candidate;
    }
    if (path.dirname(dir) === dir) {
      return path.resolve(cwd, relative);
    }
  }
}
