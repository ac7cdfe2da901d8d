import { Logger } from "@etl/runtime";
import { describe, expect, it } from "vitest";
import type { LotHistoryRow, ProcessResultRow } from "../rows.js";
import { cycleTime } from "./cycle_time.js";

const quiet = new Logger({}, { write: () => {}, isTTY: false });
const ctx = {
  tenantId: "t",
  pipeline: "process_result",
  partitionDate: "2026-01-02",
  logger: quiet,
};
const input = <R>(rows: R[]) => ({
  async *rows() {
    yield* rows;
  },
  all: async () => rows,
});
const t0 = new Date("2026-01-02T01:00:00Z");
const plus = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const lot = (
  lot_id: string,
  step: string,
  minutes: number | null,
  status: string,
): LotHistoryRow => ({
  lot_id,
  product_code: "P-1",
  process_step: step,
  equipment_id: null,
  start_time: t0,
  end_time: minutes === null ? null : plus(minutes),
  quantity: 1,
  status,
  priority: "NORMAL",
  created_at: t0,
  updated_at: t0,
});
let id = 0n;
const result = (lot_id: string, pass_fail: string): ProcessResultRow => {
  id += 1n;
  return {
    result_id: id,
    lot_id,
    process_step: "STEP-1",
    measurement_value: "1.0000",
    spec_lower: "0.0000",
    spec_upper: "2.0000",
    pass_fail,
    measured_at: t0,
    measured_on: "2026-01-02",
    payload: "{}",
    is_rework: false,
  };
};

async function collect<T>(
  out: AsyncIterable<T> | Iterable<T> | Promise<Iterable<T>>,
): Promise<T[]> {
  const rows: T[] = [];
  for await (const r of await out) {
    rows.push(r);
  }
  return rows;
}

describe("cycleTime", () => {
  it("averages completed lots' minutes per step and product and joins measurement pass rates", async () => {
    const rows = await collect(
      cycleTime(
        {
          lot_history: input([
            lot("L1", "STEP-1", 30, "COMPLETED"),
            lot("L2", "STEP-1", 90, "COMPLETED"),
            lot("L3", "STEP-1", 1000, "IN_PROGRESS"),
            lot("L4", "STEP-2", null, "COMPLETED"),
          ]),
          process_result: input([result("L1", "PASS"), result("L2", "FAIL"), result("L3", "FAIL")]),
        },
        ctx,
      ),
    );
    expect(rows).toEqual([
      {
        snapshot_date: "2026-01-02",
        process_step: "STEP-1",
        product_code: "P-1",
        avg_cycle_time: 60,
        min_cycle_time: 30,
        max_cycle_time: 90,
        lot_count: 2,
        pass_rate: 0.5,
      },
    ]);
  });

  it("leaves pass_rate null when no measurement belongs to the group", async () => {
    const rows = await collect(
      cycleTime(
        { lot_history: input([lot("L1", "STEP-1", 10, "COMPLETED")]), process_result: input([]) },
        ctx,
      ),
    );
    expect(rows.map((r) => r.pass_rate)).toEqual([null]);
  });
});
