/**
 * Dependency-ordered execution of a set of assets: each asset starts once every selected
 * dependency succeeded, independent assets run concurrently up to a limit, and a failure skips
 * every transitive dependent.
 */
import { parseGlobList, selectKeys } from "../contract/glob.js";
import type { AssetPlan } from "../plan.js";

export type AssetStatus = "succeeded" | "failed" | "skipped";

export type SelectResult = { ok: true; assets: AssetPlan[] } | { ok: false; error: string };

/**
 * The job's assets (optionally filtered by `select`, comma-separated globs) in topological order.
 * Dependencies outside the selection are treated as already materialised.
 */
export function selectAssets(
  all: readonly AssetPlan[],
  jobAssetKeys: readonly string[],
  select: string | null,
): SelectResult {
  const byKey = new Map(all.map((a) => [a.key, a]));
  const missing = jobAssetKeys.filter((k) => !byKey.has(k));
  if (missing.length > 0) {
    return {
      ok: false,
      error: `the job names assets the plan does not define: ${missing.join(", ")}`,
    };
  }
  let keys = [...jobAssetKeys];
  if (select !== null) {
    const globs = parseGlobList(select);
    if (!globs.ok) {
      return { ok: false, error: `--select ${globs.error}` };
    }
    keys = selectKeys(keys, globs.globs);
    if (keys.length === 0) {
      return {
        ok: false,
        error: `--select "${select}" matches none of the job's assets (try \`list\` to see their keys)`,
      };
    }
  }
  const chosen = new Set(keys);
  // Kahn's algorithm, visiting ready assets in the job's stable order.
  const indeg = new Map<string, number>();
  for (const k of keys) {
    const a = byKey.get(k);
    indeg.set(k, (a?.deps ?? []).filter((d) => chosen.has(d)).length);
  }
  const order: AssetPlan[] = [];
  const done = new Set<string>();
  while (order.length < keys.length) {
    const next = keys.find((k) => !done.has(k) && indeg.get(k) === 0);
    if (next === undefined) {
      const cyclic = keys.filter((k) => !done.has(k));
      return { ok: false, error: `dependency cycle among assets: ${cyclic.join(", ")}` };
    }
    done.add(next);
    const a = byKey.get(next);
    if (a !== undefined) order.push(a);
    for (const k of keys) {
      if (!done.has(k) && (byKey.get(k)?.deps ?? []).includes(next)) {
        indeg.set(k, (indeg.get(k) ?? 0) - 1);
      }
    }
  }
  return { ok: true, assets: order };
}

export interface GraphHooks {
  /** Runs one asset; resolves to its outcome (must not reject: failures are an outcome). */
  run(asset: AssetPlan): Promise<"succeeded" | "failed">;
  /** Called for each asset skipped because a dependency failed (or the run was aborted). */
  skip(asset: AssetPlan, reason: string): Promise<void>;
  signal?: AbortSignal;
}

/** Executes assets given in topological order; returns each asset's status. */
export async function executeGraph(
  assets: readonly AssetPlan[],
  concurrency: number,
  hooks: GraphHooks,
): Promise<Map<string, AssetStatus>> {
  const selected = new Set(assets.map((a) => a.key));
  const status = new Map<string, AssetStatus>();
  const pending = [...assets];
  const running = new Map<string, Promise<void>>();
  const limit = Math.max(1, concurrency);

  const blockedBy = (a: AssetPlan): string | null => {
    for (const d of a.deps) {
      if (!selected.has(d)) continue;
      const s = status.get(d);
      if (s === "failed" || s === "skipped") return d;
    }
    return null;
  };
  const ready = (a: AssetPlan) =>
    a.deps.every((d) => !selected.has(d) || status.get(d) === "succeeded");

  while (pending.length > 0 || running.size > 0) {
    // Skip everything downstream of a failure first, so it never waits for a slot.
    for (let i = 0; i < pending.length; ) {
      const a = pending[i];
      if (a === undefined) break;
      const blocker = blockedBy(a);
      const aborted = hooks.signal?.aborted === true;
      if (blocker !== null || aborted) {
        pending.splice(i, 1);
        status.set(a.key, "skipped");
        await hooks.skip(a, aborted ? "run interrupted" : `upstream ${blocker} did not succeed`);
      } else {
        i += 1;
      }
    }
    for (let i = 0; i < pending.length && running.size < limit; ) {
      const a = pending[i];
      if (a === undefined) break;
      if (ready(a)) {
        pending.splice(i, 1);
        const p = hooks.run(a).then(
          (s) => {
            status.set(a.key, s);
            running.delete(a.key);
          },
          (e: unknown) => {
            running.delete(a.key);
            status.set(a.key, "failed");
            throw new Error(`executor hook failed for ${a.key}`, { cause: e });
          },
        );
        running.set(a.key, p);
      } else {
        i += 1;
      }
    }
    if (running.size === 0) {
      if (pending.length > 0) {
        // Only reachable if the order given was not topological.
        throw new Error(`assets not in dependency order: ${pending.map((a) => a.key).join(", ")}`);
      }
      break;
    }
    await Promise.race(running.values());
  }
  return status;
}
