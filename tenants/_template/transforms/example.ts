/** Example transform: lots per process step of the partition. Replace with the tenant's logic. */
import type { LotHistoryOutput, LotHistoryTransform } from "../rows.js";

export const example: LotHistoryTransform = async function* (inputs, ctx) {
  const snapshotDate = ctx.partitionDate;
  if (snapshotDate === null) {
    throw new Error("example needs a daily partition (date_column)");
  }
  const counts = new Map<string, number>();
  for await (const row of inputs.lot_history.rows()) {
    const step = String(row.process_step ?? "");
    counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  for (const step of [...counts.keys()].sort()) {
    const out: LotHistoryOutput = {
      snapshot_date: snapshotDate,
      process_step: step,
      lot_count: counts.get(step) ?? 0,
    };
    yield out;
  }
};
