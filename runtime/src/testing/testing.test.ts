import { describe, expect, it } from "vitest";
import type { AssetPlan, EnvironmentPlan, JobPlan, TenantPlan } from "../plan.js";
import { contractIssues, environmentFacts, graphProblems, unreferencedEnvVars } from "./index.js";

function asset(key: string, deps: string[] = []): AssetPlan {
  return {
    key,
    stage: "extract",
    pipeline: key,
    deps,
    partitioned: false,
    description: key,
    dbt: null,
  };
}

function job(name: string, assets: string[]): JobPlan {
  return { name, description: name, assets, partitioned: false, schedule: null, concurrency: 1 };
}

const ENV: EnvironmentPlan = {
  enabled: true,
  resources: {
    source: {
      host: { env: "T_DB_HOST", default: "localhost" },
      port: "5432",
      database: "d",
      user: "u",
      password: { env: "T_DB_PASSWORD" },
      schema: "public",
    },
    storage: { bucket: "", basePath: "project_id=t" },
    trino: {
      host: "h",
      port: "8080",
      user: "u",
      password: "",
      httpScheme: "http",
      catalog: "iceberg",
      schema: { template: ["aps_", { env: "T_SUFFIX" }] },
    },
  },
  partitions: { startDate: "2024-01-01", timezone: "UTC" },
  pipelines: [],
  assets: [asset("a"), asset("b", ["a"])],
  jobs: [job("j", ["a", "b"])],
  dbt: null,
};

function planOf(env: EnvironmentPlan, envVars: string[]): TenantPlan {
  const { enabled, ...shared } = env;
  return {
    generatorVersion: "test",
    tenant: { id: "t", name: "T", enabled: true, tags: {} },
    envVars,
    shared,
    environments: { dev: { enabled }, staging: { enabled }, prod: { enabled: false } },
  };
}

describe("graphProblems", () => {
  const chain = Array.from({ length: 20_000 }, (_, i) =>
    asset(`n${i}`, i === 0 ? [] : [`n${i - 1}`]),
  );
  it.each<[string, Pick<EnvironmentPlan, "assets" | "jobs">, string[]]>([
    ["a closed acyclic graph", ENV, []],
    ["a chain of 20000 assets", { assets: chain, jobs: [] }, []],
    [
      "a dependency that is no asset",
      { assets: [asset("a", ["gone"])], jobs: [] },
      ["a depends on gone, which is no asset"],
    ],
    [
      "a job asset that is no asset",
      { assets: [asset("a")], jobs: [job("j", ["a", "gone"])] },
      ["job j selects gone, which is no asset"],
    ],
    [
      "a cycle",
      { assets: [asset("a", ["c"]), asset("b", ["a"]), asset("c", ["b"])], jobs: [] },
      ["cycle: a -> c -> b -> a"],
    ],
  ])("%s", (_name, env, want) => {
    expect(graphProblems(env)).toEqual(want);
  });
});

describe("unreferencedEnvVars", () => {
  it.each<[string, string[], string[]]>([
    [
      "every variable referenced, in values and templates",
      ["T_DB_HOST", "T_DB_PASSWORD", "T_SUFFIX"],
      [],
    ],
    ["a variable no value references", ["T_DB_HOST", "T_OTHER"], ["T_OTHER"]],
  ])("%s", (_name, envVars, want) => {
    expect(unreferencedEnvVars(planOf(ENV, envVars))).toEqual(want);
  });
});

describe("contractIssues and environmentFacts", () => {
  it("find nothing wrong with a valid plan, and its facts per environment", () => {
    const plan = planOf(ENV, ["T_DB_HOST", "T_DB_PASSWORD", "T_SUFFIX"]);
    expect(contractIssues(plan)).toEqual([]);
    expect(environmentFacts(plan, "prod")).toEqual({
      enabled: false,
      assets: { a: [], b: ["a"] },
      jobs: { j: { assets: ["a", "b"], partitioned: false, schedule: null } },
    });
  });

  it("name each issue of an invalid plan by its path", () => {
    const plan = planOf({ ...ENV, partitions: { startDate: "2024-02-30", timezone: "UTC" } }, []);
    expect(contractIssues(plan)).toEqual([
      'shared.partitions.startDate: "2024-02-30" is not a calendar date: February 2024 has 29 days',
    ]);
  });
});
