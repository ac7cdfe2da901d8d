/**
 * The model step: one loaded tenant (config, introspection snapshot, transforms, dbt manifest)
 * becomes one TenantPlan with dev, staging and prod resolved, plus what the emitters need besides
 * it (row types, transform registry). Each phase below returns its part and reports its problems
 * through the context, with the YAML position they came from; a tenant with any problem has no
 * model, and every problem is reported at once.
 */
import type { LoadedTenant } from "../config/load.js";
import { checkDerivedNames } from "./collisions.js";
import { modelContext } from "./context.js";
import { buildDbt } from "./dbt.js";
import { buildEnvironments } from "./environments.js";
import { checkJobs } from "./jobs.js";
import { operationsPart } from "./operations.js";
import { buildPartitions } from "./partitions.js";
import { buildPipelines } from "./pipelines.js";
import { assemblePlan } from "./plan.js";
import { buildResources } from "./resources.js";
import { checkBoundary, checkIdentity } from "./tenant.js";
import type { ModelResult, TenantInputs } from "./types.js";

export type {
  ModelResult,
  PipelineModel,
  TenantInputs,
  TenantModel,
  TransformModel,
} from "./types.js";

/** Builds the model of one loaded tenant, or reports every problem that prevents it. */
export function buildTenantModel(tenant: LoadedTenant): ModelResult {
  const ctx = modelContext(tenant);
  const allowedEnv = checkBoundary(ctx, checkIdentity(ctx));
  const resources = buildResources(ctx);
  const partitions = buildPartitions(ctx);
  const pipelines = buildPipelines(ctx);
  const dbt = buildDbt(ctx, pipelines.plans);
  checkJobs(ctx);
  const operations = operationsPart(ctx, partitions.timezone);
  const parts = { resources, partitions, pipelines, dbt, operations };
  const environments = buildEnvironments(ctx, parts);
  checkDerivedNames(ctx, pipelines.plans, environments.prod.jobs);
  if (ctx.problems.length > 0) {
    return { model: null, problems: ctx.problems };
  }
  const plan = assemblePlan(ctx, parts, environments);
  if (plan === null) {
    return { model: null, problems: ctx.problems };
  }
  return {
    model: {
      id: tenant.config.id,
      inputs: inputFiles(tenant),
      plan,
      pipelines: pipelines.models,
      // Every module is copied (tests may import helpers no pipeline names).
      transforms: new Map(tenant.transforms),
      transformTests: tenant.transformTests,
      allowedEnv,
    },
    problems: ctx.problems,
  };
}

/** The tenant's input files, for the headers of generated files. */
function inputFiles(tenant: LoadedTenant): TenantInputs {
  return {
    config: tenant.configFile,
    introspection: tenant.introspection?.file ?? null,
    manifest: tenant.dbtManifest?.path ?? null,
    transforms: [...tenant.transforms.values()].map((f) => f.path).sort(),
    transformTests: [...tenant.transformTests.values()].map((f) => f.path).sort(),
  };
}
