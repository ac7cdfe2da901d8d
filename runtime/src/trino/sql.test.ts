import { describe, expect, it } from "vitest";
import { OutputBatcher } from "../transfer/rows.js";
import { isTransient, TrinoQueryError } from "./client.js";
import { normaliseType, quoteTrinoIdent, stringLiteral } from "./sql.js";

describe("SQL building", () => {
  it("quotes valid identifiers and refuses anything else", () => {
    expect(quoteTrinoIdent("lot_id")).toBe('"lot_id"');
    expect(() => quoteTrinoIdent('x"; DROP TABLE t; --', "column")).toThrow(
      /column "x"; DROP TABLE t; --" is not a valid identifier/,
    );
    expect(() => quoteTrinoIdent("1abc")).toThrow(/not a valid identifier/);
  });
  it("escapes string literals", () => {
    expect(stringLiteral("it's")).toBe("'it''s'");
    expect(() => stringLiteral("a\u0000b")).toThrow(/NUL/);
  });
  it("normalises Trino type names and refuses unknown ones", () => {
    expect(normaliseType("DECIMAL(18, 4)")).toBe("decimal(18,4)");
    expect(normaliseType("timestamp")).toBe("timestamp(6)");
    expect(normaliseType("array(Timestamp(6) with time zone)")).toBe(
      "array(timestamp(6) with time zone)",
    );
    expect(() => normaliseType("varchar); DROP")).toThrow(/not a supported Trino column type/);
  });
});

describe("transient classification", () => {
  it("follows the transient flag through causes", () => {
    const busy = new TrinoQueryError("busy", {
      queryId: "q1",
      errorName: "SERVER_STARTING_UP",
      errorType: "INTERNAL_ERROR",
      httpStatus: null,
      transient: true,
    });
    expect(isTransient(busy)).toBe(true);
    expect(isTransient(new Error("wrapped", { cause: busy }))).toBe(true);
    expect(isTransient(new Error("syntax"))).toBe(false);
  });
});

describe("transfer output rows", () => {
  const specs = [
    { name: "step", type: "varchar", nullable: false },
    { name: "qty", type: "bigint", nullable: false },
    { name: "amount", type: "decimal(10,2)", nullable: true },
  ];
  it("names pipeline, row index and column for a missing column", () => {
    const b = new OutputBatcher("wip", specs);
    b.push({ step: "S1", qty: 1n, amount: "1.50" });
    expect(() => b.push({ step: "S2", amount: null })).toThrow(
      'transform of pipeline wip: output row 1 has no column "qty" (declared bigint); set it, or null if it is nullable',
    );
  });
  it("refuses wrong types and inexact decimals", () => {
    const b = new OutputBatcher("wip", specs);
    expect(() => b.push({ step: 3, qty: 1n, amount: null })).toThrow(
      'output row 0 column "step" (varchar): expected a string, got number 3',
    );
    expect(() => b.push({ step: "a", qty: 1n, amount: "1.234" })).toThrow(
      /more than 2 decimal places/,
    );
    expect(() => b.push({ step: "a", qty: null, amount: null })).toThrow(/declared not nullable/);
  });
  it("builds a batch with the accepted rows", () => {
    const b = new OutputBatcher("wip", specs);
    b.push({ step: "a", qty: 2, amount: "-3.5" });
    b.push({ step: "b", qty: 9007199254740993n, amount: null });
    const batch = b.flush();
    expect(batch.numRows).toBe(2);
    expect(batch.getChild("qty")?.get(1)).toBe(9007199254740993n);
    expect(batch.getChild("amount")?.nullCount).toBe(1);
  });
});
