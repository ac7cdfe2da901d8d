/**
 * Turns a dbt manifest into the tenant's dbt assets, step by step: the enabled nodes, the
 * sources and what feeds them, the asset nodes and their names, their lineage to each other and
 * to the extract assets, their data tests, the checks of the asset graph (cycles, partitions);
 * each step with its own inputs and outputs, every problem reported at once.
 */
import { assetKey } from "@etl/runtime/contract";
import type { AssetPlan } from "@etl/runtime/plan";
import { byText, compareText } from "../order.js";
import type { Problem } from "../problems.js";
import { type AttachedTests, attachTests, type DbtUnattachedTest } from "./data-tests.js";
import { cycleProblems, partitionedAssets } from "./graph.js";
import { assetLineage } from "./lineage.js";
import type { DbtManifest, DbtNode } from "./manifest.js";
import { dbtAssetKey, dbtSelector, enabledNodes, namedAssetNodes } from "./nodes.js";
import { type DbtSourceResolution, resolveSources } from "./sources.js";

export type { DbtUnattachedTest } from "./data-tests.js";
export { dbtAssetName, dbtSelector } from "./nodes.js";
export type { DbtSourceResolution } from "./sources.js";

export interface DbtPipelineRef {
  name: string;
  /** Whether the pipeline has daily partitions; dbt assets downstream of one are partitioned. */
  partitioned: boolean;
}

export interface DbtAssetsInput {
  tenantId: string;
  manifest: DbtManifest;
  /** The manifest's path relative to the repository root, used in messages. */
  manifestPath: string;
  /** The tenant's pipelines: a source table of the same name is fed by that pipeline's extract. */
  pipelines: readonly DbtPipelineRef[];
  /** `dbt.external_sources`: `<source>.<table>` or `<table>` entries, or "all". */
  externalSources: readonly string[] | "all";
  /** The tenant config file, named in clash messages; default `tenants/<id>/config.yaml`. */
  configFile?: string;
}

export interface DbtAssetsResult {
  /** One asset per enabled model (except ephemeral), seed and snapshot, sorted by key. */
  assets: AssetPlan[];
  sources: DbtSourceResolution[];
  unattachedTests: DbtUnattachedTest[];
  /** Every problem found, sorted; when non-empty the tenant must not be generated. */
  problems: Problem[];
}

/** Builds the tenant's dbt assets from a manifest, reporting every problem at once. */
export function dbtAssets(input: DbtAssetsInput): DbtAssetsResult {
  const tenant = input.tenantId;
  const manifestFile = input.manifestPath;
  const configFile = input.configFile ?? `tenants/${tenant}/config.yaml`;
  const pipelines = input.pipelines.map((p) => p.name);

  const nodes = enabledNodes(input.manifest);
  const sources = resolveSources({
    tenant,
    manifest: input.manifest,
    manifestFile,
    configFile,
    pipelines,
    externalSources: input.externalSources,
  });
  const named = namedAssetNodes({ tenant, manifestFile, configFile, pipelines, nodes });
  const lineage = assetLineage({
    tenant,
    manifestFile,
    nodes,
    assetNodes: named.nodes,
    sourceKeys: sources.keys,
  });
  const tests = attachTests(nodes);
  const nodeOfKey = new Map(named.nodes.map((node) => [dbtAssetKey(tenant, node), node.unique_id]));
  const cycles = cycleProblems(manifestFile, lineage.deps, nodeOfKey);
  const partitioned = partitionedAssets(
    lineage.deps,
    new Set(
      input.pipelines.filter((p) => p.partitioned).map((p) => assetKey(tenant, "extract", p.name)),
    ),
  );
  const assets = named.nodes.map((node) =>
    assetPlan(tenant, node, lineage.deps, tests, partitioned),
  );

  const problems = [...sources.problems, ...named.problems, ...lineage.problems, ...cycles];
  return {
    assets: assets.sort(byText((asset) => asset.key)),
    sources: sources.sources.sort(byText((source) => source.uniqueId)),
    unattachedTests: tests.unattached.sort(byText((test) => test.uniqueId)),
    problems: problems.sort(
      (a, b) =>
        compareText(a.file, b.file) ||
        compareText(a.path, b.path) ||
        compareText(a.message, b.message),
    ),
  };
}

/** The asset of one dbt node. */
function assetPlan(
  tenant: string,
  node: DbtNode,
  deps: ReadonlyMap<string, readonly string[]>,
  tests: AttachedTests,
  partitioned: ReadonlySet<string>,
): AssetPlan {
  const key = dbtAssetKey(tenant, node);
  const description = node.description?.trim();
  return {
    key,
    stage: "dbt",
    pipeline: null,
    deps: [...(deps.get(key) ?? [])],
    partitioned: partitioned.has(key),
    description:
      description !== undefined && description !== ""
        ? description
        : `dbt ${node.resource_type} ${node.unique_id}`,
    dbt: {
      uniqueId: node.unique_id,
      name: node.name,
      resourceType: node.resource_type as "model" | "seed" | "snapshot",
      packageName: node.package_name,
      selector: dbtSelector(node),
      tests: [...(tests.byAsset.get(node.unique_id) ?? [])],
    },
  };
}
