import { describe, expect, it } from "vitest";
import type { WriteMode } from "../plan.js";
import { pipelinePlan } from "../test-fixtures.js";
import { type LoadPartitionOptions, loadPlan } from "./load.js";

type PlanInputs = Parameters<typeof loadPlan>[0];

function inputs(
  mode: WriteMode,
  options: {
    dateColumn?: string | null;
    keyColumns?: string[];
    columns?: { name: string; type: string }[];
    partition?: LoadPartitionOptions["partition"];
  } = {},
): PlanInputs {
  const pipeline = pipelinePlan({
    dateColumn: options.dateColumn === undefined ? "Day" : options.dateColumn,
    saveToTrino: true,
    trinoOutput: {
      catalog: "iceberg",
      schema: "s",
      table: "orders",
      keyColumns: options.keyColumns ?? ["ID"],
      writeMode: mode,
      tenantColumn: "Tenant_ID",
    },
  });
  return {
    pipeline,
    tenantId: "t1",
    catalog: "iceberg",
    staged: {
      stage: "extract",
      location: "s3://b/p/",
      runId: "r",
      columns: options.columns ?? [
        { name: "ID", type: "bigint" },
        { name: "day", type: "date" },
        { name: "tenant_id", type: "varchar" },
      ],
    },
    partition:
      options.partition === undefined ? { date: "2026-01-02", timeZone: "UTC" } : options.partition,
  };
}

describe("loadPlan", () => {
  it("lower-cases names, leaves the tenant column out of the data, and keys on it", () => {
    expect(loadPlan(inputs("merge"))).toEqual({
      target: { catalog: "iceberg", schema: "s", table: "orders" },
      mode: "merge",
      tenantColumn: "tenant_id",
      dataColumns: [
        { name: "id", type: "bigint" },
        { name: "day", type: "date" },
      ],
      partitionColumn: { name: "day", type: "date" },
      keyColumns: ["id", "tenant_id"],
    });
  });

  it("an unpartitioned full refresh has no partition column", () => {
    const plan = loadPlan(inputs("full_refresh", { dateColumn: null, partition: null }));
    expect(plan.partitionColumn).toBeNull();
  });

  const refusals: { name: string; given: PlanInputs; want: string }[] = [
    {
      name: "a partitioned pipeline without its date column, nor a partition, nor a key",
      given: inputs("merge", {
        keyColumns: [],
        columns: [{ name: "id", type: "bigint" }],
        partition: null,
      }),
      want: `cannot load pipeline orders (t1): the extract data has no column "day" to partition by (its columns: id); the pipeline is partitioned but no partition date was given; write mode merge needs trino_output.key_columns`,
    },
    {
      name: "a partition column that holds no date, and a key column not in the data",
      given: inputs("merge", {
        keyColumns: ["code"],
        columns: [{ name: "day", type: "varchar" }],
      }),
      want: `cannot load pipeline orders (t1): partition column "day" is varchar, expected a date or timestamp; key column "code" is not in the extract data`,
    },
    {
      name: "a staged column name the target cannot hold",
      given: inputs("append", {
        columns: [
          { name: "day", type: "date" },
          { name: "A,B", type: "bigint" },
        ],
      }),
      want: `cannot load pipeline orders (t1): column "a,b" contains a comma, which the Hive connector refuses in column names ("Hive column names must not contain commas")`,
    },
    {
      name: "replace_partition of an unpartitioned pipeline",
      given: inputs("replace_partition", { dateColumn: null, partition: null }),
      want: "cannot load pipeline orders (t1): write mode replace_partition needs a partitioned pipeline (date_column); use full_refresh",
    },
    {
      name: "full_refresh of a partitioned pipeline",
      given: inputs("full_refresh"),
      want: "cannot load pipeline orders (t1): write mode full_refresh replaces all of the tenant's rows; a partitioned pipeline should use replace_partition or merge",
    },
  ];
  for (const { name, given, want } of refusals) {
    it(`refuses ${name}, every problem at once`, () => {
      expect(() => loadPlan(given)).toThrow(want);
    });
  }
});
