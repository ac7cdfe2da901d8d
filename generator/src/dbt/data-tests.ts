/** dbt data tests, attached to the asset they test: its attached_node, else its asset parents. */
import { compareText } from "../order.js";
import type { DbtNode } from "./manifest.js";
import { isAssetNode } from "./nodes.js";

/** A data test that is not attached to any dbt asset (it only tests sources); it is not run. */
export interface DbtUnattachedTest {
  uniqueId: string;
  name: string;
  reason: string;
}

export interface AttachedTests {
  /** The tests of each asset node (by unique id), sorted by unique id. */
  byAsset: Map<string, { uniqueId: string; name: string }[]>;
  unattached: DbtUnattachedTest[];
}

/** Attaches every enabled test node to the asset nodes it tests. */
export function attachTests(nodes: ReadonlyMap<string, DbtNode>): AttachedTests {
  const byAsset = new Map<string, { uniqueId: string; name: string }[]>();
  const unattached: DbtUnattachedTest[] = [];
  for (const node of nodes.values()) {
    if (node.resource_type !== "test") {
      continue;
    }
    const targets =
      node.attached_node !== null && node.attached_node !== undefined
        ? [node.attached_node]
        : node.depends_on.nodes;
    const attachedTo = targets.filter((t) => {
      const target = nodes.get(t);
      return target !== undefined && isAssetNode(target);
    });
    if (attachedTo.length === 0) {
      unattached.push({
        uniqueId: node.unique_id,
        name: node.name,
        reason: `tests ${targets.join(", ") || "nothing"}, none of which is a dbt asset`,
      });
      continue;
    }
    for (const target of attachedTo) {
      const list = byAsset.get(target) ?? [];
      list.push({ uniqueId: node.unique_id, name: node.name });
      byAsset.set(target, list);
    }
  }
  for (const list of byAsset.values()) {
    list.sort((a, b) => compareText(a.uniqueId, b.uniqueId));
  }
  return { byAsset, unattached };
}
