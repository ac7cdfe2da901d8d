import { describe, expect, it } from "vitest";
import { assetKey, parseAssetKey } from "./asset-key.js";

describe("asset keys", () => {
  it.each([
    ["acme", "extract", "items", "acme/extract/items"],
    ["acme", "transfer", "items", "acme/transfer/items"],
    ["acme", "load", "items", "acme/load/items"],
    ["acme", "dbt", "stg_items", "acme/dbt/stg_items"],
  ] as const)("%s %s %s is %s, and reads back", (tenant, stage, name, key) => {
    expect(assetKey(tenant, stage, name)).toBe(key);
    expect(parseAssetKey(key)).toEqual({ tenant, stage, name });
  });

  it.each([
    "acme/extract",
    "acme/stage/items",
    "acme/extract/items/x",
    "/extract/items",
    "acme/extract/",
    "",
  ])("%j is not an asset key", (key) => {
    expect(parseAssetKey(key)).toBeNull();
  });
});
