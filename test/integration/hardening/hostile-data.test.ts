/**
 * Hostile source data through the real extract path, from the stack's PostgreSQL (database
 * project_01, schema hardening_hostile): every value is either extracted exactly (read back with
 * hyparquet and compared with PostgreSQL's own rendering) or refused with an error naming the
 * table and column, and a refused extract leaves no manifest and no file behind.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  extractPartition,
  introspectRelation,
  LocalStorage,
  type PipelinePlan,
  readManifest,
  type Storage,
} from "@etl/runtime";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connect,
  memoryLogger,
  parquetRows,
  pgRows,
  pgSettings,
  pipelinePlan,
  readExtract,
} from "../extract/helpers.js";

const DB = "project_01";
const SCHEMA = "hardening_hostile";
const WEIRD_TABLE = `we'ird;"t`;
const WEIRD_COLUMN = `co'l;"x`;

let raw: pg.Client;
let typed: pg.Client;
let dir: string;
let storage: Storage;

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

function extract(plan: PipelinePlan) {
  return extractPartition({
    source: pgSettings(DB, SCHEMA),
    pipeline: plan,
    partition: null,
    timeZone: "UTC",
    storage,
    tenantId: "project_01",
    runId: `r${randomUUID().slice(0, 8)}`,
    logger: memoryLogger().logger,
  });
}

/** Extracts `table` and compares every value with PostgreSQL's. */
async function expectExact(table: string): Promise<number> {
  const result = await extract(
    pipelinePlan({ name: `p_${randomUUID().slice(0, 8)}`, sourceTable: table }),
  );
  const columns = await introspectRelation(typed, SCHEMA, table);
  const expected = await pgRows(raw, `${q(SCHEMA)}.${q(table)}`, columns);
  const back = await readExtract(storage, result.files);
  expect(parquetRows(back.rows, columns, back.decimalScale, expected)).toEqual(expected);
  expect(result.rowCount).toBe(expected.length);
  return result.rowCount;
}

/** The extract is refused with a message matching `pattern`, and nothing is committed. */
async function expectRefused(table: string, pattern: RegExp): Promise<void> {
  const name = `refused_${randomUUID().slice(0, 8)}`;
  await expect(extract(pipelinePlan({ name, sourceTable: table }))).rejects.toThrow(pattern);
  expect(await readManifest(storage, "extract", name, null)).toBeNull();
  expect(await storage.list(`extract/${name}/`)).toEqual([]);
}

