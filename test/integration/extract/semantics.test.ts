/**
 * Extract semantics against the real PostgreSQL: every supported type round-trips, refusals name
 * table, column, type and value, partitions take exactly their local day, incremental runs lose no
 * row, files split and commit atomically, S3 works, and the machine's TZ changes nothing.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type ExtractOptions,
  extractPartition,
  introspectRelation,
  LocalStorage,
  type PipelinePlan,
  readManifest,
  readWatermark,
  S3Storage,
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
} from "./helpers.js";

const DB = "extract_it";
/** A schema of this run's own: another checkout's suite may run this file on the same stack. */
const SCHEMA = `extract_semantics_${process.pid}`;

let raw: pg.Client;
let typed: pg.Client;
let dir: string;
let local: Storage;

async function ensureDatabase(): Promise<void> {
  const admin = await connect("postgres", false);
  const r = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB]);
  if (r.rowCount === 0) await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
}

function run(
  plan: PipelinePlan,
  partition: string | null,
  extra: Partial<ExtractOptions> = {},
): Promise<Awaited<ReturnType<typeof extractPartition>>> {
  return extractPartition({
    source: pgSettings(DB, SCHEMA),
    pipeline: plan,
    partition,
    timeZone: "UTC",
    storage: local,
    tenantId: "it",
    runId: `r${randomUUID().slice(0, 8)}`,
    logger: memoryLogger().logger,
    ...extra,
  });
}

/** The extract's rows equal the source's rows selected by `where`, value for value. */
async function expectSameRows(
  table: string,
  where: string,
  result: { files: { key: string }[] },
  storage: Storage = local,
): Promise<void> {
  const columns = await introspectRelation(typed, SCHEMA, table);
  const expected = await pgRows(raw, `"${SCHEMA}"."${table}" WHERE ${where}`, columns);
  const back = await readExtract(storage, result.files);
  expect(parquetRows(back.rows, columns, back.decimalScale, expected)).toEqual(expected);
}

