/**
 * A custom query runs as exactly one statement, in a READ ONLY transaction it cannot end, on the
 * real PostgreSQL. Query texts that try to commit, run DDL or a second statement, or break out of
 * the subquery the runtime wraps them in (parentheses, comments), are refused by introspection
 * (`npm run introspect`'s path) and by the extract, and leave the database as it was. The same
 * texts through the simple query protocol (what the runtime used to send) do escape: the proof
 * that the refusals are what stops them.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { extractPartition, introspectQuery, LocalStorage, quoteIdent } from "@etl/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogger, PG_PORT, pipelinePlan } from "./helpers.js";

const DB = `single_it_${process.pid}_${randomBytes(3).toString("hex")}`;
const settings = { host: "127.0.0.1", port: PG_PORT, user: "etl", password: "etl" };

let client: pg.Client;
let dir: string;
let storage: LocalStorage;

/** Texts that try to get out of `SELECT * FROM (\n<query>\n) AS q` or to change the database. */
const HOSTILE: { name: string; query: (marker: string) => string }[] = [
  { name: "a second statement", query: (m) => `SELECT 1 AS a; CREATE TABLE ${m} (x int)` },
  {
    name: "commit, then DDL",
    query: (m) => `SELECT 1 AS a; COMMIT; CREATE TABLE ${m} (x int); BEGIN`,
  },
  {
    name: "parenthesis breakout",
    query: (m) => `SELECT 1 AS a) AS q; COMMIT; CREATE TABLE ${m} (x int); SELECT * FROM (SELECT 1`,
  },
  {
    name: "parenthesis breakout ended by a line comment",
    query: (m) => `SELECT 1 AS a) AS q; CREATE TABLE ${m} (x int); --`,
  },
  {
    name: "parenthesis breakout ended by a block comment",
    query: (m) => `SELECT 1 AS a) AS q; CREATE TABLE ${m} (x int); /*`,
  },
  {
    name: "a comment that closes before the wrapper",
    query: (m) => `SELECT 1 AS a */ ) AS q; CREATE TABLE ${m} (x int); /* `,
  },
  { name: "DDL instead of a query", query: (m) => `CREATE TABLE ${m} AS SELECT 1 AS a` },
  {
    name: "a data-modifying CTE",
    query: () => "WITH gone AS (DELETE FROM sentinel RETURNING *) SELECT * FROM gone",
  },
];

/**
 * One statement that writes: introspection only parses and describes it (never executes it), and
 * the extract's READ ONLY transaction refuses it.
 */
const WRITES: { name: string; query: string; error: RegExp }[] = [
  {
    name: "switching the transaction to read-write",
    query: "SELECT pg_catalog.set_config('transaction_read_only', 'off', false) AS a",
    error: /transaction read-write mode must be set before any query/,
  },
  {
    name: "a write inside one SELECT",
    query: "SELECT nextval('sentinel_seq') AS a",
    error: /cannot execute nextval\(\) in a read-only transaction/,
  },
  {
    name: "a row lock",
    query: "SELECT * FROM sentinel FOR UPDATE",
    error: /cannot execute SELECT FOR UPDATE in a read-only transaction/,
  },
];

async function markersPresent(): Promise<string[]> {
  const r = await client.query(
    "SELECT relname FROM pg_catalog.pg_class WHERE relname LIKE 'pwned_%' ORDER BY 1",
  );
  return r.rows.map((row: { relname: string }) => row.relname);
}

async function sentinel(): Promise<{ rows: number; seq: string }> {
  const rows = await client.query("SELECT count(*)::int AS n FROM sentinel");
  const seq = await client.query("SELECT last_value::text AS v FROM sentinel_seq");
  return { rows: rows.rows[0].n, seq: seq.rows[0].v };
}

beforeAll(async () => {
  const admin = new pg.Client({ ...settings, database: "postgres" });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${quoteIdent(DB)}`);
  await admin.end();
  client = new pg.Client({ ...settings, database: DB });
  await client.connect();
  await client.query(
    "CREATE TABLE sentinel (id int); INSERT INTO sentinel SELECT generate_series(1, 5); CREATE SEQUENCE sentinel_seq",
  );
  dir = mkdtempSync(path.join(tmpdir(), "single-statement-"));
  storage = new LocalStorage(dir, "it");
});

afterAll(async () => {
  await client?.end();
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ ...settings, database: "postgres" });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(DB)} WITH (FORCE)`);
  await admin.end();
});

