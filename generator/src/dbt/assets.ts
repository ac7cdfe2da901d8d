/**
 * Turns a dbt manifest into the tenant's dbt assets: naming, lineage to the extract assets, tests
 * as checks, and the clash and lineage checks that must fail generation rather than a run.
 */
import { assetKey as keyOfAsset } from "@etl/runtime/contract";
import type { AssetPlan } from "@etl/runtime/plan";
import { fileProblem } from "../problems.js";
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

/** Names of a dbt asset node: they become asset keys, README lines, Mermaid labels and selectors. */
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
    problems.push(
      fileProblem({
        file,
        path: "sources",
        message: `${unmatched.length} dbt source${unmatched.length > 1 ? "s have" : " has"} no pipeline of the same table name in tenant ${tenantId}: ${names.join(", ")}`,
        hint: `add a pipeline named after each source table in ${configFile}, or list them under dbt.external_sources (or set it to all) when something outside this tenant loads them`,
      }),
    );
  }
  if (input.externalSources !== "all") {
    for (const entry of input.externalSources) {
      if (!knownSourceNames.has(entry)) {
        problems.push(
          fileProblem({
            file: configFile,
            path: "dbt.external_sources",
            message: `external source "${entry}" is not a source of the dbt project (${file})`,
            hint: "use <source_name>.<table> or <table> of a source declared in the project's sources.yml, or remove the entry",
          }),
        );
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
    assetNodes.push(node);
    const name = dbtAssetName(node);
    const lower = name.toLowerCase();
    const other = byName.get(lower);
    if (other !== undefined) {
      const [a, b] = [other, node].sort((x, y) => cmp(x.unique_id, y.unique_id)) as [
        DbtNode,
        DbtNode,
      ];
      problems.push(
        fileProblem({
          file,
          path: nodePath(b.unique_id),
          message: `asset name "${keyOf(name)}" is claimed by two dbt nodes: ${a.unique_id} (${a.original_file_path}) and ${b.unique_id} (${b.original_file_path})`,
          hint: "rename one of them, or disable one with config enabled: false",
        }),
      );
    } else {
      byName.set(lower, node);
    }
    const pipeline = pipelineByLower.get(lower);
    if (pipeline !== undefined) {
      problems.push(
        fileProblem({
          file,
          path: nodePath(node.unique_id),
          message: `dbt ${node.resource_type} ${node.unique_id} (${node.original_file_path}) has the same name as pipeline "${pipeline}" (${configFile} assets.pipelines.${pipeline})`,
          hint: "rename the dbt node or the pipeline: both name objects of the same tenant package",
        }),
      );
    }
  }

  // Lineage: direct asset parents, looking through ephemeral models (and any other non-asset node)
  // to the assets and sources they read. Iterative (an explicit stack): a chain of thousands of
  // ephemeral models must not overflow the call stack.
  const resolved = new Map<string, Set<string>>();
  const resolving = new Set<string>();
  /** The upstream set of `id` when it needs no walk (cached, a source, an asset, missing, a cycle). */
  const known = (id: string, from: string): Set<string> | null => {
    const cached = resolved.get(id);
    if (cached !== undefined) {
      return cached;
    }
    const node = enabledNodes.get(id);
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
      out.add(keyOf(dbtAssetName(node)));
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
  const upstreamOf = (id: string, from: string): Set<string> => {
    const direct = known(id, from);
    if (direct !== null) {
      return direct;
    }
    interface Frame {
      id: string;
      deps: readonly string[];
      next: number;
      out: Set<string>;
    }
    const open = (nodeId: string): Frame => {
      resolving.add(nodeId);
      return {
        id: nodeId,
        deps: enabledNodes.get(nodeId)?.depends_on.nodes ?? [],
        next: 0,
        out: new Set(),
      };
    };
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
          for (const k of got) top.out.add(k);
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
        for (const k of top.out) parent.out.add(k);
      }
    }
    return result;
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

  // Model-to-model cycles: upstreamOf stops at asset nodes, so they are found on the asset graph
  // (a depth-first walk with an explicit stack, for chains of any length).
  const nodeOfKey = new Map(assetNodes.map((n) => [keyOf(dbtAssetName(n)), n.unique_id]));
  const state = new Map<string, "open" | "done">();
  const reportedCycles = new Set<string>();
  const reportCycle = (trail: readonly string[], key: string) => {
    const cycle = trail.slice(trail.indexOf(key)).map((k) => nodeOfKey.get(k) ?? k);
    const first = [...cycle].sort(cmp)[0] ?? key;
    if (!reportedCycles.has(first)) {
      reportedCycles.add(first);
      problems.push(
        fileProblem({
          file,
          path: `${nodePath(first)}.depends_on.nodes`,
          message: `dependency cycle: ${cycleText(cycle)}`,
          hint: "break the cycle in the dbt project and refresh the manifest",
        }),
      );
    }
  };
  for (const start of [...depsByKey.keys()].sort(cmp)) {
    if (state.get(start) === "done") {
      continue;
    }
    const stack: { key: string; deps: string[]; next: number }[] = [];
    const enter = (key: string) => {
      state.set(key, "open");
      stack.push({
        key,
        deps: (depsByKey.get(key) ?? []).filter((d) => depsByKey.has(d)),
        next: 0,
      });
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
      const st = state.get(dep);
      if (st === "open") {
        reportCycle(
          stack.map((f) => f.key),
          dep,
        );
      } else if (st !== "done") {
        enter(dep);
      }
    }
  }

  // A dbt asset is partitioned when a partitioned pipeline feeds it, directly or through others
  // (post-order with an explicit stack; a node on the current path counts as not partitioned, so
  // a cycle, already reported, ends the walk).
  const partitioned = new Map<string, boolean>();
  const isPartitioned = (start: string): boolean => {
    const stack: { key: string; deps: string[]; next: number; result: boolean }[] = [];
    const onPath = new Set<string>();
    const direct = (key: string): boolean | null =>
      partitioned.get(key) ??
      (partitionedPipelines.has(key) ? true : onPath.has(key) ? false : null);
    const first = direct(start);
    if (first !== null) {
      return first;
    }
    const enter = (key: string) => {
      onPath.add(key);
      stack.push({ key, deps: depsByKey.get(key) ?? [], next: 0, result: false });
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
  for (const asset of assets) {
    asset.partitioned = isPartitioned(asset.key);
  }

  assets.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  sources.sort((a, b) => cmp(a.uniqueId, b.uniqueId));
  unattachedTests.sort((a, b) => cmp(a.uniqueId, b.uniqueId));
  problems.sort((a, b) => cmp(a.file, b.file) || cmp(a.path, b.path) || cmp(a.message, b.message));
  return { assets, sources, unattachedTests, problems };
}

/** A cycle as `a -> b -> c -> a`; a long one keeps its first and last nodes (and says how long). */
function cycleText(cycle: readonly string[]): string {
  const closed = [...cycle, cycle[0] ?? ""];
  if (closed.length <= 12) {
    return closed.join(" -> ");
  }
  return `${[...closed.slice(0, 6), `... (${cycle.length} nodes in all) ...`, ...closed.slice(-3)].join(" -> ")}`;
}

/** Code-point order: stable across machines and locales, unlike localeCompare. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
