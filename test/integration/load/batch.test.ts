/**
 * Batched loads on the real stack (PostgreSQL, S3, Trino/Iceberg): five committed daily partitions
 * loaded as one statement (loadPartitions) leave exactly the table that loading them one by one in
 * date order leaves, for merge (a key staged on several days keeps the latest day's row),
 * replace_partition and append; a re-run changes nothing; a batch with a day whose rows lie
 * outside it fails whole, committing nothing and leaving no staging table.
 */

import {
  type BatchItem,
  extractPartition,
  Logger,
  loadPartition,
  loadPartitions,
  type PipelinePlan,
  readManifest,
  STAGING_PREFIX,
  stagedFromManifest,
  stringLiteral,
  TrinoClient,
  trinoQualifiedName,
} from "@etl/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackEnv, stackStorage } from "../../src/stack-env.js";

const env = process.env;
const TENANT = "project_01";
const TZ = "Asia/Seoul";
const SCHEMA = `it_batch_${process.pid}`;
const TARGET_SCHEMA = `it_batch_${process.pid}`;
const DAYS = ["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04", "2024-05-05"];
const logger = new Logger({ test: "batch" }, { write: () => {}, isTTY: false }, "warn");
const source = {
  host: env.PGHOST ?? "127.0.0.1",
  port: Number(env.PGPORT ?? 55432),
  database: TENANT,
  user: env.PGUSER ?? "etl",
  password: env.PGPASSWORD ?? "etl",
  schema: SCHEMA,
};
const trino = TrinoClient.create({
  host: env.TRINO_HOST ?? "127.0.0.1",
  port: Number(env.TRINO_PORT ?? 58080),
  user: env.TRINO_USER ?? "etl",
  password: null,
  scheme: "http",
});
const storage = stackStorage(readStackEnv(), `it-batch-${process.pid}/project_id=${TENANT}`);

// 40 items over five days: each item has events on several days (merge keeps the latest day's),
// several a day (merge keeps the greatest of the day, as a single load does), and every
// fifteenth event repeats another one exactly (append keeps duplicates of the source).
const SEED = `
DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA};
CREATE TABLE ${SCHEMA}.events (event_id integer NOT NULL, item varchar(20) NOT NULL,
  amount numeric(10,2) NOT NULL, at timestamp NOT NULL);
INSERT INTO ${SCHEMA}.events SELECT i, 'ITEM-' || (i % 40), (i * 37 % 1000) / 10.0,
  TIMESTAMP '2024-05-01 00:00:00' + (i * 1297 || ' seconds')::interval
  FROM generate_series(1, 330) i;
INSERT INTO ${SCHEMA}.events SELECT * FROM ${SCHEMA}.events WHERE event_id % 15 = 0;`;

function pipeline(mode: "merge" | "replace_partition" | "append", table: string): PipelinePlan {
  return {
    name: "events",
    sourceTable: "events",
    query: null,
    dateColumn: "at",
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: true,
    trinoOutput: {
      catalog: "iceberg",
      schema: TARGET_SCHEMA,
      table,
      keyColumns: mode === "merge" ? ["item"] : [],
      writeMode: mode,
      tenantColumn: "project_id",
    },
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 10_000, maxFileRows: 1_000_000 },
  };
}

/** Each day's committed extract, as a batch item. */
let items: BatchItem[] = [];

async function rows(table: string): Promise<string[]> {
  const all = await trino.rows(
    `SELECT * FROM ${trinoQualifiedName("iceberg", TARGET_SCHEMA, table)}`,
  );
  return all.map((r) => JSON.stringify(r)).sort();
}

async function snapshots(table: string): Promise<number> {
  const r = await trino.rows(
    `SELECT count(*) AS n FROM iceberg.${TARGET_SCHEMA}."${table}$snapshots"`,
  );
  return Number(r[0]?.n ?? 0);
}

async function stagingLeft(): Promise<string[]> {
  const r = await trino.rows(
    `SHOW TABLES FROM hive.etl_staging LIKE ${stringLiteral(`${STAGING_PREFIX}%`)}`,
  );
  return r.map((x) => String(x.Table)).filter((t) => t.includes(`__run_batch_it_${process.pid}`));
}

beforeAll(async () => {
  const c = new pg.Client(source);
  await c.connect();
  try {
    await c.query(SEED);
  } finally {
    await c.end();
  }
  const p = pipeline("merge", "unused");
  items = [];
  for (const day of DAYS) {
    const runId = `batch-it-${process.pid}-${day}`;
    await extractPartition({
      source,
      pipeline: p,
      partition: day,
      timeZone: TZ,
      storage,
      tenantId: TENANT,
      runId,
      logger,
    });
    const manifest = await readManifest(storage, "extract", "events", day);
    if (manifest === null) throw new Error(`no committed extract of ${day}`);
    items.push({
      staged: stagedFromManifest(p, manifest),
      partition: { date: day, timeZone: TZ },
      runId: `batch_it_${process.pid}`,
    });
  }
}, 300_000);

