/**
 * WIP for APS input: quantity and lots per process step and product, counting only active lots
 * (IN_PROGRESS and COMPLETED; HOLD and SCRAP are excluded). One row per group per partition.
 */
import type { LotHistoryOutput, LotHistoryTransform } from "../rows.js";

const ACTIVE = new Set(["IN_PROGRESS", "COMPLETED"]);

interface Group {
  processStep: string;
  productCode: string;
  qty: number;
  lots: Set<string>;
  rows: number;
}

export const wip: LotHistoryTransform = async function* (inputs, ctx) {
  const snapshotDate = ctx.partitionDate;
  if (snapshotDate === null) {
    throw new Error(`wip of ${ctx.tenantId} needs a daily partition (date_column)`);
  }
  const groups = new Map<string, Group>();
  for await (const row of inputs.lot_history.rows()) {
    if (row.status === null || !ACTIVE.has(row.status)) {
      continue;
    }
    const processStep = row.process_step ?? "";
    const productCode = row.product_code ?? "";
    const key = JSON.stringify([processStep, productCode]);
    const g = groups.get(key) ?? { processStep, productCode, qty: 0, lots: new Set(), rows: 0 };
    g.qty += row.quantity ?? 0;
    g.rows += 1;
    if (row.lot_id !== null) {
      g.lots.add(row.lot_id);
    }
    groups.set(key, g);
  }
  const keys = [...groups.keys()].sort();
  for (const key of keys) {
    const g = groups.get(key);
    if (g === undefined) {
      continue;
    }
    const out: LotHistoryOutput = {
      snapshot_date: snapshotDate,
      process_step: g.processStep,
      product_code: g.productCode,
      wip_qty: BigInt(g.qty),
      lot_count: g.lots.size,
      avg_qty_per_lot: g.rows === 0 ? 0 : g.qty / g.rows,
    };
    yield out;
  }
  ctx.logger.info("wip aggregated", { groups: keys.length });
};
