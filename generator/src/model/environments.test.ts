import { ENVIRONMENTS } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import { reported, tenantContext } from "../../test/model-context.js";
import { buildDbt } from "./dbt.js";
import { buildEnvironments, type EnvironmentParts, sharedAndOverrides } from "./environments.js";
import { operationsPart } from "./operations.js";
import { buildPartitions } from "./partitions.js";
import { buildPipelines } from "./pipelines.js";
import { buildResources } from "./resources.js";

const ITEMS = {
  source_table: "items",
  trino_output: { target_table: "items", target_schema: "aps", key_columns: ["item_id"] },
};

/** The environments of a tenant, built from the real phases in build.ts's order. */
function environmentsOf(config: Record<string, unknown>) {
  const ctx = tenantContext({ config });
  const partitions = buildPartitions(ctx);
  const pipelines = buildPipelines(ctx);
  const parts: EnvironmentParts = {
    resources: buildResources(ctx),
    partitions,
    pipelines,
    dbt: buildDbt(ctx, pipelines.plans),
    operations: operationsPart(ctx, partitions.timezone),
  };
  const environments = buildEnvironments(ctx, parts);
  return { ctx, parts, environments };
}

/** Each environment as its enablement, asset keys and job names. */
function summary(environments: ReturnType<typeof environmentsOf>["environments"]) {
  return Object.fromEntries(
    ENVIRONMENTS.map((env) => [
      env,
      {
        enabled: environments[env].enabled,
        assets: environments[env].assets.map((a) => a.key),
        jobs: environments[env].jobs.map((j) => j.name),
      },
    ]),
  );
}

const every = (value: unknown) => ({ dev: value, staging: value, prod: value });

describe("buildEnvironments", () => {
  it.each([
    [
      "one pipeline, every environment alike",
      { assets: { pipelines: { items: { source_table: "items" } } } },
      every({
        enabled: true,
        assets: ["acme/extract/items"],
        jobs: ["master_sync", "maintenance"],
      }),
    ],
    [
      "an environment switched off keeps its graph but is not enabled",
      {
        environments: { prod: { enabled: false } },
        assets: { pipelines: { items: { source_table: "items" } } },
      },
      {
        dev: {
          enabled: true,
          assets: ["acme/extract/items"],
          jobs: ["master_sync", "maintenance"],
        },
        staging: {
          enabled: true,
          assets: ["acme/extract/items"],
          jobs: ["master_sync", "maintenance"],
        },
        prod: {
          enabled: false,
          assets: ["acme/extract/items"],
          jobs: ["master_sync", "maintenance"],
        },
      },
    ],
    [
      "a disabled tenant is enabled nowhere",
      { enabled: false, assets: { pipelines: { items: { source_table: "items" } } } },
      every({
        enabled: false,
        assets: ["acme/extract/items"],
        jobs: ["master_sync", "maintenance"],
      }),
    ],
    [
      "a load only in prod",
      {
        assets: {
          pipelines: {
            items: {
              ...ITEMS,
              save_to_trino: false,
              environments: { prod: { save_to_trino: true } },
            },
          },
        },
      },
      {
        dev: {
          enabled: true,
          assets: ["acme/extract/items"],
          jobs: ["master_sync", "maintenance"],
        },
        staging: {
          enabled: true,
          assets: ["acme/extract/items"],
          jobs: ["master_sync", "maintenance"],
        },
        prod: {
          enabled: true,
          assets: ["acme/extract/items", "acme/load/items"],
          jobs: ["master_sync", "maintenance"],
        },
      },
    ],
  ])("%s", (_name, config, want) => {
    const { ctx, environments } = environmentsOf(config);
    expect(reported(ctx)).toEqual([]);
    expect(summary(environments)).toEqual(want);
  });

  it.each([
    [
      "a load without trino_output, in the environments that load",
      {
        assets: {
          pipelines: {
            items: { source_table: "items", environments: { staging: { save_to_trino: true } } },
          },
        },
      },
      [
        'tenant.assets.pipelines.items.save_to_trino: pipeline "items" saves to Trino (in staging) but has no trino_output',
      ],
    ],
    [
      "a load of files kept only for the run, at the environment's override",
      {
        assets: {
          pipelines: {
            items: { ...ITEMS, save_to_trino: true, environments: { prod: { save_to_s3: false } } },
          },
        },
      },
      [
        'tenant.assets.pipelines.items.environments.prod.save_to_s3: pipeline "items" has save_to_s3: false and save_to_trino: true, but the load reads the staged Parquet through Trino, which reads it from S3 (save_to_s3: false keeps the files only on the machine of the run) (in prod)',
      ],
    ],
    [
      "a user job selecting nothing in any environment",
      {
        assets: { pipelines: { items: { source_table: "items" } } },
        jobs: { loads: { selection: ["acme/load/*"] } },
      },
      [
        'tenant.jobs.loads.selection.0: selection "acme/load/*" of job "loads" matches no asset in any environment',
      ],
    ],
  ])("reports %s", (_name, config, want) => {
    const { ctx } = environmentsOf(config);
    expect(reported(ctx)).toEqual(want);
  });
});

describe("sharedAndOverrides", () => {
  it("shares what the environments have in common and keeps what each sets otherwise", () => {
    const { ctx, parts, environments } = environmentsOf({
      environments: { dev: { enabled: false } },
      assets: {
        pipelines: {
          items: {
            ...ITEMS,
            save_to_trino: false,
            environments: { prod: { save_to_trino: true } },
          },
        },
      },
    });
    expect(reported(ctx)).toEqual([]);
    const { shared, environments: overrides } = sharedAndOverrides(ctx.config, parts, environments);
    expect(shared.assets.map((a) => a.key)).toEqual(["acme/extract/items", "acme/load/items"]);
    expect(shared.pipelines.map((p) => [p.name, p.saveToS3, p.saveToTrino])).toEqual([
      ["items", true, false],
    ]);
    expect(overrides).toEqual({
      dev: { enabled: false, omitAssets: ["acme/load/items"] },
      staging: { enabled: true, omitAssets: ["acme/load/items"] },
      prod: { enabled: true, pipelines: { items: { saveToTrino: true } } },
    });
  });
});
