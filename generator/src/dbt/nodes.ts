/**
 * The nodes of a manifest that become assets (enabled models except ephemeral ones, seeds,
 * snapshots), their names, and the rules those names follow: they become asset keys, README
 * lines, Mermaid labels and `dbt build --select` arguments.
 */
import { assetKey } from "@etl/runtime/contract";
import { compareText } from "../order.js";
import { fileProblem, type Problem } from "../problems.js";
import type { DbtManifest, DbtNode } from "./manifest.js";

const ASSET_TYPES = new Set(["model", "seed", "snapshot"]);

/** Whether a node is built as an asset (ephemeral models are inlined into their readers). */
export function isAssetNode(node: DbtNode): boolean {
  return ASSET_TYPES.has(node.resource_type) && node.config.materialized !== "ephemeral";
}

/** The enabled nodes of the manifest by unique id. */
export function enabledNodes(manifest: DbtManifest): Map<string, DbtNode> {
  const nodes = new Map<string, DbtNode>();
  for (const [id, node] of Object.entries(manifest.nodes)) {
    if (node.config.enabled) {
      nodes.set(id, node);
    }
  }
  return nodes;
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

/** The asset key of a node: `<tenant>/dbt/<asset name>`. */
export function dbtAssetKey(tenant: string, node: Pick<DbtNode, "name" | "version">): string {
  return assetKey(tenant, "dbt", dbtAssetName(node));
}

/** The `dbt build --select` selector of a node: its full fqn, which names exactly that node. */
export function dbtSelector(node: Pick<DbtNode, "fqn">): string {
  return `fqn:${node.fqn.join(".")}`;
}

/** `nodes["<unique id>"]`, the JSON path of a node in the manifest. */
export function nodePath(uniqueId: string): string {
  return `nodes[${JSON.stringify(uniqueId)}]`;
}

const NODE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NODE_VERSION = /^[A-Za-z0-9_]+$/;
const FQN_PART = /^[A-Za-z0-9_-]+$/;

/** The first field of an asset node that breaks the naming rules, or null. */
function unsafeNodeField(node: DbtNode): { field: string; value: string; rule: string } | null {
  if (!NODE_NAME.test(node.name)) {
    return {
      field: "name",
      value: node.name,
      rule: "letters, digits and _ (^[A-Za-z_][A-Za-z0-9_]*$)",
    };
  }
  if (
    node.version !== null &&
    node.version !== undefined &&
    !NODE_VERSION.test(String(node.version))
  ) {
    return {
      field: "version",
      value: String(node.version),
      rule: "letters, digits and _ (^[A-Za-z0-9_]+$)",
    };
  }
  if (!NODE_NAME.test(node.package_name)) {
    return { field: "package_name", value: node.package_name, rule: "letters, digits and _" };
  }
  const part = node.fqn.find((p) => !FQN_PART.test(p));
  if (part !== undefined) {
    return {
      field: "fqn",
      value: part,
      rule: "fqn parts of letters, digits, _ and - (no selector syntax)",
    };
  }
  return null;
}

export interface NamedNodesInput {
  tenant: string;
  /** The manifest's repository-relative path, named in problems. */
  manifestFile: string;
  configFile: string;
  /** The tenant's pipeline names: a dbt node may not share one. */
  pipelines: readonly string[];
  nodes: ReadonlyMap<string, DbtNode>;
}

export interface NamedNodes {
  /** The asset nodes whose names pass the rules, in manifest order. */
  nodes: DbtNode[];
  problems: Problem[];
}

/**
 * The asset nodes, each with a name that can be an asset key: one asset per name,
 * case-insensitively (Trino folds identifiers to lower case), and none named like a pipeline.
 */
export function namedAssetNodes(input: NamedNodesInput): NamedNodes {
  const { manifestFile: file } = input;
  const problems: Problem[] = [];
  const nodes: DbtNode[] = [];
  const byName = new Map<string, DbtNode>();
  const pipelineByLower = new Map(input.pipelines.map((p) => [p.toLowerCase(), p]));
  for (const node of input.nodes.values()) {
    if (!isAssetNode(node)) {
      continue;
    }
    const unsafe = unsafeNodeField(node);
    if (unsafe !== null) {
      problems.push(
        fileProblem({
          file,
          path: `${nodePath(node.unique_id)}.${unsafe.field}`,
          message: `dbt ${node.resource_type} ${JSON.stringify(node.unique_id)} has ${unsafe.field} ${JSON.stringify(unsafe.value)}, which cannot name an asset: expected ${unsafe.rule}`,
          hint: "rename the node in the dbt project (names become asset keys, README lines and dbt selectors) and refresh the manifest",
        }),
      );
      continue;
    }
    nodes.push(node);
    const lower = dbtAssetName(node).toLowerCase();
    const other = byName.get(lower);
    if (other === undefined) {
      byName.set(lower, node);
    } else {
      const [first, second] = [other, node].sort((x, y) =>
        compareText(x.unique_id, y.unique_id),
      ) as [DbtNode, DbtNode];
      problems.push(
        fileProblem({
          file,
          path: nodePath(second.unique_id),
          message: `asset name "${dbtAssetKey(input.tenant, node)}" is claimed by two dbt nodes: ${first.unique_id} (${first.original_file_path}) and ${second.unique_id} (${second.original_file_path})`,
          hint: "rename one of them, or disable one with config enabled: false",
        }),
      );
    }
    const pipeline = pipelineByLower.get(lower);
    if (pipeline !== undefined) {
      problems.push(
        fileProblem({
          file,
          path: nodePath(node.unique_id),
          message: `dbt ${node.resource_type} ${node.unique_id} (${node.original_file_path}) has the same name as pipeline "${pipeline}" (${input.configFile} assets.pipelines.${pipeline})`,
          hint: "rename the dbt node or the pipeline: both name objects of the same tenant package",
        }),
      );
    }
  }
  return { nodes, problems };
}
