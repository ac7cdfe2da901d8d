import { describe, expect, it } from "vitest";
import {
  type AssetPlan,
  type EnvironmentOverride,
  type EnvironmentPlan,
  environmentPlan,
  type FreshnessPlan,
  type JobPlan,
  type LineagePlan,
  type PipelinePlan,
  type SharedPlan,
  sameEnvironments,
  type TenantPlan,
  TenantPlanSchema,
} from "./plan.js";

function pipeline(name: string, dated: boolean): PipelinePlan {
  return {
    name,
    sourceTable: name,
    query: null,
    dateColumn: dated ? "created_at" : null,
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: false,
    trinoOutput: {
      catalog: "iceberg",
      schema: "aps",
      table: name,
      keyColumns: [],
      writeMode: dated ? "replace_partition" : "full_refresh",
      tenantColumn: "project_id",
    },
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 100_000, maxFileRows: 1_000_000 },
  };
}

function asset(stage: AssetPlan["stage"], name: string, deps: string[], dated: boolean): AssetPlan {
  return {
    key: `t/${stage}/${name}`,
    stage,
    pipeline: name,
    deps,
    partitioned: dated,
    description: `${stage} ${name}`,
    dbt: null,
  };
}

function job(name: string, assets: string[], partitioned: boolean): JobPlan {
  return { name, description: name, assets, partitioned, schedule: null, concurrency: 2 };
}

/** `items` is unpartitioned, `lots` partitioned; both load somewhere. */
const SHARED: SharedPlan = {
  resources: {
    source: { host: "h", port: "5432", database: "d", user: "u", password: "", schema: "public" },
    storage: { bucket: "", basePath: "project_id=t" },
    trino: {
      host: "h",
      port: "8080",
      user: "u",
      password: "",
      httpScheme: "http",
      catalog: "iceberg",
      schema: "aps",
    },
  },
  partitions: { startDate: "2024-01-01", timezone: "Asia/Seoul" },
  pipelines: [pipeline("items", false), pipeline("lots", true)],
  assets: [
    asset("extract", "items", [], false),
    asset("load", "items", ["t/extract/items"], false),
    asset("extract", "lots", [], true),
    asset("load", "lots", ["t/extract/lots"], true),
  ],
  jobs: [
    job("all", ["t/extract/items", "t/load/items", "t/extract/lots", "t/load/lots"], true),
    job("mixed", ["t/extract/items", "t/load/lots"], true),
    job("loads_of_lots", ["t/load/lots"], true),
  ],
  dbt: null,
};

const LAG: FreshnessPlan = { maxLagSeconds: 26 * 3600, deadline: null };
const LINEAGE: LineagePlan = { url: { env: "T_LINEAGE_URL" }, apiKey: null, namespace: "etl" };

/** SHARED with operations settings: a freshness policy on t/load/lots, a webhook, lineage. */
const OPS: SharedPlan = {
  ...SHARED,
  assets: SHARED.assets.map((a) => (a.key === "t/load/lots" ? { ...a, freshness: LAG } : a)),
  alerts: {
    destinations: [
      {
        name: "ops",
        url: { env: "T_ALERT_URL" },
        format: "json",
        events: ["run_failed"],
        checkSeverity: "error",
      },
    ],
  },
  lineage: LINEAGE,
  maintenance: {
    job: "maintenance",
    snapshotRetentionSeconds: 7 * 86_400,
    orphanRetentionSeconds: 7 * 86_400,
    fileSizeThresholdMb: 100,
  },
};

function planWith(dev: EnvironmentOverride, shared: SharedPlan = SHARED): TenantPlan {
  return {
    generatorVersion: "test",
    tenant: { id: "t", name: "T", enabled: true, tags: {} },
    envVars: [],
    shared,
    environments: { dev, staging: { enabled: true }, prod: { enabled: false } },
  };
}

