import { describe, expect, it } from "vitest";
import type { WriteMode } from "../plan.js";
import {
  countStatement,
  guardedSource,
  type LoadPlan,
  loadStatement,
  type PartitionRange,
  rowCounts,
  sourceSelect,
  trinoDayOf,
  trinoPartitionPredicate,
  trinoPartitionsPredicate,
} from "./statements.js";

function loadPlan(mode: WriteMode): LoadPlan {
  return {
    target: { catalog: "iceberg", schema: "s", table: "orders" },
    mode,
    tenantColumn: "tenant_id",
    dataColumns: [
      { name: "id", type: "bigint" },
      { name: "amount", type: "decimal(18,4)" },
      { name: "day", type: "date" },
    ],
    partitionColumn: { name: "day", type: "date" },
    keyColumns: ["id", "tenant_id"],
  };
}

const DAY: PartitionRange = {
  column: { name: "day", type: "date" },
  partition: { date: "2026-01-02", timeZone: "Asia/Seoul" },
};

const INSERT_ALL =
  'INSERT ("id", "amount", "day", "tenant_id") VALUES (s."id", s."amount", s."day", s."tenant_id")';
const MARKED_SOURCE = [
  "MERGE INTO TGT AS t",
  `USING (SELECT ops."__etl_op", s.* FROM (VALUES 'I', 'D') AS ops("__etl_op")`,
  `  LEFT JOIN (SELECT src.*, true AS "__etl_present" FROM (SRC) AS src) AS s ON ops."__etl_op" = 'I') AS s`,
];

describe("loadStatement", () => {
  const cases: { mode: WriteMode; range: PartitionRange | null; want: string }[] = [
    {
      mode: "append",
      range: DAY,
      want: `INSERT INTO TGT ("id", "amount", "day", "tenant_id") SRC EXCEPT ALL SELECT t."id", t."amount", t."day", t."tenant_id" FROM TGT AS t WHERE t."tenant_id" = 't1' AND t."day" = DATE '2026-01-02'`,
    },
    {
      mode: "append",
      range: null,
      want: `INSERT INTO TGT ("id", "amount", "day", "tenant_id") SRC EXCEPT ALL SELECT t."id", t."amount", t."day", t."tenant_id" FROM TGT AS t WHERE t."tenant_id" = 't1'`,
    },
    {
      mode: "merge",
      range: DAY,
      want: [
        "MERGE INTO TGT AS t",
        `USING (SELECT "id", "amount", "day", "tenant_id" FROM (SELECT src.*, row_number() OVER (PARTITION BY src."id", src."tenant_id" ORDER BY "amount" DESC NULLS LAST, "day" DESC NULLS LAST) AS "__etl_rn" FROM (SRC) AS src) WHERE "__etl_rn" = 1) AS s`,
        `ON t."tenant_id" = 't1' AND t."tenant_id" = s."tenant_id" AND t."id" IS NOT DISTINCT FROM s."id" AND t."tenant_id" IS NOT DISTINCT FROM s."tenant_id"`,
        `WHEN MATCHED AND (t."amount" IS DISTINCT FROM s."amount" OR t."day" IS DISTINCT FROM s."day") THEN UPDATE SET "amount" = s."amount", "day" = s."day"`,
        `WHEN NOT MATCHED THEN ${INSERT_ALL}`,
      ].join("\n"),
    },
    {
      mode: "replace_partition",
      range: DAY,
      want: [
        ...MARKED_SOURCE,
        `ON s."__etl_op" = IF(t."tenant_id" = 't1' AND t."day" = DATE '2026-01-02', 'D') AND t."tenant_id" = 't1' AND t."day" = DATE '2026-01-02'`,
        "WHEN MATCHED THEN DELETE",
        `WHEN NOT MATCHED AND s."__etl_present" THEN ${INSERT_ALL}`,
      ].join("\n"),
    },
    {
      mode: "full_refresh",
      range: null,
      want: [
        ...MARKED_SOURCE,
        `ON s."__etl_op" = IF(t."tenant_id" = 't1', 'D') AND t."tenant_id" = 't1'`,
        "WHEN MATCHED THEN DELETE",
        `WHEN NOT MATCHED AND s."__etl_present" THEN ${INSERT_ALL}`,
      ].join("\n"),
    },
  ];
  for (const { mode, range, want } of cases) {
    it(`${mode} ${range === null ? "of the whole table" : "of one day"}`, () => {
      expect(loadStatement(loadPlan(mode), "TGT", "SRC", range === null ? [] : [range], "t1")).toBe(
        want,
      );
    });
  }
  it("quotes the tenant id as a string literal in every scope", () => {
    expect(loadStatement(loadPlan("full_refresh"), "TGT", "SRC", [], "o'brien")).toContain(
      `IF(t."tenant_id" = 'o''brien', 'D')`,
    );
  });
});