async function ids(
  result: { files: { key: string }[] },
  storage: Storage = local,
): Promise<number[]> {
  const back = await readExtract(storage, result.files);
  return back.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

beforeAll(async () => {
  await ensureDatabase();
  raw = await connect(DB);
  typed = await connect(DB, false);
  await typed.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}`);
  await typed.query(`SET search_path = ${SCHEMA}`);
  dir = mkdtempSync(path.join(tmpdir(), "extract-it-"));
  local = new LocalStorage(dir, "tenant_it");
});

afterAll(async () => {
  await typed?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await raw?.end();
  await typed?.end();
  rmSync(dir, { recursive: true, force: true });
});

describe("types", () => {
  beforeAll(async () => {
    await typed.query(`
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE DOMAIN money_amount AS numeric(12,2);
      CREATE TABLE all_types (
        id integer PRIMARY KEY, s smallint, b bigint, n38 numeric(38,10), n52 numeric(5,2),
        nu numeric, r real, d double precision, flag boolean, t text, vc varchar(10), ch char(5),
        dt date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval, u uuid,
        j json, jb jsonb, by bytea, m mood, amount money_amount, ia integer[], na numeric(10,2)[],
        ma mood[], ta text[], mo money, ip inet, tsv tsvector, ts3 timestamp(3));
      INSERT INTO all_types VALUES
        (1, -32768, -9223372036854775808, 1234567890123456789012345678.0123456789, -999.99,
         0.0000000001, 3.4028235e38, 1.7976931348623157e308, true, 'héllo "world"', 'abc', 'ab',
         '0001-01-01', '1999-12-31 23:59:59.999999', '2000-01-01 00:00:00+14', '23:59:59.999999',
         '12:00+05:30', '1 year 2 mons 3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
         '{"b": 1,  "a": [1, 2.50]}', '{"b": 1,  "a": [1, 2.50]}', '\\x00ff5c', 'happy', 1234567890.12,
         '{1,NULL,3}', '{1.10,-2.00}', '{sad,happy}', '{"a b",NULL,"","{x}"}', 12.34, '10.0.0.1/8',
         'a fat cat', '2024-01-01 10:00:00.123'),
        (2, 32767, 9223372036854775807, -0.0000000001, 0, -12345678901234567890123456.5, 'NaN',
         '-Infinity', false, '', NULL, NULL, '9999-12-31', '1970-01-01 00:00:00', '1969-12-31 23:59:59.999999+00',
         '00:00', NULL, '-1 days', NULL, 'null', '[]', '\\x', 'sad', -0.01, '{}', NULL, '{}', '{}',
         -1, NULL, '', NULL),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      CREATE TABLE bad_numeric (id integer, v numeric);
      INSERT INTO bad_numeric VALUES (1, 1.5), (2, 0.123456789012);
      CREATE TABLE nan_numeric (id integer, v numeric(10,2));
      INSERT INTO nan_numeric VALUES (1, 'NaN');
      CREATE TABLE matrix (id integer, m integer[]);
      INSERT INTO matrix VALUES (1, '{{1,2},{3,4}}');
      CREATE TABLE inf_ts (id integer, t timestamptz);
      INSERT INTO inf_ts VALUES (1, 'infinity');
      CREATE TABLE odd (id integer, p point);
    `);
  });

  it("round-trips every supported type exactly", async () => {
    const result = await run(pipelinePlan({ name: "all_types", sourceTable: "all_types" }), null);
    expect(result.rowCount).toBe(3);
    await expectSameRows("all_types", "true", result);
    expect(result.nullCounts.s).toBe(1);
    expect(result.nullCounts.vc).toBe(2);
  });

  it("keeps dates and timestamps when the machine's TZ is not UTC", async () => {
    const before = process.env.TZ;
    process.env.TZ = "America/Los_Angeles";
    try {
      expect(new Date(0).getTimezoneOffset()).toBe(480);
      const result = await run(
        pipelinePlan({ name: "all_types_la", sourceTable: "all_types" }),
        null,
      );
      await expectSameRows("all_types", "true", result);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
    expect(new Date(0).getTimezoneOffset()).toBe(new Date(0).getTimezoneOffset());
  });

  it("refuses values the target type cannot carry, naming table, column, type and value", async () => {
    await expect(
      run(pipelinePlan({ name: "bad_numeric", sourceTable: "bad_numeric" }), null),
    ).rejects.toThrow(
      `${SCHEMA}.bad_numeric.v (numeric): value 0.123456789012 cannot be extracted: the value has 12 fractional digits, more than the 10 of decimal(38,10)`,
    );
    await expect(
      run(pipelinePlan({ name: "nan_numeric", sourceTable: "nan_numeric" }), null),
    ).rejects.toThrow(/nan_numeric\.v \(numeric\(10,2\)\): value NaN cannot be extracted/);
    await expect(
      run(pipelinePlan({ name: "matrix", sourceTable: "matrix" }), null),
    ).rejects.toThrow(
      /matrix\.m \(integer\[\]\): value \(a 2-dimensional array\) cannot be extracted/,
    );
    await expect(
      run(pipelinePlan({ name: "inf_ts", sourceTable: "inf_ts" }), null),
    ).rejects.toThrow(/inf_ts\.t \(timestamp with time zone\): value infinity cannot be extracted/);
    // A type without an exact mapping is carried as text by default (names.test.ts); a pipeline
    // with unmapped_types: refuse refuses it before reading a row.
    const strict = { naming: "snake_case", unmappedTypes: "refuse", names: null } as const;
    await expect(
      run(pipelinePlan({ name: "odd", sourceTable: "odd", targetColumns: strict }), null),
    ).rejects.toThrow(`${SCHEMA}.odd.p (point): PostgreSQL type "point" has no mapping`);
    // A failed run leaves nothing behind: no manifest, no files.
    expect(await readManifest(local, "extract", "bad_numeric", null)).toBeNull();
    expect(await local.list("extract/bad_numeric/")).toEqual([]);
  });

  it("fails on schema drift with every difference and the refresh command", async () => {
    const live = await introspectRelation(typed, SCHEMA, "all_types");
    const snapshot = live
      .filter((c) => c.name !== "tsv")
      .map((c) => (c.name === "vc" ? { ...c, pgType: "character varying(5)" } : c));
    snapshot.push({ ...live[0], name: "gone" } as (typeof live)[number]);
    const error = await run(
      pipelinePlan({ name: "drift", sourceTable: "all_types", columns: snapshot }),
      null,
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain("3 differences");
    expect(message).toContain("+ tsv: new column tsvector");
    expect(message).toContain("- gone: column integer no longer exists");
    expect(message).toContain("~ vc: type was character varying(5), now character varying(10)");
    expect(message).toContain("npm run introspect -- --tenant it");
    expect(message).toContain("npm run generate");
  });
});

describe("partitions", () => {
  beforeAll(async () => {
    await typed.query(`
      CREATE TABLE events (id integer, at timestamp, at_tz timestamptz, day date, note text);
      INSERT INTO events VALUES
        (1, '2024-03-10 00:00:00',        '2024-03-10 00:00:00-08',        '2024-03-10', 'start'),
        (2, '2024-03-10 23:59:59.999999', '2024-03-10 23:59:59.999999-07', '2024-03-10', 'end'),
        (3, '2024-03-11 00:00:00',        '2024-03-11 00:00:00-07',        '2024-03-11', 'next midnight'),
        (4, '2024-03-09 23:59:59.999999', '2024-03-09 23:59:59.999999-08', '2024-03-09', 'previous day'),
        (5, '2024-03-10 12:00:00',        '2024-03-10 12:00:00-07',        '2024-03-10', 'noon'),
        (6, NULL, NULL, NULL, 'no date');
    `);
  });

  it("takes exactly the local day of a timestamp column, midnight and 23:59:59.999999 included", async () => {
    const result = await run(
      pipelinePlan({ name: "events_ts", sourceTable: "events", dateColumn: "at" }),
      "2024-03-10",
      { timeZone: "America/Los_Angeles" },
    );
    expect(await ids(result)).toEqual([1, 2, 5]);
    await expectSameRows("events", "id IN (1, 2, 5)", result);
    expect(result.files[0]?.key).toMatch(
      /^extract\/events_ts\/dt=2024-03-10\/run=r[0-9a-f]+\/part-00000\.parquet$/,
    );
  });

  it("takes the tenant's local day of a timestamptz column across a DST change", async () => {
    const la = await run(
      pipelinePlan({ name: "events_tz", sourceTable: "events", dateColumn: "at_tz" }),
      "2024-03-10",
      { timeZone: "America/Los_Angeles" },
    );
    expect(await ids(la)).toEqual([1, 2, 5]);
    // The same instants seen from Seoul (UTC+9) fall on other days.
    const seoul = await run(
      pipelinePlan({ name: "events_tz_seoul", sourceTable: "events", dateColumn: "at_tz" }),
      "2024-03-10",
      { timeZone: "Asia/Seoul" },
    );
    const expected = await typed.query(
      `SELECT id FROM events WHERE (at_tz AT TIME ZONE 'Asia/Seoul')::date = '2024-03-10' ORDER BY id`,
    );
    expect(await ids(seoul)).toEqual(expected.rows.map((r) => r.id));
    await expect(
      run(
        pipelinePlan({ name: "events_bad_tz", sourceTable: "events", dateColumn: "at_tz" }),
        "2024-03-10",
        {
          timeZone: "Mars/Olympus",
        },
      ),
    ).rejects.toThrow(/time zone "Mars\/Olympus" is unknown/);
  });

  it("compares a date column by equality and wraps a custom query with its own WHERE", async () => {
    const byDate = await run(
      pipelinePlan({ name: "events_day", sourceTable: "events", dateColumn: "day" }),
      "2024-03-10",
    );
    expect(await ids(byDate)).toEqual([1, 2, 5]);
    const custom = await run(
      pipelinePlan({
        name: "events_query",
        query: `SELECT id, at, upper(note) AS note FROM ${SCHEMA}.events WHERE note <> 'noon' OR note IS NULL;`,
        dateColumn: "at",
      }),
      "2024-03-10",
    );
    expect(await ids(custom)).toEqual([1, 2]);
  });

  it("refuses a partition on an unpartitioned pipeline and the reverse", async () => {
    await expect(
      run(pipelinePlan({ name: "e", sourceTable: "events" }), "2024-03-10"),
    ).rejects.toThrow(/no date_column: it is unpartitioned/);
    await expect(
      run(pipelinePlan({ name: "e", sourceTable: "events", dateColumn: "at" }), null),
    ).rejects.toThrow(/pass a partition/);
    await expect(
      run(pipelinePlan({ name: "e", sourceTable: "events", dateColumn: "note" }), "2024-03-10"),
    ).rejects.toThrow(/date_column "note" is text/);
  });
});

describe("files and commits", () => {
  beforeAll(async () => {
    await typed.query(`
      CREATE TABLE many (id integer PRIMARY KEY, v text);
      INSERT INTO many SELECT i, repeat('x', i % 50) FROM generate_series(1, 2500) AS i;
    `);
  });

  it("splits at maxFileRows, commits a manifest, and a re-run replaces the previous run", async () => {
    const plan = pipelinePlan({
      name: "many",
      sourceTable: "many",
      extract: { compression: "snappy", rowGroupRows: 300, maxFileRows: 1000 },
    });
    const first = await run(plan, null, { runId: "first", limits: { batchRows: 128 } });
    expect(first.files.map((f) => [path.basename(f.key), f.rows])).toEqual([
      ["part-00000.parquet", 1000],
      ["part-00001.parquet", 1000],
      ["part-00002.parquet", 500],
    ]);
    await expectSameRows("many", "true", first);
    const second = await run(plan, null, { runId: "second" });
    expect(second.files.length).toBe(3);
    const manifest = await readManifest(local, "extract", "many", null);
    expect(manifest?.runId).toBe("second");
    expect(manifest?.prefix).toBe("extract/many/snapshot/run=second/");
    // Only the committed run's files remain under the partition.
    const left = (await local.list("extract/many/snapshot/")).map((o) => o.key);
    expect(left).toEqual([
      "extract/many/snapshot/_manifest.json",
      ...second.files.map((f) => f.key),
    ]);
  });

  it("writes one empty file with the schema for an empty result", async () => {
    const result = await run(
      pipelinePlan({ name: "none", query: `SELECT * FROM ${SCHEMA}.many WHERE id < 0` }),
      null,
    );
    expect(result.rowCount).toBe(0);
    expect(result.files.length).toBe(1);
    expect((await readExtract(local, result.files)).rows).toEqual([]);
  });
});

describe("incremental", () => {
  beforeAll(async () => {
    await typed.query(`
      CREATE TABLE orders (id integer PRIMARY KEY, status text, updated_at timestamptz NOT NULL);
      INSERT INTO orders VALUES (1, 'new', '2024-05-01 10:00:00+00'), (2, 'new', '2024-05-01 11:00:00+00'),
        (3, 'new', '2024-05-01 12:00:00.5+00');
    `);
  });

  it("picks up inserted and updated rows, the old watermark included, and no row twice", async () => {
    const plan = pipelinePlan({
      name: "orders",
      sourceTable: "orders",
      incremental: { cursorColumn: "updated_at", lookbackSeconds: 0 },
    });
    const first = await run(plan, null);
    expect(await ids(first)).toEqual([1, 2, 3]);
    expect(first.watermark).toEqual({
      column: "updated_at",
      previous: null,
      next: "2024-05-01T12:00:00.5Z",
      advanced: true,
    });
    expect((await readWatermark(local, "orders", null))?.value).toBe("2024-05-01T12:00:00.5Z");

    await typed.query(`
      INSERT INTO orders VALUES (4, 'new', '2024-05-01 12:00:00.5+00'), (5, 'new', '2024-05-02 08:00:00+00');
      UPDATE orders SET status = 'paid', updated_at = '2024-05-02 09:00:00+00' WHERE id = 1;
    `);
    const second = await run(plan, null);
    // 3 comes again (cursor == old watermark, a duplicate the load's merge removes); 4 has that
    // same cursor and must not be lost; 1 was updated; 5 is new. Nothing appears twice.
    const got = await ids(second);
    expect(got).toEqual([1, 3, 4, 5]);
    expect(new Set(got).size).toBe(got.length);
    await expectSameRows("orders", "id IN (1, 3, 4, 5)", second);
    expect(second.watermark?.next).toBe("2024-05-02T09:00:00Z");

    // Nothing new: only the row at the watermark itself is read again, and the watermark stays.
    const third = await run(plan, null);
    expect(await ids(third)).toEqual([1]);
    expect((await readWatermark(local, "orders", null))?.value).toBe("2024-05-02T09:00:00Z");

    // A look-back re-reads rows late by up to that many seconds.
    const lookback = await run(
      { ...plan, incremental: { cursorColumn: "updated_at", lookbackSeconds: 3600 } },
      null,
    );
    expect(await ids(lookback)).toEqual([1, 5]);
  });
});

describe("S3", () => {
  it("writes to the stack's S3 server and reads the same rows back", async () => {
    const prefix = `it-extract-${randomUUID().slice(0, 8)}`;
    const s3 = new S3Storage({
      bucket: process.env.S3_BUCKET_NAME ?? "data-lake",
      basePath: prefix,
      endpoint: process.env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
      region: process.env.AWS_REGION ?? "us-east-1",
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
      sessionToken: null,
      forcePathStyle: true,
      partSize: 5 * 1024 * 1024,
    });
    try {
      const result = await run(
        pipelinePlan({
          name: "events_s3",
          sourceTable: "events",
          dateColumn: "at",
          extract: { compression: "zstd", rowGroupRows: 2, maxFileRows: 2 },
        }),
        "2024-03-10",
        { storage: s3 },
      );
      expect(result.files.length).toBe(2);
      expect(result.location).toBe(
        `s3://data-lake/${prefix}/extract/events_s3/dt=2024-03-10/run=${result.files[0]?.key.split("run=")[1]?.split("/")[0]}/`,
      );
      expect(await ids(result, s3)).toEqual([1, 2, 5]);
      await expectSameRows("events", "id IN (1, 2, 5)", result, s3);
      const manifest = await readManifest(s3, "extract", "events_s3", "2024-03-10");
      expect(manifest?.rowCount).toBe(3);
    } finally {
      await s3.deletePrefix("");
    }
    expect(await s3.list("")).toEqual([]);
  });
});
