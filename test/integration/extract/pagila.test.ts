/**
 * Every table of the Pagila fixture goes through extract and comes back, read by an independent
 * Parquet reader (hyparquet), value for value equal to what PostgreSQL returns.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { extractPartition, introspectRelation, LocalStorage, readManifest } from "@etl/runtime";
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
  readParquet,
} from "./helpers.js";

interface FixtureTable {
  name: string;
  schema: string;
  relkind: string;
  rows_only: number;
  rows_with_children: number;
  columns: FixtureColumn[];
}

const expected = JSON.parse(
  readFileSync(path.join(requireFixtures(), "postgres", "pagila", "expected.json"), "utf8"),
) as { tables: FixtureTable[] };

describe("extract of every Pagila table", () => {
  let client: pg.Client;
  let typed: pg.Client;
  let dir: string;
  let storage: LocalStorage;

  beforeAll(async () => {
    client = await connect("pagila");
    typed = await connect("pagila", false);
    dir = mkdtempSync(path.join(tmpdir(), "extract-pagila-"));
    storage = new LocalStorage(dir, "tenant_pagila");
  });
  afterAll(async () => {
    await client?.end();
    await typed?.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it("covers the fixture's tables", () => {
    expect(expected.tables.length).toBeGreaterThanOrEqual(15);
  });

  for (const table of expected.tables) {
    it(`${table.name}: introspection, row count and every value round-trip`, async () => {
      const snapshot = fixtureColumns(table.columns);
      // Our introspection query agrees with the fixture's independent catalog dump.
      expect(await introspectRelation(typed, table.schema, table.name)).toEqual(snapshot);

      const { logger } = memoryLogger();
      const result = await extractPartition({
        source: pgSettings("pagila", table.schema),
        pipeline: pipelinePlan({ name: table.name, sourceTable: table.name, columns: snapshot }),
        partition: null,
        timeZone: "UTC",
        storage,
        tenantId: "pagila",
        runId: "r1",
        logger,
      });
      // A partitioned parent (relkind p) returns its partitions' rows.
      expect(result.rowCount).toBe(table.rows_with_children);
      const manifest = await readManifest(storage, "extract", table.name, null);
      expect(manifest?.rowCount).toBe(table.rows_with_children);
      expect(manifest?.files.map((f) => f.key)).toEqual(result.files.map((f) => f.key));

      const back = await readExtract(storage, result.files);
      expect(back.rows.length).toBe(table.rows_with_children);
      const fromSql = `"${table.schema}"."${table.name}"`;
      const pg = await pgRows(client, fromSql, snapshot);
      expect(parquetRows(back.rows, snapshot, back.decimalScale, pg)).toEqual(pg);

      // Null counts recorded per column equal PostgreSQL's.
      for (const c of snapshot) {
        const r = await client.query(`SELECT count(*) - count("${c.name}") AS n FROM ${fromSql}`);
        expect(result.nullCounts[c.name], c.name).toBe(Number(r.rows[0].n));
      }
    });
  }

  it("writes Parquet logical types that carry the exact source types", async () => {
    const film = await storage.list("extract/film/snapshot/run=r1/");
    const bytes = await storage.get(film[0]?.key ?? "");
    expect(bytes).not.toBeNull();
    const { schema } = await readParquet(bytes ?? new Uint8Array());
    const byName = new Map(schema.map((e) => [e.name, e]));
    expect(byName.get("rental_rate")?.logical_type).toEqual({
      type: "DECIMAL",
      precision: 4,
      scale: 2,
    });
    expect(byName.get("last_update")?.logical_type).toEqual({
      type: "TIMESTAMP",
      isAdjustedToUTC: true,
      unit: "MICROS",
    });
    expect(byName.get("special_features")?.logical_type?.type).toBe("LIST");
    const customer = await storage.list("extract/customer/snapshot/run=r1/");
    const c = await readParquet((await storage.get(customer[0]?.key ?? "")) ?? new Uint8Array());
    expect(c.schema.find((e) => e.name === "create_date")?.logical_type).toEqual({ type: "DATE" });
  });
});
