/**
 * Tenant isolation under concurrency (issue 9, item 5): project_01's and project_02's plans run AT
 * ONCE, as two processes, into the same two Trino/Iceberg tables (see isolation-plan.ts). Each
 * tenant's rows must equal what its own source says, the other tenant's rows must be untouched by
 * a concurrent re-run, every object either process wrote must lie under that tenant's storage
 * prefix, and the two loads must really have overlapped in time (else the test proved nothing).
 * Concurrent Iceberg commits may conflict (ICEBERG_COMMIT_ERROR): the executor retries them as
 * transient, and the ledger then shows more than one attempt.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileLedger, type MaterializationRecord, type S3Storage, TrinoClient } from "@etl/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.js";
import {
  ensureStackBucket,
  readStackEnv,
  readStackVars,
  type StackEnv,
  stackStorage,
} from "../../src/stack-env.js";
import {
  basePathOf,
  ISO_JOB,
  ISO_SOURCE_SCHEMA,
  ISO_TRINO_SCHEMA,
  type IsolationTenant,
  TENANTS,
} from "./isolation-plan.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const DAY = "2026-03-10";
/** Rows per tenant: enough for each load to take seconds, so the two loads overlap. */
const ROWS: Record<IsolationTenant, number> = { project_01: 60_000, project_02: 50_000 };
const MULT: Record<IsolationTenant, number> = { project_01: 7, project_02: 13 };
const LOADS = (t: IsolationTenant) => [`${t}/load/lot_raw`, `${t}/load/lot_history`];
/**
 * The two processes write into a bucket of their own: other test files write into the shared one
 * at the same time, and "every object written lies under its tenant's prefix" must see only ours.
 */
const ISO_BUCKET = "isolation-it";

let stackEnv: StackEnv;
let childEnv: Record<string, string | undefined> = {};
let etlHome = "";
let trino: TrinoClient;
let bucket: S3Storage;

async function pgQuery<T extends pg.QueryResultRow>(tenant: IsolationTenant, sql: string) {
  const c = new pg.Client({
    host: stackEnv.PGHOST,
    port: stackEnv.PGPORT,
    user: stackEnv.PGUSER,
    password: stackEnv.PGPASSWORD,
    database: tenant,
  });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

type Child = ChildProcess & { output: () => string; done: Promise<number | null> };

function spawnTenant(tenant: IsolationTenant, argv: string[]): Child {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const child = spawn(
    process.execPath,
    ["--conditions=source", "--import", tsx, path.join(here, "isolation-main.ts"), tenant, ...argv],
    { cwd: repoRoot, env: childEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const keep = (b: Buffer) => {
    out += b.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const done = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return Object.assign(child, { output: () => out, done });
}

const runIdOf = (output: string) => /^run (\S+)/m.exec(output)?.[1];

/** Both tenants' `run shared --partition DAY` started at the same moment; both must succeed. */
async function runBothAtOnce(): Promise<Record<IsolationTenant, MaterializationRecord[]>> {
  const children = TENANTS.map((t) => spawnTenant(t, ["run", ISO_JOB, "--partition", DAY]));
  const codes = await Promise.all(children.map((c) => c.done));
  const out = {} as Record<IsolationTenant, MaterializationRecord[]>;
  for (const [i, t] of TENANTS.entries()) {
    const child = children[i];
    if (child === undefined) throw new Error("internal: child missing");
    expect(codes[i], `${t}:\n${child.output()}`).toBe(0);
    const runId = runIdOf(child.output());
    expect(runId, child.output()).toBeDefined();
    const recs = await new FileLedger(etlHome, t).materializations(t);
    out[t] = recs.filter((m) => m.runId === runId);
  }
  return out;
}

/** Whether some load of one tenant ran while a load of the other was running. */
function loadsOverlapped(recs: Record<IsolationTenant, MaterializationRecord[]>): boolean {
  const spans = (t: IsolationTenant) =>
    recs[t].filter((m) => LOADS(t).includes(m.assetKey)).map((m) => [m.startedAt, m.finishedAt]);
  return spans("project_01").some(([s1, f1]) =>
    spans("project_02").some(([s2, f2]) => (s1 ?? "") < (f2 ?? "") && (s2 ?? "") < (f1 ?? "")),
  );
}

const DAY_RANGE = `created_at >= TIMESTAMP '${DAY} 00:00:00' AND created_at < TIMESTAMP '${DAY} 00:00:00' + INTERVAL '1' DAY`;

/** The same fingerprint of one tenant's day of lot_history, in PostgreSQL and in Trino. */
const FINGERPRINT = `count(*) AS n, count(DISTINCT lot_id) AS lots, sum(quantity) AS qty,
  sum(length(lot_id) + length(product_code) + length(process_step)) AS chars,
  count(equipment_id) AS with_eq, count_if(priority = 'HIGH') AS high`;

const asText = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));

/** Exact on every column but `avg` (a double: equal to 1e-9). */
async function expectWipOf(t: IsolationTenant): Promise<void> {
  const [got, want] = [await loadedWip(t), await expectedWip(t)];
  const exact = (rows: Record<string, string>[]) => rows.map(({ avg: _avg, ...rest }) => rest);
  expect(exact(got), t).toEqual(exact(want));
  for (const [i, row] of got.entries()) {
    expect(Number(row.avg), `${t} avg of row ${i}`).toBeCloseTo(Number(want[i]?.avg), 9);
  }
  expect(got.length, t).toBeGreaterThan(0);
}

async function sourceFingerprint(t: IsolationTenant) {
  const sql = `SELECT ${FINGERPRINT} FROM ${ISO_SOURCE_SCHEMA}.lot_history WHERE ${DAY_RANGE}`;
  return asText(
    await pgQuery(
      t,
      sql.replace("count_if(priority = 'HIGH')", "count(*) FILTER (WHERE priority = 'HIGH')"),
    ),
  );
}

async function targetFingerprint(t: IsolationTenant) {
  return asText(
    await trino.rows(
      `SELECT ${FINGERPRINT} FROM iceberg.${ISO_TRINO_SCHEMA}.lot_raw WHERE project_id = '${t}' AND ${DAY_RANGE}`,
    ),
  );
}

/** The WIP each tenant's transform must produce, computed independently by PostgreSQL. */
async function expectedWip(t: IsolationTenant) {
  const high = t === "project_01" ? ", count(*) FILTER (WHERE priority = 'HIGH') AS high" : "";
  return asText(
    await pgQuery(
      t,
      `SELECT process_step, product_code, sum(quantity) AS qty, count(DISTINCT lot_id) AS lots,
         avg(quantity)::float8 AS avg${high}
       FROM ${ISO_SOURCE_SCHEMA}.lot_history
       WHERE status IN ('IN_PROGRESS', 'COMPLETED') AND ${DAY_RANGE}
       GROUP BY 1, 2 ORDER BY 1, 2`,
    ),
  );
}

async function loadedWip(t: IsolationTenant) {
  const high = t === "project_01" ? ", high_priority_count AS high" : "";
  return asText(
    await trino.rows(
      `SELECT process_step, product_code, wip_qty AS qty, lot_count AS lots,
         avg_qty_per_lot AS avg${high}
       FROM iceberg.${ISO_TRINO_SCHEMA}.aps_input_wip
       WHERE project_id = '${t}' AND snapshot_date = DATE '${DAY}' ORDER BY 1, 2`,
    ),
  );
}

/**
 * A fingerprint of every row of one tenant in both shared tables: the row count and Trino's
 * order-independent checksum of each column, for "untouched" comparisons.
 */
async function allRowsOf(t: IsolationTenant): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of ["lot_raw", "aps_input_wip"]) {
    const name = `iceberg.${ISO_TRINO_SCHEMA}.${table}`;
    const cols = (await trino.rows(`SHOW COLUMNS FROM ${name}`)).map((r) => String(r.Column));
    const sums = cols.map((c) => `to_hex(checksum("${c}")) AS "${c}"`).join(", ");
    const [row] = await trino.rows(
      `SELECT count(*) AS "rows", ${sums} FROM ${name} WHERE project_id = '${t}'`,
    );
    for (const [k, v] of Object.entries(row ?? {})) out[`${table}.${k}`] = String(v);
  }
  return out;
}

