import { Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { OutputBatcher, type OutputSpec, tableRows } from "./rows.js";
import type { Row } from "./types.js";

/** Rows through the transfer's writer and back through its reader. */
function roundTrip(specs: OutputSpec[], rows: Row[]): Row[] {
  const batcher = new OutputBatcher("p", specs);
  for (const row of rows) batcher.push(row);
  return [...tableRows(new Table([batcher.flush()]))];
}

describe("transfer rows: decimals", () => {
  const cases: [string, string, string][] = [
    ["decimal(18,4)", "1234.5", "1234.5000"],
    ["decimal(18,4)", "-0.0001", "-0.0001"],
    ["decimal(18,4)", "0", "0.0000"],
    ["decimal(10,0)", "-42", "-42"],
    [
      "decimal(38,2)",
      "-999999999999999999999999999999999999.99",
      "-999999999999999999999999999999999999.99",
    ],
    [
      "decimal(38,0)",
      "99999999999999999999999999999999999999",
      "99999999999999999999999999999999999999",
    ],
  ];
  it.each(cases)("%s %s reads back as %s", (type, given, want) => {
    const [row] = roundTrip([{ name: "v", type, nullable: false }], [{ v: given }]);
    expect(row).toEqual({ v: want });
  });
});

describe("transfer rows: dates", () => {
  it.each([
    ["2026-01-02", "2026-01-02"],
    ["1969-12-31", "1969-12-31"],
    ["0001-01-01", "0001-01-01"],
    ["9999-12-31", "9999-12-31"],
  ])("%s", (given, want) => {
    const [row] = roundTrip([{ name: "d", type: "date", nullable: true }], [{ d: given }]);
    expect(row).toEqual({ d: want });
  });
  it("keeps nulls", () => {
    const rows = roundTrip(
      [
        { name: "d", type: "date", nullable: true },
        { name: "v", type: "decimal(18,4)", nullable: true },
      ],
      [
        { d: null, v: null },
        { d: "2026-01-02", v: "1" },
      ],
    );
    expect(rows).toEqual([
      { d: null, v: null },
      { d: "2026-01-02", v: "1.0000" },
    ]);
  });
});

describe("transfer rows: output types", () => {
  it("refuses an array output column, saying what to declare instead", () => {
    expect(
      () => new OutputBatcher("p", [{ name: "a", type: "array(varchar)", nullable: true }]),
    ).toThrow(
      /^output type array\(varchar\) is not supported by the transfer writer, which writes scalar columns only .*: declare an array as varchar holding JSON text$/,
    );
  });
});
