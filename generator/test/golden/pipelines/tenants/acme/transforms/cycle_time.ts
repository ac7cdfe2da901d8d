/**
 * Cycle time for APS input: per process step and product, the minutes from start to end of the
 * partition's COMPLETED lots, and the share of passing measurements of those lots' results.
 */
import type { ProcessResultOutput, ProcessResultTransform } from "../rows.js";

interface Group {
  processStep: string;
  productCode: string;
  minutes: number[];
}

export const cycleTime: ProcessResultTransform = async function* (inputs, ctx) {
  const snapshotDate = ctx.partitionDate;
  if (snapshotDate === null) {
    throw new Error(`cycleTime of ${ctx.tenantId} needs a daily partition (date_column)`);
  }
  // lot_id -> group key, for joining measurements to the completed lots' groups.
  const lotGroup = new Map<string, string>();
  const groups = new Map<string, Group>();
  for await (const lot of inputs.lot_history.rows()) {
    if (lot.status !== "COMPLETED" || lot.start_time === null || lot.end_time === null) {
      continue;
    }
    const processStep = lot.process_step ?? "";
    const productCode = lot.product_code ?? "";
    const key = JSON.stringify([processStep, productCode]);
    const g = groups.get(key) ?? { processStep, productCode, minutes: [] };
    g.minutes.push((lot.end_time.getTime() - lot.start_time.getTime()) / 60_000);
    groups.set(key, g);
    if (lot.lot_id !== null) {
      lotGroup.set(lot.lot_id, key);
    }
  }
  const passes = new Map<string, { pass: number; total: number }>();
  for await (const r of inputs.process_result.rows()) {
    const key = r.lot_id === null ? undefined : lotGroup.get(r.lot_id);
    if (key === undefined || r.pass_fail === null) {
      continue;
    }
    const p = passes.get(key) ?? { pass: 0, total: 0 };
    p.total += 1;
    p.pass += r.pass_fail === "PASS" ? 1 : 0;
    passes.set(key, p);
  }
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key);
    if (g === undefined || g.minutes.length === 0) {
      continue;
    }
    const p = passes.get(key);
    const out: ProcessResultOutput = {
      snapshot_date: snapshotDate,
      process_step: g.processStep,
      product_code: g.productCode,
      avg_cycle_time: g.minutes.reduce((a, b) => a + b, 0) / g.minutes.length,
      min_cycle_time: Math.min(...g.minutes),
      max_cycle_time: Math.max(...g.minutes),
      lot_count: g.minutes.length,
      pass_rate: p === undefined || p.total === 0 ? null : p.pass / p.total,
    };
    yield out;
  }
};
