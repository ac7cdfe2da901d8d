import type { SourceColumn } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import { column, reported, scopeOf, tenantContext } from "../../../test/model-context.js";
import { pipelineIncremental } from "./incremental.js";

const ITEMS: SourceColumn[] = [
  column("item_id", "bigint", false),
  column("name", "text"),
  column("Updated At", "timestamp without time zone"),
];

/** The incremental mode of pipeline "items" given its `incremental:` (and the snapshot, if any). */
function incrementalOf(incremental: unknown, snapshot: SourceColumn[] | null = ITEMS) {
  const ctx = tenantContext({
    config: {
      assets: {
        pipelines: {
          items: { source_table: "items", ...(incremental === undefined ? {} : { incremental }) },
        },
      },
    },
    ...(snapshot === null ? {} : { snapshot: { items: snapshot } }),
  });
  return { plan: pipelineIncremental(scopeOf(ctx, "items")), problems: reported(ctx) };
}

describe("pipelineIncremental", () => {
  it.each([
    ["none", undefined, ITEMS, null],
    [
      "a timestamp cursor by its target name, with a lookback",
      { cursor_column: "updated_at", lookback: "2h" },
      ITEMS,
      { cursorColumn: "Updated At", lookbackSeconds: 7200 },
    ],
    [
      "a lookback in seconds",
      { cursor_column: "Updated At", lookback: 90 },
      ITEMS,
      { cursorColumn: "Updated At", lookbackSeconds: 90 },
    ],
    [
      "an integer cursor without lookback",
      { cursor_column: "item_id" },
      ITEMS,
      { cursorColumn: "item_id", lookbackSeconds: 0 },
    ],
    [
      "a cursor the runtime checks (no snapshot)",
      { cursor_column: "updated_at", lookback: "1d" },
      null,
      { cursorColumn: "updated_at", lookbackSeconds: 86_400 },
    ],
  ])("%s", (_name, incremental, snapshot, want) => {
    const { plan, problems } = incrementalOf(incremental, snapshot);
    expect(problems).toEqual([]);
    expect(plan).toEqual(want);
  });

  it.each([
    [
      "a text cursor",
      { cursor_column: "name" },
      [
        'tenant.assets.pipelines.items.incremental.cursor_column: incremental.cursor_column "name" has type text; a cursor must be a date, timestamp, timestamptz or integer column',
      ],
    ],
    [
      "a cursor the source does not have",
      { cursor_column: "updated" },
      [
        'tenant.assets.pipelines.items.incremental.cursor_column: incremental.cursor_column "updated" is not a column of the source of pipeline "items" (introspection.json)',
      ],
    ],
    [
      "an integer cursor with a lookback",
      { cursor_column: "item_id", lookback: "1h" },
      [
        'tenant.assets.pipelines.items.incremental.lookback: incremental.cursor_column "item_id" is an integer, so lookback must be 0 (it is 3600 seconds)',
      ],
    ],
    [
      "a lookback of more than a hundred years",
      { cursor_column: "updated_at", lookback: "36501d" },
      [
        'tenant.assets.pipelines.items.incremental.lookback: lookback "36501d" is longer than 36500 days',
      ],
    ],
  ])("reports %s", (_name, incremental, want) => {
    const { plan, problems } = incrementalOf(incremental);
    expect(plan).toBeNull();
    expect(problems).toEqual(want);
  });
});