afterAll(async () => {
  for (const t of await trino.rows(`SHOW TABLES FROM iceberg.${TARGET_SCHEMA}`)) {
    await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}."${String(t.Table)}"`);
  }
  await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${TARGET_SCHEMA}`);
});

describe("batched loads of several partitions", () => {
  for (const mode of ["merge", "replace_partition", "append"] as const) {
    it(`${mode}: one statement leaves what loading each day in order leaves, and a re-run changes nothing`, async () => {
      const single = pipeline(mode, `${mode}_single`);
      for (const item of items) {
        await loadPartition({
          client: trino,
          tenantId: TENANT,
          pipeline: single,
          catalog: "iceberg",
          staged: item.staged,
          partition: item.partition,
          logger,
        });
      }
      const batched = pipeline(mode, `${mode}_batch`);
      // Given out of order: the batch orders its days itself.
      const result = await loadPartitions({
        client: trino,
        tenantId: TENANT,
        pipeline: batched,
        catalog: "iceberg",
        items: [...items].reverse(),
        logger,
      });
      expect(result.partitions).toEqual(DAYS);
      expect(result.rowsStaged).toBe(items.reduce((n, i) => n + (i.staged.rowCount ?? 0), 0));
      expect(result.tableCreated).toBe(true);
      const want = await rows(`${mode}_single`);
      expect(want.length).toBeGreaterThan(0);
      expect(await rows(`${mode}_batch`)).toEqual(want);
      // One commit for the five days; the other snapshot is the table's creation. (The single
      // loads made five: the first created its table with its rows.)
      const made = await snapshots(`${mode}_batch`);
      expect(made).toBe(2);
      expect(await snapshots(`${mode}_single`)).toBe(DAYS.length);

      const again = await loadPartitions({
        client: trino,
        tenantId: TENANT,
        pipeline: batched,
        catalog: "iceberg",
        items,
        logger,
      });
      expect(await rows(`${mode}_batch`)).toEqual(want);
      expect(await snapshots(`${mode}_batch`)).toBe(made + (mode === "replace_partition" ? 1 : 0));
      if (mode !== "replace_partition") {
        expect([again.rowsInserted, again.rowsUpdated, again.rowsDeleted]).toEqual([0, 0, 0]);
      } else {
        expect(again.rowsDeleted).toBe(again.rowsStaged);
      }
    }, 300_000);
  }

  it("merge: a key staged on several days keeps the latest day's row", async () => {
    const merged = await trino.rows(
      `SELECT item, amount, CAST("at" AS varchar) AS at FROM iceberg.${TARGET_SCHEMA}.merge_batch WHERE item = 'ITEM-1'`,
    );
    const c = new pg.Client(source);
    await c.connect();
    try {
      // The latest day holding ITEM-1, and that day's greatest row (the single load's rule).
      const want = await c.query<{ amount: string }>(
        `SELECT amount::text FROM ${SCHEMA}.events WHERE item = 'ITEM-1' AND at < TIMESTAMP '2024-05-06'
         ORDER BY date_trunc('day', at) DESC, event_id DESC, amount DESC, at DESC LIMIT 1`,
      );
      expect(merged).toHaveLength(1);
      expect(Number(merged[0]?.amount)).toBe(Number(want.rows[0]?.amount));
    } finally {
      await c.end();
    }
  });

  it("fails whole when one day's rows lie outside it: nothing committed, no staging table left", async () => {
    const table = "replace_partition_batch";
    const before = await rows(table);
    const count = await snapshots(table);
    const [first, second, ...rest] = items;
    if (first === undefined || second === undefined) throw new Error("no items");
    // The second day's files given as the first day: its rows lie outside "its" day.
    const bad: BatchItem = { ...second, partition: { date: "2024-05-06", timeZone: TZ } };
    await expect(
      loadPartitions({
        client: trino,
        tenantId: TENANT,
        pipeline: pipeline("replace_partition", table),
        catalog: "iceberg",
        items: [first, bad, ...rest.filter((i) => i.partition.date !== "2024-05-06")],
        logger,
      }),
    ).rejects.toThrow(/partition 2024-05-06: extract rows have at outside that day/);
    expect(await rows(table)).toEqual(before);
    expect(await snapshots(table)).toBe(count);
    expect(await stagingLeft()).toEqual([]);
  }, 300_000);
});
