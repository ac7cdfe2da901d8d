/**
 * Extract -> transfer -> load on the real stack (PostgreSQL, S3, Trino/Iceberg): project_01's
 * lot_history, equipment_event and process_result for one day, aggregates checked against the
 * same aggregates computed independently in PostgreSQL; idempotent reruns; two tenants in one
 * table; schema evolution; staging cleanup; every write mode; data checks.
 */

import {
  EnsuredObjects,
  enforceChecks,
  extractPartition,
  type LoadResult,
  Logger,
  loadCommitted,
  loadPartition,
  type PipelinePlan,
  quoteTrinoIdent,
  readManifest,
  runChecks,
  runTransfer,
  S3Storage,
  STAGING_PREFIX,
  stagedFromManifest,
  stringLiteral,
  type Transform,
  type TransformFn,
  TrinoClient,
  trinoQualifiedName,
} from "@etl/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const env = process.env;
const DAY = "2024-03-05";
const TZ = "Asia/Seoul";
const SCHEMA = "it_load";
const TARGET_SCHEMA = `it_load_${process.pid}`;
const logger = new Logger({ test: "load" }, { write: () => {}, isTTY: false }, "warn");
const pgConn = (db: string) => ({
  host: env.PGHOST ?? "127.0.0.1",
  port: Number(env.PGPORT ?? 55432),
  database: db,
  user: env.PGUSER ?? "etl",
  password: env.PGPASSWORD ?? "etl",
  schema: SCHEMA,
});
const trino = TrinoClient.create({
  host: env.TRINO_HOST ?? "127.0.0.1",
  port: Number(env.TRINO_PORT ?? 58080),
  user: env.TRINO_USER ?? "etl",
  password: null,
  scheme: "http",
});
const storageFor = (tenant: string) =>
  new S3Storage({
    bucket: env.S3_BUCKET_NAME ?? "data-lake",
    basePath: `it-load-${process.pid}/project_id=${tenant}`,
    endpoint: env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
    region: env.AWS_REGION ?? "us-east-1",
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
    sessionToken: null,
    forcePathStyle: true,
  });

// Deterministic sample data shaped like the system we replace (docker/init-scripts), spread over
// three days so a wrong partition window shows up as wrong aggregates.
const SEED = `
DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA};
CREATE TABLE ${SCHEMA}.lot_history (lot_id varchar(50) PRIMARY KEY, product_code varchar(50) NOT NULL,
  process_step varchar(100) NOT NULL, equipment_id varchar(50), start_time timestamp, end_time timestamp,
  quantity integer NOT NULL, status varchar(20) NOT NULL, created_at timestamp NOT NULL);
INSERT INTO ${SCHEMA}.lot_history SELECT 'LOT-' || lpad(i::text, 6, '0'), 'PROD-' || (1 + i % 4), 'STEP-' || (1 + i % 3),
  'EQ-' || (1 + i % 5), t, t + ((30 + i % 60) || ' minutes')::interval, 100 + (i * %MULT%) % 500,
  CASE WHEN i % 10 = 0 THEN 'HOLD' WHEN i % 7 = 0 THEN 'COMPLETED' ELSE 'IN_PROGRESS' END, t
  FROM generate_series(1, 900) i, LATERAL (SELECT TIMESTAMP '2024-03-04 00:00:00' + (i * 277 || ' seconds')::interval AS t) x;
CREATE TABLE ${SCHEMA}.equipment_event (event_id serial PRIMARY KEY, equipment_id varchar(50) NOT NULL,
  event_type varchar(50) NOT NULL, event_time timestamp NOT NULL, duration_minutes integer);
INSERT INTO ${SCHEMA}.equipment_event (equipment_id, event_type, event_time, duration_minutes)
  SELECT 'EQ-' || (1 + i % 5), CASE WHEN i % 5 = 0 THEN 'DOWN' WHEN i % 3 = 0 THEN 'IDLE' ELSE 'RUN' END,
  TIMESTAMP '2024-03-04 00:00:00' + (i * 131 || ' seconds')::interval, 5 + (i * %MULT%) % 90 FROM generate_series(1, 1800) i;
CREATE TABLE ${SCHEMA}.process_result (result_id serial PRIMARY KEY, lot_id varchar(50) NOT NULL,
  process_step varchar(100) NOT NULL, measurement_value numeric(10,4), pass_fail varchar(10), measured_at timestamp NOT NULL);
INSERT INTO ${SCHEMA}.process_result (lot_id, process_step, measurement_value, pass_fail, measured_at)
  SELECT 'LOT-' || lpad((1 + i % 900)::text, 6, '0'), 'STEP-' || (1 + i % 3), 10 + ((i * %MULT%) % 5000) / 1000.0,
  CASE WHEN i % 19 = 0 THEN 'FAIL' ELSE 'PASS' END, TIMESTAMP '2024-03-04 00:00:00' + (i * 97 || ' seconds')::interval
  FROM generate_series(1, 2500) i;`;

