/**
 * A pipeline's assets in one environment: its extract always, its transfer with a transform, its
 * load when it saves to Trino; and the one order of every asset list of the plan.
 */
import { assetKey } from "@etl/runtime/contract";
import type { AssetPlan, PipelinePlan } from "@etl/runtime/plan";
import { compareText } from "../order.js";

const STAGE_ORDER = { extract: 0, transfer: 1, load: 2, dbt: 3 } as const;

/** The assets of the pipelines of one environment, pipeline by pipeline, stage by stage. */
export function pipelineAssets(
  tenant: { id: string; name: string },
  pipelines: readonly PipelinePlan[],
): AssetPlan[] {
  const assets: AssetPlan[] = [];
  const label = `[${tenant.name}]`;
  for (const pipeline of pipelines) {
    const partitioned = pipeline.dateColumn !== null;
    const extract = assetKey(tenant.id, "extract", pipeline.name);
    const from = pipeline.query !== null ? "a custom query" : `table ${pipeline.sourceTable ?? ""}`;
    assets.push({
      key: extract,
      stage: "extract",
      pipeline: pipeline.name,
      deps: [],
      partitioned,
      description: `${label} Extract ${pipeline.name} from PostgreSQL ${from}`,
      dbt: null,
    });
    let last = extract;
    if (pipeline.hasTransfer && pipeline.transfer !== null) {
      const key = assetKey(tenant.id, "transfer", pipeline.name);
      assets.push({
        key,
        stage: "transfer",
        pipeline: pipeline.name,
        deps: pipeline.transfer.inputs.map((i) => assetKey(tenant.id, "extract", i)).sort(),
        partitioned,
        description: `${label} Transfer ${pipeline.name} with ${pipeline.transfer.module}.${pipeline.transfer.exportName}`,
        dbt: null,
      });
      last = key;
    }
    if (pipeline.saveToTrino && pipeline.trinoOutput !== null) {
      const output = pipeline.trinoOutput;
      assets.push({
        key: assetKey(tenant.id, "load", pipeline.name),
        stage: "load",
        pipeline: pipeline.name,
        deps: [last],
        partitioned,
        description: `${label} Load ${pipeline.name} into Trino ${output.schema}.${output.table} (${output.writeMode})`,
        dbt: null,
      });
    }
  }
  return assets;
}

/**
 * The order of the plan's assets: each pipeline's stages in flow order, pipelines by name, then
 * the dbt assets by key.
 */
export function byAssetOrder(a: AssetPlan, b: AssetPlan): number {
  if (a.stage === "dbt" || b.stage === "dbt") {
    return STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage] || compareText(a.key, b.key);
  }
  return (
    compareText(a.pipeline ?? "", b.pipeline ?? "") || STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage]
  );
}
