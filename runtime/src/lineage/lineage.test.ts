import { describe, expect, it } from "vitest";
import type { AssetPlan, EnvironmentPlan, PipelinePlan } from "../plan.js";
import {
  assetInputs,
  assetOutput,
  type LineageContext,
  lineageJobName,
  openLineageEvent,
} from "./events.js";

const pipeline: PipelinePlan = {
  name: "orders",
  sourceTable: "Orders",
  query: null,
  dateColumn: "created_at",
  incremental: null,
  saveToS3: true,
  hasTransfer: true,
  transfer: {
    inputs: ["orders"],
    module: "m",
    exportName: "e",
    output: [{ name: "n", type: "bigint", nullable: false }],
  },
  hasDbtTransform: false,
  dbtTransform: null,
  saveToTrino: true,
  trinoOutput: {
    catalog: "iceberg",
    schema: "aps",
    table: "orders_daily",
    keyColumns: [],
    writeMode: "replace_partition",
    tenantColumn: "project_id",
  },
  columns: [
    {
      name: "OrderId",
      pgType: "integer",
      domainBase: null,
      arrayElement: null,
      enumLabels: null,
      nullable: false,
    },
  ],
  schemaHash: null,
  targetColumns: { naming: "snake_case", unmappedTypes: "text", names: ["order_id"] },
  checks: [],
  extract: { compression: "zstd", rowGroupRows: 1, maxFileRows: 1 },
};
const a = (
  key: string,
  stage: AssetPlan["stage"],
  deps: string[],
  p: string | null,
): AssetPlan => ({
  key,
  stage,
  pipeline: p,
  deps,
  partitioned: true,
  description: "",
  dbt: null,
});
const assets = [
  a("p1/extract/orders", "extract", [], "orders"),
  a("p1/transfer/orders", "transfer", ["p1/extract/orders"], "orders"),
  a("p1/load/orders", "load", ["p1/transfer/orders"], "orders"),
  a("p1/dbt/orders_mart", "dbt", ["p1/extract/orders"], null),
];

function ctx(storage: LineageContext["resources"]["storage"]): LineageContext {
  return {
    tenant: "p1",
    namespace: "etl-build",
    envPlan: { pipelines: [pipeline], assets } as unknown as EnvironmentPlan,
    resources: {
      source: {
        host: "db.internal",
        port: 5432,
        database: "p1",
        user: "u",
        password: "x",
        schema: "public",
      },
      storage,
      trino: {
        host: "trino",
        port: 8080,
        user: "u",
        password: null,
        scheme: "http",
        catalog: "iceberg",
        schema: "aps",
      },
    },
    catalogOf: () => "iceberg",
  };
}
const s3 = ctx({
  kind: "s3",
  bucket: "lake",
  basePath: "project_id=p1",
  endpoint: null,
  region: "us-east-1",
  accessKeyId: null,
  secretAccessKey: null,
  sessionToken: null,
  forcePathStyle: true,
});
const names = (ds: { namespace: string; name: string }[]) =>
  ds.map((d) => `${d.namespace} ${d.name}`);
const byKey = (key: string) => assets.find((x) => x.key === key) as AssetPlan;
const relations = new Map([["p1/dbt/orders_mart", '"iceberg"."analytics_p1"."Orders_Mart"']]);

describe("datasets by the OpenLineage naming spec", () => {
  it.each([
    [
      "p1/extract/orders",
      ["postgres://db.internal:5432 p1.public.Orders"],
      ["s3://lake project_id=p1/extract/orders"],
    ],
    [
      "p1/transfer/orders",
      ["s3://lake project_id=p1/extract/orders"],
      ["s3://lake project_id=p1/transfer/orders"],
    ],
    [
      "p1/load/orders",
      ["s3://lake project_id=p1/transfer/orders"],
      ["trino://trino:8080 iceberg.aps.orders_daily"],
    ],
    [
      "p1/dbt/orders_mart",
      ["s3://lake project_id=p1/extract/orders"],
      ["trino://trino:8080 iceberg.analytics_p1.orders_mart"],
    ],
  ])("%s", (key, inputs, outputs) => {
    const asset = byKey(key);
    expect(names(assetInputs(s3, asset, relations))).toEqual(inputs);
    const out = assetOutput(s3, asset, relations);
    expect(names(out === null ? [] : [out])).toEqual(outputs);
  });

  it("local storage is the file namespace with absolute paths", () => {
    const local = ctx({ kind: "local", root: "/var/etl/storage", basePath: "project_id=p1" });
    expect(assetOutput(local, byKey("p1/extract/orders"), relations)).toMatchObject({
      namespace: "file",
      name: "/var/etl/storage/project_id=p1/extract/orders",
    });
  });

  it("schemas: source types in, target names and Trino types out, the tenant column on the table", () => {
    expect(assetInputs(s3, byKey("p1/extract/orders"), relations)[0]?.fields).toEqual([
      { name: "OrderId", type: "integer" },
    ]);
    expect(assetOutput(s3, byKey("p1/extract/orders"), relations)?.fields).toEqual([
      { name: "order_id", type: "integer" },
    ]);
    expect(assetOutput(s3, byKey("p1/load/orders"), relations)?.fields).toEqual([
      { name: "n", type: "bigint" },
      { name: "project_id", type: "varchar" },
    ]);
  });

  it("a dbt model's output is known once dbt reported its relation", () => {
    expect(assetOutput(s3, byKey("p1/dbt/orders_mart"), new Map())).toBeNull();
  });
});

describe("openLineageEvent", () => {
  it("names the job after the asset and its parent after the ETL job", () => {
    expect(lineageJobName("p1/load/orders")).toBe("p1.load.orders");
    const e = openLineageEvent(s3, {
      eventType: "COMPLETE",
      eventTime: "2026-01-01T00:00:00.000Z",
      runId: "0d9b6a3c-2a55-4d50-9a1f-5d8a7b1c2e3f",
      asset: byKey("p1/load/orders"),
      parent: { runId: "5d7b6a3c-2a55-4d50-9a1f-5d8a7b1c2e30", job: "daily_etl" },
      inputs: [],
      outputs: [
        { namespace: "trino://trino:8080", name: "iceberg.aps.orders_daily", fields: null },
      ],
      metadata: { rowsStaged: 42 },
    }) as Record<string, unknown>;
    expect(e).toMatchObject({
      eventType: "COMPLETE",
      job: { namespace: "etl-build", name: "p1.load.orders" },
      run: { facets: { parent: { job: { namespace: "etl-build", name: "p1.daily_etl" } } } },
      outputs: [{ outputFacets: { outputStatistics: { rowCount: 42 } } }],
    });
  });
});
