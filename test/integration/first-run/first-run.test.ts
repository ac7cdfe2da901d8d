/**
 * The demo's first run, end to end, against state that has never been used: project_01's
 * entrypoint (from its generated plan, names re-pointed by first-run-plan.ts) runs what
 * `npm run demo` runs, `validate --connect`, `run daily_etl --partition 2026-01-02`,
 * `run master_sync` and `status`, as child processes, on a fresh ETL_HOME (ledger), a fresh
 * bucket prefix, fresh target, dbt, staging, dbt-source and run-history schemas, and the demo's
 * sample data in a fresh source schema. Nothing it needs exists before it starts, as on a fresh
 * machine, so a green run here means a green first `npm run demo`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { environmentPlan, FileLedger, STAGING_PREFIX } from "@etl/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.js";
import { readStackVars } from "../../src/stack-env.js";
import { basePathOf, firstRunPlan, sourceSchemaOf, TENANT } from "./first-run-plan.js";
import {
  dropPrivateSchema,
  dropTaggedSchemas,
  freshTag,
  loadPrivateSampleData,
  pgClient,
  s3Storage,
  trinoClient,
} from "./fresh.js";

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const TAG = freshTag();
const PARTITION = "2026-01-02";
const plan = firstRunPlan(TAG);
const dev = environmentPlan(plan, "dev");
const trino = trinoClient();
const storage = s3Storage(basePathOf(TAG));
const timings: Record<string, number> = {};
let etlHome = "";

/** One command of the test plan's entrypoint as its own process, like the demo runs it. */
async function entrypoint(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const started = performance.now();
  const result = await execFileP(
    process.execPath,
    ["--conditions=source", "--import", tsx, path.join(here, "child-main.ts"), ...argv],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...readStackVars(),
        ETL_HOME: etlHome,
        ETL_ENVIRONMENT: "dev",
        ETL_TEST_FIRST_RUN_TAG: TAG,
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  ).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof e.code === "number" ? e.code : -1,
      out: e.stdout ?? "",
      err: e.stderr ?? "",
    }),
  );
  timings[argv.slice(0, 2).join(" ")] = Math.round(performance.now() - started);
  return result;
}

function expectOk(r: { code: number; out: string; err: string }, what: string): void {
  expect(r.code, `${what} exited ${r.code}\n--- stdout\n${r.out}\n--- stderr\n${r.err}`).toBe(0);
}

async function count(sql: string): Promise<number> {
  const rows = await trino.rows(sql);
  return Number(rows[0]?.n);
}

function targetOf(pipeline: string): string {
  const out = dev.pipelines.find((p) => p.name === pipeline)?.trinoOutput;
  if (out === undefined || out === null) throw new Error(`${pipeline} does not load`);
  return `iceberg."${out.schema}"."${out.table}"`;
}

beforeAll(async () => {
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-first-run-"));
  const started = performance.now();
  // The demo's data: `npm run sample-data -- --tenant project_01` with its default options.
  await loadPrivateSampleData(TENANT, sourceSchemaOf(TAG), { tenant: TENANT });
  timings["sample data"] = Math.round(performance.now() - started);
  // Never-used state: nothing named with this run's tag exists anywhere.
  for (const catalog of ["iceberg", "hive"]) {
    const existing = await trino.rows(
      `SELECT schema_name FROM ${catalog}.information_schema.schemata WHERE schema_name LIKE '%${TAG}%'`,
    );
    expect(existing, `${catalog} schemas of ${TAG}`).toEqual([]);
  }
  expect(await storage.list("")).toEqual([]);
}, 600_000);

afterAll(async () => {
  console.info(`first-run e2e timings (ms): ${JSON.stringify(timings)}`);
  await dropTaggedSchemas(trino, "iceberg", TAG);
  await dropTaggedSchemas(trino, "hive", TAG);
  await storage.deletePrefix("");
  await dropPrivateSchema(TENANT, sourceSchemaOf(TAG));
  if (etlHome !== "") await rm(etlHome, { recursive: true, force: true });
}, 600_000);