describe("loadStatement of a batch of days", () => {
  const days = (...dates: string[]): PartitionRange[] =>
    dates.map((date) => ({ ...DAY, partition: { ...DAY.partition, date } }));
  it("replace_partition deletes the tenant's rows of every day of the batch", () => {
    expect(
      loadStatement(
        loadPlan("replace_partition"),
        "TGT",
        "SRC",
        days("2026-01-03", "2026-01-02"),
        "t1",
      ),
    ).toContain(
      `ON s."__etl_op" = IF(t."tenant_id" = 't1' AND t."day" IN (DATE '2026-01-02', DATE '2026-01-03'), 'D') AND t."tenant_id" = 't1' AND t."day" IN (DATE '2026-01-02', DATE '2026-01-03')`,
    );
  });
  it("merge keeps the latest partition's row of a key before the other columns", () => {
    expect(
      loadStatement(
        loadPlan("merge"),
        "TGT",
        "SRC",
        days("2026-01-02", "2026-01-03"),
        "t1",
        '"__etl_seq"',
      ),
    ).toContain(`ORDER BY "__etl_seq" DESC, "amount" DESC NULLS LAST, "day" DESC NULLS LAST)`);
  });
  it("merge reads the target for the batch's days only when the key holds the partition column", () => {
    const keyed: LoadPlan = { ...loadPlan("merge"), keyColumns: ["id", "day", "tenant_id"] };
    expect(loadStatement(keyed, "TGT", "SRC", days("2026-01-02", "2026-01-03"), "t1")).toContain(
      `ON t."tenant_id" = 't1' AND t."day" IN (DATE '2026-01-02', DATE '2026-01-03') AND t."tenant_id" = s."tenant_id"`,
    );
    // Without the partition column in the key a row may move between days: the whole history.
    expect(loadStatement(loadPlan("merge"), "TGT", "SRC", days("2026-01-02"), "t1")).toContain(
      `ON t."tenant_id" = 't1' AND t."tenant_id" = s."tenant_id"`,
    );
  });
  it("append takes away what the tenant has in any day of the batch", () => {
    expect(
      loadStatement(loadPlan("append"), "TGT", "SRC", days("2026-01-02", "2026-01-05"), "t1"),
    ).toBe(
      `INSERT INTO TGT ("id", "amount", "day", "tenant_id") SRC EXCEPT ALL SELECT t."id", t."amount", t."day", t."tenant_id" FROM TGT AS t WHERE t."tenant_id" = 't1' AND t."day" IN (DATE '2026-01-02', DATE '2026-01-05')`,
    );
  });
  it("refuses partitions of different zones in one statement", () => {
    const [a] = days("2026-01-02");
    expect(() =>
      loadStatement(
        loadPlan("replace_partition"),
        "TGT",
        "SRC",
        [
          ...(a === undefined ? [] : [a]),
          { ...DAY, partition: { date: "2026-01-03", timeZone: "UTC" } },
        ],
        "t1",
      ),
    ).toThrow(/different columns or zones/);
  });
});

describe("trinoDayOf", () => {
  it.each([
    ["date", "c"],
    ["timestamp(6)", "CAST(c AS date)"],
    ["timestamp(6) with time zone", "CAST(c AT TIME ZONE 'Asia/Seoul' AS date)"],
  ])("%s", (type, want) => {
    expect(trinoDayOf("c", { name: "c", type }, "Asia/Seoul")).toBe(want);
  });
});

describe("trinoPartitionsPredicate", () => {
  const ts = { name: "c", type: "timestamp(6)" };
  it("is trinoPartitionPredicate for one day", () => {
    expect(trinoPartitionsPredicate("c", ts, ["2026-03-08"], "UTC")).toBe(
      trinoPartitionPredicate("c", ts, { date: "2026-03-08", timeZone: "UTC" }),
    );
  });
  it("joins consecutive days of a timestamp into one window, and keeps gaps apart", () => {
    expect(
      trinoPartitionsPredicate(
        "c",
        ts,
        ["2026-03-10", "2026-03-08", "2026-03-09", "2026-03-12"],
        "UTC",
      ),
    ).toBe(
      `(c >= TIMESTAMP '2026-03-08 00:00:00' AND c < TIMESTAMP '2026-03-11 00:00:00') OR (c >= TIMESTAMP '2026-03-12 00:00:00' AND c < TIMESTAMP '2026-03-13 00:00:00')`,
    );
  });
  it("gives one window for a run of days across a month's end, in the zone", () => {
    expect(
      trinoPartitionsPredicate(
        "c",
        { name: "c", type: "timestamp(6) with time zone" },
        ["2026-01-31", "2026-02-01"],
        "Asia/Seoul",
      ),
    ).toBe(
      `c >= TIMESTAMP '2026-01-31 00:00:00 Asia/Seoul' AND c < TIMESTAMP '2026-02-02 00:00:00 Asia/Seoul'`,
    );
  });
  it("refuses a day that is no calendar day", () => {
    expect(() =>
      trinoPartitionsPredicate(
        "c",
        { name: "c", type: "date" },
        ["2026-01-02", "2026-02-30"],
        "UTC",
      ),
    ).toThrow(/"2026-02-30" is not a partition date/);
  });
});

