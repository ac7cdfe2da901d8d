/**
 * Equipment utilisation: minutes per event type (RUN, IDLE, DOWN) per equipment over the
 * partition's day, and the RUN share of the 24 hours in percent (two decimals).
 */
import type { EquipmentEventOutput, EquipmentEventTransform } from "../rows.js";

const MINUTES_PER_DAY = 24 * 60;

export const equipmentUtilization: EquipmentEventTransform = async function* (inputs, ctx) {
  const snapshotDate = ctx.partitionDate;
  if (snapshotDate === null) {
    throw new Error(
      `equipmentUtilization of ${ctx.tenantId} needs a daily partition (date_column)`,
    );
  }
  const totals = new Map<string, { RUN: number; IDLE: number; DOWN: number }>();
  for await (const e of inputs.equipment_event.rows()) {
    if (e.equipment_id === null) {
      continue;
    }
    const t = totals.get(e.equipment_id) ?? { RUN: 0, IDLE: 0, DOWN: 0 };
    const minutes = e.duration_minutes ?? 0;
    if (e.event_type === "RUN" || e.event_type === "IDLE" || e.event_type === "DOWN") {
      t[e.event_type] += minutes;
    }
    totals.set(e.equipment_id, t);
  }
  for (const id of [...totals.keys()].sort()) {
    const t = totals.get(id);
    if (t === undefined) {
      continue;
    }
    const out: EquipmentEventOutput = {
      snapshot_date: snapshotDate,
      equipment_id: id,
      run_minutes: BigInt(t.RUN),
      idle_minutes: BigInt(t.IDLE),
      down_minutes: BigInt(t.DOWN),
      utilization_rate: Math.round((t.RUN / MINUTES_PER_DAY) * 100 * 100) / 100,
    };
    yield out;
  }
};