const RANGE = (col: string) =>
  `${col} >= TIMESTAMP '${DAY} 00:00:00' AND ${col} < TIMESTAMP '${DAY} 00:00:00' + interval '1 day'`;

function pipeline(
  name: string,
  sourceTable: string,
  dateColumn: string | null,
  over: Partial<PipelinePlan> & {
    table: string;
    keys?: string[];
    mode?: PipelinePlan["trinoOutput"] extends infer T
      ? T extends { writeMode: infer W }
        ? W
        : never
      : never;
  },
): PipelinePlan {
  const { table, keys, mode, ...rest } = over;
  return {
    name,
    sourceTable,
    query: null,
    dateColumn,
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
      keyColumns: keys ?? [],
      writeMode: mode ?? "replace_partition",
      tenantColumn: "project_id",
    },
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 10_000, maxFileRows: 1_000_000 },
    ...rest,
  };
}

interface LotRow {
  lot_id: string;
  product_code: string;
  process_step: string;
  quantity: number;
  status: string;
}
interface EventRow {
  equipment_id: string;
  event_type: string;
  duration_minutes: number | null;
}
interface ResultRow {
  lot_id: string;
  process_step: string;
  measurement_value: string | null;
  pass_fail: string | null;
}

/** WIP per step and product (the old common logic): active lots only. */
const wip: Transform<{ lot_history: LotRow }, Record<string, unknown>> = async (inputs, ctx) => {
  const groups = new Map<
    string,
    { step: string; product: string; qty: bigint; lots: Set<string> }
  >();
  for await (const r of inputs.lot_history.rows()) {
    if (r.status !== "IN_PROGRESS" && r.status !== "COMPLETED") continue;
    const k = `${r.process_step}|${r.product_code}`;
    const g = groups.get(k) ?? {
      step: r.process_step,
      product: r.product_code,
      qty: 0n,
      lots: new Set(),
    };
    g.qty += BigInt(r.quantity);
    g.lots.add(r.lot_id);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => ({
    process_step: g.step,
    product_code: g.product,
    wip_qty: g.qty,
    lot_count: g.lots.size,
    snapshot_date: ctx.partitionDate,
  }));
};

/** Minutes per event type per equipment, streamed as an async generator. */
const utilization: Transform<
  { equipment_event: EventRow },
  Record<string, unknown>
> = async function* (inputs, ctx) {
  const m = new Map<string, { run: bigint; down: bigint; events: number }>();
  for (const r of await inputs.equipment_event.all()) {
    const g = m.get(r.equipment_id) ?? { run: 0n, down: 0n, events: 0 };
    const d = BigInt(r.duration_minutes ?? 0);
    if (r.event_type === "RUN") g.run += d;
    if (r.event_type === "DOWN") g.down += d;
    g.events++;
    m.set(r.equipment_id, g);
  }
  for (const [equipment_id, g] of m) {
    yield {
      equipment_id,
      run_minutes: g.run,
      down_minutes: g.down,
      event_count: g.events,
      snapshot_date: ctx.partitionDate,
    };
  }
};