describe("a custom query is exactly one statement in a READ ONLY transaction", () => {
  HOSTILE.forEach((c, i) => {
    it(`refuses ${c.name}, in introspection and in the extract, and changes nothing`, async () => {
      const before = await sentinel();
      const query = c.query(`pwned_${i}`);
      await expect(introspectQuery(client, "public", query)).rejects.toThrow(/^custom query /);
      const { logger } = memoryLogger();
      await expect(
        extractPartition({
          source: { ...settings, database: DB, schema: "public" },
          pipeline: pipelinePlan({ name: `hostile_${i}`, query }),
          partition: null,
          timeZone: "UTC",
          storage,
          tenantId: "it",
          runId: `r${i}`,
          logger,
        }),
      ).rejects.toThrow(/^custom query /);
      expect(await markersPresent()).toEqual([]);
      expect(await sentinel()).toEqual(before);
      expect(await storage.list(`extract/hostile_${i}/`)).toEqual([]);
    });
  });

  WRITES.forEach((c, i) => {
    it(`describes ${c.name} without running it, and the extract's READ ONLY transaction refuses it`, async () => {
      const before = await sentinel();
      expect((await introspectQuery(client, "public", c.query)).length).toBeGreaterThan(0);
      expect(await sentinel()).toEqual(before);
      const { logger } = memoryLogger();
      await expect(
        extractPartition({
          source: { ...settings, database: DB, schema: "public" },
          pipeline: pipelinePlan({ name: `write_${i}`, query: c.query }),
          partition: null,
          timeZone: "UTC",
          storage,
          tenantId: "it",
          runId: `w${i}`,
          logger,
        }),
      ).rejects.toThrow(c.error);
      expect(await sentinel()).toEqual(before);
      expect(await storage.list(`extract/write_${i}/`)).toEqual([]);
    });
  });

  it("names the reason: not one statement, or not one once wrapped", async () => {
    await expect(introspectQuery(client, "public", "SELECT 1 AS a; SELECT 2")).rejects.toThrow(
      /custom query is not exactly one valid statement: cannot insert multiple commands into a prepared statement/,
    );
    await expect(
      introspectQuery(client, "public", "SELECT 1 AS a) AS q, (SELECT 2 AS b"),
    ).rejects.toThrow(/custom query is not exactly one valid statement: syntax error/);
    await expect(introspectQuery(client, "public", "SELECT $1::int AS a")).rejects.toThrow(
      /custom query uses 1 parameter\(s\)/,
    );
  });

  it("still runs ordinary queries whose text holds comments, semicolons in literals and parentheses", async () => {
    const query = [
      "SELECT id, ') AS q; DROP TABLE sentinel; --' AS lit, $$ ; COMMIT; $$ AS dollars",
      "FROM (SELECT id FROM sentinel) AS inner_q -- a trailing comment",
    ].join("\n");
    const columns = await introspectQuery(client, "public", query);
    expect(columns.map((c) => c.name)).toEqual(["id", "lit", "dollars"]);
    const { logger } = memoryLogger();
    const result = await extractPartition({
      source: { ...settings, database: DB, schema: "public" },
      pipeline: pipelinePlan({ name: "ordinary", query }),
      partition: null,
      timeZone: "UTC",
      storage,
      tenantId: "it",
      runId: "ok",
      logger,
    });
    expect(result.rowCount).toBe(5);
    expect((await sentinel()).rows).toBe(5);
  });

  it("the same texts through the simple query protocol escape (what the refusals prevent)", async () => {
    // The wrapper the runtime used to send through the simple protocol, in a READ ONLY
    // transaction: the text commits it and creates a table.
    const query =
      "SELECT 1 AS a) AS q; COMMIT; CREATE TABLE pwned_simple (x int); SELECT * FROM (SELECT 1";
    await client.query(`BEGIN READ ONLY; SELECT * FROM (${query}) AS q LIMIT 0`).catch(() => null);
    await client.query("ROLLBACK").catch(() => null);
    expect(await markersPresent()).toEqual(["pwned_simple"]);
    await client.query("DROP TABLE pwned_simple");
  });
});
