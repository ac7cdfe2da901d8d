/**
 * Iceberg table upkeep on the real stack. 30 daily runs load a `merge` table (each day updates
 * the keys the day before loaded, leaving position deletes) and a `replace_partition` table (five
 * days are reloaded, leaving deletes too); another tenant shares the replace table. Then:
 *
 * - `run maintenance` (the generated job, the product's 7-day retention) compacts this tenant's
 *   partitions only: data and delete files drop, the other tenant's files stay as they were,
 *   nothing younger than the retention is expired or removed, contents are identical;
 * - the same job with a retention of 0 s (the test lowers Trino's minimum for its own session, as
 *   an operator's catalog property would) expires the snapshots and removes an orphan file:
 *   snapshot count and the table's objects drop, contents are identical (count and checksum of
 *   every column);
 * - a big load runs while the job runs again with 0 s: the job stretches its retention over the
 *   running load, and the load commits every row.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type CliIo,
  environmentPlan,
  FileLedger,
  Logger,
  type MaintenanceOutcome,
  resolveResources,
  runCli,
  runMaintenanceJob,
  S3Storage,
  type TableMaintenanceResult,
  type TenantPlan,
  TrinoClient,
} from "@etl/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackVars } from "../../src/stack-env.js";
import {
  BIG_DAY,
  BIG_DAY_ROWS,
  createSource,
  DAYS,
  dropSource,
  type OpsNames,
  opsNames,
  opsPlan,
  ROWS_PER_DAY,
  TENANT,
} from "./ops-plan.js";

const names: OpsNames = opsNames(`mt${Date.now().toString(36)}`);
const OTHER = "project_99";
const LOWERED = {
  "iceberg.expire_snapshots_min_retention": "0s",
  "iceberg.remove_orphan_files_min_retention": "0s",
};

let etlHome = "";
let env: Record<string, string | undefined> = {};
let plan: TenantPlan;
let trino: TrinoClient;
let bucket: S3Storage;

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out: (t: string) => {
      io.stdout += t;
    },
    err: (t: string) => {
      io.stderr += t;
    },
  };
  return io;
}

async function cli(argv: string[]) {
  const io = captureIo();
  const code = await runCli({ plan, transforms: {}, argv, env, io });
  return { code, ...io };
}

const fq = (table: string) => `iceberg.${names.trinoSchema}.${table}`;

async function one(sql: string): Promise<Record<string, unknown>> {
  const rows = await trino.rows(sql);
  const row = rows[0];
  if (row === undefined) throw new Error(`no row from ${sql}`);
  return row;
}

/** Row count and a checksum of every column: equal before and after means the same contents. */
async function contents(table: string): Promise<Record<string, unknown>> {
  const cols = (await trino.rows(`SHOW COLUMNS FROM ${fq(table)}`)).map((r) => String(r.Column));
  return one(
    `SELECT count(*) AS n, ${cols.map((c) => `to_hex(checksum("${c}")) AS "${c}"`).join(", ")} FROM ${fq(table)}`,
  );
}

async function counts(table: string) {
  const files = await trino.rows(
    `SELECT content, count(*) AS n FROM iceberg.${names.trinoSchema}."${table}$files" GROUP BY content`,
  );
  const snapshots = await one(
    `SELECT count(*) AS n FROM iceberg.${names.trinoSchema}."${table}$snapshots"`,
  );
  return {
    dataFiles: Number(files.find((r) => Number(r.content) === 0)?.n ?? 0),
    deleteFiles: files.filter((r) => Number(r.content) !== 0).reduce((s, r) => s + Number(r.n), 0),
    snapshots: Number(snapshots.n),
  };
}

/** The table's folder in the bucket (from a data file's path), as a key prefix. */
async function tableRoot(table: string): Promise<string> {
  const row = await one(`SELECT "$path" AS p FROM ${fq(table)} LIMIT 1`);
  const m = /^s3:\/\/[^/]+\/(.+?\/)data\//.exec(String(row.p));
  if (m?.[1] === undefined) throw new Error(`unexpected data file path ${String(row.p)}`);
  return m[1];
}

async function otherTenantFiles(): Promise<string[]> {
  return (
    await trino.rows(
      `SELECT file_path FROM iceberg.${names.trinoSchema}."events_replace$files" WHERE partition.project_id = '${OTHER}' ORDER BY 1`,
    )
  ).map((r) => String(r.file_path));
}