describe("sourceSelect and countStatement", () => {
  it("selects the staged columns and sets the tenant column", () => {
    expect(sourceSelect(loadPlan("append"), "STG", "t1")).toBe(
      `SELECT "id" AS "id", "amount" AS "amount", "day" AS "day", CAST('t1' AS varchar) AS "tenant_id" FROM STG`,
    );
  });
  it.each([
    [
      "one day: rows outside it are counted",
      DAY,
      `SELECT CAST(count(*) AS varchar), CAST(count_if(NOT coalesce(s."day" = DATE '2026-01-02', false)) AS varchar) FROM (SRC) AS s`,
    ],
    [
      "the whole table: none is outside",
      null,
      "SELECT CAST(count(*) AS varchar), CAST(0 AS varchar) FROM (SRC) AS s",
    ],
  ])("%s", (_name, range, want) => {
    expect(countStatement("SRC", range)).toBe(want);
  });
});

describe("guardedSource", () => {
  it("fails the statement on a row outside the day, with the message given", () => {
    expect(guardedSource(loadPlan("merge"), "STG", "t1", DAY, "row's day is wrong")).toBe(
      `SELECT "id" AS "id", "amount" AS "amount", IF(coalesce(("day") = DATE '2026-01-02', false), "day", CAST(fail('row''s day is wrong') AS date)) AS "day", CAST('t1' AS varchar) AS "tenant_id" FROM STG`,
    );
  });
  it("checks a staged instant after reading it as the target type", () => {
    const plan: LoadPlan = {
      ...loadPlan("replace_partition"),
      dataColumns: [{ name: "at", type: "timestamp(6) with time zone" }],
    };
    const range: PartitionRange = {
      column: { name: "at", type: "timestamp(6) with time zone" },
      partition: { date: "2026-01-02", timeZone: "Asia/Seoul" },
    };
    const value = `CAST(with_timezone("at", 'UTC') AS timestamp(6) with time zone)`;
    expect(guardedSource(plan, "STG", "t1", range, "outside")).toBe(
      `SELECT IF(coalesce((${value}) >= TIMESTAMP '2026-01-02 00:00:00 Asia/Seoul' AND (${value}) < TIMESTAMP '2026-01-03 00:00:00 Asia/Seoul', false), ${value}, CAST(fail('outside') AS timestamp(6) with time zone)) AS "at", CAST('t1' AS varchar) AS "tenant_id" FROM STG`,
    );
  });
});

describe("trinoPartitionPredicate", () => {
  const partition = { date: "2026-03-08", timeZone: "America/New_York" };
  it.each([
    ["a date column: equality", "date", `c = DATE '2026-03-08'`],
    [
      "a timestamp: the half-open local day",
      "timestamp(6)",
      `c >= TIMESTAMP '2026-03-08 00:00:00' AND c < TIMESTAMP '2026-03-09 00:00:00'`,
    ],
    [
      "a timestamp with time zone: the day in the tenant's zone",
      "timestamp(6) with time zone",
      `c >= TIMESTAMP '2026-03-08 00:00:00 America/New_York' AND c < TIMESTAMP '2026-03-09 00:00:00 America/New_York'`,
    ],
  ])("%s", (_name, type, want) => {
    expect(trinoPartitionPredicate("c", { name: "c", type }, partition)).toBe(want);
  });
  it("refuses a partition that is no calendar day", () => {
    expect(() =>
      trinoPartitionPredicate(
        "c",
        { name: "c", type: "date" },
        { ...partition, date: "2026-02-30" },
      ),
    ).toThrow(/"2026-02-30" is not a partition date/);
  });
});

describe("rowCounts", () => {
  it.each([
    ["append: every written row is new", "append", 5, 9, {}, [5, 0, 0]],
    [
      "merge: position deletes are updates",
      "merge",
      7,
      9,
      { "added-position-deletes": "3" },
      [4, 3, 0],
    ],
    ["merge without a summary: all inserts", "merge", 7, 9, {}, [7, 0, 0]],
    [
      "replace: staged rows in, the rest of the count deleted",
      "replace_partition",
      12,
      9,
      {},
      [9, 0, 3],
    ],
    ["full refresh of an empty table", "full_refresh", 9, 9, {}, [9, 0, 0]],
  ] as const)("%s", (_name, mode, written, staged, summary, [inserted, updated, deleted]) => {
    expect(rowCounts(mode, written, staged, summary)).toEqual({
      rowsInserted: inserted,
      rowsUpdated: updated,
      rowsDeleted: deleted,
    });
  });
});
