/**
 * One pipeline of the tenant, phase by phase: its source, incremental mode, transfer stage, dbt
 * models, Trino output, checks and extract settings. Each phase returns its part of the plan and reports problems;
 * the pipeline is returned even with problems, so the checks over every pipeline still see it.
 */
import { type PipelinePlan, schemaHashOf } from "@etl/runtime/plan";
import type { PipelineConfig } from "../../config/schema.js";
import { type ModelContext, pipelinePath, presetPipelineContext } from "../context.js";
import { checkId } from "../translate.js";
import type { PipelineModel } from "../types.js";
import { pipelineChecks } from "./checks.js";
import { pipelineDbtTransform } from "./dbt-transform.js";
import { pipelineExtract } from "./extract.js";
import { pipelineIncremental } from "./incremental.js";
import { pipelineScope } from "./scope.js";
import { pipelineSource } from "./source.js";
import { pipelineTransfer } from "./transfer.js";
import { pipelineTrinoOutput } from "./trino-output.js";

export interface BuiltPipeline {
  plan: PipelinePlan;
  model: PipelineModel;
}

/** The plan of one pipeline and what the emitters need of it. */
export function buildPipeline(
  tenantCtx: ModelContext,
  name: string,
  config: PipelineConfig,
  pipelineNames: readonly string[],
): BuiltPipeline {
  const ctx = tenantCtx.pipelines.fromPreset.has(name)
    ? presetPipelineContext(tenantCtx, name)
    : tenantCtx;
  ctx.checkName(pipelinePath(ctx, name), checkId("pipeline name", name));
  const scope = pipelineScope(ctx, name, config, pipelineNames);
  const source = pipelineSource(scope);
  const incremental = pipelineIncremental(scope);
  const transfer = pipelineTransfer(scope);
  const dbtTransform = pipelineDbtTransform(scope);
  const trinoOutput = pipelineTrinoOutput(scope, transfer.transform, source.dateColumn);
  const checks = pipelineChecks(scope, transfer.transform);

  const columns = scope.snapshot;
  const targetNames = scope.columns === null ? null : [...scope.columns.targets];
  const plan: PipelinePlan = {
    name,
    ...source,
    incremental,
    saveToS3: config.save_to_s3,
    hasTransfer: config.has_transfer,
    transfer: transfer.plan,
    hasDbtTransform: config.has_dbt_transform,
    dbtTransform,
    saveToTrino: config.save_to_trino,
    trinoOutput,
    columns,
    schemaHash: columns === null ? null : schemaHashOf(columns),
    targetColumns: { naming: scope.naming, unmappedTypes: scope.unmapped, names: targetNames },
    checks,
    extract: pipelineExtract(scope),
  };
  return {
    plan,
    model: {
      name,
      columns,
      targetNames,
      unmappedTypes: scope.unmapped,
      transfer: transfer.transform,
    },
  };
}
