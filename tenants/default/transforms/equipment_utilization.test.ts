import { Logger } from "@etl/runtime";
import { describe, expect, it } from "vitest";
import type { EquipmentEventRow } from "../rows.js";
import { equipmentUtilization } from "./equipment_utilization.js";

const quiet = new Logger({}, { write: () => {}, isTTY: false });
const ctx = {
  tenantId: "t",
  pipeline: "equipment_event",
  partitionDate: "2026-01-02",
  logger: quiet,
};
const input = <R>(rows: R[]) => ({
  async *rows() {
    yield* rows;
  },
  all: async () => rows,
});
let id = 0n;
const event = (
  equipment_id: string,
  event_type: string,
  duration_minutes: number,
): EquipmentEventRow => {
  id += 1n;
  return {
    event_id: id,
    equipment_id,
    event_type,
    event_time: new Date("2026-01-02T03:00:00Z"),
    duration_minutes,
    description: null,
    created_at: new Date("2026-01-02T03:00:00Z"),
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

describe("equipmentUtilization", () => {
  it("sums minutes per event type and equipment and computes the RUN share of the day", async () => {
    const rows = await collect(
      equipmentUtilization(
        {
          equipment_event: input([
            event("EQ-2", "RUN", 720),
            event("EQ-1", "RUN", 60),
            event("EQ-1", "IDLE", 30),
            event("EQ-1", "DOWN", 15),
            event("EQ-1", "RUN", 12),
          ]),
        },
        ctx,
      ),
    );
    expect(rows).toEqual([
      {
        snapshot_date: "2026-01-02",
        equipment_id: "EQ-1",
        run_minutes: 72n,
        idle_minutes: 30n,
        down_minutes: 15n,
        utilization_rate: 5,
      },
      {
        snapshot_date: "2026-01-02",
        equipment_id: "EQ-2",
        run_minutes: 720n,
        idle_minutes: 0n,
        down_minutes: 0n,
        utilization_rate: 50,
      },
    ]);
  });

  it("yields nothing for an empty partition and refuses an unpartitioned run", async () => {
    expect(await collect(equipmentUtilization({ equipment_event: input([]) }, ctx))).toEqual([]);
    await expect(
      collect(
        equipmentUtilization({ equipment_event: input([]) }, { ...ctx, partitionDate: null }),
      ),
    ).rejects.toThrow(/needs a daily partition/);
  });
});
