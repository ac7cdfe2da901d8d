/**
 * Parallel extraction (`extract.parallelism`) against the real PostgreSQL: N connections read one
 * exported snapshot and copy disjoint ranges, and the committed files hold exactly the rows a
 * single COPY would: every Pagila table and the all-types table value for value, NULLs of the
 * split column, ctid page ranges, a custom query split on its own column, rows inserted, updated
 * and deleted while the extract runs (the result is the snapshot's), and a failing range that
 * fails the whole extract and leaves nothing visible.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type ExtractOptions,
  extractPartition,
  introspectRelation,
  LocalStorage,
  type PipelinePlan,
  readManifest,
} from "@etl/runtime";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireFixtures } from "../../src/paths.js";
import {
  connect,
  type FixtureColumn,
  fixtureColumns,
  memoryLogger,
  parquetRows,
  pgRows,
  pgSettings,
  pipelinePlan,
  readExtract,
} from "./helpers.js";

const DB = "extract_it";
const SCHEMA = `extract_parallel_${process.pid}_${randomBytes(3).toString("hex")}`;
const PARALLEL = { compression: "zstd", rowGroupRows: 100_000, maxFileRows: 1_000_000 } as const;

let raw: pg.Client;
let typed: pg.Client;
let dir: string;
let local: LocalStorage;

function parallelPlan(
  name: string,
  parallelism: number,
  overrides: Partial<PipelinePlan> = {},
  splitColumn?: string,
): PipelinePlan {
  return pipelinePlan({
    name,
    sourceTable: name,
    extract: {
      ...PARALLEL,
      parallelism,
      ...(splitColumn === undefined ? {} : { splitColumn }),
    },
    ...overrides,
  });
}

async function run(plan: PipelinePlan, extra: Partial<ExtractOptions> = {}) {
  const { logger, lines } = memoryLogger();
  const result = await extractPartition({
    source: pgSettings(DB, SCHEMA),
    pipeline: plan,
    partition: null,
    timeZone: "UTC",
    storage: local,
    tenantId: "it",
    runId: `r${randomUUID().slice(0, 8)}`,
    logger,
    ...extra,
  });
  return { result, lines };
}

/** The "parallel extract" log line: how many ranges, split on what. */
function rangesLogged(lines: readonly string[]): { ranges: number; split: string } | null {
  for (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; ranges?: number; split?: string };
    if (entry.msg === "parallel extract") {
      return { ranges: entry.ranges ?? 0, split: entry.split ?? "" };
    }
  }
  return null;
}

/** Rows of `from` (a FROM item) as PostgreSQL prints them, in the typed columns of `table`. */
async function sourceRows(table: string, from = `"${SCHEMA}"."${table}"`) {
  const columns = await introspectRelation(typed, SCHEMA, table);
  return { columns, rows: await pgRows(raw, from, columns) };
}

async function extractedRows(
  files: readonly { key: string }[],
  expected: { columns: Awaited<ReturnType<typeof sourceRows>>["columns"]; rows: string[] },
) {
  const back = await readExtract(local, files);
  return parquetRows(back.rows, expected.columns, back.decimalScale, expected.rows);
}

beforeAll(async () => {
  const admin = await connect("postgres", false);
  const r = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB]);
  if (r.rowCount === 0) await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  raw = await connect(DB);
  typed = await connect(DB, false);
  await typed.query(`CREATE SCHEMA ${SCHEMA}`);
  await typed.query(`SET search_path = ${SCHEMA}`);
  dir = mkdtempSync(path.join(tmpdir(), "extract-parallel-"));
  local = new LocalStorage(dir, "tenant_it");
});

afterAll(async () => {
  await typed?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await raw?.end();
  await typed?.end();
  rmSync(dir, { recursive: true, force: true });
});

