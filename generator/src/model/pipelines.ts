/**
 * Every pipeline of the tenant (model/pipeline/), and what holds between pipelines: no two load
 * into one Trino table, and the snapshot describes no pipeline the config lacks.
 */
import type { PipelinePlan } from "@etl/runtime/plan";
import type { PipelineConfig } from "../config/schema.js";
import { fileProblem } from "../problems.js";
import { type ModelContext, pipelinePath } from "./context.js";
import { buildPipeline } from "./pipeline/build.js";
import type { PipelineModel } from "./types.js";

export interface Pipelines {
  /** The pipelines' configs by name (the preset's included). */
  configs: Readonly<Record<string, PipelineConfig>>;
  /** Plans before the environments' overrides, sorted by name. */
  plans: PipelinePlan[];
  models: PipelineModel[];
}

/** Every pipeline's plan and model, with the problems between pipelines reported. */
export function buildPipelines(ctx: ModelContext): Pipelines {
  const configs = ctx.pipelines.configs;
  const names = Object.keys(configs).sort();
  const plans: PipelinePlan[] = [];
  const models: PipelineModel[] = [];
  for (const name of names) {
    const config = configs[name];
    if (config === undefined) {
      continue;
    }
    const built = buildPipeline(ctx, name, config, names);
    plans.push(built.plan);
    models.push(built.model);
  }
  checkTargetTables(ctx, plans);
  checkSnapshot(ctx, names);
  return { configs, plans, models };
}

/** Two pipelines loading into one table would overwrite each other's rows. */
function checkTargetTables(ctx: ModelContext, plans: readonly PipelinePlan[]): void {
  const owners = new Map<string, string>();
  for (const plan of plans) {
    if (plan.trinoOutput === null) {
      continue;
    }
    const table = `${plan.trinoOutput.schema}.${plan.trinoOutput.table}`;
    const other = owners.get(table);
    if (other === undefined) {
      owners.set(table, plan.name);
    } else {
      ctx.report(
        pipelinePath(ctx, plan.name, "trino_output", "target_table"),
        `pipelines "${other}" and "${plan.name}" both load into Trino table ${table}`,
        "give each pipeline its own target_table",
      );
    }
  }
}

/** A snapshot of a pipeline the config no longer declares is stale. */
function checkSnapshot(ctx: ModelContext, names: readonly string[]): void {
  const introspection = ctx.tenant.introspection;
  if (introspection === null) {
    return;
  }
  for (const name of Object.keys(introspection.data.pipelines)) {
    if (!names.includes(name)) {
      ctx.problems.push(
        fileProblem({
          file: introspection.file,
          path: `pipelines.${name}`,
          message: `snapshot of pipeline "${name}", which the config does not declare`,
          hint: `re-run npm run introspect -- --tenant ${ctx.tenant.dir}`,
        }),
      );
    }
  }
}