async function seed(t: IsolationTenant): Promise<void> {
  await pgQuery(
    t,
    `DROP SCHEMA IF EXISTS ${ISO_SOURCE_SCHEMA} CASCADE;
     CREATE SCHEMA ${ISO_SOURCE_SCHEMA};
     CREATE TABLE ${ISO_SOURCE_SCHEMA}.lot_history (LIKE public.lot_history INCLUDING ALL);
     INSERT INTO ${ISO_SOURCE_SCHEMA}.lot_history
     SELECT '${t}-LOT-' || lpad(g::text, 7, '0'), 'PRD-' || (g * ${MULT[t]} % 23), 'STEP-' || (g % 11),
            CASE WHEN g % 5 = 0 THEN NULL ELSE 'EQ-' || (g % 31) END,
            TIMESTAMP '${DAY} 00:00:00' + g * INTERVAL '1 second', NULL, (g * ${MULT[t]}) % 1000,
            (ARRAY['IN_PROGRESS','COMPLETED','HOLD','SCRAP'])[1 + g % 4],
            CASE WHEN g % 7 = 0 THEN 'HIGH' ELSE 'LOW' END,
            TIMESTAMP '${DAY} 00:00:00' + (g % 86400) * INTERVAL '1 second', now()
     FROM generate_series(1, ${ROWS[t]}) AS g;
     ANALYZE ${ISO_SOURCE_SCHEMA}.lot_history;`,
  );
}

async function dropTargets(): Promise<void> {
  for (const table of ["lot_raw", "aps_input_wip"]) {
    await trino.execute(`DROP TABLE IF EXISTS iceberg.${ISO_TRINO_SCHEMA}.${table}`);
  }
}

/** Every object key in the test's own bucket with its size. */
async function bucketObjects(): Promise<Map<string, number>> {
  const all = await bucket.list("");
  return new Map(all.map((o) => [o.key, o.size]));
}

