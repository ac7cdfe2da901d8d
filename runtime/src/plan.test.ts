import { describe, expect, it } from "vitest";
import {
  type AssetPlan,
  type EnvironmentOverride,
  type EnvironmentPlan,
  environmentPlan,
  type JobPlan,
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
  ])("%s", (_name, dev, want) => {
    const parsed = TenantPlanSchema.safeParse(planWith(dev));
    const issues = parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`);
    expect(issues).toEqual(want);
  });
});