/** The maintenance job through the library, as `run maintenance` runs it, with options. */
async function maintain(
  retentionSeconds: number,
  logLines: string[] = [],
): Promise<Extract<MaintenanceOutcome, { kind: "completed" }>> {
  const short = structuredClone(plan);
  const envPlan = environmentPlan(short, "dev");
  if (envPlan.maintenance === undefined) throw new Error("no maintenance settings");
  envPlan.maintenance = {
    ...envPlan.maintenance,
    snapshotRetentionSeconds: retentionSeconds,
    orphanRetentionSeconds: retentionSeconds,
  };
  const job = envPlan.jobs.find((j) => j.kind === "maintenance");
  const resources = resolveResources(short, "dev", env);
  if (job === undefined || !resources.ok) throw new Error("cannot set up the maintenance run");
  const ledger = new FileLedger(etlHome, TENANT);
  const outcome = await runMaintenanceJob({
    plan: short,
    envPlan,
    environment: "dev",
    job,
    resources: resources.resources,
    ledger,
    logger: new Logger({}, { write: (l) => logLines.push(l), isTTY: false }, "info", "json"),
    retry: { attempts: 5, baseDelayMs: 500, maxDelayMs: 5000 },
    signal: new AbortController().signal,
    trigger: "test",
    trinoSession: LOWERED,
  });
  await ledger.close();
  if (outcome.kind !== "completed") throw new Error(outcome.message);
  return outcome;
}

const resultOf = (o: { tables: TableMaintenanceResult[] }, table: string) =>
  o.tables.find((t) => t.table.endsWith(`.${table}`));

beforeAll(async () => {
  const stack = readStackVars();
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-ops-maint-"));
  env = {
    ...process.env,
    ...stack,
    ETL_HOME: etlHome,
    ETL_ENVIRONMENT: "dev",
    ETL_RETRY_BASE_MS: "300",
  };
  trino = TrinoClient.create({
    host: env.TRINO_HOST ?? "127.0.0.1",
    port: Number(env.TRINO_PORT ?? 58080),
    user: env.TRINO_USER ?? "etl",
    password: null,
    scheme: "http",
  });
  bucket = new S3Storage({
    bucket: env.S3_BUCKET_NAME ?? "data-lake",
    basePath: "",
    endpoint: env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
    region: env.AWS_REGION ?? "us-east-1",
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? null,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? null,
    sessionToken: null,
    forcePathStyle: true,
  });
  plan = opsPlan(names, await createSource(env, names));
}, 300_000);

