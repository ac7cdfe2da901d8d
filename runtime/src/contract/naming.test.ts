import { describe, expect, it } from "vitest";
import {
  deriveTargetNames,
  pgIdentifierProblem,
  preservedName,
  snakeCaseName,
  targetColumnProblem,
} from "./naming.js";

describe("snakeCaseName", () => {
  const cases: [string, string | null][] = [
    // Already snake case: kept exactly (so today's tenants keep every name).
    ["lot_id", "lot_id"],
    ["lot__history", "lot__history"],
    ["value_", "value_"],
    ["_id", "_id"],
    ["x1", "x1"],
    // Separators, punctuation and case.
    ["field-with_sep", "field_with_sep"],
    ["a.dotted.column", "a_dotted_column"],
    ["(inside,parens)", "inside_parens"],
    ["Order Details", "order_details"],
    ["  padded  ", "padded"],
    ["OrderID", "order_id"],
    ["DealFlow", "deal_flow"],
    ["HTTPServer", "http_server"],
    ["customerID2", "customer_id2"],
    ["Address2Line", "address2_line"],
    ["ID", "id"],
    ['dq"x', "dq_x"],
    ["o'q", "o_q"],
    ["select", "select"],
    ["SELECT", "select"],
    // dlt's swapped characters.
    ["*id*", "xidx"],
    ["a+b", "axb"],
    ["e@mail", "eamail"],
    ["a|b", "alb"],
    // Leading digit.
    ["1st place", "_1st_place"],
    ["2024", "_2024"],
    // Unicode folded: marks removed, a few letters spelled out, other scripts dropped.
    ["Größe", "grosse"],
    ["ünïcødé", "unicode"],
    ["Ærø", "aero"],
    ["Crème Brûlée", "creme_brulee"],
    ["Łódź", "lodz"],
    ["名前", null],
    ["اسم", null],
    ["名前 id", "id"],
    ["___", "___"],
    ["!!!", null],
    ["", null],
  ];
  it.each(cases)("%j -> %j", (given, want) => {
    expect(snakeCaseName(given)).toBe(want);
  });

  it("is idempotent", () => {
    for (const [given] of cases) {
      const once = snakeCaseName(given);
      if (once !== null) {
        expect(snakeCaseName(once), given).toBe(once);
      }
    }
  });
});

describe("preservedName", () => {
  it.each([
    ["field-with_sep", "field-with_sep"],
    ["Order Details", "order details"],
    ["ΣΑΣ", "σας"],
    ["ÄÖÜ Straße", "äöü straße"],
  ])("%j -> %j (Trino's lower-casing)", (given, want) => {
    expect(preservedName(given)).toBe(want);
  });
});

describe("targetColumnProblem", () => {
  it.each([
    ["field-with_sep", null],
    ["a.dotted.column", null],
    ["*id*", null],
    ['dq"x', null],
    ["名前", null],
    ["order details", null],
    ["(inside,parens)", /comma/],
    [" lead", /white space/],
    ["trail ", /white space/],
    ["tab\there", /control character/],
    ["Upper", /lower case/],
    ["__etl_op", /reserved/],
    ["", /empty/],
  ] as const)("%j", (given, want) => {
    const problem = targetColumnProblem(given);
    if (want === null) {
      expect(problem).toBeNull();
    } else {
      expect(problem).toMatch(want);
    }
  });
});

describe("pgIdentifierProblem", () => {
  it("accepts any name PostgreSQL holds, refuses NUL, empty and more than 63 bytes", () => {
    expect(pgIdentifierProblem("Order Details")).toBeNull();
    expect(pgIdentifierProblem('we"ird;name')).toBeNull();
    expect(pgIdentifierProblem("مخطط")).toBeNull();
    expect(pgIdentifierProblem("x".repeat(63))).toBeNull();
    expect(pgIdentifierProblem("x".repeat(64))).toMatch(/64 bytes/);
    // 22 three-byte characters: 66 bytes although only 22 characters.
    expect(pgIdentifierProblem("名".repeat(22))).toMatch(/66 bytes/);
    expect(pgIdentifierProblem("a\u0000b")).toMatch(/NUL/);
    expect(pgIdentifierProblem("")).toMatch(/empty/);
  });
});

describe("deriveTargetNames", () => {
  it("derives every name in order", () => {
    expect(deriveTargetNames(["ID", "Order Details", "lot_id"], "snake_case")).toEqual({
      ok: true,
      names: ["id", "order_details", "lot_id"],
    });
    expect(deriveTargetNames(["ID", "Order Details"], "preserve")).toEqual({
      ok: true,
      names: ["id", "order details"],
    });
  });

  it("reports every collision naming all its sources, and every name it cannot carry", () => {
    const derived = deriveTargetNames(
      ["order-id", "Order ID", "名前", "orderId", "x"],
      "snake_case",
    );
    expect(derived).toEqual({
      ok: false,
      problems: [
        {
          indexes: [0, 1, 3],
          message:
            'columns "order-id" and "Order ID" and "orderId" all become the target column "order_id" (target_naming: snake_case)',
          hint: "rename all but one with an alias in a custom query, or choose the other target_naming",
        },
        {
          indexes: [2],
          message:
            'column "名前" has no letter or digit that snake_case keeps (it keeps ASCII letters and digits, and folds accented letters to their base letter) (target_naming: snake_case)',
          hint: "set target_naming: preserve for this pipeline, or rename the column with an alias in a custom query",
        },
      ],
    });
  });

  it("preserve: names that differ only in case collide, Hive's forbidden names are refused", () => {
    const derived = deriveTargetNames(["ID", "id", "a,b"], "preserve");
    expect(derived.ok).toBe(false);
    if (!derived.ok) {
      expect(derived.problems.map((p) => p.message)).toEqual([
        'columns "ID" and "id" both become the target column "id" (target_naming: preserve)',
        'column "a,b" contains a comma, which the Hive connector refuses in column names ("Hive column names must not contain commas") (target_naming: preserve)',
      ]);
    }
  });
});