describe("the demo's jobs on never-used state", () => {
  it("validate --connect reaches every service", async () => {
    const r = await entrypoint("validate", "--connect");
    expectOk(r, "validate --connect");
    expect(r.out).toMatch(/^ok: trino /m);
    expect(r.out).toMatch(/^ok: dbt /m);
  });

  it("run daily_etl for a partition: every asset and every check succeeds", async () => {
    // What `npm run demo` shows: pretty lines (demo.sh asks for them), one per event.
    const r = await entrypoint(
      "run",
      "daily_etl",
      "--partition",
      PARTITION,
      "--log-format",
      "pretty",
    );
    expectOk(r, "run daily_etl");
    const lines = r.err.split("\n").filter((l) => l !== "");
    expect(
      lines.filter((l) => !/^\d\d:\d\d:\d\d {2}(DEBUG|INFO |WARN |ERROR) {2}\S/.test(l)),
    ).toEqual([]);
    expect(lines.filter((l) => l.startsWith("{"))).toEqual([]);
    expect(r.err).toMatch(/run finished: SUCCEEDED \(9 succeeded, 0 failed, 0 skipped\)/);
    expect(r.err).not.toMatch(/NodeVersionSupportWarning/);
    expect(r.out).toMatch(/job daily_etl {2}partition 2026-01-02 {2}SUCCEEDED/);
    const ledger = new FileLedger(etlHome, TENANT);
    const done = await ledger.materializations(TENANT);
    const daily = dev.jobs.find((j) => j.name === "daily_etl")?.assets ?? [];
    expect(daily.length).toBeGreaterThan(0);
    expect(done.filter((m) => m.status === "succeeded").map((m) => m.assetKey)).toEqual(
      expect.arrayContaining(daily),
    );
    const checks = await ledger.checks(TENANT);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => !c.passed).map((c) => `${c.assetKey} ${c.checkName}`)).toEqual([]);

    // What landed is what PostgreSQL holds for the day (utilisation: every machine's day adds up).
    const pg = await pgClient(TENANT);
    try {
      const machines = await pg.query<{ n: string }>(
        `SELECT count(DISTINCT equipment_id)::text AS n FROM ${sourceSchemaOf(TAG)}.equipment_event WHERE event_time >= $1::date AND event_time < $1::date + 1`,
        [PARTITION],
      );
      expect(
        await count(
          `SELECT count(*) AS n FROM ${targetOf("equipment_event")} WHERE snapshot_date = DATE '${PARTITION}' AND run_minutes + idle_minutes + down_minutes = 1440`,
        ),
      ).toBe(Number(machines.rows[0]?.n));
    } finally {
      await pg.end();
    }
    for (const pipeline of ["lot_history", "process_result"]) {
      expect(
        await count(
          `SELECT count(*) AS n FROM ${targetOf(pipeline)} WHERE snapshot_date = DATE '${PARTITION}'`,
        ),
        pipeline,
      ).toBeGreaterThan(0);
    }
    const staging = dev.runtimeObjects?.staging;
    expect(
      await trino.rows(
        `SELECT table_name FROM hive.information_schema.tables WHERE table_schema = '${staging?.schema}' AND table_name LIKE '${STAGING_PREFIX}%'`,
      ),
    ).toEqual([]);
  });

  it("run master_sync: the master data loads and its dbt models build into never-used dbt schemas", async () => {
    const r = await entrypoint("run", "master_sync");
    expectOk(r, "run master_sync");
    // Not a terminal and no format asked for: JSON lines, every one a whole object.
    for (const line of r.err.split("\n").filter((l) => l !== "")) {
      expect(() => JSON.parse(line), line).not.toThrow();
    }
    expect(r.out).toMatch(/job master_sync .* SUCCEEDED/);
    const pg = await pgClient(TENANT);
    let items = 0;
    try {
      const rows = await pg.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${sourceSchemaOf(TAG)}.cfg_item_master`,
      );
      items = Number(rows.rows[0]?.n);
    } finally {
      await pg.end();
    }
    expect(items).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) AS n FROM ${targetOf("cfg_item_master")}`)).toBe(items);
    const dbtSchema = dev.dbt?.targetSchema;
    const models = await trino.rows(
      `SELECT table_schema, table_name FROM iceberg.information_schema.tables WHERE table_schema LIKE '${dbtSchema}%' ORDER BY 1, 2`,
    );
    expect(models.map((m) => `${String(m.table_schema)}.${String(m.table_name)}`)).toEqual([
      `${dbtSchema}_analytics.tfm_item_master_enriched`,
      `${dbtSchema}_staging.stg_cfg_item_master`,
    ]);
    expect(
      await count(
        `SELECT count(*) AS n FROM iceberg."${dbtSchema}_analytics".tfm_item_master_enriched`,
      ),
    ).toBe(items);
    const checks = await new FileLedger(etlHome, TENANT).checks(TENANT);
    expect(checks.filter((c) => !c.passed).map((c) => `${c.assetKey} ${c.checkName}`)).toEqual([]);
  });

  it("status reads the fresh ledger, and the run history is queryable in Trino", async () => {
    const r = await entrypoint("status");
    expectOk(r, "status");
    const history = dev.runtimeObjects?.runHistory;
    const runs = await trino.rows(
      `SELECT job, status FROM hive."${history?.schema}"."${history?.table}" WHERE event_type = 'run_finished' ORDER BY job`,
    );
    expect(runs).toEqual([
      { job: "daily_etl", status: "succeeded" },
      { job: "master_sync", status: "succeeded" },
    ]);
  });
});