beforeAll(async () => {
  stackEnv = readStackEnv();
  trino = TrinoClient.create({
    host: stackEnv.TRINO_HOST,
    port: stackEnv.TRINO_PORT,
    user: stackEnv.TRINO_USER,
    password: null,
    scheme: stackEnv.TRINO_HTTP_SCHEME,
  });
  const isoEnv = { ...stackEnv, S3_BUCKET_NAME: ISO_BUCKET };
  await ensureStackBucket(stackEnv, ISO_BUCKET);
  bucket = stackStorage(isoEnv, "");
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-isolation-"));
  childEnv = {
    ...process.env,
    ...readStackVars(),
    S3_BUCKET_NAME: ISO_BUCKET,
    ETL_HOME: etlHome,
    ETL_ENVIRONMENT: "dev",
    ETL_RETRY_BASE_MS: "300",
  };
  for (const t of TENANTS) {
    await seed(t);
    await stackStorage(isoEnv, basePathOf(t)).deletePrefix("");
  }
  await trino.execute(`CREATE SCHEMA IF NOT EXISTS iceberg.${ISO_TRINO_SCHEMA}`);
  await dropTargets();
}, 600_000);

afterAll(async () => {
  await dropTargets();
  await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${ISO_TRINO_SCHEMA}`);
  for (const t of TENANTS) await pgQuery(t, `DROP SCHEMA IF EXISTS ${ISO_SOURCE_SCHEMA} CASCADE`);
}, 600_000);

describe.sequential("two tenants at once into the same tables", () => {
  let overlapped = false;
  let round1: Record<IsolationTenant, Record<string, string>> | null = null;

  it("both create and fill the shared tables at once; each tenant's rows equal its own source", async () => {
    const before = await bucketObjects();
    const recs = await runBothAtOnce();
    overlapped ||= loadsOverlapped(recs);
    for (const t of TENANTS) {
      expect(await targetFingerprint(t), t).toEqual(await sourceFingerprint(t));
      await expectWipOf(t);
    }
    const [{ n }] = (await trino.rows(
      `SELECT count(*) AS n FROM iceberg.${ISO_TRINO_SCHEMA}.lot_raw WHERE project_id NOT IN ('project_01', 'project_02') OR project_id IS NULL`,
    )) as [{ n: unknown }];
    expect(Number(n)).toBe(0);
    // project_01's wider output evolved the shared table; project_02's rows carry NULL there.
    const [{ nonNull }] = (await trino.rows(
      `SELECT count(high_priority_count) AS "nonNull" FROM iceberg.${ISO_TRINO_SCHEMA}.aps_input_wip WHERE project_id = 'project_02'`,
    )) as [{ nonNull: unknown }];
    expect(Number(nonNull)).toBe(0);
    // Every object the two processes wrote lies under the writing tenant's own prefix.
    const after = await bucketObjects();
    const written = [...after.keys()].filter((k) => before.get(k) !== after.get(k));
    const stray = written.filter((k) => !TENANTS.some((t) => k.startsWith(`${basePathOf(t)}/`)));
    expect(stray).toEqual([]);
    const changedOrGone = [...before.keys()].filter((k) => after.get(k) !== before.get(k));
    expect(changedOrGone.filter((k) => !k.startsWith("isolation-it/"))).toEqual([]);
    for (const t of TENANTS) {
      expect(
        written.some((k) => k.startsWith(`${basePathOf(t)}/`)),
        t,
      ).toBe(true);
    }
    round1 = {
      project_01: await allRowsOf("project_01"),
      project_02: await allRowsOf("project_02"),
    };
  }, 900_000);

  it("a concurrent re-run of both after project_02's source changed leaves project_01's rows untouched", async () => {
    expect(round1).not.toBeNull();
    await pgQuery(
      "project_02",
      `UPDATE ${ISO_SOURCE_SCHEMA}.lot_history SET quantity = quantity + 1 WHERE quantity % 3 = 0;
       DELETE FROM ${ISO_SOURCE_SCHEMA}.lot_history WHERE quantity % 10 = 1;`,
    );
    const recs = await runBothAtOnce();
    overlapped ||= loadsOverlapped(recs);
    expect(await allRowsOf("project_01")).toEqual(round1?.project_01);
    expect(await allRowsOf("project_02")).not.toEqual(round1?.project_02);
    for (const t of TENANTS) {
      expect(await targetFingerprint(t), t).toEqual(await sourceFingerprint(t));
      await expectWipOf(t);
    }
  }, 900_000);

  it("the two tenants' loads really overlapped in time", async () => {
    // Start offsets vary with the machine's load: re-run (idempotent) until the loads overlap.
    for (let extra = 0; extra < 3 && !overlapped; extra++) {
      const recs = await runBothAtOnce();
      overlapped = loadsOverlapped(recs);
      for (const t of TENANTS) {
        expect(await targetFingerprint(t), t).toEqual(await sourceFingerprint(t));
      }
    }
    expect(overlapped, "no round had both tenants loading at the same time").toBe(true);
    expect(await allRowsOf("project_01")).toEqual(round1?.project_01);
  }, 1_800_000);
});
