import { describe, expect, it } from "vitest";
import type { AssetPlan } from "../plan.js";
import { dbtBatchMembers } from "./stages.js";

function a(key: string, deps: string[]): AssetPlan {
  const stage = key.split("/")[1] === "dbt" ? "dbt" : "extract";
  return {
    key,
    stage,
    pipeline: stage === "dbt" ? null : (key.split("/")[2] ?? null),
    deps,
    partitioned: false,
    description: "",
    dbt:
      stage === "dbt"
        ? {
            uniqueId: `model.p.${key}`,
            name: key,
            resourceType: "model",
            packageName: "p",
            selector: key,
            tests: [],
          }
        : null,
  };
}

const SELECTION = [
  a("t/extract/e1", []),
  a("t/extract/e2", []),
  a("t/dbt/d1", ["t/extract/e1"]),
  a("t/dbt/d2", ["t/dbt/d1"]),
  a("t/dbt/d3", ["t/extract/e2", "t/dbt/d1"]),
  a("t/dbt/d4", ["t/dbt/outside"]),
];

function keys(xs: AssetPlan[]): string[] {
  return xs.map((x) => x.key);
}

describe("dbt batches", () => {
  it("takes every dbt asset whose upstream in the run has succeeded or is in the batch", () => {
    const done = new Map<string, "succeeded">([["t/extract/e1", "succeeded"]]);
    const ctx = {
      asset: SELECTION[2] as AssetPlan,
      selection: SELECTION,
      statusOf: (k: string) => done.get(k) ?? null,
      endedRuns: async () => [],
    };
    // d3 waits for e2, still pending; d4's upstream is outside the run.
    expect(keys(dbtBatchMembers(ctx, new Set()))).toEqual(["t/dbt/d1", "t/dbt/d2", "t/dbt/d4"]);
    // Later, once e2 succeeded: d3 goes alone, the first batch's assets are not built twice.
    done.set("t/extract/e2", "succeeded");
    const later = { ...ctx, asset: SELECTION[4] as AssetPlan };
    expect(keys(dbtBatchMembers(later, new Set(["t/dbt/d1", "t/dbt/d2", "t/dbt/d4"])))).toEqual([
      "t/dbt/d3",
    ]);
  });
});