afterAll(async () => {
  await dropSource(env, names);
  for (const t of ["events_merge", "events_replace"])
    await trino.execute(`DROP TABLE IF EXISTS ${fq(t)}`);
  await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${names.trinoSchema}`);
  await rm(etlHome, { recursive: true, force: true });
}, 120_000);

describe("the maintenance job", () => {
  const before: Record<string, Record<string, unknown>> = {};
  let otherFiles: string[] = [];

  it("30 daily merge and replace_partition loads leave small files, delete files and snapshots", async () => {
    const first = DAYS[0] ?? "";
    const last = DAYS.at(-1) ?? "";
    // One partition at a time, as 30 daily scheduled runs load them: a commit each (a chunked
    // backfill would write the 30 days in one commit per table, leaving nothing to compact).
    const backfill = await cli([
      "backfill",
      "daily",
      "--from",
      first,
      "--to",
      last,
      "--chunk",
      "1",
    ]);
    expect(backfill.code, backfill.stderr.slice(-3000)).toBe(0);
    expect(backfill.stdout).toContain("backfill daily: 30 succeeded, 0 failed");
    // A source correction: five days of the replace table are loaded again.
    for (const day of DAYS.slice(0, 5)) {
      const r = await cli([
        "run",
        "daily",
        "--partition",
        day,
        "--select",
        `${TENANT}/*/events_replace`,
      ]);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
    }
    // Another tenant shares the replace table (its loads write its own tenant column value).
    for (let i = 0; i < 3; i++) {
      await trino.execute(
        `INSERT INTO ${fq("events_replace")} (event_id, item_key, created_at, qty, note, project_id) VALUES (${900_000 + i}, ${i}, TIMESTAMP '2026-02-10 12:00:00', 5, 'other tenant', '${OTHER}')`,
      );
    }
    otherFiles = await otherTenantFiles();
    expect(otherFiles).toHaveLength(3);

    const merge = await counts("events_merge");
    expect(merge.snapshots).toBeGreaterThanOrEqual(30);
    expect(merge.deleteFiles).toBeGreaterThanOrEqual(25);
    expect(merge.dataFiles).toBeGreaterThanOrEqual(30);
    const replace = await counts("events_replace");
    expect(replace.deleteFiles).toBeGreaterThanOrEqual(5);
    expect(replace.snapshots).toBeGreaterThanOrEqual(35);
    expect(Number((await one(`SELECT count(*) AS n FROM ${fq("events_merge")}`)).n)).toBe(50);
    expect(
      Number(
        (
          await one(
            `SELECT count(*) AS n FROM ${fq("events_replace")} WHERE project_id = '${TENANT}'`,
          )
        ).n,
      ),
    ).toBe(30 * ROWS_PER_DAY);
    for (const t of ["events_merge", "events_replace"]) before[t] = await contents(t);
  });

  it("run maintenance compacts this tenant's partitions only and, with the 7-day retention, keeps every snapshot and file younger than that", async () => {
    const merge0 = await counts("events_merge");
    const replace0 = await counts("events_replace");
    const root = await tableRoot("events_merge");
    const orphanKey = `${root}data/orphan-${names.tag}.parquet`;
    await bucket.put(orphanKey, new TextEncoder().encode("not referenced by any snapshot"));

    const r = await cli(["run", "maintenance"]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`${TENANT}/maintenance/iceberg\\.${names.trinoSchema}\\.events_merge +succeeded`),
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `${TENANT}/maintenance/iceberg\\.${names.trinoSchema}\\.events_replace +succeeded`,
      ),
    );

    const merge1 = await counts("events_merge");
    expect(merge1.deleteFiles).toBe(0);
    expect(merge1.dataFiles).toBeLessThan(merge0.dataFiles);
    // Nothing is older than 7 days: optimize added a snapshot, none was expired.
    expect(merge1.snapshots).toBe(merge0.snapshots + 1);
    const replace1 = await counts("events_replace");
    expect(replace1.deleteFiles).toBe(0);
    expect(replace1.dataFiles).toBeLessThan(replace0.dataFiles);
    // The other tenant's files are exactly as they were.
    expect(await otherTenantFiles()).toEqual(otherFiles);
    expect((await bucket.list(orphanKey)).map((o) => o.key)).toEqual([orphanKey]);
    for (const t of ["events_merge", "events_replace"])
      expect(await contents(t)).toEqual(before[t]);

    // Recorded in the ledger per table, with the counts and the scope.
    const records = (await new FileLedger(etlHome, TENANT).materializations(TENANT)).filter((m) =>
      m.assetKey.startsWith(`${TENANT}/maintenance/`),
    );
    const replaceRecord = records.find((m) => m.assetKey.endsWith(".events_replace"));
    expect(replaceRecord?.metadata).toMatchObject({
      optimize: { kind: "tenant-partitions", where: `"project_id" = '${TENANT}'` },
      snapshotRetentionSeconds: 7 * 86_400,
      orphanRetentionSeconds: 7 * 86_400,
      before: { deleteFiles: replace0.deleteFiles },
      after: { deleteFiles: 0 },
    });
  });

  it("with a retention under the age of the files, it expires snapshots and removes orphan files, and the contents stay identical", async () => {
    const root = await tableRoot("events_merge");
    const objects0 = (await bucket.list(root)).length;
    const outcome = await maintain(0);
    expect(outcome.run.status).toBe("succeeded");
    const merge = await counts("events_merge");
    expect(merge.snapshots).toBe(1);
    expect((await counts("events_replace")).snapshots).toBe(1);
    expect((await bucket.list(`${root}data/orphan-${names.tag}.parquet`)).length).toBe(0);
    expect((await bucket.list(root)).length).toBeLessThan(objects0 / 2);
    expect(resultOf(outcome, "events_merge")?.orphanRetentionSeconds).toBe(0);
    for (const t of ["events_merge", "events_replace"])
      expect(await contents(t)).toEqual(before[t]);
    expect(await otherTenantFiles()).toEqual(otherFiles);
  });

  it("a load running at the same time commits every row: the job stretches its retention over it", async () => {
    const load = cli(["run", "daily", "--partition", BIG_DAY]);
    // Wait until the load's MERGE is running in Trino, then maintain with 0 s.
    let merging = false;
    for (let i = 0; i < 600 && !merging; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const q = await trino.rows(
        `SELECT count(*) AS n FROM system.runtime.queries WHERE state = 'RUNNING' AND strpos(query, 'MERGE INTO "iceberg"."${names.trinoSchema}"') > 0`,
      );
      merging = Number(q[0]?.n ?? 0) > 0;
    }
    expect(merging).toBe(true);
    const outcome = await maintain(0);
    const loaded = await load;
    expect(loaded.code, loaded.stderr.slice(-3000)).toBe(0);
    expect(outcome.run.status).toBe("succeeded");
    const stretched = outcome.tables.filter((t) => t.runningWriters.length > 0);
    expect(stretched.length).toBeGreaterThan(0);
    for (const t of stretched) expect(t.orphanRetentionSeconds).toBeGreaterThan(600);

    // Every row of the big day is there, and every file of the table can be read.
    expect(
      Number(
        (
          await one(
            `SELECT count(*) AS n FROM ${fq("events_replace")} WHERE project_id = '${TENANT}' AND created_at >= TIMESTAMP '${BIG_DAY} 00:00:00'`,
          )
        ).n,
      ),
    ).toBe(BIG_DAY_ROWS);
    expect(Number((await one(`SELECT count(*) AS n FROM ${fq("events_merge")}`)).n)).toBe(
      BIG_DAY_ROWS,
    );
    const all = await contents("events_replace");
    expect(Number(all.n)).toBe(30 * ROWS_PER_DAY + BIG_DAY_ROWS + 3);
    await contents("events_merge");
  });
});
