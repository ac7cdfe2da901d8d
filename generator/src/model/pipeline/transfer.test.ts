import { describe, expect, it } from "vitest";
import { reported, scopeOf, tenantContext, transformModule } from "../../../test/model-context.js";
import { pipelineTransfer } from "./transfer.js";

const TRANSFER = {
  module: "wip",
  export: "wip",
  output: { columns: { snapshot_date: "date", wip_qty: "bigint" } },
};

/** The transfer stage of pipeline "lots" (beside pipeline "items"), with transforms/wip.ts. */
function transferOf(lots: Record<string, unknown>, transforms = { wip: transformModule("wip") }) {
  const ctx = tenantContext({
    config: {
      assets: {
        pipelines: {
          items: { source_table: "items" },
          lots: { source_table: "lots", date_column: "created_at", ...lots },
        },
      },
    },
    transforms,
  });
  return { transfer: pipelineTransfer(scopeOf(ctx, "lots")), problems: reported(ctx) };
}

describe("pipelineTransfer", () => {
  it("has no stage without has_transfer", () => {
    expect(transferOf({})).toEqual({ transfer: { plan: null, transform: null }, problems: [] });
  });

  it.each([
    [
      "its own extract as input by default, the output in canonical Trino types",
      { has_transfer: true, transfer: TRANSFER },
      {
        inputs: ["lots"],
        module: "wip",
        exportName: "wip",
        output: [
          { name: "snapshot_date", type: "date", nullable: false },
          { name: "wip_qty", type: "bigint", nullable: false },
        ],
      },
    ],
    [
      "the inputs listed, in their order; a nullable column; a type in another spelling",
      {
        has_transfer: true,
        transfer_inputs: ["items", "lots"],
        transfer: {
          ...TRANSFER,
          output: {
            columns: { snapshot_date: "date", share: { type: "DECIMAL(10, 2)", nullable: true } },
          },
        },
      },
      {
        inputs: ["items", "lots"],
        module: "wip",
        exportName: "wip",
        output: [
          { name: "snapshot_date", type: "date", nullable: false },
          { name: "share", type: "decimal(10,2)", nullable: true },
        ],
      },
    ],
  ])("%s", (_name, lots, want) => {
    const { transfer, problems } = transferOf(lots);
    expect(problems).toEqual([]);
    expect(transfer.plan).toEqual(want);
    expect(transfer.transform).toEqual({
      ...want,
      output: want.output.map((c) => ({ ...c, ts: expect.any(String) })),
    });
  });

  it("gives the emitters each output column's TypeScript type", () => {
    const { transfer } = transferOf({ has_transfer: true, transfer: TRANSFER });
    expect(transfer.transform?.output.map((c) => [c.name, c.ts])).toEqual([
      ["snapshot_date", "string"],
      ["wip_qty", "bigint"],
    ]);
  });

  it.each([
    [
      "has_transfer without a transfer block",
      { has_transfer: true },
      [
        'tenant.assets.pipelines.lots.has_transfer: pipeline "lots" has has_transfer: true but no transfer: block',
      ],
    ],
    [
      "a transfer block with has_transfer false, and its inputs",
      { transfer: TRANSFER, transfer_inputs: ["items"] },
      [
        'tenant.assets.pipelines.lots.transfer: pipeline "lots" has a transfer: block but has_transfer is false',
        'tenant.assets.pipelines.lots.transfer_inputs: pipeline "lots" has transfer_inputs but has_transfer is false',
      ],
    ],
    [
      "an input no pipeline has, and one listed twice",
      { has_transfer: true, transfer: TRANSFER, transfer_inputs: ["itemz", "lots", "lots"] },
      [
        'tenant.assets.pipelines.lots.transfer_inputs.0: transfer_inputs entry "itemz" names no pipeline of tenant acme',
        'tenant.assets.pipelines.lots.transfer_inputs.2: transfer_inputs lists "lots" twice',
      ],
    ],
    [
      "a module transforms/ does not hold",
      { has_transfer: true, transfer: { ...TRANSFER, module: "wipp" } },
      [
        'tenant.assets.pipelines.lots.transfer.module: transform module "wipp" not found: expected tenants/acme/transforms/wipp.ts',
      ],
    ],
    [
      "an export the module lacks",
      { has_transfer: true, transfer: { ...TRANSFER, export: "cycleTime" } },
      [
        'tenant.assets.pipelines.lots.transfer.export: tenants/acme/transforms/wip.ts does not export "cycleTime"',
      ],
    ],
    [
      "an output type Trino does not have",
      {
        has_transfer: true,
        transfer: { ...TRANSFER, output: { columns: { snapshot_date: "date", n: "number" } } },
      },
      [
        'tenant.assets.pipelines.lots.transfer.output.columns.n: output column "n" has unsupported type "number"',
      ],
    ],
    [
      "no output column",
      { has_transfer: true, transfer: { ...TRANSFER, output: { columns: {} } } },
      [
        "tenant.assets.pipelines.lots.transfer.output.columns: a transform must declare at least one output column",
      ],
    ],
  ])("reports %s", (_name, lots, want) => {
    expect(transferOf(lots).problems).toEqual(want);
  });
});
