import { describe, expect, it } from "vitest";
import { EnsuredObjects } from "./ensured.js";
import type { EnsureResult } from "./target.js";

const TARGET = { catalog: "iceberg", schema: "s", table: "Orders" };
const WANTED = [
  { name: "id", type: "bigint" },
  { name: "tenant_id", type: "varchar" },
];
const created: EnsureResult = { created: true, columnsAdded: [], columns: WANTED };

describe("EnsuredObjects", () => {
  it("checks a target once for loads running at once, and reports nothing created to the later ones", async () => {
    const ensured = new EnsuredObjects();
    let calls = 0;
    const ensure = async () => {
      calls += 1;
      return created;
    };
    const results = await Promise.all([
      ensured.target(TARGET, WANTED, ensure),
      ensured.target({ ...TARGET, table: "orders" }, WANTED, ensure),
    ]);
    expect(calls).toBe(1);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[1]?.columns).toEqual(WANTED);
  });
  it("checks again for new columns, after a failed check, and after forgetTarget", async () => {
    const ensured = new EnsuredObjects();
    let calls = 0;
    const ensure = async () => {
      calls += 1;
      return created;
    };
    await ensured.target(TARGET, WANTED, ensure);
    await ensured.target(TARGET, [...WANTED, { name: "note", type: "varchar" }], ensure);
    expect(calls).toBe(2);
    await expect(
      ensured.target({ ...TARGET, table: "other" }, WANTED, () =>
        Promise.reject(new Error("catalog down")),
      ),
    ).rejects.toThrow("catalog down");
    await ensured.target({ ...TARGET, table: "other" }, WANTED, ensure);
    expect(calls).toBe(3);
    ensured.forgetTarget(TARGET);
    await ensured.target(TARGET, WANTED, ensure);
    expect(calls).toBe(4);
  });
  it("creates a staging schema once per place, and again after a failure", async () => {
    const ensured = new EnsuredObjects();
    let calls = 0;
    const place = { catalog: "hive", schema: "etl_staging" };
    await expect(
      ensured.stagingSchema(place, () => Promise.reject(new Error("metastore down"))),
    ).rejects.toThrow("metastore down");
    const ensure = async () => {
      calls += 1;
    };
    await ensured.stagingSchema(place, ensure);
    await ensured.stagingSchema({ catalog: "HIVE", schema: "etl_staging" }, ensure);
    expect(calls).toBe(1);
  });
});
