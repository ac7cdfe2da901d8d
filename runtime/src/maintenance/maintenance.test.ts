import { describe, expect, it } from "vitest";
import { maintenanceKey, parseRelation } from "./job.js";
import { partitionFields } from "./tables.js";

describe("partitionFields", () => {
  it.each([
    ["row(project_id varchar, created_at_day date)", ["project_id", "created_at_day"]],
    ['row("order date_day" date, "we""ird" varchar)', ["order date_day", 'we"ird']],
    ["row(d_day date, p row(a integer, b varchar))", ["d_day", "p"]],
    ["bigint", []],
    ["", []],
  ])("%s", (type, want) => {
    expect(partitionFields(type)).toEqual(want);
  });
});

describe("parseRelation", () => {
  it.each([
    [
      '"iceberg"."analytics_p1"."tfm_items"',
      { catalog: "iceberg", schema: "analytics_p1", table: "tfm_items" },
    ],
    ["iceberg.s.t", { catalog: "iceberg", schema: "s", table: "t" }],
    ['"c"."s"."a""b"', { catalog: "c", schema: "s", table: 'a"b' }],
    ['"s"."t"', null],
    ["", null],
  ])("%s", (text, want) => {
    expect(parseRelation(text)).toEqual(want);
  });
});

describe("maintenanceKey", () => {
  it("names the table under the tenant's maintenance records", () => {
    expect(maintenanceKey("p1", { catalog: "iceberg", schema: "aps", table: "wip" })).toBe(
      "p1/maintenance/iceberg.aps.wip",
    );
  });
});
