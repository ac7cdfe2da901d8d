/** The dbt models a pipeline's jobs also build (has_dbt_transform, dbt_transform.dbt_select). */
import type { PipelinePlan } from "@etl/runtime/plan";
import type { PipelineScope } from "./scope.js";

/** The pipeline's dbt selection, or null; a selection without the switch (or the reverse) is reported. */
export function pipelineDbtTransform(scope: PipelineScope): PipelinePlan["dbtTransform"] {
  const { ctx, name, config, at } = scope;
  const spec = config.dbt_transform ?? null;
  if (config.has_dbt_transform && (spec?.dbt_select ?? "").trim() === "") {
    ctx.report(
      at("has_dbt_transform"),
      `pipeline "${name}" has has_dbt_transform: true but no dbt_transform.dbt_select`,
      'add dbt_transform: {dbt_select: "model_a model_b"}',
    );
  }
  if (!config.has_dbt_transform && spec !== null) {
    ctx.report(
      at("dbt_transform"),
      `pipeline "${name}" has dbt_transform but has_dbt_transform is false`,
      "set has_dbt_transform: true or remove dbt_transform",
    );
  }
  return config.has_dbt_transform && spec !== null
    ? { select: spec.dbt_select, exclude: spec.dbt_exclude }
    : null;
}
