/**
 * dbt end to end on the real stack: project_01's cfg_item_master extracted to S3, exposed as a dbt
 * source, both models built on Trino/Iceberg with the real dbt; results compared with an
 * independent computation from the PostgreSQL rows; a broken model and a failing test observed.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dbtAssets, readManifest } from "@etl/generator/dbt";
import {
  type AssetPlan,
  buildDbtAssets,
  createStorage,
  extractPartition,
  introspectRelation,
  Logger,
  type PipelinePlan,
  type ResolvedResources,
  TrinoClient,
} from "@etl/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./paths.js";

const TENANT = "project_01";
const run = randomBytes(3).toString("hex");
const pgSchema = `dbt_e2e_${run}`;
const targetSchema = `dbt_e2e_${run}`;
const basePath = `test-dbt-e2e/${run}`;

/** The stack's environment, as `npm run stack -- env` prints it. */
function stackEnv(): Record<string, string> {
  const text = execFileSync("bash", [path.join(repoRoot, "test/stack/stack.sh"), "env"], {
    encoding: "utf8",
  });
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) {
      env[m[1]] = m[2].replace(/^['"]|['"]$/g, "");
    }
  }
  return env;
}

const env = { ...process.env, ...stackEnv() };
const logger = new Logger({ test: "dbt-e2e" }, { write: () => {}, isTTY: false });
const need = (name: string): string => {
  const v = env[name];
  if (v === undefined || v === "") throw new Error(`${name} is not set by the stack's env`);
  return v;
};

const resources: ResolvedResources = {
  tenantId: TENANT,
  environment: "dev",
  etlHome: path.join(tmpdir(), `etl-dbt-e2e-${run}`),
  ledgerUrl: null,
  source: {
    host: need("PROJECT_01_DB_HOST"),
    port: Number(need("PROJECT_01_DB_PORT")),
    database: need("PROJECT_01_DB_NAME"),
    user: need("PROJECT_01_DB_USER"),
    password: need("PROJECT_01_DB_PASSWORD"),
    schema: pgSchema,
  },
  storage: {
    kind: "s3",
    bucket: need("S3_BUCKET_NAME"),
    basePath,
    endpoint: need("S3_ENDPOINT_URL"),
    region: env.AWS_REGION ?? "us-east-1",
    accessKeyId: need("AWS_ACCESS_KEY_ID"),
    secretAccessKey: need("AWS_SECRET_ACCESS_KEY"),
    sessionToken: null,
    forcePathStyle: true,
  },
  trino: {
    host: need("TRINO_HOST"),
    port: Number(need("TRINO_PORT")),
    user: need("TRINO_USER"),
    password: env.TRINO_PASSWORD ? env.TRINO_PASSWORD : null,
    scheme: "http",
    catalog: env.TRINO_CATALOG ?? "iceberg",
    schema: "aps",
  },
  dbt: {
    bin: need("DBT_BIN"),
    projectDir: path.join(repoRoot, "tenants", TENANT, "dbt"),
    target: "dev",
    targetSchema,
  },
};

/** Sample item master rows: every priority 0..10, null type/name/priority, micro-second times. */
const ROWS = Array.from({ length: 40 }, (_, i) => ({
  item_id: `ITEM-${String(i).padStart(3, "0")}`,
  item_name: i % 13 === 5 ? null : `Item ${i}`,
  item_type: i % 11 === 3 ? null : i % 2 === 0 ? "MANUFACTURED" : "PURCHASED",
  priority: i % 9 === 7 ? null : i % 11,
  lead_time: 1 + (i % 30),
  unit_cost: `${(i * 12.3456).toFixed(4)}`,
  is_active: i % 5 !== 0,
  attributes: JSON.stringify({ color: i % 3 === 0 ? "red" : "blue", n: i }),
  updated_at: `2024-03-${String(1 + (i % 28)).padStart(2, "0")} 10:11:12.${String(123456 + i).slice(0, 6)}+00`,
}));

let pipeline: PipelinePlan;
let assets: AssetPlan[];
const trino = TrinoClient.create(resources.trino, { logger });
const pgClient = new pg.Client({ ...resources.source, user: resources.source.user });

