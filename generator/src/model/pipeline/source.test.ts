import type { SourceColumn } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import { column, reported, scopeOf, tenantContext } from "../../../test/model-context.js";
import { pipelineSource } from "./source.js";

const LOTS: SourceColumn[] = [
  column("lot_id", "text", false),
  column("Created At", "timestamp with time zone"),
  column("qty", "integer"),
];

/** The source of pipeline "lots" given as its config (and the snapshot's columns, if any). */
function sourceOf(pipeline: Record<string, unknown>, snapshot: SourceColumn[] | null = null) {
  const ctx = tenantContext({
    config: { assets: { pipelines: { lots: pipeline } } },
    ...(snapshot === null ? {} : { snapshot: { lots: snapshot } }),
  });
  return { source: pipelineSource(scopeOf(ctx, "lots")), problems: reported(ctx) };
}

describe("pipelineSource", () => {
  it.each([
    [
      "a table, unpartitioned",
      { source_table: "lot_history" },
      null,
      { sourceTable: "lot_history", query: null, dateColumn: null },
    ],
    [
      "a table name PostgreSQL holds as it is (kept, quoted at run time)",
      { source_table: "Order Details" },
      null,
      { sourceTable: "Order Details", query: null, dateColumn: null },
    ],
    [
      "a query, partitioned by a column the runtime checks (no snapshot)",
      { query: "SELECT * FROM lots", date_column: "created_at" },
      null,
      { sourceTable: null, query: "SELECT * FROM lots", dateColumn: "created_at" },
    ],
    [
      "a date column named by its target name, planned by its source name",
      { source_table: "lots", date_column: "created_at" },
      LOTS,
      { sourceTable: "lots", query: null, dateColumn: "Created At" },
    ],
  ])("%s", (_name, pipeline, snapshot, want) => {
    const { source, problems } = sourceOf(pipeline, snapshot);
    expect(problems).toEqual([]);
    expect(source).toEqual(want);
  });

  it.each([
    [
      "neither a table nor a query",
      { date_column: "created_at" },
      null,
      ['tenant.assets.pipelines.lots: pipeline "lots" has neither source_table nor query'],
    ],
    [
      "both a table and a query",
      { source_table: "lots", query: "SELECT 1" },
      null,
      ['tenant.assets.pipelines.lots.query: pipeline "lots" has both source_table and query'],
    ],
    [
      "a query ending with a semicolon",
      { query: "SELECT 1;" },
      null,
      [
        "tenant.assets.pipelines.lots.query: query ends with a semicolon; the runtime wraps it as a subquery",
      ],
    ],
    [
      "a date column the source does not have",
      { source_table: "lots", date_column: "created" },
      LOTS,
      [
        'tenant.assets.pipelines.lots.date_column: date_column "created" is not a column of the source of pipeline "lots" (introspection.json)',
      ],
    ],
    [
      "a date column that is no date",
      { source_table: "lots", date_column: "qty" },
      LOTS,
      [
        'tenant.assets.pipelines.lots.date_column: date_column "qty" has type integer; expected a date or timestamp column',
      ],
    ],
  ])("reports %s", (_name, pipeline, snapshot, want) => {
    expect(sourceOf(pipeline, snapshot).problems).toEqual(want);
  });
});