/** Measurements per step, joined to the day's lots (two inputs). Exact decimal sums. */
const cycle: Transform<
  { lot_history: LotRow; process_result: ResultRow },
  Record<string, unknown>
> = async (inputs, ctx) => {
  const lots = new Set((await inputs.lot_history.all()).map((l) => l.lot_id));
  const m = new Map<string, { n: number; fails: number; sum: bigint; known: number }>();
  for await (const r of inputs.process_result.rows()) {
    const g = m.get(r.process_step) ?? { n: 0, fails: 0, sum: 0n, known: 0 };
    g.n++;
    if (r.pass_fail === "FAIL") g.fails++;
    if (r.measurement_value !== null) g.sum += BigInt(r.measurement_value.replace(".", ""));
    if (lots.has(r.lot_id)) g.known++;
    m.set(r.process_step, g);
  }
  return [...m].map(([process_step, g]) => {
    const s = g.sum.toString().padStart(5, "0");
    return {
      process_step,
      measurements: g.n,
      fail_count: g.fails,
      value_sum: `${s.slice(0, -4)}.${s.slice(-4)}`,
      lots_same_day: g.known,
      snapshot_date: ctx.partitionDate,
    };
  });
};

const out = (name: string, type: string, nullable = false) => ({ name, type, nullable });
const wipPipe = pipeline("lot_history", "lot_history", "created_at", {
  table: "aps_input_wip",
  hasTransfer: true,
  transfer: {
    inputs: ["lot_history"],
    module: "wip",
    exportName: "wip",
    output: [
      out("process_step", "varchar"),
      out("product_code", "varchar"),
      out("wip_qty", "bigint"),
      out("lot_count", "integer"),
      out("snapshot_date", "date"),
    ],
  },
  checks: [
    { type: "not_null", name: "step_not_null", column: "process_step", severity: "error" },
    {
      type: "unique",
      name: "one_row_per_group",
      columns: ["process_step", "product_code"],
      severity: "error",
    },
    {
      type: "range",
      name: "qty_positive",
      column: "wip_qty",
      min: 0,
      max: null,
      severity: "error",
    },
    {
      type: "accepted_values",
      name: "known_steps",
      column: "process_step",
      values: ["STEP-1", "STEP-2"],
      severity: "warn",
    },
    {
      type: "regex",
      name: "product_format",
      column: "product_code",
      pattern: "^PROD-[0-9]+$",
      severity: "error",
    },
    { type: "row_count", name: "some_rows", min: 1, max: 1000, severity: "error" },
  ],
});
const eqPipe = pipeline("equipment_event", "equipment_event", "event_time", {
  table: "equipment_utilization",
  keys: ["project_id", "snapshot_date", "equipment_id"],
  mode: "merge",
  hasTransfer: true,
  transfer: {
    inputs: ["equipment_event"],
    module: "eq",
    exportName: "utilization",
    output: [
      out("equipment_id", "varchar"),
      out("run_minutes", "bigint"),
      out("down_minutes", "bigint"),
      out("event_count", "integer"),
      out("snapshot_date", "date"),
    ],
  },
});
const prPipe = pipeline("process_result", "process_result", "measured_at", {
  table: "aps_input_cycle_time",
  hasTransfer: true,
  transfer: {
    inputs: ["lot_history", "process_result"],
    module: "ct",
    exportName: "cycle",
    output: [
      out("process_step", "varchar"),
      out("measurements", "integer"),
      out("fail_count", "integer"),
      out("value_sum", "decimal(18,4)"),
      out("lots_same_day", "integer"),
      out("snapshot_date", "date"),
    ],
  },
});

