import type { SourceColumn } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import {
  column,
  reported,
  scopeOf,
  tenantContext,
  transformModule,
} from "../../../test/model-context.js";
import { pipelineSource } from "./source.js";
import { pipelineTransfer } from "./transfer.js";
import { pipelineTrinoOutput } from "./trino-output.js";

const ITEMS: SourceColumn[] = [
  column("Item ID", "text", false),
  column("name", "text"),
  column("created_at", "date"),
];

const WIP = {
  module: "wip",
  export: "wip",
  output: { columns: { snapshot_date: "date", step: "varchar", qty: "bigint" } },
};

/** The Trino output of pipeline "items", after its source and transfer phases as buildPipeline runs them. */
function outputOf(items: Record<string, unknown>, snapshot: SourceColumn[] | null = ITEMS) {
  const ctx = tenantContext({
    config: { assets: { pipelines: { items: { source_table: "items", ...items } } } },
    ...(snapshot === null ? {} : { snapshot: { items: snapshot } }),
    transforms: { wip: transformModule("wip") },
  });
  const scope = scopeOf(ctx, "items");
  const source = pipelineSource(scope);
  const transfer = pipelineTransfer(scope);
  return {
    output: pipelineTrinoOutput(scope, transfer.transform, source.dateColumn),
    problems: reported(ctx),
  };
}

const target = (over: Record<string, unknown>) => ({
  trino_output: { target_table: "items", target_schema: "aps", ...over },
});

describe("pipelineTrinoOutput", () => {
  it("is null without trino_output", () => {
    expect(outputOf({})).toEqual({ output: null, problems: [] });
  });

  it.each([
    [
      "source keys named by source or target name, planned by target name: merge",
      target({ key_columns: ["project_id", "Item ID"] }),
      { keyColumns: ["project_id", "item_id"], writeMode: "merge" },
    ],
    [
      "no keys, partitioned: replace_partition",
      { date_column: "created_at", ...target({ key_columns: [] }) },
      { keyColumns: [], writeMode: "replace_partition" },
    ],
    [
      "no keys, unpartitioned: full_refresh",
      target({ key_columns: [] }),
      { keyColumns: [], writeMode: "full_refresh" },
    ],
    [
      "keys of a transform's output, partitioned by its snapshot_date",
      {
        date_column: "created_at",
        has_transfer: true,
        transfer: WIP,
        ...target({ key_columns: ["snapshot_date", "step"] }),
      },
      { keyColumns: ["snapshot_date", "step"], writeMode: "merge" },
    ],
    [
      "a write mode given, and another tenant column",
      target({ key_columns: [], write_mode: "append", tenant_column: "tenant" }),
      { keyColumns: [], writeMode: "append", tenantColumn: "tenant" },
    ],
  ])("%s", (_name, items, want) => {
    const { output, problems } = outputOf(items);
    expect(problems).toEqual([]);
    expect(output).toEqual({
      catalog: "iceberg",
      schema: "aps",
      table: "items",
      tenantColumn: "project_id",
      ...want,
    });
  });

  it("keeps a catalog reference a reference", () => {
    const ctx = tenantContext({
      config: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` of the config
        target_database: { target_catalog: "${TRINO_CATALOG:iceberg}" },
        assets: { pipelines: { items: { source_table: "items", ...target({ key_columns: [] }) } } },
      },
    });
    const scope = scopeOf(ctx, "items");
    expect(pipelineTrinoOutput(scope, null, null)?.catalog).toEqual({
      env: "TRINO_CATALOG",
      default: "iceberg",
    });
  });

  it.each([
    [
      "a key column the output does not have",
      target({ key_columns: ["item_no"] }),
      [
        'tenant.assets.pipelines.items.trino_output.key_columns.0: key column "item_no" is not among the source columns (introspection.json) of pipeline "items"',
      ],
    ],
    [
      "a key column listed twice, by both its names",
      target({ key_columns: ["Item ID", "item_id"] }),
      [
        'tenant.assets.pipelines.items.trino_output.key_columns.1: key column "item_id" is listed twice',
      ],
    ],
    [
      "merge with only the tenant column as key",
      target({ key_columns: ["project_id"], write_mode: "merge" }),
      [
        "tenant.assets.pipelines.items.trino_output.write_mode: write_mode merge needs key_columns (besides the tenant column)",
      ],
    ],
    [
      "replace_partition of an unpartitioned pipeline",
      target({ key_columns: [], write_mode: "replace_partition" }),
      [
        'tenant.assets.pipelines.items.trino_output.write_mode: write_mode replace_partition needs a partitioned pipeline, and "items" has no date_column',
      ],
    ],
    [
      "a tenant column the source also has",
      target({ key_columns: [], tenant_column: "name" }),
      [
        'tenant.assets.pipelines.items.trino_output.tenant_column: tenant column "name" is also an output column of pipeline "items"; the loader fills it with the tenant id',
      ],
    ],
    [
      "a partitioned transform without snapshot_date",
      {
        date_column: "created_at",
        has_transfer: true,
        transfer: { ...WIP, output: { columns: { step: "varchar" } } },
        ...target({ key_columns: ["step"] }),
      },
      [
        'tenant.assets.pipelines.items.transfer.output.columns: pipeline "items" is partitioned and loads its transform\'s output, which must have a snapshot_date column of type date or timestamp (the load partitions by it)',
      ],
    ],
    [
      "a target table that is a reserved word",
      { trino_output: { target_table: "select", target_schema: "aps", key_columns: [] } },
      [
        'tenant.assets.pipelines.items.trino_output.target_table: target_table "select" is a reserved word in Trino SQL',
      ],
    ],
  ])("reports %s", (_name, items, want) => {
    expect(outputOf(items).problems).toEqual(want);
  });
});