describe("every Pagila table with parallelism 4", () => {
  interface FixtureTable {
    name: string;
    schema: string;
    rows_with_children: number;
    columns: FixtureColumn[];
  }
  const expected = JSON.parse(
    readFileSync(path.join(requireFixtures(), "postgres", "pagila", "expected.json"), "utf8"),
  ) as { tables: FixtureTable[] };
  let pagila: pg.Client;
  let storage: LocalStorage;
  let pagilaDir: string;
  beforeAll(async () => {
    pagila = await connect("pagila");
    pagilaDir = mkdtempSync(path.join(tmpdir(), "extract-parallel-pagila-"));
    storage = new LocalStorage(pagilaDir, "tenant_pagila");
  });
  afterAll(async () => {
    await pagila?.end();
    rmSync(pagilaDir, { recursive: true, force: true });
  });

  for (const table of expected.tables) {
    it(`${table.name}: every value and null count as PostgreSQL has them`, async () => {
      const snapshot = fixtureColumns(table.columns);
      const { logger, lines } = memoryLogger();
      const result = await extractPartition({
        source: pgSettings("pagila", table.schema),
        pipeline: pipelinePlan({
          name: table.name,
          sourceTable: table.name,
          columns: snapshot,
          extract: { ...PARALLEL, parallelism: 4 },
        }),
        partition: null,
        timeZone: "UTC",
        storage,
        tenantId: "pagila",
        runId: "p4",
        logger,
      });
      expect(result.rowCount).toBe(table.rows_with_children);
      const logged = rangesLogged(lines);
      // Tables of a few pages without an integer key may come out as fewer ranges.
      expect(logged?.ranges ?? 1).toBeGreaterThanOrEqual(1);
      expect(result.files.length).toBe(logged?.ranges ?? 1);
      const manifest = await readManifest(storage, "extract", table.name, null);
      expect(manifest?.rowCount).toBe(table.rows_with_children);
      expect(manifest?.files.map((f) => f.key)).toEqual(result.files.map((f) => f.key));
      const back = await readExtract(storage, result.files);
      const pg = await pgRows(pagila, `"${table.schema}"."${table.name}"`, snapshot);
      expect(parquetRows(back.rows, snapshot, back.decimalScale, pg)).toEqual(pg);
      for (const c of snapshot) {
        const r = await pagila.query(
          `SELECT count(*) - count("${c.name}") AS n FROM "${table.schema}"."${table.name}"`,
        );
        expect(result.nullCounts[c.name], c.name).toBe(Number(r.rows[0].n));
      }
    });
  }

  it("splits on the integer primary key, else on ctid page ranges (a partitioned table too)", async () => {
    const split = async (name: string) => {
      const { logger, lines } = memoryLogger();
      await extractPartition({
        source: pgSettings("pagila", "public"),
        pipeline: pipelinePlan({
          name,
          sourceTable: name,
          extract: { ...PARALLEL, parallelism: 4 },
        }),
        partition: null,
        timeZone: "UTC",
        storage,
        tenantId: "pagila",
        runId: "split",
        logger,
      });
      return rangesLogged(lines);
    };
    expect(await split("rental")).toEqual({
      ranges: 4,
      split: "primary key rental_id (integer)",
    });
    // film_actor's primary key has two columns; payment is partitioned (ctid per partition).
    expect(await split("film_actor")).toEqual({ ranges: 4, split: "ctid page ranges" });
    expect(await split("payment")).toEqual({ ranges: 4, split: "ctid page ranges" });
  });
});

