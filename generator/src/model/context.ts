/**
 * What every phase of the model step shares: the loaded tenant, where a YAML path is in its
 * config, and the reporter that collects problems. A phase returns its part of the model and
 * reports what is wrong through the context; validity is whether any problem was reported.
 */
import type { LoadedTenant } from "../config/load.js";
import type { TenantConfig } from "../config/schema.js";
import type { YamlPath } from "../config/yaml-locate.js";
import type { Problem } from "../problems.js";
import type { NameCheck } from "./translate.js";

export interface ModelContext {
  /** The loaded inputs: config, snapshot, transform modules, dbt manifest. */
  readonly tenant: LoadedTenant;
  readonly config: TenantConfig;
  /** Every problem reported so far, in every file of the tenant. */
  readonly problems: Problem[];
  /** Whether `assets.pipelines` spells out the pipelines (else the built-in ones apply). */
  readonly pipelinesDeclared: boolean;
  /**
   * Reports a problem of config.yaml at `path` (at its key rather than its value with `key`),
   * with the line and column of that node.
   */
  report(path: YamlPath, message: string, hint: string, key?: boolean): void;
  /** Reports a refused name at `path`; whether the name passed. */
  checkName(path: YamlPath, check: NameCheck): boolean;
}

/** The YAML path of a key of the tenant (`tenant.<...path>`). */
export function tenantPath(...path: (string | number)[]): YamlPath {
  return ["tenant", ...path];
}

/**
 * The YAML path of a key of pipeline `name`; the built-in pipelines, which the config does not
 * spell out, are reported at `tenant.assets`.
 */
export function pipelinePath(
  ctx: ModelContext,
  name: string,
  ...path: (string | number)[]
): YamlPath {
  return ctx.pipelinesDeclared
    ? tenantPath("assets", "pipelines", name, ...path)
    : tenantPath("assets");
}

/** A fresh context for one loaded tenant. */
export function modelContext(tenant: LoadedTenant): ModelContext {
  const problems: Problem[] = [];
  const report = (path: YamlPath, message: string, hint: string, key = false) => {
    problems.push({
      file: tenant.configFile,
      ...tenant.locate(path, key),
      path: path.map(String).join("."),
      message,
      hint,
    });
  };
  return {
    tenant,
    config: tenant.config,
    problems,
    pipelinesDeclared: Object.keys(tenant.config.assets.pipelines).length > 0,
    report,
    checkName(path, check) {
      if (!check.ok) {
        report(path, check.message, check.hint);
      }
      return check.ok;
    },
  };
}
