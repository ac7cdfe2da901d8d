import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileLedger } from "../ledger/file.js";
import type { PartitionState } from "../ledger/queries.js";
import {
  type AssetPlan,
  type EnvironmentPlan,
  sameEnvironments,
  type TenantPlan,
} from "../plan.js";
import { dateOfDay, dayNumber, healthView, partitionStrip } from "./model.js";

const state = (partition: string, status: PartitionState["status"]): PartitionState => ({
  assetKey: "t/extract/a",
  partition,
  status,
  finishedAt: `${partition}T12:00:00.000Z`,
  runId: `r-${partition}`,
});

describe("partition strips", () => {
  it.each([
    [
      "2026-01-01",
      "2026-01-05",
      [state("2026-01-02", "succeeded"), state("2026-01-04", "failed")],
      [],
      "-s-f-",
    ],
    [
      "2026-01-01",
      "2026-01-03",
      [state("2025-12-31", "failed"), state("2026-01-03", "skipped")],
      ["2026-01-01"],
      "r-k",
    ],
    ["2024-02-28", "2024-03-01", [state("2024-02-29", "succeeded")], [], "-s-"],
  ])("%s..%s", (from, to, states, running, want) => {
    expect(partitionStrip(states, new Set(running), from, to).statuses).toBe(want);
  });

  it("counts each status and round-trips day numbers", () => {
    const { counts } = partitionStrip(
      [state("2026-01-02", "succeeded")],
      new Set(["2026-01-03"]),
      "2026-01-01",
      "2026-01-04",
    );
    expect(counts).toEqual({ succeeded: 1, failed: 0, skipped: 0, running: 1, missing: 2 });
    expect(dateOfDay(dayNumber("1752-09-14"))).toBe("1752-09-14");
    expect(dayNumber("1970-01-02")).toBe(1);
  });
});

function asset(key: string, deps: string[], partitioned: boolean): AssetPlan {
  return {
    key,
    stage: key.split("/")[1] as AssetPlan["stage"],
    pipeline: null,
    deps,
    partitioned,
    description: key,
    dbt: null,
  };
}

function plan(assets: AssetPlan[]): { plan: TenantPlan; envPlan: EnvironmentPlan } {
  const v = "x";
  const envPlan: EnvironmentPlan = {
    enabled: true,
    resources: {
      source: { host: v, port: v, database: v, user: v, password: v, schema: v },
      storage: { bucket: v, basePath: v },
      trino: { host: v, port: v, user: v, password: v, httpScheme: v, catalog: v, schema: v },
    },
    partitions: { startDate: "2026-01-01", timezone: "UTC" },
    pipelines: [],
    assets,
    jobs: [
      {
        name: "daily",
        description: "",
        assets: assets.map((a) => a.key),
        partitioned: true,
        schedule: null,
        concurrency: 1,
      },
    ],
    dbt: null,
  };
  const p: TenantPlan = {
    generatorVersion: "test",
    tenant: { id: "t", name: "T", enabled: true, tags: {} },
    envVars: [],
    ...sameEnvironments(envPlan),
  };
  return { plan: p, envPlan };
}

describe("asset health", () => {
  it("is fresh, stale, failed or never from the latest records", async () => {
    const ledger = new FileLedger(await mkdtemp(path.join(tmpdir(), "etl-health-")), "t");
    const { plan: p, envPlan } = plan([
      asset("t/extract/fresh", [], true),
      asset("t/extract/stale", [], true),
      asset("t/extract/failed", [], true),
      asset("t/extract/never", [], true),
      asset("t/load/master", [], false),
      asset("t/dbt/model", ["t/load/master"], false),
    ]);
    const put = (
      assetKey: string,
      partition: string | null,
      status: "succeeded" | "failed",
      at: string,
    ) =>
      ledger.putMaterialization({
        runId: `r${at}`,
        tenant: "t",
        job: "daily",
        assetKey,
        partition,
        status,
        startedAt: at,
        finishedAt: at,
        attempts: 1,
        metadata: {},
        error: null,
      });
    await put("t/extract/fresh", "2026-01-09", "succeeded", "2026-01-10T01:00:00.000Z");
    await put("t/extract/stale", "2026-01-08", "succeeded", "2026-01-09T01:00:00.000Z");
    await put("t/extract/failed", "2026-01-08", "succeeded", "2026-01-09T01:00:00.000Z");
    await put("t/extract/failed", "2026-01-09", "failed", "2026-01-10T01:00:00.000Z");
    await put("t/dbt/model", null, "succeeded", "2026-01-09T02:00:00.000Z");
    // The model's upstream was materialised after it: the model is stale.
    await put("t/load/master", null, "succeeded", "2026-01-10T02:00:00.000Z");
    const view = await healthView(
      { plan: p, environment: "dev", envPlan, ledger },
      new Date("2026-01-10T12:00:00Z"),
    );
    const health = Object.fromEntries([...view.refs.values()].map((r) => [r.key, r.health]));
    expect(health).toEqual({
      "t/extract/fresh": "fresh",
      "t/extract/stale": "stale",
      "t/extract/failed": "failed",
      "t/extract/never": "never",
      "t/load/master": "fresh",
      "t/dbt/model": "stale",
    });
    expect(view.refs.get("t/extract/failed")?.counts).toEqual({
      succeeded: 1,
      failed: 1,
      skipped: 0,
      running: 0,
      missing: 7,
    });
  });
});
