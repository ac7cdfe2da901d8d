import { type DataType, Int16, Int32, Int64, Utf8, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import type { LogicalType } from "../types/pg.js";
import { maxOf, renderCursor } from "./parts.js";

const cursor = { source: { name: "updated_at" } } as Parameters<typeof maxOf>[0];

function column(values: (number | bigint | string | null)[], type: DataType) {
  const data = vectorFromArray(values, type).data[0];
  if (data === undefined) throw new Error("no data");
  return data as Parameters<typeof maxOf>[1];
}

describe("maxOf", () => {
  it.each([
    ["bigint values", column([3n, 9n, -2n], new Int64()), 9n],
    [
      "bigint values with nulls (a null slot is never the maximum)",
      column([null, 5n, null], new Int64()),
      5n,
    ],
    ["int32 values", column([-7, 4, 2], new Int32()), 4n],
    ["int16 values", column([1, -1], new Int16()), 1n],
    ["only nulls", column([null, null], new Int32()), null],
    ["no rows", column([], new Int64()), null],
  ])("%s", (_name, data, want) => {
    expect(maxOf(cursor, data)).toBe(want);
  });
  it("refuses a column without comparable values", () => {
    expect(() => maxOf(cursor, column(["a"], new Utf8()))).toThrow(
      "internal: cursor column updated_at has no comparable values",
    );
  });
});

describe("renderCursor", () => {
  const cases: [LogicalType, bigint, string][] = [
    [{ kind: "date" }, 20454n, "2026-01-01"],
    [{ kind: "timestamp" }, 1_767_225_600_123_456n, "2026-01-01 00:00:00.123456"],
    [{ kind: "timestamptz" }, 1_767_225_600_000_000n, "2026-01-01T00:00:00Z"],
    [{ kind: "int64" }, -42n, "-42"],
    [{ kind: "int32" }, 7n, "7"],
  ];
  it.each(cases)("%o %s", (logical, value, want) => {
    expect(renderCursor({ logical }, value)).toBe(want);
  });
});
