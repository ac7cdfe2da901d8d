import { describe, expect, it } from "vitest";
import { readCustomCode } from "./custom-code.js";
import { intendedTransform, oldLookup } from "./lookup.js";

const own = ["etl.tenants.t"];
const pkg = (init: string, transfer = "") =>
  readCustomCode(
    new Map([
      ["__init__.py", init],
      [
        "assets/transfer.py",
        `${transfer}\ndef mine(input_dfs, partition_date, tenant_id="t"):\n    return input_dfs["lot_history"]\n`,
      ],
    ]),
    own,
  );
const name = (f: { fn: { name: string; file: string } | null }) =>
  f.fn === null ? null : `${f.fn.name}@${f.fn.file}`;

const WIP = "transform_aps_wip_logic@etl/common/assets/transfer.py";
const CYCLE = "transform_cycle_time_logic@etl/common/assets/transfer.py";
const MINE = "mine@assets/transfer.py";
const IMPORT = "from etl.tenants.t.assets.transfer import mine\n";

describe("the old lookup and what each pipeline was meant to run", () => {
  it.each([
    // [case, __init__.py, pipeline, what the old lookup returned, what was meant]
    ["no custom code", "", "lot_history", WIP, WIP],
    ["no custom code, process_result", "", "process_result", WIP, CYCLE],
    [
      "an override under the common name",
      `${IMPORT}CUSTOM_TRANSFER_FUNCTIONS = {"aps_wip": mine}`,
      "lot_history",
      WIP,
      MINE,
    ],
    [
      "an entry under the pipeline's name",
      `${IMPORT}CUSTOM_TRANSFER_FUNCTIONS = {"lot_history": mine}`,
      "lot_history",
      MINE,
      MINE,
    ],
    [
      "the older dict name",
      `${IMPORT}CUSTOM_TRANSFORM_FUNCTIONS = {"orders": mine}`,
      "orders",
      MINE,
      MINE,
    ],
    [
      "None means the common function",
      `CUSTOM_TRANSFER_FUNCTIONS = {"aps_wip": None}`,
      "lot_history",
      WIP,
      WIP,
    ],
    ["a pipeline named like a common function", "", "cycle_time", CYCLE, CYCLE],
    ["a pipeline nothing was registered for", "", "orders", WIP, null],
    [
      "CUSTOM_TRANSFER_FUNCTIONS before CUSTOM_TRANSFORM_FUNCTIONS",
      `${IMPORT}CUSTOM_TRANSFORM_FUNCTIONS = {"x": other}\nCUSTOM_TRANSFER_FUNCTIONS = {"x": mine}`,
      "x",
      MINE,
      MINE,
    ],
  ])("%s", (_case, init, pipeline, ran, meant) => {
    const code = pkg(init);
    expect(name(oldLookup(code, pipeline))).toBe(ran);
    expect(name(intendedTransform(code, pipeline))).toBe(meant);
  });

  it("says how the lookup got its answer", () => {
    const code = pkg(`${IMPORT}CUSTOM_TRANSFER_FUNCTIONS = {"aps_wip": mine}`);
    expect(oldLookup(code, "lot_history").how).toBe(
      'not among CUSTOM_TRANSFER_FUNCTIONS["aps_wip"]; not in the common map (aps_wip, cycle_time, equipment_utilization) either: the fallback',
    );
    expect(intendedTransform(code, "lot_history").overrides?.python).toBe(
      "transform_aps_wip_logic",
    );
  });
});
