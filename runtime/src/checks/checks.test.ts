import { describe, expect, it } from "vitest";
import type { CheckPlan, PipelinePlan } from "../plan.js";
import {
  type CheckResult,
  checkStatement,
  checkVerdict,
  enforceChecks,
  loadedScope,
} from "./checks.js";

const SCOPE = { from: "T", where: "W" };
/** The sample every per-value check takes: up to five distinct offending values as text. */
const sample = (bad: string, column: string) =>
  `slice(array_distinct(array_agg(coalesce(CAST(${column} AS varchar), 'NULL')) FILTER (WHERE ${bad})), 1, 5)`;

describe("checkStatement", () => {
  const acceptedBad = `"status" IS NOT NULL AND CAST("status" AS varchar) NOT IN ('DONE', 'it''s')`;
  const rangeBad = `("qty" < 0 OR "qty" > DOUBLE '1000.5')`;
  const regexBad = `"code" IS NOT NULL AND NOT regexp_like(CAST("code" AS varchar), '^P-[0-9]+$')`;
  const cases: [string, CheckPlan, string][] = [
    [
      "not_null counts nulls, no sample",
      { type: "not_null", name: "n", column: "lot_id", severity: "error" },
      `SELECT CAST(count_if("lot_id" IS NULL) AS varchar), CAST(ARRAY[] AS array(varchar)) FROM T WHERE W`,
    ],
    [
      "accepted_values compares text, quotes each value, ignores nulls",
      {
        type: "accepted_values",
        name: "a",
        column: "status",
        values: ["DONE", "it's"],
        severity: "warn",
      },
      `SELECT CAST(count_if(${acceptedBad}) AS varchar), ${sample(acceptedBad, '"status"')} FROM T WHERE W`,
    ],
    [
      "range with both bounds",
      { type: "range", name: "r", column: "qty", min: 0, max: 1000.5, severity: "error" },
      `SELECT CAST(count_if(${rangeBad}) AS varchar), ${sample(rangeBad, '"qty"')} FROM T WHERE W`,
    ],
    [
      "range without bounds fails nothing",
      { type: "range", name: "r", column: "qty", min: null, max: null, severity: "error" },
      `SELECT CAST(count_if(false) AS varchar), ${sample("false", '"qty"')} FROM T WHERE W`,
    ],
    [
      "regex over the text form, nulls pass",
      { type: "regex", name: "x", column: "code", pattern: "^P-[0-9]+$", severity: "error" },
      `SELECT CAST(count_if(${regexBad}) AS varchar), ${sample(regexBad, '"code"')} FROM T WHERE W`,
    ],
    [
      "unique on one column counts duplicated keys",
      { type: "unique", name: "u", columns: ["id"], severity: "error" },
      `SELECT CAST(count(*) AS varchar), slice(array_agg(k), 1, 5) FROM (SELECT coalesce(CAST("id" AS varchar), 'NULL') AS k FROM T WHERE W GROUP BY "id" HAVING count(*) > 1)`,
    ],
    [
      "unique on several columns shows the key joined with |",
      { type: "unique", name: "u", columns: ["id", "day"], severity: "error" },
      `SELECT CAST(count(*) AS varchar), slice(array_agg(k), 1, 5) FROM (SELECT concat_ws('|', coalesce(CAST("id" AS varchar), 'NULL'), coalesce(CAST("day" AS varchar), 'NULL')) AS k FROM T WHERE W GROUP BY "id", "day" HAVING count(*) > 1)`,
    ],
    [
      "row_count counts the rows in scope",
      { type: "row_count", name: "c", min: 1, max: null, severity: "error" },
      "SELECT CAST(count(*) AS varchar), CAST(ARRAY[] AS array(varchar)) FROM T WHERE W",
    ],
  ];
  it.each(cases)("%s", (_name, check, want) => {
    expect(checkStatement(check, SCOPE)).toBe(want);
  });

  it("groups by the day for a batch: one row per day, led by the day", () => {
    expect(
      checkStatement({ type: "not_null", name: "n", column: "lot", severity: "error" }, SCOPE, "D"),
    ).toBe(
      `SELECT CAST(D AS varchar), CAST(count_if("lot" IS NULL) AS varchar), CAST(ARRAY[] AS array(varchar)) FROM T WHERE W GROUP BY 1`,
    );
    expect(
      checkStatement({ type: "unique", name: "u", columns: ["id"], severity: "error" }, SCOPE, "D"),
    ).toBe(
      `SELECT g, CAST(count(*) AS varchar), slice(array_agg(k), 1, 5) FROM (SELECT CAST(D AS varchar) AS g, coalesce(CAST("id" AS varchar), 'NULL') AS k FROM T WHERE W GROUP BY 1, "id" HAVING count(*) > 1) GROUP BY g`,
    );
  });

  it("refuses a column the target cannot hold before any query", () => {
    expect(() =>
      checkStatement({ type: "not_null", name: "n", column: "Lot", severity: "error" }, SCOPE),
    ).toThrow(/check column/);
  });
});

