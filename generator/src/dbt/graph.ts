/**
 * Facts of the dbt asset graph (each asset's direct asset parents): model-to-model cycles, which
 * the lineage walk stops at, and which assets a partitioned pipeline feeds. Both walks use an
 * explicit stack, for chains of any length.
 */
import { compareText } from "../order.js";
import { fileProblem, type Problem } from "../problems.js";
import { nodePath } from "./nodes.js";

/** Every cycle of the asset graph, once each, named by the unique ids of its nodes. */
export function cycleProblems(
  manifestFile: string,
  deps: ReadonlyMap<string, readonly string[]>,
  /** The unique id of each asset key, for the messages. */
  nodeOfKey: ReadonlyMap<string, string>,
): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, "open" | "done">();
  const reported = new Set<string>();
  const report = (trail: readonly string[], key: string) => {
    const cycle = trail.slice(trail.indexOf(key)).map((k) => nodeOfKey.get(k) ?? k);
    const first = [...cycle].sort(compareText)[0] ?? key;
    if (!reported.has(first)) {
      reported.add(first);
      problems.push(
        fileProblem({
          file: manifestFile,
          path: `${nodePath(first)}.depends_on.nodes`,
          message: `dependency cycle: ${cycleText(cycle)}`,
          hint: "break the cycle in the dbt project and refresh the manifest",
        }),
      );
    }
  };
  for (const start of [...deps.keys()].sort(compareText)) {
    if (state.get(start) === "done") {
      continue;
    }
    const stack: { key: string; deps: readonly string[]; next: number }[] = [];
    const enter = (key: string) => {
      state.set(key, "open");
      stack.push({ key, deps: (deps.get(key) ?? []).filter((d) => deps.has(d)), next: 0 });
    };
    enter(start);
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      const dep = top.deps[top.next];
      if (dep === undefined) {
        state.set(top.key, "done");
        stack.pop();
        continue;
      }
      top.next += 1;
      const seen = state.get(dep);
      if (seen === "open") {
        report(
          stack.map((f) => f.key),
          dep,
        );
      } else if (seen !== "done") {
        enter(dep);
      }
    }
  }
  return problems;
}

/**
 * The assets a partitioned pipeline feeds, directly or through others (post-order; a node on the
 * current path counts as not partitioned, so a cycle, already reported, ends the walk).
 */
export function partitionedAssets(
  deps: ReadonlyMap<string, readonly string[]>,
  /** The extract assets of the partitioned pipelines. */
  partitionedExtracts: ReadonlySet<string>,
): Set<string> {
  const partitioned = new Map<string, boolean>();
  const isPartitioned = (start: string): boolean => {
    const stack: { key: string; deps: readonly string[]; next: number; result: boolean }[] = [];
    const onPath = new Set<string>();
    const direct = (key: string): boolean | null =>
      partitioned.get(key) ??
      (partitionedExtracts.has(key) ? true : onPath.has(key) ? false : null);
    const first = direct(start);
    if (first !== null) {
      return first;
    }
    const enter = (key: string) => {
      onPath.add(key);
      stack.push({ key, deps: deps.get(key) ?? [], next: 0, result: false });
    };
    enter(start);
    let result = false;
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      const dep = top.result ? undefined : top.deps[top.next];
      if (dep !== undefined) {
        top.next += 1;
        const got = direct(dep);
        if (got === null) {
          enter(dep);
        } else {
          top.result = got;
        }
        continue;
      }
      stack.pop();
      onPath.delete(top.key);
      partitioned.set(top.key, top.result);
      const parent = stack.at(-1);
      if (parent === undefined) {
        result = top.result;
      } else if (top.result) {
        parent.result = true;
      }
    }
    return result;
  };
  return new Set([...deps.keys()].filter(isPartitioned));
}

/** A cycle as `a -> b -> c -> a`; a long one keeps its first and last nodes (and says how long). */
function cycleText(cycle: readonly string[]): string {
  const closed = [...cycle, cycle[0] ?? ""];
  if (closed.length <= 12) {
    return closed.join(" -> ");
  }
  return `${[...closed.slice(0, 6), `... (${cycle.length} nodes in all) ...`, ...closed.slice(-3)].join(" -> ")}`;
}
