/**
 * dev, staging and prod: each environment's pipelines (the config's per-environment switches laid
 * over the pipelines), its assets and its jobs, and the checks that hold per environment (a load
 * needs a trino_output; what save_to_s3: false refuses).
 */
import { isDeepStrictEqual } from "node:util";
import {
  type AssetPlan,
  ENVIRONMENTS,
  type EnvironmentName,
  type EnvironmentOverride,
  type EnvironmentPlan,
  type FreshnessPlan,
  type PipelinePlan,
  type TenantPlan,
} from "@etl/runtime/plan";
import type { PipelineConfig } from "../config/schema.js";
import { byAssetOrder, pipelineAssets } from "./assets.js";
import { type ModelContext, pipelinePath } from "./context.js";
import type { TenantDbt } from "./dbt.js";
import { checkSelections, environmentJobs } from "./jobs.js";
import type { OperationsPart } from "./operations.js";
import type { Partitions } from "./partitions.js";
import type { Pipelines } from "./pipelines.js";
import type { Resources } from "./resources.js";
import {
  mergeStageFileProblems,
  type StageFilesProblem,
  stageFileProblems,
} from "./stage-files.js";

export interface EnvironmentParts {
  resources: Resources;
  partitions: Partitions;
  pipelines: Pipelines;
  dbt: TenantDbt;
  operations: OperationsPart;
}

export type Environments = Record<EnvironmentName, EnvironmentPlan>;

/** The plan of every environment, with the problems of each reported once for all of them. */
export function buildEnvironments(ctx: ModelContext, parts: EnvironmentParts): Environments {
  const { config } = ctx;
  const environments = {} as Environments;
  const loadsWithoutOutput = new Map<string, EnvironmentName[]>();
  const stageFiles: StageFilesProblem[] = [];
  const keys = new Set<string>();
  for (const env of ENVIRONMENTS) {
    const pipelines = parts.pipelines.plans.map((p) =>
      withOverrides(p, parts.pipelines.configs[p.name], env),
    );
    for (const pipeline of pipelines) {
      if (pipeline.saveToTrino && pipeline.trinoOutput === null) {
        loadsWithoutOutput.set(pipeline.name, [
          ...(loadsWithoutOutput.get(pipeline.name) ?? []),
          env,
        ]);
      }
    }
    const assets = [...pipelineAssets(config, pipelines), ...parts.dbt.assets].sort(byAssetOrder);
    for (const asset of assets) {
      keys.add(asset.key);
    }
    stageFiles.push(...stageFileProblems(config.id, env, pipelines, assets));
    const operations = parts.operations.forEnvironment(env, assets);
    environments[env] = {
      enabled: config.enabled && config.environments[env].enabled,
      resources: parts.resources,
      partitions: parts.partitions,
      pipelines,
      assets: operations.assets,
      jobs: [...environmentJobs(config, pipelines, assets), ...operations.jobs],
      dbt: parts.dbt.plan,
      ...(operations.alerts.destinations.length === 0 ? {} : { alerts: operations.alerts }),
      ...(operations.lineage === null ? {} : { lineage: operations.lineage }),
      ...(operations.maintenance === null ? {} : { maintenance: operations.maintenance }),
    };
  }
  parts.operations.checkAssets(
    environments.prod.assets.concat(environments.dev.assets, environments.staging.assets),
  );
  for (const [name, envs] of loadsWithoutOutput) {
    ctx.report(
      pipelinePath(ctx, name, "save_to_trino"),
      `pipeline "${name}" saves to Trino (in ${envs.join(", ")}) but has no trino_output`,
      "add trino_output: {target_table, target_schema, key_columns}",
    );
  }
  reportStageFiles(ctx, parts.pipelines.configs, stageFiles);
  checkSelections(ctx, [...keys]);
  return environments;
}

/**
 * The plan's environments as the contract holds them: what they share once (the pipelines as
 * the config sets them outside `environments:`, every asset and job of any environment, and the
 * operations settings most environments have), and what each sets otherwise: its enablement, its
 * pipelines' switches, the assets it lacks, its webhooks, lineage and freshness policies.
 */
