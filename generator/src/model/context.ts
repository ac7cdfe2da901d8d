/**
 * What every phase of the model step shares: the loaded tenant, where a YAML path is in its
 * config, and the reporter that collects problems. A phase returns its part of the model and
 * reports what is wrong through the context; validity is whether any problem was reported.
 */
import type { LoadedTenant } from "../config/load.js";
import type { TenantConfig } from "../config/schema.js";
import type { YamlPath } from "../config/yaml-locate.js";
import { type TenantPipelines, tenantPipelines } from "../presets/preset.js";
import type { Problem } from "../problems.js";
import type { NameCheck } from "./translate.js";

export interface ModelContext {
  /** The loaded inputs: config, snapshot, transform modules, dbt manifest. */
  readonly tenant: LoadedTenant;
  readonly config: TenantConfig;
  /** Every problem reported so far, in every file of the tenant. */
  readonly problems: Problem[];
  /** The tenant's pipelines: its own and its preset's (src/presets/). */
  readonly pipelines: TenantPipelines;
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
 * The YAML path of a key of pipeline `name`; a preset's pipeline, which the config does not
 * spell out, is reported at `tenant.preset`.
 */
export function pipelinePath(
  ctx: ModelContext,
  name: string,
  ...path: (string | number)[]
): YamlPath {
  return ctx.pipelines.fromPreset.has(name)
    ? tenantPath("preset")
    : tenantPath("assets", "pipelines", name, ...path);
}

/**
 * The context the phases of a preset's pipeline report through: every message names the
 * pipeline and the preset, since its path (`tenant.preset`) does not.
 */
export function presetPipelineContext(ctx: ModelContext, name: string): ModelContext {
  const preset = ctx.config.preset ?? "";
  const report = (path: YamlPath, message: string, hint: string, key = false) =>
    ctx.report(path, `pipeline "${name}" of the ${preset} preset: ${message}`, hint, key);
  return {
    ...ctx,
    report,
    checkName(path, check) {
      if (!check.ok) {
        report(path, check.message, check.hint);
      }
      return check.ok;
    },
  };
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
    pipelines: tenantPipelines(tenant.config),
    report,
    checkName(path, check) {
      if (!check.ok) {
        report(path, check.message, check.hint);
      }
      return check.ok;
    },
  };
}
