/**
 * The tenant boundary and the text rules of one tenant's config, checked in the model step:
 *
 * - every `${VAR}` a connection value names is the tenant's own, a shared one in its own field, or
 *   listed in `allowed_env` (the rule itself: tenancy.ts of @etl/runtime/contract, shared with the runtime);
 * - storage.base_path resolves without the environment (every reference has a default), so its
 *   prefix can be compared with every other tenant's and enforced at run time;
 * - one-line texts that reach generated files (names, descriptions, tags, check names, connection
 *   values) hold no line break or control character, and values dbt renders hold no Jinja.
 */

import {
  checkAllowedEnv,
  checkEnvReference,
  ownStoragePrefix,
  parseConfigValue,
} from "@etl/runtime/contract";
import type { ConfigValue } from "@etl/runtime/plan";
import type { TenantConfig } from "../config/schema.js";
import type { YamlPath } from "../config/yaml-locate.js";
import { hasUnsafeChar, showText } from "../text.js";
import { operationsValues } from "./operations.js";

/** A problem of the config at a YAML path. */
export interface ConfigProblem {
  path: YamlPath;
  message: string;
  hint: string;
}

/** The connection values of a config, each with its field (`source_database.password`). */
function connectionValues(cfg: TenantConfig): { field: string; raw: string }[] {
  const out: { field: string; raw: string }[] = [];
  const groups = {
    source_database: cfg.source_database,
    storage: cfg.storage,
    target_database: cfg.target_database,
  };
  for (const [group, values] of Object.entries(groups)) {
    for (const [key, raw] of Object.entries(values)) {
      out.push({ field: `${group}.${key}`, raw });
    }
  }
  return out;
}

function refsOf(value: ConfigValue): string[] {
  if (typeof value === "string") return [];
  if ("env" in value) return [value.env];
  return value.template.flatMap((p) => (typeof p === "string" ? [] : [p.env]));
}

const at = (field: string): YamlPath => ["tenant", ...field.split(".")];

/**
 * Every variable problem of the config, and the `allowed_env` entries its values use (sorted, for
 * the README). `otherTenants` are the repository's other tenant ids.
 */
export function envBoundary(
  cfg: TenantConfig,
  otherTenants: readonly string[],
): { problems: ConfigProblem[]; allowedEnv: string[] } {
  const problems: ConfigProblem[] = [];
  const tenants = [cfg.id, ...otherTenants];
  const allowed: string[] = [];
  for (const [i, name] of cfg.allowed_env.entries()) {
    const verdict = checkAllowedEnv(cfg.id, tenants, name);
    if (!verdict.ok) {
      problems.push({
        path: ["tenant", "allowed_env", i],
        message: verdict.message,
        hint: verdict.hint,
      });
    } else if (allowed.includes(name)) {
      problems.push({
        path: ["tenant", "allowed_env", i],
        message: `allowed_env lists "${name}" twice`,
        hint: "list each variable once",
      });
    } else {
      allowed.push(name);
    }
  }
  const used = new Set<string>();
  const values = [
    ...connectionValues(cfg).map((v) => ({ ...v, path: at(v.field) })),
    ...operationsValues(cfg),
  ];
  for (const { field, raw, path } of values) {
    const parsed = parseConfigValue(raw);
    if (!parsed.ok) {
      continue; // Reported where the value is built.
    }
    for (const name of refsOf(parsed.value)) {
      const verdict = checkEnvReference({ tenant: cfg.id, tenants, field, name, allowed });
      if (verdict.ok) {
        if (allowed.includes(name)) used.add(name);
      } else {
        problems.push({ path, message: verdict.message, hint: verdict.hint });
      }
    }
    if (field === "storage.base_path" && ownStoragePrefix(parsed.value) === null) {
      problems.push({
        path: at(field),
        message: `storage.base_path "${raw}" has a reference without a default, so its prefix cannot be compared with the other tenants' nor enforced at run time`,
        hint: `give every reference a default, e.g. "\${${cfg.id.toUpperCase()}_BASE_PATH:project_id=${cfg.id}}"`,
      });
    }
  }
  for (const [i, name] of cfg.allowed_env.entries()) {
    if (allowed.includes(name) && !used.has(name) && cfg.allowed_env.indexOf(name) === i) {
      problems.push({
        path: ["tenant", "allowed_env", i],
        message: `allowed_env lists "${name}", which no connection value names`,
        hint: `remove "${name}" from allowed_env`,
      });
    }
  }
  return { problems, allowedEnv: [...used].sort() };
}

/** A name a tenant gives a check: it becomes ledger file names and report lines. */
const CHECK_NAME = /^[A-Za-z_][A-Za-z0-9_$-]*$/;
/** A dbt target name: it becomes a key of the generated dbt profile. */
const DBT_TARGET = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
/** Jinja delimiters: dbt renders profile values, so `{{ env_var('AWS_SECRET_ACCESS_KEY') }}` would run. */
const JINJA = /\{[{%#]/;

/** Every text of the config that could not stand on one line of a generated file, or would run in dbt. */
export function textProblems(cfg: TenantConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const oneLine = (path: YamlPath, what: string, text: string) => {
    if (hasUnsafeChar(text)) {
      problems.push({
        path,
        message: `${what} "${showText(text)}" holds a line break or another control character`,
        hint: "write it on one line, without control or bidirectional-override characters",
      });
    }
  };
  oneLine(["tenant", "name"], "tenant name", cfg.name);
  for (const [key, value] of Object.entries(cfg.tags)) {
    oneLine(["tenant", "tags", key], "tag name", key);
    oneLine(["tenant", "tags", key], `tag ${showText(key)}`, value);
  }
  for (const [name, job] of Object.entries(cfg.jobs)) {
    if (job.description !== undefined) {
      oneLine(
        ["tenant", "jobs", name, "description"],
        `description of job ${name}`,
        job.description,
      );
    }
  }
  for (const { field, raw } of connectionValues(cfg)) {
    oneLine(at(field), field, raw);
    if (field.startsWith("target_database.") && JINJA.test(raw)) {
      problems.push({
        path: at(field),
        message: `${field} "${showText(raw)}" holds a Jinja delimiter; dbt renders profile values, so it would run`,
        hint: `write the plain value, or \${VAR} to read it from the environment at run time`,
      });
    }
  }
  if (!DBT_TARGET.test(cfg.dbt.target)) {
    problems.push({
      path: ["tenant", "dbt", "target"],
      message: `dbt.target "${showText(cfg.dbt.target)}" is not a target name (letters, digits, _ and -)`,
      hint: 'use a plain name such as "dev"',
    });
  }
  for (const [pipeline, pc] of Object.entries(cfg.assets.pipelines)) {
    for (const [i, check] of pc.checks.entries()) {
      if (check.name !== undefined && !CHECK_NAME.test(check.name)) {
        problems.push({
          path: ["tenant", "assets", "pipelines", pipeline, "checks", i, "name"],
          message: `check name "${showText(check.name)}" is not a plain name (letters, digits, _, $ and -)`,
          hint: "name the check like an identifier, e.g. wip_qty_positive",
        });
      }
    }
  }
  return problems;
}
