/**
 * Turns a dbt manifest into the tenant's dbt assets: naming, lineage to the extract assets, tests
 * as checks, and the clash and lineage checks that must fail generation rather than a run.
 */
import { assetKey as keyOfAsset } from "@etl/runtime/contract";
import type { AssetPlan } from "@etl/runtime/plan";
import type { DbtManifest, DbtNode, DbtProblem, DbtSource } from "./manifest.js";

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

/** How one dbt source resolved. */
export interface DbtSourceResolution {
  uniqueId: string;
  /** `<source_name>.<table>`. */
  name: string;
  /** `<tenant>/extract/<table>` when a pipeline feeds it; null for an external source. */
  assetKey: string | null;
}

/** A data test that is not attached to any dbt asset (it only tests sources); it is not run. */
export interface DbtUnattachedTest {
  uniqueId: string;
  name: string;
  reason: string;
}

export interface DbtAssetsResult {
  /** One asset per enabled model (except ephemeral), seed and snapshot, sorted by key. */
  assets: AssetPlan[];
  sources: DbtSourceResolution[];
  unattachedTests: DbtUnattachedTest[];
  /** Every problem found, sorted; when non-empty the tenant must not be generated. */
  problems: DbtProblem[];
}

const ASSET_TYPES = new Set(["model", "seed", "snapshot"]);

type AssetResourceType = "model" | "seed" | "snapshot";

function isAssetNode(node: DbtNode): boolean {
  return ASSET_TYPES.has(node.resource_type) && node.config.materialized !== "ephemeral";
}

/**
 * The asset name of a node: its dbt name, with `_v<version>` for versioned models. That is dbt's own
 * default relation alias for versions, so the key matches the table dbt builds.
 */
export function dbtAssetName(node: Pick<DbtNode, "name" | "version">): string {
  return node.version === null || node.version === undefined
    ? node.name
    : `${node.name}_v${node.version}`;
}

/** The `dbt build --select` selector of a node: its full fqn, which names exactly that node. */
export function dbtSelector(node: Pick<DbtNode, "fqn">): string {
  return `fqn:${node.fqn.join(".")}`;
}

function nodePath(uniqueId: string): string {
  return `nodes[${JSON.stringify(uniqueId)}]`;
}

function matchesExternal(source: DbtSource, external: readonly string[] | "all"): boolean {
  if (external === "all") {
    return true;
  }
  return (
    external.includes(`${source.source_name}.${source.name}`) || external.includes(source.name)
  );
}