describe("ranges", () => {
  beforeAll(async () => {
    await typed.query(`
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE TABLE all_types (
        id integer PRIMARY KEY, s smallint, b bigint, n38 numeric(38,10), n52 numeric(5,2),
        nu numeric, r real, d double precision, flag boolean, t text, vc varchar(10), ch char(5),
        dt date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval, u uuid,
        j json, jb jsonb, by bytea, m mood, ia integer[], na numeric(10,2)[], ta text[],
        mo money, ip inet, ts3 timestamp(3));
      INSERT INTO all_types
        SELECT i, (i % 32767)::smallint, i::bigint * 1000003, i * 1.0000000001, (i % 999) + 0.25,
          round(i / 7.0, 6), i * 0.5, i * 0.25, i % 2 = 0, 'héllo "' || i || '"', left(i::text, 10), 'ab',
          date '2000-01-01' + i, timestamp '2000-01-01' + i * interval '1 minute',
          timestamptz '2000-01-01 00:00+14' + i * interval '1 second', time '00:00' + i * interval '1 second',
          '12:00+05:30', i * interval '1 day 1 second', md5(i::text)::uuid,
          json_build_object('i', i), jsonb_build_object('i', i, 'a', jsonb_build_array(1, 2.50)),
          decode(lpad(to_hex(i), 8, '0'), 'hex'), (ARRAY['sad','ok','happy']::mood[])[1 + i % 3],
          ARRAY[i, NULL, -i], ARRAY[1.10, -2.00]::numeric(10,2)[], ARRAY['a b', NULL, '', '{x}'],
          i * 0.01, ('10.0.' || (i % 255) || '.1/24')::inet, timestamp '2024-01-01 10:00:00.123'
        FROM generate_series(1, 3000) AS i;
      INSERT INTO all_types (id) VALUES (3001), (3002);
      CREATE TABLE nullable_split (k integer, v text);
      INSERT INTO nullable_split SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE i - 700 END, 'v' || i
        FROM generate_series(1, 2000) AS i;
      CREATE TABLE heap (a text, b integer);
      INSERT INTO heap SELECT repeat('x', 200) || i, i FROM generate_series(1, 20000) AS i;
      DELETE FROM heap WHERE b % 3 = 0;
      CREATE TABLE bad_range (id bigint PRIMARY KEY, v numeric(10,2));
      INSERT INTO bad_range SELECT i, i FROM generate_series(1, 4000) AS i;
    `);
  });

  it("round-trips the all-types table exactly with parallelism 4", async () => {
    const { result, lines } = await run(parallelPlan("all_types", 4));
    expect(rangesLogged(lines)).toEqual({ ranges: 4, split: "primary key id (integer)" });
    expect(result.rowCount).toBe(3002);
    const expected = await sourceRows("all_types");
    expect(await extractedRows(result.files, expected)).toEqual(expected.rows);
    expect(result.nullCounts.s).toBe(2);
  });

  it("takes the split column's NULLs exactly once (in the first range)", async () => {
    const { result, lines } = await run(parallelPlan("nullable_split", 4, {}, "k"));
    expect(rangesLogged(lines)).toEqual({ ranges: 4, split: "split_column k (integer)" });
    expect(result.rowCount).toBe(2000);
    expect(result.nullCounts.k).toBe(400);
    const expected = await sourceRows("nullable_split");
    expect(await extractedRows(result.files, expected)).toEqual(expected.rows);
    // The first range's file holds the NULLs.
    const first = await readExtract(local, result.files.slice(0, 1));
    expect(first.rows.filter((r) => r.k === null).length).toBe(400);
  });

  it("cuts a table without a key into ctid page ranges that miss no row and take none twice", async () => {
    const { result, lines } = await run(parallelPlan("heap", 4));
    expect(rangesLogged(lines)).toEqual({ ranges: 4, split: "ctid page ranges" });
    expect(result.rowCount).toBe(20000 - 6666);
    expect(result.files.every((f) => f.rows > 0)).toBe(true);
    const expected = await sourceRows("heap");
    expect(await extractedRows(result.files, expected)).toEqual(expected.rows);
  });

  it("splits a custom query on its own column; a parallel query without one is refused", async () => {
    const query = `SELECT k * 2 AS k2, v FROM ${SCHEMA}.nullable_split WHERE v LIKE '%1%'`;
    const { result, lines } = await run(
      pipelinePlan({
        name: "split_query",
        query,
        extract: { ...PARALLEL, parallelism: 3, splitColumn: "k2" },
      }),
    );
    expect(rangesLogged(lines)).toEqual({ ranges: 3, split: "split_column k2 (integer)" });
    const columns = (await introspectRelation(typed, SCHEMA, "nullable_split")).map((c) =>
      c.name === "k" ? { ...c, name: "k2" } : c,
    );
    const expectedRows = await pgRows(raw, `(${query}) AS q`, columns);
    const back = await readExtract(local, result.files);
    expect(parquetRows(back.rows, columns, back.decimalScale, expectedRows)).toEqual(expectedRows);

    await expect(
      run(
        pipelinePlan({ name: "split_query_none", query, extract: { ...PARALLEL, parallelism: 3 } }),
      ),
    ).rejects.toThrow(
      /a custom query has neither a primary key nor ctid to split on; set extract.split_column/,
    );
    await expect(
      run(
        pipelinePlan({
          name: "split_query_text",
          query,
          extract: { ...PARALLEL, parallelism: 3, splitColumn: "v" },
        }),
      ),
    ).rejects.toThrow(
      /extract.split_column "v" is text; a split column must be smallint, integer or bigint/,
    );
  });

  it("keeps the single-statement guarantee for a parallel custom query", async () => {
    const marker = `escaped_${randomBytes(3).toString("hex")}`;
    const hostile = `SELECT 1 AS a) AS q; CREATE TABLE ${SCHEMA}.${marker} (x int); SELECT * FROM (SELECT 1 AS a`;
    await expect(
      run(
        pipelinePlan({
          name: "hostile",
          query: hostile,
          extract: { ...PARALLEL, parallelism: 2, splitColumn: "a" },
        }),
      ),
    ).rejects.toThrow(/custom query is not exactly one valid statement/);
    const left = await raw.query("SELECT to_regclass($1) AS t", [`${SCHEMA}.${marker}`]);
    expect(left.rows[0].t).toBeNull();
  });

  it("fails the whole extract when one range fails, and leaves the committed run as it was", async () => {
    const plan = parallelPlan("bad_range", 4);
    const good = await run(plan);
    expect(good.result.rowCount).toBe(4000);
    // A value the extract refuses, in the last range only.
    await typed.query("UPDATE bad_range SET v = 'NaN' WHERE id = 3999");
    await expect(run(plan, { limits: { batchRows: 64 } })).rejects.toThrow(
      /bad_range\.v \(numeric\(10,2\)\): value NaN cannot be extracted/,
    );
    const manifest = await readManifest(local, "extract", "bad_range", null);
    expect(manifest?.files.map((f) => f.key)).toEqual(good.result.files.map((f) => f.key));
    // Only the committed run's files are under the partition: the failed run left none.
    const keys = (await local.list("extract/bad_range/snapshot/")).map((o) => o.key).sort();
    expect(keys).toEqual(
      ["extract/bad_range/snapshot/_manifest.json", ...good.result.files.map((f) => f.key)].sort(),
    );
  });
});

