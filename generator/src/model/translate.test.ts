import { describe, expect, it } from "vitest";
import { camel, collisions, K8S_NAME_MAX, k8sName, rowTypeName } from "./translate.js";

const RFC1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("k8sName", () => {
  it.each([
    [["etl", "project_01", "daily_etl"], "etl-project-01-daily-etl"],
    [["etl", "acme", "env"], "etl-acme-env"],
    // Each "_" becomes one "-": jobs x_y and x__y stay distinct.
    [["etl", "acme", "x_y"], "etl-acme-x-y"],
    [["etl", "acme", "x__y"], "etl-acme-x--y"],
  ])("%j -> %s", (parts, want) => {
    expect(k8sName(...parts)).toBe(want);
  });

  it("keeps long names valid, at most 52 characters and distinct", () => {
    const tenant = "tenant_with_a_rather_long_identifier";
    const jobs = [
      "nightly_reconciliation_of_inventory_a",
      "nightly_reconciliation_of_inventory_b",
      "nightly_reconciliation_of_inventory_",
      "nightly_reconciliation_of_inventory",
    ];
    const names = jobs.map((j) => k8sName("etl", tenant, j));
    expect(new Set(names).size).toBe(jobs.length);
    for (const n of names) {
      expect(n.length).toBeLessThanOrEqual(K8S_NAME_MAX);
      expect(n).toMatch(RFC1123);
    }
    // Deterministic: the same input always gives the same name.
    expect(k8sName("etl", tenant, jobs[0] ?? "")).toBe(names[0]);
  });
});

describe("collisions", () => {
  it("finds pipelines whose TypeScript names collide, and only those", () => {
    expect(
      collisions(["lot_history", "lot__history", "a_1b", "a1b", "wip"], (p) => rowTypeName(p)),
    ).toEqual([
      { name: "LotHistoryRow", sources: ["lot_history", "lot__history"] },
      { name: "A1bRow", sources: ["a_1b", "a1b"] },
    ]);
  });

  it("finds module bindings and file names that collide after folding", () => {
    expect(collisions(["my-wip", "my_wip", "mywip"], camel)).toEqual([
      { name: "myWip", sources: ["my-wip", "my_wip"] },
    ]);
    expect(
      collisions(
        ["t/Wip.ts", "t/wip.ts", "t/other.ts"],
        (p) => p,
        (p) => p.toLowerCase(),
      ),
    ).toEqual([{ name: "t/Wip.ts", sources: ["t/Wip.ts", "t/wip.ts"] }]);
  });
});
