// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are literal `${VAR}` configuration text
import { describe, expect, it } from "vitest";
import { globToRegExp, parseGlobList, selectKeys } from "./glob.js";

const KEYS = [
  "acme/extract/items",
  "acme/transfer/items",
  "acme/load/items",
  "acme/extract/lot_history",
  "acme/dbt/stg_items",
  "acme/extract/items.v2",
  "other/extract/items",
];

describe("selectKeys", () => {
  it.each([
    [["acme/extract/items"], ["acme/extract/items"]],
    [["acme/*/items"], ["acme/extract/items", "acme/transfer/items", "acme/load/items"]],
    [
      ["acme/extract/*"],
      ["acme/extract/items", "acme/extract/lot_history", "acme/extract/items.v2"],
    ],
    [["acme/**"], KEYS.filter((k) => k.startsWith("acme/"))],
    [
      ["**/items"],
      ["acme/extract/items", "acme/transfer/items", "acme/load/items", "other/extract/items"],
    ],
    [["*/items"], []],
    [["acme/extract/item?"], ["acme/extract/items"]],
    // `.` is literal, not "any character".
    [["acme/extract/items.v2"], ["acme/extract/items.v2"]],
    [["acme/extract/itemsxv2"], []],
    [
      ["acme/dbt/*", "acme/load/*"],
      ["acme/load/items", "acme/dbt/stg_items"],
    ],
    [["acme/(extract)/items"], []],
    [["ACME/extract/items"], []],
  ])("%j selects %j", (globs, want) => {
    expect(selectKeys(KEYS, globs)).toEqual(want);
  });

  it("keeps regular-expression syntax literal", () => {
    expect(globToRegExp("a+b/[x]/${y}|z").test("a+b/[x]/${y}|z")).toBe(true);
    expect(globToRegExp("a+b").test("aab")).toBe(false);
  });
});

describe("parseGlobList", () => {
  it.each([
    ["acme/*/items", ["acme/*/items"]],
    ["acme/extract/*, acme/load/*", ["acme/extract/*", "acme/load/*"]],
  ])("%j is %j", (given, want) => {
    expect(parseGlobList(given)).toEqual({ ok: true, globs: want });
  });

  it.each(["a,,b", "a,", ",", " "])("%j has an empty glob", (given) => {
    expect(parseGlobList(given)).toEqual({
      ok: false,
      error: `"${given}" has an empty glob: write globs separated by commas`,
    });
  });
});