export function sharedAndOverrides(
  config: ModelContext["config"],
  parts: EnvironmentParts,
  environments: Environments,
): Pick<TenantPlan, "shared" | "environments"> {
  const base = parts.pipelines.plans;
  const held = new Map<string, AssetPlan[]>();
  for (const env of ENVIRONMENTS) {
    for (const asset of environments[env].assets) {
      held.set(asset.key, [...(held.get(asset.key) ?? []), asset]);
    }
  }
  // An asset is the same in every environment that has it but for its freshness policy (on a
  // pipeline's final asset, which a stage switched off moves): shared is the one most hold.
  const assets = [...held.values()]
    .flatMap((versions) => {
      const first = versions[0];
      return first === undefined
        ? []
        : [withFreshness(first, mostCommon(versions.map((a) => a.freshness ?? null)))];
    })
    .sort(byAssetOrder);
  const sharedFreshness = new Map(assets.map((a) => [a.key, a.freshness ?? null]));
  const alerts = mostCommon(ENVIRONMENTS.map((env) => environments[env].alerts ?? null));
  const lineage = mostCommon(ENVIRONMENTS.map((env) => environments[env].lineage ?? null));
  const overrides = {} as Record<EnvironmentName, EnvironmentOverride>;
  for (const env of ENVIRONMENTS) {
    const plan = environments[env];
    const switches: NonNullable<EnvironmentOverride["pipelines"]> = {};
    for (const [i, pipeline] of plan.pipelines.entries()) {
      const shared = base[i];
      const changed = {
        ...(pipeline.saveToS3 === shared?.saveToS3 ? {} : { saveToS3: pipeline.saveToS3 }),
        ...(pipeline.saveToTrino === shared?.saveToTrino
          ? {}
          : { saveToTrino: pipeline.saveToTrino }),
      };
      if (Object.keys(changed).length > 0) {
        switches[pipeline.name] = changed;
      }
    }
    const present = new Set(plan.assets.map((a) => a.key));
    const omitted = assets.filter((a) => !present.has(a.key)).map((a) => a.key);
    const freshness: NonNullable<EnvironmentOverride["freshness"]> = {};
    for (const asset of plan.assets) {
      const own = asset.freshness ?? null;
      if (!isDeepStrictEqual(own, sharedFreshness.get(asset.key) ?? null)) {
        freshness[asset.key] = own;
      }
    }
    const ownAlerts = plan.alerts ?? null;
    const ownLineage = plan.lineage ?? null;
    overrides[env] = {
      enabled: plan.enabled,
      ...(Object.keys(switches).length === 0 ? {} : { pipelines: switches }),
      ...(omitted.length === 0 ? {} : { omitAssets: omitted }),
      ...(Object.keys(freshness).length === 0 ? {} : { freshness }),
      ...(isDeepStrictEqual(ownAlerts, alerts) ? {} : { alerts: ownAlerts }),
      ...(isDeepStrictEqual(ownLineage, lineage) ? {} : { lineage: ownLineage }),
    };
  }
  return {
    shared: {
      resources: parts.resources,
      partitions: parts.partitions,
      pipelines: base,
      assets,
      // Every job selects by filtering the assets, so over all assets it selects all it does anywhere.
      jobs: [...environmentJobs(config, base, assets), ...parts.operations.jobs],
      dbt: parts.dbt.plan,
      ...(alerts === null ? {} : { alerts }),
      ...(lineage === null ? {} : { lineage }),
      ...(parts.operations.maintenance === null
        ? {}
        : { maintenance: parts.operations.maintenance }),
    },
    environments: overrides,
  };
}

/** The value most of `values` are (the first one's on a tie); null when there is none. */
function mostCommon<T>(values: readonly (T | null)[]): T | null {
  let best: T | null = null;
  let bestCount = 0;
  for (const value of values) {
    const count = values.filter((other) => isDeepStrictEqual(other, value)).length;
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

/** `asset` with `freshness` as its policy (none when null). */
function withFreshness(asset: AssetPlan, freshness: FreshnessPlan | null): AssetPlan {
  const { freshness: _held, ...rest } = asset;
  return freshness === null ? rest : { ...rest, freshness };
}

/** A pipeline in one environment: its save_to_s3 / save_to_trino overrides applied. */
function withOverrides(
  pipeline: PipelinePlan,
  config: PipelineConfig | undefined,
  env: EnvironmentName,
): PipelinePlan {
  const overrides = config?.environments?.[env];
  return {
    ...pipeline,
    saveToS3: overrides?.save_to_s3 ?? pipeline.saveToS3,
    saveToTrino: overrides?.save_to_trino ?? pipeline.saveToTrino,
  };
}

/** One problem per pipeline and rule, at the environment's override when the config has one. */
function reportStageFiles(
  ctx: ModelContext,
  configs: Pipelines["configs"],
  problems: readonly StageFilesProblem[],
): void {
  for (const problem of mergeStageFileProblems(problems)) {
    const env = problem.environments.find(
      (e) => configs[problem.pipeline]?.environments?.[e]?.save_to_s3 === false,
    );
    ctx.report(
      env === undefined
        ? pipelinePath(ctx, problem.pipeline, "save_to_s3")
        : pipelinePath(ctx, problem.pipeline, "environments", env, "save_to_s3"),
      `${problem.message} (in ${problem.environments.join(", ")})`,
      problem.hint,
    );
  }
}
