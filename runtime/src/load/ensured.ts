/**
 * What a run (or a whole backfill) has already made sure of in Trino: the staging schema exists,
 * and a target table has the columns a load wants. A load of a small partition otherwise spends
 * as long on these checks as on moving its rows (issue 19: a few hundred rows took 1.2 to 4.5 s).
 *
 * The cache holds promises, so loads running at once share one check (and one ADD COLUMN) instead
 * of racing on it. A failed check is not kept, and a failed load forgets its target, so the retry
 * looks again: a table dropped or changed behind the run's back costs one failed attempt, never a
 * wrong write.
 */
import type { LoadColumn } from "./columns.js";
import type { StagingPlace } from "./staging.js";
import type { EnsureResult, TargetTable } from "./target.js";

export class EnsuredObjects {
  private readonly targets = new Map<string, Promise<EnsureResult>>();
  private readonly stagingSchemas = new Map<string, Promise<void>>();

  /**
   * The target's ensure result: `ensure()` on the first call for this table and wanted shape;
   * later calls get the table as it then was, with nothing created or added by them.
   */
  async target(
    target: TargetTable,
    wanted: readonly LoadColumn[],
    ensure: () => Promise<EnsureResult>,
  ): Promise<EnsureResult> {
    const key = targetKey(target, wanted);
    const known = this.targets.get(key);
    if (known !== undefined) {
      const result = await known;
      return { created: false, columnsAdded: [], columns: result.columns };
    }
    const pending = ensure();
    this.targets.set(key, pending);
    pending.catch(() => this.targets.delete(key));
    return pending;
  }

  /** Whether `target` was already ensured (or is being) for this wanted shape. */
  knows(target: TargetTable, wanted: readonly LoadColumn[]): boolean {
    return this.targets.has(targetKey(target, wanted));
  }

  /** Records `target` as holding `wanted`, as this run made it (created with its first rows). */
  remember(target: TargetTable, wanted: readonly LoadColumn[], result: EnsureResult): void {
    this.targets.set(targetKey(target, wanted), Promise.resolve(result));
  }

  /** Forgets every shape ensured of `target`: the next load checks the table again. */
  forgetTarget(target: TargetTable): void {
    const prefix = `${tableKey(target)}|`;
    for (const key of [...this.targets.keys()]) {
      if (key.startsWith(prefix)) this.targets.delete(key);
    }
  }

  /** Runs `ensure()` once per staging place. */
  stagingSchema(place: StagingPlace, ensure: () => Promise<void>): Promise<void> {
    const key = `${place.catalog.toLowerCase()}.${place.schema.toLowerCase()}`;
    const known = this.stagingSchemas.get(key);
    if (known !== undefined) return known;
    const pending = ensure();
    this.stagingSchemas.set(key, pending);
    pending.catch(() => this.stagingSchemas.delete(key));
    return pending;
  }
}

function tableKey(target: TargetTable): string {
  return [target.catalog, target.schema, target.table].map((part) => part.toLowerCase()).join(".");
}

function targetKey(target: TargetTable, wanted: readonly LoadColumn[]): string {
  return `${tableKey(target)}|${wanted.map((c) => `${c.name.toLowerCase()} ${c.type}`).join(",")}`;
}