describe("environmentPlan lays an environment over the shared plan", () => {
  it.each<[string, EnvironmentOverride, (env: EnvironmentPlan) => unknown, unknown]>([
    [
      "nothing to lay over: the shared plan",
      { enabled: true },
      (env) => env,
      { enabled: true, ...SHARED },
    ],
    ["its enablement", { enabled: false }, (env) => env.enabled, false],
    [
      "its pipeline switches, on that pipeline only",
      { enabled: true, pipelines: { lots: { saveToTrino: true } } },
      (env) => env.pipelines.map((p) => [p.name, p.saveToS3, p.saveToTrino]),
      [
        ["items", true, false],
        ["lots", true, true],
      ],
    ],
    [
      "without the assets it leaves out, in the shared order",
      { enabled: true, omitAssets: ["t/load/items"] },
      (env) => env.assets.map((a) => a.key),
      ["t/extract/items", "t/extract/lots", "t/load/lots"],
    ],
    [
      "its jobs without them; a job left with none is absent; partitioned when a kept asset is",
      { enabled: true, omitAssets: ["t/load/lots"] },
      (env) => env.jobs.map((j) => [j.name, j.assets, j.partitioned]),
      [
        ["all", ["t/extract/items", "t/load/items", "t/extract/lots"], true],
        ["mixed", ["t/extract/items"], false],
      ],
    ],
  ])("%s", (_name, dev, pick, want) => {
    expect(pick(environmentPlan(planWith(dev), "dev"))).toEqual(want);
  });

  it.each<[string, EnvironmentOverride, (env: EnvironmentPlan) => unknown, unknown]>([
    [
      "the shared operations settings when it sets none",
      { enabled: true },
      (env) => [env.assets[3]?.freshness, env.alerts, env.lineage, env.maintenance],
      [LAG, OPS.alerts, OPS.lineage, OPS.maintenance],
    ],
    [
      "its own freshness policy, and none where it sets null",
      { enabled: true, freshness: { "t/extract/lots": LAG, "t/load/lots": null } },
      (env) => env.assets.map((a) => [a.key, "freshness" in a ? a.freshness : "none"]),
      [
        ["t/extract/items", "none"],
        ["t/load/items", "none"],
        ["t/extract/lots", LAG],
        ["t/load/lots", "none"],
      ],
    ],
    [
      "its own webhooks and lineage",
      { enabled: true, alerts: { destinations: [] }, lineage: { ...LINEAGE, namespace: "own" } },
      (env) => [env.alerts, env.lineage?.namespace],
      [{ destinations: [] }, "own"],
    ],
    [
      "no webhooks and no lineage where it sets null",
      { enabled: true, alerts: null, lineage: null },
      (env) => ["alerts" in env, "lineage" in env],
      [false, false],
    ],
  ])("%s", (_name, dev, pick, want) => {
    expect(pick(environmentPlan(planWith(dev, OPS), "dev"))).toEqual(want);
  });

  it("keeps the runtime objects a plan names", () => {
    const runtimeObjects = { staging: { catalog: "hive", schema: "s" } };
    const env = environmentPlan(planWith({ enabled: true }, { ...SHARED, runtimeObjects }), "dev");
    expect(env.runtimeObjects).toEqual(runtimeObjects);
    expect("runtimeObjects" in environmentPlan(planWith({ enabled: true }), "dev")).toBe(false);
  });

  it("gives back every environment of a plan made with sameEnvironments", () => {
    const env: EnvironmentPlan = { enabled: false, ...SHARED };
    const plan = { ...planWith({ enabled: true }), ...sameEnvironments(env) };
    for (const name of ["dev", "staging", "prod"] as const) {
      expect(environmentPlan(plan, name)).toEqual(env);
    }
  });
});

describe("the plan schema holds the overrides to the shared plan", () => {
  it.each<[string, EnvironmentOverride, string[]]>([
    ["overrides that name what is shared", { enabled: true, omitAssets: ["t/load/lots"] }, []],
    [
      "a switch of a pipeline that is not shared",
      { enabled: true, pipelines: { orders: { saveToS3: false } } },
      ["environments.dev.pipelines.orders: names no pipeline of the shared plan"],
    ],
    [
      "an omitted asset that is not shared",
      { enabled: true, omitAssets: ["t/load/orders"] },
      ['environments.dev.omitAssets.0: "t/load/orders" is no asset of the shared plan'],
    ],
    [
      "an omitted asset another asset depends on",
      { enabled: true, omitAssets: ["t/extract/lots"] },
      ["environments.dev.omitAssets: leaves out t/extract/lots, which t/load/lots depends on"],
    ],
    [
      "a freshness policy of an asset that is not shared, or that it leaves out",
      {
        enabled: true,
        omitAssets: ["t/load/lots"],
        freshness: { "t/load/orders": null, "t/load/lots": LAG },
      },
      [
        'environments.dev.freshness.t/load/orders: "t/load/orders" is no asset of this environment',
        'environments.dev.freshness.t/load/lots: "t/load/lots" is no asset of this environment',
      ],
    ],
  ])("%s", (_name, dev, want) => {
    const parsed = TenantPlanSchema.safeParse(planWith(dev));
    const issues = parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`);
    expect(issues).toEqual(want);
  });
});