let runSeq = 0;
async function runDay(
  tenant: string,
  p: PipelinePlan,
  transform: TransformFn | null,
  extractOnly: string[] = [],
  ensured?: EnsuredObjects,
): Promise<LoadResult> {
  const storage = storageFor(tenant);
  const runId = `r${Date.now()}_${runSeq++}`;
  const day = p.dateColumn === null ? null : DAY;
  for (const name of p.transfer?.inputs ?? [p.name]) {
    const src =
      name === p.name
        ? p
        : pipeline(name, name, name === "lot_history" ? "created_at" : "event_time", {
            table: "unused",
          });
    if (extractOnly.length > 0 && !extractOnly.includes(name)) continue;
    await extractPartition({
      source: pgConn(tenant),
      pipeline: { ...src, hasTransfer: false, transfer: null },
      partition: day,
      timeZone: TZ,
      storage,
      tenantId: tenant,
      runId,
      logger,
    });
  }
  if (transform !== null) {
    await runTransfer({
      storage,
      tenantId: tenant,
      pipeline: p,
      transform,
      partition: day,
      runId,
      logger,
    });
  }
  return loadCommitted({
    client: trino,
    storage,
    tenantId: tenant,
    pipeline: p,
    catalog: "iceberg",
    partition: day,
    timeZone: TZ,
    logger,
    ...(ensured === undefined ? {} : { ensured }),
  });
}

async function tableRows(p: PipelinePlan, order: string): Promise<Record<string, unknown>[]> {
  const o = p.trinoOutput;
  if (o === null) throw new Error("no output");
  return trino.rows(
    `SELECT * FROM ${trinoQualifiedName("iceberg", o.schema, o.table)} ORDER BY ${order}`,
  );
}

async function stagingTables(): Promise<string[]> {
  const rows = await trino.rows(
    `SHOW TABLES FROM hive.etl_staging LIKE ${stringLiteral(`${STAGING_PREFIX}%`)}`,
  );
  return rows.map((r) => String(r.Table));
}

/** Staging tables present before this suite ran (e.g. orphans of another suite's killed run). */
let stagingBefore = new Set<string>();

/**
 * Staging tables this suite's loads left behind. Its loads name no run; tables naming one belong
 * to runs of other suites sharing the stack, which may be loading right now.
 */
async function stagingLeft(): Promise<string[]> {
  return (await stagingTables()).filter((t) => !stagingBefore.has(t) && !t.includes("__run_"));
}

async function pgRows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client(pgConn(db));
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  stagingBefore = new Set(await stagingTables());
  for (const [db, mult] of [
    ["project_01", 7],
    ["project_02", 13],
  ] as const) {
    await pgRows(db, SEED.replaceAll("%MULT%", String(mult)));
  }
});

afterAll(async () => {
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.aps_input_wip`);
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.equipment_utilization`);
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.aps_input_cycle_time`);
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.lot_raw`);
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.lot_guard`);
  await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${TARGET_SCHEMA}`);
});