beforeAll(async () => {
  raw = await connect(DB);
  typed = await connect(DB, false);
  await typed.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}`);
  await typed.query(`SET search_path = ${SCHEMA}`);
  dir = mkdtempSync(path.join(tmpdir(), "hardening-hostile-"));
  storage = new LocalStorage(dir, "project_id=project_01");
});

afterAll(async () => {
  await typed?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await raw?.end();
  await typed?.end();
  rmSync(dir, { recursive: true, force: true });
});

describe("hostile source data", () => {
  it("PostgreSQL text cannot hold NUL; bytea with NUL and invalid UTF-8 round-trips byte for byte", async () => {
    await typed.query("CREATE TABLE nul_text (id integer, t text)");
    await expect(typed.query("INSERT INTO nul_text VALUES (1, E'a\\000b')")).rejects.toThrow(
      /invalid byte sequence|null character not permitted/,
    );
    await expect(
      typed.query("INSERT INTO nul_text VALUES (1, convert_from('\\x61006200'::bytea, 'UTF8'))"),
    ).rejects.toThrow(/invalid byte sequence/);
    await typed.query(`
      CREATE TABLE blobs (id integer, b bytea, t text);
      INSERT INTO blobs VALUES
        (1, '\\x00'::bytea, 'nul only'),
        (2, '\\x610062000063'::bytea, 'NUL inside'),
        (3, '\\xfffec328a0a1e28228f0288c28'::bytea, 'invalid UTF-8 sequences'),
        (4, '\\xc0afedbfbf'::bytea, 'overlong and surrogate encodings'),
        (5, ''::bytea, 'empty'),
        (6, NULL, 'null');
    `);
    expect(await expectExact("blobs")).toBe(6);
    const back = await readExtract(
      storage,
      (await extract(pipelinePlan({ name: "blobs_bytes", sourceTable: "blobs" }))).files,
    );
    const row3 = back.rows.find((r) => Number(r.id) === 3);
    expect(Buffer.from(row3?.b as Uint8Array).toString("hex")).toBe("fffec328a0a1e28228f0288c28");
  });

  it("numeric NaN and ±Infinity are refused naming table and column; float NaN and ±Infinity are carried exactly", async () => {
    await typed.query(`
      CREATE TABLE num_nan (id integer, v numeric);
      INSERT INTO num_nan VALUES (1, 1.5), (2, 'NaN');
      CREATE TABLE num_inf (id integer, v numeric);
      INSERT INTO num_inf VALUES (1, 'Infinity');
      CREATE TABLE num_ninf (id integer, v numeric);
      INSERT INTO num_ninf VALUES (1, '-Infinity');
      CREATE TABLE floats (id integer, f8 double precision, f4 real);
      INSERT INTO floats VALUES (1, 'NaN', 'NaN'), (2, 'Infinity', 'Infinity'),
        (3, '-Infinity', '-Infinity'), (4, -0.0, 1.17549435e-38), (5, 4.9e-324, 3.4028235e38);
    `);
    await expectRefused(
      "num_nan",
      /hardening_hostile\.num_nan\.v \(numeric\): value NaN cannot be extracted/,
    );
    await expectRefused(
      "num_inf",
      /hardening_hostile\.num_inf\.v \(numeric\): value Infinity cannot be extracted/,
    );
    await expectRefused(
      "num_ninf",
      /hardening_hostile\.num_ninf\.v \(numeric\): value -Infinity cannot be extracted/,
    );
    expect(await expectExact("floats")).toBe(5);
  });

  it("dates and timestamps at year 1 and 9999 round-trip; BC values are carried exactly; infinity is refused", async () => {
    await typed.query(`
      CREATE TABLE edges (id integer, d date, ts timestamp, tstz timestamptz);
      INSERT INTO edges VALUES
        (1, '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00'),
        (2, '9999-12-31', '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00'),
        (3, '1970-01-01', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00.000001+00');
      CREATE TABLE bc (id integer, d date, ts timestamp);
      INSERT INTO bc VALUES (1, '0001-12-31 BC', '0001-12-31 23:59:59.5 BC'),
        (2, '4713-01-01 BC', '4713-01-01 00:00:00 BC');
      CREATE TABLE inf_date (id integer, d date);
      INSERT INTO inf_date VALUES (1, '-infinity');
    `);
    expect(await expectExact("edges")).toBe(3);
    // BC values: PostgreSQL prints them with a "BC" suffix, so compare the numbers Parquet holds
    // (days and microseconds since 1970-01-01) with the ones PostgreSQL computes.
    const result = await extract(pipelinePlan({ name: "bc", sourceTable: "bc" }));
    const back = (await readExtract(storage, result.files)).rows
      .map((r) => [Number(r.id), Number(r.d), String(r.ts)])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    const want = await typed.query<{ id: number; days: number; micros: string }>(
      `SELECT id, d - DATE '1970-01-01' AS days,
              ((extract(epoch FROM ts) * 1000000)::numeric(30,0))::text AS micros
       FROM bc ORDER BY id`,
    );
    expect(back).toEqual(want.rows.map((r) => [r.id, r.days, r.micros]));
    await expectRefused(
      "inf_date",
      /hardening_hostile\.inf_date\.d \(date\): value -infinity cannot be extracted/,
    );
  });

  it("an empty table commits an empty extract; a zero-column table is refused clearly", async () => {
    await typed.query(`
      CREATE TABLE empty_t (id integer, t text);
      CREATE TABLE zero_cols ();
      INSERT INTO zero_cols DEFAULT VALUES;
    `);
    const result = await extract(pipelinePlan({ name: "empty_t", sourceTable: "empty_t" }));
    expect(result.rowCount).toBe(0);
    expect(await readManifest(storage, "extract", "empty_t", null)).not.toBeNull();
    expect((await readExtract(storage, result.files)).rows).toEqual([]);
    await expectRefused("zero_cols", /hardening_hostile\.zero_cols.*no columns/);
  });

  it("a table and a column named with a quote and a semicolon are extracted exactly", async () => {
    await typed.query(`
      CREATE TABLE ${q(WEIRD_TABLE)} (id integer, ${q(WEIRD_COLUMN)} text, "select" integer);
      INSERT INTO ${q(WEIRD_TABLE)} VALUES (1, 'x''; DROP TABLE y; --', 7), (2, NULL, NULL);
    `);
    expect(await expectExact(WEIRD_TABLE)).toBe(2);
    // Nothing was executed from the names or values.
    const still = await typed.query(
      "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1",
      [SCHEMA],
    );
    expect(still.rows[0]?.n).toBeGreaterThan(0);
  });
});
