import { describe, expect, it } from "vitest";
import { EnsureObjectError, lostCreateRace, objectName } from "./ensure.js";

describe("lostCreateRace", () => {
  // The three answers a lost race gets on this stack (Hive file metastore, Iceberg JDBC catalog).
  const cases: { sql: string; errorName: string | null; message: string; want: boolean }[] = [
    {
      sql: 'CREATE SCHEMA IF NOT EXISTS "hive"."etl_staging"',
      errorName: "ALREADY_EXISTS",
      message: "Schema already exists: 'etl_staging'",
      want: true,
    },
    {
      sql: 'CREATE SCHEMA IF NOT EXISTS "iceberg"."aps"',
      errorName: "ICEBERG_CATALOG_ERROR",
      message: "Failed to create a namespace aps",
      want: true,
    },
    {
      sql: 'CREATE TABLE IF NOT EXISTS "iceberg"."aps"."t" (a varchar)',
      errorName: "GENERIC_INTERNAL_ERROR",
      message:
        'org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique constraint "iceberg_tables_pkey"',
      want: true,
    },
    // Without IF NOT EXISTS an existing object is the caller's mistake.
    {
      sql: 'CREATE TABLE "hive"."etl_staging"."etl_stg_x" (a varchar)',
      errorName: "ALREADY_EXISTS",
      message: "Table already exists",
      want: false,
    },
    // Other failures of an IF NOT EXISTS statement stay what they are.
    {
      sql: 'CREATE SCHEMA IF NOT EXISTS "nope"."x"',
      errorName: "CATALOG_NOT_FOUND",
      message: "Catalog 'nope' not found",
      want: false,
    },
    {
      sql: "  create table if not exists a.b.c (x int)",
      errorName: "ALREADY_EXISTS",
      message: "Table 'a.b.c' already exists",
      want: true,
    },
  ];
  for (const c of cases) {
    it(`${c.want ? "is" : "is not"} a lost race: ${c.errorName} on ${c.sql.slice(0, 40)}`, () => {
      expect(lostCreateRace(c.sql, c.errorName, c.message)).toBe(c.want);
    });
  }
});

describe("objectName", () => {
  it("quotes a schema and a table", () => {
    expect(objectName({ catalog: "hive", schema: "etl_staging" })).toBe('"hive"."etl_staging"');
    expect(objectName({ catalog: "iceberg", schema: "aps", table: "wip" })).toBe(
      '"iceberg"."aps"."wip"',
    );
  });
});

describe("EnsureObjectError", () => {
  it("is as transient as its cause, so a lost race is retried, never a permanent user error", () => {
    expect(new EnsureObjectError("x", { cause: { transient: true } }).transient).toBe(true);
    expect(new EnsureObjectError("x", { cause: new Error("syntax") }).transient).toBe(false);
    expect(new EnsureObjectError("x").transient).toBe(false);
  });
});
