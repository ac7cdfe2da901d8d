import type { SourceColumn } from "@etl/runtime/plan";
import { describe, expect, it } from "vitest";
import {
  column,
  reported,
  scopeOf,
  tenantContext,
  transformModule,
} from "../../../test/model-context.js";
import { pipelineChecks } from "./checks.js";
import { pipelineTransfer } from "./transfer.js";

const ITEMS: SourceColumn[] = [
  column("Item ID", "text", false),
  column("qty", "integer"),
  column("code", "text"),
];

const TRANSFER = {
  has_transfer: true,
  transfer: {
    module: "wip",
    export: "wip",
    output: { columns: { snapshot_date: "date", wip_qty: "bigint" } },
  },
};

/** The checks of pipeline "items" given its config (its transfer phase run first, as buildPipeline does). */
function checksOf(items: Record<string, unknown>, snapshot: SourceColumn[] | null = ITEMS) {
  const ctx = tenantContext({
    config: { assets: { pipelines: { items: { source_table: "items", ...items } } } },
    ...(snapshot === null ? {} : { snapshot: { items: snapshot } }),
    transforms: { wip: transformModule("wip") },
  });
  const scope = scopeOf(ctx, "items");
  const checks = pipelineChecks(scope, pipelineTransfer(scope).transform);
  return { checks, problems: reported(ctx) };
}

describe("pipelineChecks", () => {
  it.each([
    ["none", [], null, []],
    [
      "a source column by its source name: planned and named by its target name",
      [{ type: "not_null", column: "Item ID" }],
      null,
      [{ type: "not_null", column: "item_id", severity: "error", name: "not_null_item_id" }],
    ],
    [
      "every kind, with the defaults filled in",
      [
        { type: "unique", columns: ["item_id", "code"] },
        { type: "accepted_values", column: "code", values: ["A", 7] },
        { type: "range", column: "qty", min: 0, severity: "warn" },
        { type: "regex", column: "code", pattern: "^[A-Z]+$" },
        { type: "row_count", min: 1 },
      ],
      null,
      [
        {
          type: "unique",
          columns: ["item_id", "code"],
          severity: "error",
          name: "unique_item_id_code",
        },
        {
          type: "accepted_values",
          column: "code",
          values: ["A", "7"],
          severity: "error",
          name: "accepted_values_code",
        },
        { type: "range", column: "qty", min: 0, max: null, severity: "warn", name: "range_qty" },
        {
          type: "regex",
          column: "code",
          pattern: "^[A-Z]+$",
          severity: "error",
          name: "regex_code",
        },
        { type: "row_count", min: 1, max: null, severity: "error", name: "row_count" },
      ],
    ],
    [
      "a named check on a transform's output",
      [{ type: "range", column: "wip_qty", min: 0, name: "qty_positive" }],
      TRANSFER,
      [
        {
          type: "range",
          column: "wip_qty",
          min: 0,
          max: null,
          severity: "error",
          name: "qty_positive",
        },
      ],
    ],
  ])("%s", (_name, checks, transfer, want) => {
    const result = checksOf({ checks, ...(transfer ?? {}) });
    expect(result.problems).toEqual([]);
    expect(result.checks).toEqual(want);
  });

  it.each([
    [
      "a column the source does not have",
      [{ type: "not_null", column: "item" }],
      null,
      [
        'tenant.assets.pipelines.items.checks.0: check not_null names column "item", which pipeline "items" does not produce',
      ],
    ],
    [
      "a source column after a transform, which replaces the output",
      [{ type: "not_null", column: "code" }],
      TRANSFER,
      [
        'tenant.assets.pipelines.items.checks.0: check not_null names column "code", which pipeline "items" does not produce',
      ],
    ],
    [
      "two checks of one name",
      [
        { type: "not_null", column: "qty" },
        { type: "not_null", column: "qty", severity: "warn" },
      ],
      null,
      [
        'tenant.assets.pipelines.items.checks.1: two checks of pipeline "items" are named "not_null_qty"',
      ],
    ],
    [
      "a pattern that does not compile",
      [{ type: "regex", column: "code", pattern: "([A-Z]" }],
      null,
      [
        'tenant.assets.pipelines.items.checks.0.pattern: pattern "([A-Z]" is not a valid regular expression',
      ],
    ],
    [
      "min above max",
      [{ type: "row_count", min: 10, max: 1 }],
      null,
      ["tenant.assets.pipelines.items.checks.0: check row_count has min 10 greater than max 1"],
    ],
  ])("reports %s", (_name, checks, transfer, want) => {
    expect(checksOf({ checks, ...(transfer ?? {}) }).problems).toEqual(want);
  });
});