describe("checkVerdict", () => {
  const rowCount = (min: number | null, max: number | null): CheckPlan => ({
    type: "row_count",
    name: "c",
    min,
    max,
    severity: "error",
  });
  const notNull: CheckPlan = { type: "not_null", name: "n", column: "a", severity: "error" };
  it.each([
    ["a per-row check fails its count", notNull, 3, { passed: false, failing: 3 }],
    ["a per-row check with nothing counted", notNull, 0, { passed: true, failing: 0 }],
    ["row_count within bounds", rowCount(1, 10), 10, { passed: true, failing: 0 }],
    ["row_count of an empty scope under min 1", rowCount(1, 10), 0, { passed: false, failing: 0 }],
    ["row_count under a minimum", rowCount(5, null), 4, { passed: false, failing: 4 }],
    ["row_count over its maximum", rowCount(null, 10), 11, { passed: false, failing: 11 }],
    ["row_count without bounds", rowCount(null, null), 7, { passed: true, failing: 0 }],
  ])("%s", (_name, check, count, want) => {
    expect(checkVerdict(check, count)).toEqual(want);
  });
});

describe("enforceChecks", () => {
  const result = (
    name: string,
    severity: "warn" | "error",
    failing: number,
    sample: string[] = [],
  ) =>
    ({
      name,
      type: "not_null",
      severity,
      passed: failing === 0,
      failing,
      sample,
      queryId: "q",
    }) satisfies CheckResult;
  it("passes when only warnings fail", () => {
    expect(() =>
      enforceChecks("p", [result("w", "warn", 2), result("ok", "error", 0)]),
    ).not.toThrow();
  });
  it("names every failed error-severity check with its count and sample", () => {
    expect(() =>
      enforceChecks("p", [
        result("a", "error", 2, ["x", "y"]),
        result("w", "warn", 1),
        result("b", "error", 1),
      ]),
    ).toThrow(
      "pipeline p: 2 error-severity check(s) failed: a (not_null, 2 failing, e.g. x, y); b (not_null, 1 failing)",
    );
  });
});

describe("loadedScope", () => {
  const pipeline = {
    name: "orders",
    trinoOutput: {
      catalog: "iceberg",
      schema: "s",
      table: "orders",
      keyColumns: [],
      writeMode: "append",
      tenantColumn: "Tenant_ID",
    },
  } as unknown as PipelinePlan;
  it.each([
    [null, `"tenant_id" = 't''1'`],
    [`"day" = DATE '2026-01-02'`, `"tenant_id" = 't''1' AND "day" = DATE '2026-01-02'`],
  ])("partition %s", (partitionWhere, where) => {
    expect(loadedScope(pipeline, "iceberg", "t'1", partitionWhere)).toEqual({
      from: '"iceberg"."s"."orders"',
      where,
    });
  });
  it("refuses a pipeline that does not load", () => {
    expect(() => loadedScope({ ...pipeline, trinoOutput: null }, "iceberg", "t", null)).toThrow(
      "pipeline orders does not load into Trino; check its staged data",
    );
  });
});
