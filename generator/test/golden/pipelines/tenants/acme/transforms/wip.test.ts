import { Logger } from "@etl/runtime";
import { describe, expect, it } from "vitest";
import type { LotHistoryRow } from "../rows.js";
import { wip } from "./wip.js";

const quiet = new Logger({}, { write: () => {}, isTTY: false });
const ctx = { tenantId: "t", pipeline: "lot_history", partitionDate: "2026-01-02", logger: quiet };
const input = <R>(rows: R[]) => ({
  async *rows() {
    yield* rows;
  },
  all: async () => rows,
});
const at = new Date("2026-01-02T05:00:00Z");
const lot = (
  lot_id: string,
  process_step: string,
  product_code: string,
  quantity: number,
  status: string,
): LotHistoryRow => ({
  lot_id,
  product_code,
  process_step,
  equipment_id: "EQ-1",
  start_time: at,
  end_time: null,
  quantity,
  status,
  priority: "NORMAL",
  created_at: at,
  updated_at: at,
});

async function collect<T>(
  out: AsyncIterable<T> | Iterable<T> | Promise<Iterable<T>>,
): Promise<T[]> {
  const rows: T[] = [];
  for await (const r of await out) {
    rows.push(r);
  }
  return rows;
}

describe("wip", () => {
  it("aggregates active lots per process step and product, excluding HOLD and SCRAP", async () => {
    const rows = await collect(
      wip(
        {
          lot_history: input([
            lot("L1", "STEP-1", "P-1", 100, "IN_PROGRESS"),
            lot("L2", "STEP-1", "P-1", 50, "COMPLETED"),
            lot("L3", "STEP-1", "P-1", 999, "HOLD"),
            lot("L4", "STEP-2", "P-1", 10, "IN_PROGRESS"),
            lot("L5", "STEP-2", "P-1", 999, "SCRAP"),
          ]),
        },
        ctx,
      ),
    );
    expect(rows).toEqual([
      {
        snapshot_date: "2026-01-02",
        process_step: "STEP-1",
        product_code: "P-1",
        wip_qty: 150n,
        lot_count: 2,
        avg_qty_per_lot: 75,
      },
      {
        snapshot_date: "2026-01-02",
        process_step: "STEP-2",
        product_code: "P-1",
        wip_qty: 10n,
        lot_count: 1,
        avg_qty_per_lot: 10,
      },
    ]);
  });
});