describe("a snapshot under concurrent writes", () => {
  beforeAll(async () => {
    await typed.query(`
      CREATE TABLE churn (id bigint PRIMARY KEY, v text, n integer);
      INSERT INTO churn SELECT i, md5(i::text), i FROM generate_series(1, 200000) AS i;
    `);
  });

  it("extracts exactly the rows of the snapshot while rows are inserted, updated and deleted", async () => {
    const before = await sourceRows("churn");
    const writer = await connect(DB, false);
    let writes: Promise<void> | null = null;
    let wroteAt = Number.POSITIVE_INFINITY;
    try {
      const { result } = await run(parallelPlan("churn", 4), {
        limits: { batchRows: 2000 },
        onProgress: () => {
          // After the first batch every range is reading the exported snapshot: change rows in
          // every range (and past the end) while they copy.
          writes ??= (async () => {
            await writer.query(`
              BEGIN;
              INSERT INTO ${SCHEMA}.churn SELECT i, 'new', -1 FROM generate_series(200001, 201000) AS i;
              DELETE FROM ${SCHEMA}.churn WHERE id % 997 = 0;
              UPDATE ${SCHEMA}.churn SET v = 'changed', n = -n WHERE id % 1009 = 0;
              COMMIT;`);
            wroteAt = performance.now();
          })();
        },
      });
      const endedAt = performance.now();
      await writes;
      // The writes committed while the extract was still copying.
      expect(wroteAt).toBeLessThan(endedAt);
      expect(result.rowCount).toBe(200000);
      expect(await extractedRows(result.files, before)).toEqual(before.rows);
      const now = await raw.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.churn`);
      expect(now.rows[0].n).not.toBe(200000);
    } finally {
      await writer.end();
    }
  });
});
