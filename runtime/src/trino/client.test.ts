import { describe, expect, it } from "vitest";
import { lostSchemaRace } from "./client.js";

describe("lostSchemaRace", () => {
  const message = "inputPage channelCount (10) == dataColumns size (8) + 3";
  const merge = 'MERGE INTO "iceberg"."aps"."aps_input_wip" AS t USING (SELECT 1) AS s ON true';
  it.each([
    ["a MERGE that met a concurrent column change", merge, "GENERIC_INTERNAL_ERROR", message, true],
    ["indented MERGE", `\n  ${merge}`, "GENERIC_INTERNAL_ERROR", message, true],
    ["another internal error of a MERGE", merge, "GENERIC_INTERNAL_ERROR", "boom", false],
    [
      "the same text from an INSERT",
      "INSERT INTO t SELECT 1",
      "GENERIC_INTERNAL_ERROR",
      message,
      false,
    ],
    ["a user error of a MERGE", merge, "COLUMN_NOT_FOUND", message, false],
    ["no error name", merge, null, message, false],
  ] as const)("%s: %s", (_what, sql, errorName, text, want) => {
    expect(lostSchemaRace(sql, errorName, text)).toBe(want);
  });
});
