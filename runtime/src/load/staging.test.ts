import { describe, expect, it } from "vitest";
import { STAGING_PREFIX, stagingCreatedAt, stagingOfRun, stagingTableName } from "./staging.js";

describe("staging table names", () => {
  const at = new Date("2026-11-26T10:53:56.789Z");

  it("carry their creation time and, when given, the run that made them", () => {
    const name = stagingTableName("project_01_lot_raw", at, "20261126T105356Z-72d8741e");
    expect(name).toMatch(
      /^etl_stg_20261126105356_project_01_lot_raw__run_20261126t105356z_72d8741e_[0-9a-f]{8}$/,
    );
    expect(stagingCreatedAt(name)?.toISOString()).toBe("2026-11-26T10:53:56.000Z");
    expect(stagingOfRun(name, "20261126T105356Z-72d8741e")).toBe(true);
    expect(stagingOfRun(name, "20261126T105356Z-72d8741f")).toBe(false);
    expect(stagingOfRun(name, "20261126T105356Z")).toBe(false);
  });

  it("are unique within one run (retries) and name no run when none is given", () => {
    const a = stagingTableName("t_p", at, "r1");
    const b = stagingTableName("t_p", at, "r1");
    expect(a).not.toBe(b);
    const plain = stagingTableName("t_p", at);
    expect(plain.startsWith(STAGING_PREFIX)).toBe(true);
    expect(stagingOfRun(plain, "r1")).toBe(false);
  });

  it("keep the run mark readable when the hint itself looks like one", () => {
    const name = stagingTableName("t__run_x", at, "R-2");
    expect(stagingOfRun(name, "R-2")).toBe(true);
    expect(stagingOfRun(name, "x")).toBe(false);
  });
});