beforeAll(async () => {
  // Fail loudly, not skip, when the stack is down.
  await pgClient.connect();
  await trino.execute("SELECT 1");
  expect(existsSync(resources.dbt?.bin ?? ""), `dbt missing at ${resources.dbt?.bin}`).toBe(true);

  await pgClient.query(`CREATE SCHEMA ${pgSchema}`);
  await pgClient.query(`CREATE TABLE ${pgSchema}.cfg_item_master (
    item_id text PRIMARY KEY, item_name text, item_type text, priority integer, lead_time integer,
    unit_cost numeric(18,4), is_active boolean, attributes jsonb, updated_at timestamptz)`);
  for (const r of ROWS) {
    await pgClient.query(
      `INSERT INTO ${pgSchema}.cfg_item_master VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
      Object.values(r),
    );
  }
  pipeline = {
    name: "cfg_item_master",
    sourceTable: "cfg_item_master",
    query: null,
    dateColumn: null,
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: true,
    dbtTransform: null,
    saveToTrino: false,
    trinoOutput: null,
    columns: await introspectRelation(pgClient, pgSchema, "cfg_item_master"),
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 100_000, maxFileRows: 1_000_000 },
  };

  // The generator's view of the committed manifest: the assets the package would hold.
  const manifestPath = `tenants/${TENANT}/dbt/target/manifest.json`;
  const m = readManifest(manifestPath, readFileSync(path.join(repoRoot, manifestPath), "utf8"));
  if (!m.ok) throw new Error(JSON.stringify(m.problems));
  const compiled = dbtAssets({
    tenantId: TENANT,
    manifest: m.manifest,
    manifestPath,
    pipelines: [{ name: "cfg_item_master", partitioned: false }],
    externalSources: [],
  });
  expect(compiled.problems).toEqual([]);
  assets = compiled.assets;

  const storage = createStorage(resources.storage, logger);
  const extracted = await extractPartition({
    source: resources.source,
    pipeline,
    partition: null,
    timeZone: "UTC",
    storage,
    tenantId: TENANT,
    runId: `dbt-e2e-${run}`,
    logger,
  });
  expect(extracted.rowCount).toBe(ROWS.length);
});

afterAll(async () => {
  await pgClient.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`).catch(() => undefined);
  await pgClient.end();
  for (const s of ["staging", "analytics", "dbt_test__audit"]) {
    const schema = `${targetSchema}_${s}`;
    const tables = await trino
      .rows(
        `SELECT table_name, table_type FROM iceberg.information_schema.tables WHERE table_schema = '${schema}'`,
      )
      .catch(() => []);
    for (const t of tables) {
      const kind = t.table_type === "VIEW" ? "VIEW" : "TABLE";
      await trino.execute(`DROP ${kind} IF EXISTS iceberg."${schema}"."${String(t.table_name)}"`);
    }
    await trino.execute(`DROP SCHEMA IF EXISTS iceberg."${schema}"`).catch(() => undefined);
  }
});

function buildWith(projectDir: string) {
  return buildDbtAssets({
    tenantId: TENANT,
    envPlan: { pipelines: [pipeline] },
    assets,
    resources: { ...resources, dbt: resources.dbt && { ...resources.dbt, projectDir } },
    storage: createStorage(resources.storage, logger),
    partition: "2024-03-01",
    logger,
    env,
  });
}

/** A copy of the tenant's project with one file replaced. */
function projectWith(file: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "etl-dbt-broken-"));
  cpSync(resources.dbt?.projectDir ?? "", dir, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}target`) && !src.includes(`${path.sep}logs`),
  });
  writeFileSync(path.join(dir, file), text);
  return dir;
}

const stgKey = `${TENANT}/dbt/stg_cfg_item_master`;
const tfmKey = `${TENANT}/dbt/tfm_item_master_enriched`;

describe("dbt on the real stack", () => {
  it("builds both models from the extracted data, with the tests as checks", async () => {
    const r = await buildWith(resources.dbt?.projectDir ?? "");
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.assets[stgKey]?.status).toBe("success");
    expect(r.assets[tfmKey]?.status).toBe("success");
    expect(r.assets[tfmKey]?.rowsAffected).toBe(ROWS.length);
    expect(
      r.assets[tfmKey]?.checks.map((c) => [c.name.split("_tfm_")[0], c.status, c.severity]),
    ).toEqual([
      ["accepted_values", "pass", "error"],
      ["not_null", "pass", "error"],
    ]);

    // Independent computation from the PostgreSQL rows.
    const src = await pgClient.query(
      `SELECT item_id, item_name, item_type, priority, unit_cost::text AS unit_cost,
              to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS updated_at
       FROM ${pgSchema}.cfg_item_master ORDER BY item_id`,
    );
    const expected = src.rows.map((row: Record<string, string | number | null>) => {
      const p = row.priority === null ? 0 : Number(row.priority);
      const type = row.item_type ?? "UNKNOWN";
      return [
        row.item_id,
        row.item_name ?? "",
        type,
        p,
        p >= 8 ? "HIGH" : p >= 4 ? "MEDIUM" : "LOW",
        type === "MANUFACTURED",
        row.unit_cost,
        `${row.updated_at} UTC`,
      ];
    });
    const got = await trino.execute(
      `SELECT item_id, item_name, item_type, item_priority, priority_category, is_manufactured,
              CAST(unit_cost AS varchar), CAST(updated_at AT TIME ZONE 'UTC' AS varchar)
       FROM iceberg."${targetSchema}_analytics".tfm_item_master_enriched ORDER BY item_id`,
    );
    expect(got.rows).toEqual(expected);
  });

  it("a broken model fails exactly that asset and its dependents", async () => {
    const dir = projectWith(
      "models/staging/stg_cfg_item_master.sql",
      "select no_such_column from {{ source('source_db', 'cfg_item_master') }}\n",
    );
    try {
      const r = await buildWith(dir);
      expect(r.ok).toBe(false);
      expect(r.assets[stgKey]?.status).toBe("failed");
      expect(r.assets[stgKey]?.message).toMatch(/no_such_column/i);
      expect(r.assets[tfmKey]?.status).toBe("skipped");
      expect(r.assets[tfmKey]?.blocking).toBe(true);
      expect(
        r.assets[tfmKey]?.checks.every((c) => c.status === "skipped" || c.status === "not_run"),
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a failing error-severity test fails its check and blocks", async () => {
    const original = readFileSync(
      path.join(resources.dbt?.projectDir ?? "", "models/transform/tfm_item_master_enriched.sql"),
      "utf8",
    );
    const dir = projectWith(
      "models/transform/tfm_item_master_enriched.sql",
      original.replace("else 'LOW'", "else 'URGENT'"),
    );
    try {
      const r = await buildWith(dir);
      expect(r.ok).toBe(false);
      expect(r.assets[stgKey]?.status).toBe("success");
      expect(r.assets[tfmKey]?.status).toBe("success");
      const av = r.assets[tfmKey]?.checks.find((c) => c.name.startsWith("accepted_values"));
      expect(av?.status).toBe("fail");
      expect(av?.failures).toBe(1);
      expect(av?.blocking).toBe(true);
      expect(r.assets[tfmKey]?.blocking).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
