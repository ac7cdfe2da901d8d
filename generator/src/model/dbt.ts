/**
 * The tenant's dbt project: where it is (a plain path inside the repository), the schema it
 * builds into, and its models as assets (model/dbt-bridge.ts feeds generator/src/dbt/).
 */
import type { AssetPlan, DbtPlan, PipelinePlan } from "@etl/runtime/plan";
import { dbtManifestPath, dbtProjectDir, isRefused } from "../config/load.js";
import { repoPathProblem } from "../fs-guard.js";
import { type ModelContext, pipelinePath, tenantPath } from "./context.js";
import { dbtAssetsFor } from "./dbt-bridge.js";
import { checkTrinoName } from "./translate.js";

export interface TenantDbt {
  /** The plan's dbt project; null when dbt is off. */
  plan: DbtPlan | null;
  /** One asset per dbt model, seed and snapshot. */
  assets: AssetPlan[];
}

/** The dbt part of the plan, with every problem of the paths, the schema and the manifest. */
export function buildDbt(ctx: ModelContext, pipelines: readonly PipelinePlan[]): TenantDbt {
  const { config, tenant } = ctx;
  checkDbtPaths(ctx);
  if (!config.dbt.enabled) {
    for (const pipeline of pipelines) {
      if (pipeline.hasDbtTransform) {
        ctx.report(
          pipelinePath(ctx, pipeline.name, "has_dbt_transform"),
          `pipeline "${pipeline.name}" has has_dbt_transform: true but dbt is not enabled for the tenant`,
          "set dbt: {enabled: true} or remove has_dbt_transform",
        );
      }
    }
    return { plan: null, assets: [] };
  }
  ctx.checkName(
    tenantPath("dbt", "target_schema"),
    checkTrinoName("dbt.target_schema", config.dbt.target_schema),
  );
  const tenantDir = `tenants/${tenant.dir}`;
  const manifestPath = dbtManifestPath(tenantDir, config);
  const dbt = dbtAssetsFor({
    tenant: config.id,
    configFile: tenant.configFile,
    manifest: tenant.dbtManifest,
    manifestPath,
    manifestRefused: isRefused(tenant, manifestPath),
    pipelines,
    externalSources: config.dbt.external_sources,
  });
  ctx.problems.push(...dbt.problems);
  return {
    plan: {
      projectDir: dbtProjectDir(tenantDir, config),
      target: config.dbt.target,
      targetSchema: config.dbt.target_schema,
      // The plan names what "all" covers (the runtime's plan holds names, not a wildcard).
      externalSources:
        config.dbt.external_sources === "all"
          ? dbt.externalSources
          : [...config.dbt.external_sources].sort(),
    },
    assets: dbt.assets,
  };
}

/**
 * dbt paths are read by the generator and the runtime: they must stay inside the repository.
 * They also land in the Dockerfile and headers: plain relative paths only.
 */
function checkDbtPaths(ctx: ModelContext): void {
  for (const key of ["project_dir", "manifest_path"] as const) {
    const path = ctx.config.dbt[key];
    const wrong = typeof path === "string" ? repoPathProblem(path) : null;
    if (wrong !== null) {
      ctx.report(
        tenantPath("dbt", key),
        `dbt.${key} "${path}" ${wrong}`,
        `use a path relative to the repository root, e.g. "tenants/${ctx.config.id}/dbt"`,
      );
    }
  }
}