describe("extract -> transfer -> load", () => {
  it("loads project_01's three pipelines with exactly the aggregates PostgreSQL computes", async () => {
    const w = await runDay("project_01", wipPipe, wip as TransformFn);
    expect(w.tableCreated).toBe(true);
    const e = await runDay("project_01", eqPipe, utilization as TransformFn);
    const c = await runDay("project_01", prPipe, cycle as TransformFn);
    expect(w.snapshotId).toMatch(/^-?\d+$/);

    const wipPg = await pgRows(
      "project_01",
      `SELECT process_step, product_code, sum(quantity)::text AS q, count(DISTINCT lot_id)::int AS n FROM ${SCHEMA}.lot_history WHERE status IN ('IN_PROGRESS','COMPLETED') AND ${RANGE("created_at")} GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const wipTr = await tableRows(wipPipe, "process_step, product_code");
    expect(
      wipTr.map((r) => [
        r.process_step,
        r.product_code,
        String(r.wip_qty),
        r.lot_count,
        r.snapshot_date,
        r.project_id,
      ]),
    ).toEqual(wipPg.map((r) => [r.process_step, r.product_code, r.q, r.n, DAY, "project_01"]));
    expect(w.rowsInserted).toBe(wipPg.length);

    const eqPg = await pgRows(
      "project_01",
      `SELECT equipment_id, coalesce(sum(duration_minutes) FILTER (WHERE event_type = 'RUN'), 0)::text AS run, coalesce(sum(duration_minutes) FILTER (WHERE event_type = 'DOWN'), 0)::text AS down, count(*)::int AS n FROM ${SCHEMA}.equipment_event WHERE ${RANGE("event_time")} GROUP BY 1 ORDER BY 1`,
    );
    const eqTr = await tableRows(eqPipe, "equipment_id");
    expect(
      eqTr.map((r) => [
        r.equipment_id,
        String(r.run_minutes),
        String(r.down_minutes),
        r.event_count,
      ]),
    ).toEqual(eqPg.map((r) => [r.equipment_id, r.run, r.down, r.n]));
    expect(e.rowsInserted).toBe(eqPg.length);

    const prPg = await pgRows(
      "project_01",
      `SELECT p.process_step, count(*)::int AS n, count(*) FILTER (WHERE pass_fail = 'FAIL')::int AS f, sum(measurement_value)::numeric(18,4)::text AS s, count(*) FILTER (WHERE p.lot_id IN (SELECT lot_id FROM ${SCHEMA}.lot_history WHERE ${RANGE("created_at")}))::int AS k FROM ${SCHEMA}.process_result p WHERE ${RANGE("measured_at")} GROUP BY 1 ORDER BY 1`,
    );
    const prTr = await tableRows(prPipe, "process_step");
    expect(
      prTr.map((r) => [r.process_step, r.measurements, r.fail_count, r.value_sum, r.lots_same_day]),
    ).toEqual(prPg.map((r) => [r.process_step, r.n, r.f, r.s, r.k]));
    expect(c.rowsStaged).toBe(prPg.length);
    expect(await stagingLeft()).toEqual([]);
  });

  it("leaves identical contents after a rerun, and keeps each tenant's rows apart in a shared table", async () => {
    const before = await tableRows(wipPipe, "process_step, product_code, project_id");
    const again = await runDay("project_01", wipPipe, wip as TransformFn);
    expect(again.rowsDeleted).toBe(before.length);
    expect(await tableRows(wipPipe, "process_step, product_code, project_id")).toEqual(before);

    await runDay("project_02", wipPipe, wip as TransformFn);
    const both = await tableRows(wipPipe, "project_id, process_step, product_code");
    expect(both.filter((r) => r.project_id === "project_01")).toEqual(
      before.sort(
        (a, b) =>
          String(a.process_step).localeCompare(String(b.process_step)) ||
          String(a.product_code).localeCompare(String(b.product_code)),
      ),
    );
    const p2 = both.filter((r) => r.project_id === "project_02");
    const p2Pg = await pgRows(
      "project_02",
      `SELECT sum(quantity)::text AS q FROM ${SCHEMA}.lot_history WHERE status IN ('IN_PROGRESS','COMPLETED') AND ${RANGE("created_at")}`,
    );
    expect(String(p2.reduce((a, r) => a + BigInt(String(r.wip_qty)), 0n))).toBe(p2Pg[0]?.q);
    // project_01 reruns; project_02's rows are untouched.
    await runDay("project_01", wipPipe, wip as TransformFn);
    expect(await tableRows(wipPipe, "project_id, process_step, product_code")).toEqual(both);

    // merge mode: rerun changes nothing, the second tenant adds its own rows.
    const eqBefore = await tableRows(eqPipe, "project_id, equipment_id");
    const eqAgain = await runDay("project_01", eqPipe, utilization as TransformFn);
    expect([eqAgain.rowsInserted, eqAgain.rowsUpdated, eqAgain.rowsDeleted]).toEqual([0, 0, 0]);
    expect(await tableRows(eqPipe, "project_id, equipment_id")).toEqual(eqBefore);
    await runDay("project_02", eqPipe, utilization as TransformFn);
    expect(
      (await tableRows(eqPipe, "project_id, equipment_id")).filter(
        (r) => r.project_id === "project_01",
      ),
    ).toEqual(eqBefore);
  });

  it("runs the declared checks on the loaded rows and fails on an error-severity check", async () => {
    const scope = {
      from: trinoQualifiedName("iceberg", TARGET_SCHEMA, "aps_input_wip"),
      where: `${quoteTrinoIdent("project_id")} = 'project_01' AND snapshot_date = DATE '${DAY}'`,
    };
    const results = await runChecks(trino, wipPipe.checks, scope, logger);
    expect(results.filter((r) => !r.passed).map((r) => r.name)).toEqual(["known_steps"]);
    expect(results.find((r) => r.name === "known_steps")?.sample).toEqual(["STEP-3"]);
    expect(() => enforceChecks("lot_history", results)).not.toThrow();
    const strict = await runChecks(
      trino,
      [{ type: "row_count", name: "tiny", min: null, max: 2, severity: "error" }],
      scope,
      logger,
    );
    expect(() => enforceChecks("lot_history", strict)).toThrow(/tiny \(row_count/);
  });

  it("extract-only loads: a new source column arrives, merge/append/full_refresh are idempotent, staging is dropped on failure", async () => {
    const raw = pipeline("lot_history", "lot_history", "created_at", {
      table: "lot_raw",
      mode: "append",
    });
    const first = await runDay("project_01", raw, null);
    expect(first.rowsInserted).toBeGreaterThan(0);
    const again = await runDay("project_01", raw, null);
    expect(again.rowsInserted).toBe(0);
    await pgRows(
      "project_01",
      `ALTER TABLE ${SCHEMA}.lot_history ADD COLUMN priority varchar(10); UPDATE ${SCHEMA}.lot_history SET priority = CASE WHEN quantity > 300 THEN 'HIGH' ELSE 'LOW' END`,
    );
    const evolved = await runDay(
      "project_01",
      {
        ...raw,
        trinoOutput: raw.trinoOutput && { ...raw.trinoOutput, writeMode: "replace_partition" },
      },
      null,
    );
    expect(evolved.columnsAdded).toEqual(["priority"]);
    const pri = await trino.rows(
      `SELECT count_if(priority = 'HIGH') AS h, count(*) AS n FROM iceberg.${TARGET_SCHEMA}.lot_raw`,
    );
    const priPg = await pgRows(
      "project_01",
      `SELECT count(*) FILTER (WHERE priority = 'HIGH')::int AS h, count(*)::int AS n FROM ${SCHEMA}.lot_history WHERE ${RANGE("created_at")}`,
    );
    expect(pri).toEqual([{ h: priPg[0]?.h, n: priPg[0]?.n }]);

    const merged = await runDay(
      "project_01",
      {
        ...raw,
        trinoOutput: raw.trinoOutput && {
          ...raw.trinoOutput,
          writeMode: "merge",
          keyColumns: ["lot_id"],
        },
      },
      null,
    );
    expect([merged.rowsInserted, merged.rowsUpdated]).toEqual([0, 0]);
    expect(
      (await trino.rows(`SELECT count(*) AS n FROM iceberg.${TARGET_SCHEMA}.lot_raw`))[0]?.n,
    ).toBe(priPg[0]?.n);

    // A type change is refused with the column and both types named; nothing is left staged.
    await pgRows(
      "project_01",
      `ALTER TABLE ${SCHEMA}.lot_history ALTER COLUMN quantity TYPE bigint`,
    );
    await expect(runDay("project_01", raw, null)).rejects.toThrow(
      /column "quantity" is integer in the table but bigint in the new data/,
    );
    await pgRows(
      "project_01",
      `ALTER TABLE ${SCHEMA}.lot_history ALTER COLUMN quantity TYPE integer`,
    );
    // Induced failure after the staging table exists: declared columns that the files contradict
    // (lot_id is varchar in the Parquet), so Trino fails while reading the staged data.
    const storage = storageFor("project_01");
    const m = await readManifest(storage, "extract", "lot_history", DAY);
    await expect(
      loadPartition({
        client: trino,
        tenantId: "project_01",
        pipeline: {
          ...raw,
          trinoOutput: raw.trinoOutput && { ...raw.trinoOutput, table: "lot_bad" },
        },
        catalog: "iceberg",
        partition: { date: DAY, timeZone: TZ },
        logger,
        staged: {
          stage: "extract",
          location: m?.location ?? "",
          runId: "bad",
          columns: [
            { name: "lot_id", type: "bigint" },
            { name: "created_at", type: "timestamp(6)" },
          ],
        },
      }),
    ).rejects.toThrow(/failed: Trino query \S+ failed/);
    expect(await stagingLeft()).toEqual([]);
    await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.lot_bad`);

    const unpart = pipeline("lot_history", "lot_history", null, {
      table: "lot_raw_full",
      mode: "full_refresh",
    });
    const f1 = await runDay("project_01", unpart, null);
    const f2 = await runDay("project_01", unpart, null);
    expect(f2.rowsDeleted).toBe(f1.rowsInserted);
    expect(
      (await trino.rows(`SELECT count(*) AS n FROM iceberg.${TARGET_SCHEMA}.lot_raw_full`))[0]?.n,
    ).toBe(f1.rowsInserted);
    await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.lot_raw_full`);
  });

  it("refuses rows outside the partition inside the write statement (counted or not), and a run's table checks survive a table dropped behind them", async () => {
    const raw = pipeline("lot_history", "lot_history", "created_at", {
      table: "lot_guard",
      mode: "replace_partition",
    });
    const ensured = new EnsuredObjects();
    const first = await runDay("project_01", raw, null, [], ensured);
    expect(first.tableCreated).toBe(true);
    const storage = storageFor("project_01");
    const manifest = await readManifest(storage, "extract", "lot_history", DAY);
    if (manifest === null) throw new Error("no committed extract of lot_history");
    const staged = stagedFromManifest(raw, manifest);
    expect(staged.rowCount).toBe(first.rowsStaged);
    const before = await tableRows(raw, "lot_id");
    // The files hold DAY; loading them as the next day must fail before anything is committed,
    // whether the manifest counted the rows (the guard in the MERGE) or not (the count query).
    for (const rowCount of [staged.rowCount, null]) {
      await expect(
        loadPartition({
          client: trino,
          tenantId: "project_01",
          pipeline: raw,
          catalog: "iceberg",
          partition: { date: "2024-03-06", timeZone: TZ },
          logger,
          ensured,
          staged: { ...staged, rowCount },
        }),
      ).rejects.toThrow(
        /partition 2024-03-06: (\d+ of \d+ )?extract rows have created_at outside that day/,
      );
    }
    expect(await tableRows(raw, "lot_id")).toEqual(before);
    expect(await stagingLeft()).toEqual([]);
    // A failed load forgets the run's check of its table: the next one checks it again.
    const checked = await runDay("project_01", raw, null, [], ensured);
    expect(checked.tableCreated).toBe(false);
    // Dropped behind the run's back, the next load fails and forgets the check, and the retry
    // creates the table again.
    await trino.execute(`DROP TABLE iceberg.${TARGET_SCHEMA}.lot_guard`);
    await expect(runDay("project_01", raw, null, [], ensured)).rejects.toThrow(/lot_guard/);
    const again = await runDay("project_01", raw, null, [], ensured);
    expect(again.tableCreated).toBe(true);
    expect(await tableRows(raw, "lot_id")).toEqual(before);
    await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET_SCHEMA}.lot_guard`);
  });
});
