/**
 * `${VAR}` references as the old loader read them (config_loader.py `_resolve_env_vars`: regex
 * `\$\{([^}:]+)(?::([^}]*))?\}`, an unset variable without default became ""), and their
 * translation: connection values keep references, renamed where this tool's tenant boundary needs
 * it (a tenant names its own `<TENANT>_*` variables and the shared ones in their own field);
 * every other string was resolved once at import time, so it becomes the value the old code got
 * when the variable was unset.
 */

import { SHARED_CONFIG_VARS } from "@etl/runtime/contract";

const OLD_REFERENCE = /\$\{([^}:]+)(?::([^}]*))?\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One `${...}` of an old string. */
export interface LegacyRef {
  name: string;
  /** The default after the colon; null when there is none (the old value was then ""). */
  fallback: string | null;
  text: string;
}

/** The references of an old string, in order. */
export function legacyRefs(value: string): LegacyRef[] {
  return [...value.matchAll(OLD_REFERENCE)].map((m) => ({
    name: m[1] ?? "",
    fallback: m[2] ?? null,
    text: m[0],
  }));
}

/** What the old loader made of `value` with none of its variables set. */
export function resolvedWithoutEnvironment(value: string): string {
  return value.replace(OLD_REFERENCE, (_all, _name: string, fallback?: string) => fallback ?? "");
}

/**
 * The one field a shared variable of DESIGN.md may be named in, or undefined for any other name
 * (and for those the runtime reads itself): the runtime's tenant-boundary rule
 * (SHARED_CONFIG_VARS of @etl/runtime/contract), which the generator checks every migrated config
 * against too.
 */
function sharedField(name: string): string | undefined {
  return (Object.hasOwn(SHARED_CONFIG_VARS, name) ? SHARED_CONFIG_VARS[name] : null) ?? undefined;
}

/** The tenant's own variable for each connection field, after DESIGN.md's `<TENANT>_DB_*`. */
export const OWN_VARIABLE_SUFFIX: Readonly<Record<string, string>> = {
  "source_database.host": "DB_HOST",
  "source_database.port": "DB_PORT",
  "source_database.database": "DB_NAME",
  "source_database.username": "DB_USER",
  "source_database.password": "DB_PASSWORD",
  "source_database.schema": "DB_SCHEMA",
  "storage.bucket": "S3_BUCKET",
  "storage.base_path": "BASE_PATH",
  "target_database.trino_host": "TRINO_HOST",
  "target_database.trino_port": "TRINO_PORT",
  "target_database.trino_user": "TRINO_USER",
  "target_database.trino_password": "TRINO_PASSWORD",
  "target_database.trino_http_scheme": "TRINO_HTTP_SCHEME",
  "target_database.target_catalog": "TRINO_CATALOG",
  "target_database.target_schema": "TRINO_SCHEMA",
};

/** A renamed reference, for the report. */
export interface Rename {
  from: string;
  to: string;
  why: string;
}

export interface ConnectionValue {
  value: string;
  renames: Rename[];
}

/**
 * Rewrites the references of one connection value of a tenant moving from id `oldId` to `id`:
 * shared variables in their own field and the tenant's own variables stay; the old tenant's
 * variables follow the id; anything else becomes the field's own variable of the tenant.
 */
export function connectionValue(
  raw: string,
  field: string,
  tenant: { id: string; oldId: string },
): ConnectionValue {
  const own = `${tenant.id.toUpperCase()}_`;
  const oldOwn = `${tenant.oldId.toUpperCase()}_`;
  const renames: Rename[] = [];
  const used = new Set<string>();
  const value = raw.replace(OLD_REFERENCE, (_text, name: string, fallback?: string) => {
    let to = name;
    let why = "";
    const shared = sharedField(name);
    if (shared === field) {
      to = name;
    } else if (VARIABLE_NAME.test(name) && name.startsWith(own)) {
      to = name;
    } else if (VARIABLE_NAME.test(name) && name.startsWith(oldOwn)) {
      to = own + name.slice(oldOwn.length);
      why = `the tenant's variables follow its id ${tenant.id}`;
    } else {
      to = own + (OWN_VARIABLE_SUFFIX[field] ?? "VALUE");
      why =
        shared !== undefined
          ? `\${${name}} is shared and may only be named in ${shared}`
          : `a tenant may name only its own ${own}* variables and the shared ones`;
    }
    // Two references of one value never collapse into one variable.
    let unique = to;
    for (let n = 2; used.has(unique); n++) {
      unique = `${to}_${n}`;
    }
    used.add(unique);
    if (unique !== name) {
      renames.push({ from: name, to: unique, why });
    }
    return fallback === undefined ? `\${${unique}}` : `\${${unique}:${fallback}}`;
  });
  return { value, renames };
}
