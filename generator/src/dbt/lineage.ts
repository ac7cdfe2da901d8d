/**
 * The direct asset parents of every dbt asset: its dependencies, looking through ephemeral
 * models (and any other node that is no asset) to the assets and sources they read. Iterative
 * (an explicit stack): a chain of thousands of ephemeral models must not overflow the call stack.
 */
import { fileProblem, type Problem } from "../problems.js";
import type { DbtNode } from "./manifest.js";
import { dbtAssetKey, isAssetNode, nodePath } from "./nodes.js";

export interface LineageInput {
  tenant: string;
  manifestFile: string;
  /** The enabled nodes by unique id. */
  nodes: ReadonlyMap<string, DbtNode>;
  /** The asset nodes whose dependencies are wanted. */
  assetNodes: readonly DbtNode[];
  /** The extract asset feeding each enabled source by unique id (null: external). */
  sourceKeys: ReadonlyMap<string, string | null>;
}

export interface Lineage {
  /** The sorted asset keys each asset (by key) depends on directly. */
  deps: Map<string, string[]>;
  /** Dependencies on missing nodes, and cycles through non-asset nodes. */
  problems: Problem[];
}

/** The direct asset dependencies of every asset node. */
export function assetLineage(input: LineageInput): Lineage {
  const problems: Problem[] = [];
  const upstream = upstreamResolver(input, problems);
  const deps = new Map<string, string[]>();
  for (const node of input.assetNodes) {
    const key = dbtAssetKey(input.tenant, node);
    const parents = new Set<string>();
    for (const dep of node.depends_on.nodes) {
      for (const parent of upstream(dep, node.unique_id)) {
        parents.add(parent);
      }
    }
    parents.delete(key);
    deps.set(key, [...parents].sort());
  }
  return { deps, problems };
}

/**
 * `upstream(id, from)`: the asset keys node or source `id` stands for when `from` reads it (the
 * node itself for an asset, its feeding extract for a source, the upstream of a non-asset node),
 * each result cached.
 */
function upstreamResolver(
  input: LineageInput,
  problems: Problem[],
): (id: string, from: string) => Set<string> {
  const { nodes, sourceKeys, manifestFile: file } = input;
  const resolved = new Map<string, Set<string>>();
  const resolving = new Set<string>();
  /** The upstream set of `id` when it needs no walk (cached, a source, an asset, missing, a cycle). */
  const known = (id: string, from: string): Set<string> | null => {
    const cached = resolved.get(id);
    if (cached !== undefined) {
      return cached;
    }
    const node = nodes.get(id);
    const out = new Set<string>();
    if (node === undefined) {
      if (sourceKeys.has(id)) {
        const key = sourceKeys.get(id);
        if (key !== null && key !== undefined) {
          out.add(key);
        }
      } else {
        problems.push(
          fileProblem({
            file,
            path: `${nodePath(from)}.depends_on.nodes`,
            message: `${from} depends on ${id}, which is not an enabled node or source of the manifest`,
            hint: "enable the node it refers to, or refresh the manifest (npm run dbt -- parse --tenant <id>)",
          }),
        );
      }
    } else if (isAssetNode(node)) {
      out.add(dbtAssetKey(input.tenant, node));
    } else if (resolving.has(id)) {
      problems.push(
        fileProblem({
          file,
          path: `${nodePath(id)}.depends_on.nodes`,
          message: `dependency cycle through ${id}`,
          hint: "break the cycle in the dbt project and refresh the manifest",
        }),
      );
    } else {
      return null;
    }
    resolved.set(id, out);
    return out;
  };
  interface Frame {
    id: string;
    deps: readonly string[];
    next: number;
    out: Set<string>;
  }
  const open = (id: string): Frame => {
    resolving.add(id);
    return { id, deps: nodes.get(id)?.depends_on.nodes ?? [], next: 0, out: new Set() };
  };
  return (id, from) => {
    const direct = known(id, from);
    if (direct !== null) {
      return direct;
    }
    const stack: Frame[] = [open(id)];
    let result = new Set<string>();
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      const dep = top.deps[top.next];
      if (dep !== undefined) {
        top.next += 1;
        const got = known(dep, top.id);
        if (got === null) {
          stack.push(open(dep));
        } else {
          for (const key of got) top.out.add(key);
        }
        continue;
      }
      stack.pop();
      resolving.delete(top.id);
      resolved.set(top.id, top.out);
      const parent = stack.at(-1);
      if (parent === undefined) {
        result = top.out;
      } else {
        for (const key of top.out) parent.out.add(key);
      }
    }
    return result;
  };
}