/** Builds the tenant's dbt assets from a manifest, reporting every problem at once. */
export function dbtAssets(input: DbtAssetsInput): DbtAssetsResult {
  const { tenantId, manifest, manifestPath: file } = input;
  const configFile = input.configFile ?? `tenants/${tenantId}/config.yaml`;
  const problems: DbtProblem[] = [];
  const keyOf = (name: string) => keyOfAsset(tenantId, "dbt", name);

  const enabledNodes = new Map<string, DbtNode>();
  for (const [id, node] of Object.entries(manifest.nodes)) {
    if (node.config.enabled) {
      enabledNodes.set(id, node);
    }
  }

  // Sources: each enabled one is fed by a pipeline of the same table name or declared external.
  const pipelines = new Map(input.pipelines.map((p) => [p.name, p]));
  const sourceKeys = new Map<string, string | null>();
  const sources: DbtSourceResolution[] = [];
  const unmatched: DbtSource[] = [];
  const knownSourceNames = new Set<string>();
  for (const [id, source] of Object.entries(manifest.sources)) {
    if (!source.config.enabled) {
      continue;
    }
    const name = `${source.source_name}.${source.name}`;
    knownSourceNames.add(name).add(source.name);
    let assetKey: string | null = null;
    if (pipelines.has(source.name)) {
      assetKey = keyOfAsset(tenantId, "extract", source.name);
    } else if (!matchesExternal(source, input.externalSources)) {
      unmatched.push(source);
    }
    sourceKeys.set(id, assetKey);
    sources.push({ uniqueId: id, name, assetKey });
  }
  if (unmatched.length > 0) {
    const names = unmatched.map((s) => `${s.source_name}.${s.name} (${s.original_file_path})`);
    names.sort();
    problems.push({
      file,
      line: 0,
      col: 0,
      path: "sources",
      message: `${unmatched.length} dbt source${unmatched.length > 1 ? "s have" : " has"} no pipeline of the same table name in tenant ${tenantId}: ${names.join(", ")}`,
      hint: `add a pipeline named after each source table in ${configFile}, or list them under dbt.external_sources (or set it to all) when something outside this tenant loads them`,
    });
  }
  if (input.externalSources !== "all") {
    for (const entry of input.externalSources) {
      if (!knownSourceNames.has(entry)) {
        problems.push({
          file: configFile,
          line: 0,
          col: 0,
          path: "dbt.external_sources",
          message: `external source "${entry}" is not a source of the dbt project (${file})`,
          hint: "use <source_name>.<table> or <table> of a source declared in the project's sources.yml, or remove the entry",
        });
      }
    }
  }

  // Names: one asset per name, case-insensitively (Trino folds identifiers to lower case).
  const assetNodes: DbtNode[] = [];
  const byName = new Map<string, DbtNode>();
  const pipelineByLower = new Map(input.pipelines.map((p) => [p.name.toLowerCase(), p.name]));
  for (const node of enabledNodes.values()) {
    if (!isAssetNode(node)) {
      continue;
    }
    assetNodes.push(node);
    const name = dbtAssetName(node);
    const lower = name.toLowerCase();
    const other = byName.get(lower);
    if (other !== undefined) {
      const [a, b] = [other, node].sort((x, y) => cmp(x.unique_id, y.unique_id)) as [
        DbtNode,
        DbtNode,
      ];
      problems.push({
        file,
        line: 0,
        col: 0,
        path: nodePath(b.unique_id),
        message: `asset name "${keyOf(name)}" is claimed by two dbt nodes: ${a.unique_id} (${a.original_file_path}) and ${b.unique_id} (${b.original_file_path})`,
        hint: "rename one of them, or disable one with config enabled: false",
      });
    } else {
      byName.set(lower, node);
    }
    const pipeline = pipelineByLower.get(lower);
    if (pipeline !== undefined) {
      problems.push({
        file,
        line: 0,
        col: 0,
        path: nodePath(node.unique_id),
        message: `dbt ${node.resource_type} ${node.unique_id} (${node.original_file_path}) has the same name as pipeline "${pipeline}" (${configFile} assets.pipelines.${pipeline})`,
        hint: "rename the dbt node or the pipeline: both name objects of the same tenant package",
      });
    }
  }

  // Lineage: direct asset parents, looking through ephemeral models (and any other non-asset node)
  // to the assets and sources they read.
  const resolved = new Map<string, Set<string>>();
  const resolving = new Set<string>();
  const upstreamOf = (id: string, from: string): Set<string> => {
    const cached = resolved.get(id);
    if (cached !== undefined) {
      return cached;
    }
    const out = new Set<string>();
    const node = enabledNodes.get(id);
    if (node === undefined) {
      if (sourceKeys.has(id)) {
        const key = sourceKeys.get(id);
        if (key !== null && key !== undefined) {
          out.add(key);
        }
      } else {
        problems.push({
          file,
          line: 0,
          col: 0,
          path: `${nodePath(from)}.depends_on.nodes`,
          message: `${from} depends on ${id}, which is not an enabled node or source of the manifest`,
          hint: "enable the node it refers to, or refresh the manifest (npm run dbt -- parse --tenant <id>)",
        });
      }
    } else if (isAssetNode(node)) {
      out.add(keyOf(dbtAssetName(node)));
    } else if (resolving.has(id)) {
      problems.push({
        file,
        line: 0,
        col: 0,
        path: `${nodePath(id)}.depends_on.nodes`,
        message: `dependency cycle through ${id}`,
        hint: "break the cycle in the dbt project and refresh the manifest",
      });
    } else {
      resolving.add(id);
      for (const dep of node.depends_on.nodes) {
        for (const k of upstreamOf(dep, id)) {
          out.add(k);
        }
      }
      resolving.delete(id);
    }
    resolved.set(id, out);
    return out;
  };

  // Tests: attached to the asset they test (attached_node, else every asset among their parents).
  const testsByAsset = new Map<string, { uniqueId: string; name: string }[]>();
  const unattachedTests: DbtUnattachedTest[] = [];
  for (const node of enabledNodes.values()) {
    if (node.resource_type !== "test") {
      continue;
    }
    const targets =
      node.attached_node !== null && node.attached_node !== undefined
        ? [node.attached_node]
        : node.depends_on.nodes;
    const attachedTo = targets.filter((t) => {
      const n = enabledNodes.get(t);
      return n !== undefined && isAssetNode(n);
    });
    if (attachedTo.length === 0) {
      unattachedTests.push({
        uniqueId: node.unique_id,
        name: node.name,
        reason: `tests ${targets.join(", ") || "nothing"}, none of which is a dbt asset`,
      });
      continue;
    }
    for (const t of attachedTo) {
      const list = testsByAsset.get(t) ?? [];
      list.push({ uniqueId: node.unique_id, name: node.name });
      testsByAsset.set(t, list);
    }
  }

  const partitionedPipelines = new Set(
    input.pipelines
      .filter((p) => p.partitioned)
      .map((p) => keyOfAsset(tenantId, "extract", p.name)),
  );
  const depsByKey = new Map<string, string[]>();
  const assets: AssetPlan[] = [];
  for (const node of assetNodes) {
    const key = keyOf(dbtAssetName(node));
    const deps = new Set<string>();
    for (const dep of node.depends_on.nodes) {
      for (const k of upstreamOf(dep, node.unique_id)) {
        deps.add(k);
      }
    }
    deps.delete(key);
    const sortedDeps = [...deps].sort();
    depsByKey.set(key, sortedDeps);
    const tests = (testsByAsset.get(node.unique_id) ?? []).sort((a, b) =>
      cmp(a.uniqueId, b.uniqueId),
    );
    const description = node.description?.trim();
    assets.push({
      key,
      stage: "dbt",
      pipeline: null,
      deps: sortedDeps,
      partitioned: false,
      description:
        description !== undefined && description !== ""
          ? description
          : `dbt ${node.resource_type} ${node.unique_id}`,
      dbt: {
        uniqueId: node.unique_id,
        name: node.name,
        resourceType: node.resource_type as AssetResourceType,
        packageName: node.package_name,
        selector: dbtSelector(node),
        tests,
      },
    });
  }

  // Model-to-model cycles: upstreamOf stops at asset nodes, so they are found on the asset graph.
  const nodeOfKey = new Map(assetNodes.map((n) => [keyOf(dbtAssetName(n)), n.unique_id]));
  const state = new Map<string, "open" | "done">();
  const reportedCycles = new Set<string>();
  const visit = (key: string, trail: string[]): void => {
    const st = state.get(key);
    if (st === "done") {
      return;
    }
    if (st === "open") {
      const cycle = trail.slice(trail.indexOf(key)).map((k) => nodeOfKey.get(k) ?? k);
      const first = [...cycle].sort(cmp)[0] ?? key;
      if (!reportedCycles.has(first)) {
        reportedCycles.add(first);
        problems.push({
          file,
          line: 0,
          col: 0,
          path: `${nodePath(first)}.depends_on.nodes`,
          message: `dependency cycle: ${[...cycle, cycle[0]].join(" -> ")}`,
          hint: "break the cycle in the dbt project and refresh the manifest",
        });
      }
      return;
    }
    state.set(key, "open");
    for (const d of depsByKey.get(key) ?? []) {
      if (depsByKey.has(d)) {
        visit(d, [...trail, key]);
      }
    }
    state.set(key, "done");
  };
  for (const key of [...depsByKey.keys()].sort(cmp)) {
    visit(key, []);
  }

  // A dbt asset is partitioned when a partitioned pipeline feeds it, directly or through others.
  const partitioned = new Map<string, boolean>();
  const isPartitioned = (key: string, seen: Set<string>): boolean => {
    const known = partitioned.get(key);
    if (known !== undefined) {
      return known;
    }
    if (partitionedPipelines.has(key)) {
      return true;
    }
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    const result = (depsByKey.get(key) ?? []).some((d) => isPartitioned(d, seen));
    partitioned.set(key, result);
    return result;
  };
  for (const asset of assets) {
    asset.partitioned = isPartitioned(asset.key, new Set());
  }

  assets.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  sources.sort((a, b) => cmp(a.uniqueId, b.uniqueId));
  unattachedTests.sort((a, b) => cmp(a.uniqueId, b.uniqueId));
  problems.sort((a, b) => cmp(a.file, b.file) || cmp(a.path, b.path) || cmp(a.message, b.message));
  return { assets, sources, unattachedTests, problems };
}

/** Code-point order: stable across machines and locales, unlike localeCompare. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
