import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../plan.js";
import { mapColumn, trinoTypeOf, tsTypeOf } from "./pg.js";

const column = (pgType: string, over: Partial<SourceColumn> = {}): SourceColumn => ({
  name: "c",
  pgType,
  domainBase: null,
  arrayElement: null,
  enumLabels: null,
  nullable: true,
  ...over,
});

describe("mapColumn", () => {
  // given: the column; want: [Trino type, TS type, SELECT cast] under unmapped_types: text.
  const cases: [string, SourceColumn, [string, string, string | null]][] = [
    ["integer", column("integer"), ["integer", "number", null]],
    ["oid: bigint through a cast", column("oid"), ["bigint", "bigint", "int8"]],
    [
      "oid[]",
      column("oid[]", { arrayElement: "oid" }),
      ["array(bigint)", "Array<bigint | null>", "int8"],
    ],
    ["interval: text", column("interval"), ["varchar", "string", "text"]],
    ["tsrange: text", column("tsrange"), ["varchar", "string", "text"]],
    ["numrange: text", column("numrange"), ["varchar", "string", "text"]],
    ["int4multirange: text", column("int4multirange"), ["varchar", "string", "text"]],
    ["composite: text", column("public.comp"), ["varchar", "string", "text"]],
    ["ltree: text", column("public.ltree"), ["varchar", "string", "text"]],
    ["isbn: text", column("isbn"), ["varchar", "string", "text"]],
    ["citext outside public: text", column("public.citext"), ["varchar", "string", "text"]],
    ['"char": text', column('"char"'), ["varchar", "string", "text"]],
    ["point: text", column("point"), ["varchar", "string", "text"]],
    ["numeric(50,10): text", column("numeric(50,10)"), ["varchar", "string", "text"]],
    [
      "int4range[]: text[]",
      column("int4range[]", { arrayElement: "int4range" }),
      ["array(varchar)", "Array<string | null>", "text"],
    ],
    [
      "domain over tsvector: as its base",
      column("tsv", { domainBase: "tsvector" }),
      ["varchar", "string", "text"],
    ],
    [
      "domain over a range: as its base",
      column("public.period", { domainBase: "tstzrange" }),
      ["varchar", "string", "text"],
    ],
    [
      "domain over integer: as its base",
      column("year", { domainBase: "integer" }),
      ["integer", "number", null],
    ],
    ["text: no cast", column("text"), ["varchar", "string", null]],
  ];
  it.each(cases)("%s", (_label, given, [trino, ts, cast]) => {
    const mapped = mapColumn(given);
    expect(mapped.ok).toBe(true);
    if (mapped.ok) {
      expect([trinoTypeOf(mapped.type), tsTypeOf(mapped.type), mapped.cast]).toEqual([
        trino,
        ts,
        cast,
      ]);
    }
  });

  it("unmapped_types: refuse keeps refusing types without an exact mapping, and only those", () => {
    expect(mapColumn(column("tsrange"), "refuse")).toEqual({
      ok: false,
      reason:
        'PostgreSQL type "tsrange" has no mapping (unmapped_types: refuse; with unmapped_types: text it is carried as its text form)',
    });
    expect(mapColumn(column("numeric(50,10)"), "refuse").ok).toBe(false);
    expect(mapColumn(column("oid"), "refuse").ok).toBe(true);
    expect(mapColumn(column("interval"), "refuse").ok).toBe(true);
    expect(mapColumn(column("tsv", { domainBase: "tsvector" }), "refuse").ok).toBe(true);
  });
});
