/**
 * A run of project_01's daily_etl asset by asset, each asset its own process (`run daily_etl
 * --select <asset>`, in the DAG's order, as the generated Argo WorkflowTemplate runs them, one pod
 * each), against one whole `run daily_etl` of the same partition, on the real stack: the same
 * target tables (row counts and per-column checksums) and the same ledger records (the assets that
 * succeeded, their row counts, the checks and their verdicts). Each side has its own schema,
 * storage prefix and ledger, fresh per test run.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { environmentPlan, FileLedger, TrinoClient } from "@etl/runtime";
import { plan as generated } from "@etl/tenant-project_01";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/paths.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const TENANT = "project_01";
const DAY = "2026-01-02";
const suffix = randomBytes(4).toString("hex");
const env0 = environmentPlan(generated, "dev");
const job = env0.jobs.find((j) => j.name === "daily_etl");

const trino = TrinoClient.create({
  host: process.env.TRINO_HOST ?? "127.0.0.1",
  port: Number(process.env.TRINO_PORT ?? 58080),
  user: process.env.TRINO_USER ?? "etl",
  password: null,
  scheme: "http",
});

interface Side {
  name: string;
  schema: string;
  basePath: string;
  home: string;
}

let stackEnv: Record<string, string> = {};

async function cli(side: Side, argv: string[]): Promise<void> {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  await run(
    process.execPath,
    ["--conditions=source", "--import", tsx, path.join(here, "per-asset-main.ts"), ...argv],
    {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        ...stackEnv,
        ETL_HOME: side.home,
        ETL_ENVIRONMENT: "dev",
        PER_ASSET_SCHEMA: side.schema,
        PER_ASSET_BASE: side.basePath,
      },
    },
  ).catch((error: unknown) => {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`${side.name}: ${argv.join(" ")} failed:\n${e.stderr ?? ""}${e.stdout ?? ""}`, {
      cause: error,
    });
  });
}

/** The job's assets in an order where every upstream in the job comes first (the DAG's order). */
function dagOrder(assets: readonly string[]): string[] {
  const deps = new Map(env0.assets.map((a) => [a.key, a.deps.filter((d) => assets.includes(d))]));
  const done: string[] = [];
  while (done.length < assets.length) {
    const ready = assets.filter(
      (a) => !done.includes(a) && (deps.get(a) ?? []).every((d) => done.includes(d)),
    );
    if (ready.length === 0) throw new Error("daily_etl's assets have a cycle");
    done.push(...ready);
  }
  return done;
}

/** Row count and an order-insensitive checksum of every column of each loaded table. */
async function tables(schema: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const names = await trino.rows(
    `SELECT table_name FROM iceberg.information_schema.tables WHERE table_schema = '${schema}' ORDER BY 1`,
  );
  for (const { table_name: table } of names as { table_name: string }[]) {
    const columns = (
      (await trino.rows(
        `SELECT column_name FROM iceberg.information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${table}' ORDER BY ordinal_position`,
      )) as { column_name: string }[]
    ).map((c) => c.column_name);
    const sums = columns.map((c, i) => `to_hex(checksum("${c}")) AS c${i}`).join(", ");
    const [row] = await trino.rows(`SELECT count(*) AS n, ${sums} FROM iceberg.${schema}.${table}`);
    out[table] = { columns, ...row };
  }
  return out;
}

/** What the ledger says of the partition: per asset its status and rows, per check its verdict. */
async function ledgerView(side: Side) {
  const ledger = new FileLedger(side.home, TENANT);
  const materialisations = (await ledger.materializations(TENANT))
    .filter((m) => m.partition === DAY)
    .map((m) => ({ asset: m.assetKey, status: m.status, rows: m.metadata.rows ?? null }))
    .sort((a, b) => (a.asset < b.asset ? -1 : 1));
  const checks = (await ledger.checks(TENANT))
    .filter((c) => c.partition === DAY)
    .map((c) => ({ asset: c.assetKey, check: c.checkName, passed: c.passed }))
    .sort((a, b) => `${a.asset}/${a.check}`.localeCompare(`${b.asset}/${b.check}`));
  return { materialisations, checks };
}

const side = async (name: string): Promise<Side> => ({
  name,
  schema: `per_asset_${name}_${suffix}`,
  basePath: `per-asset-${name}-${suffix}/project_id=${TENANT}`,
  home: await mkdtemp(path.join(tmpdir(), `etl-per-asset-${name}-`)),
});

beforeAll(async () => {
  const r = await run("bash", [path.join(repoRoot, "test/stack/stack.sh"), "env"], {
    cwd: repoRoot,
  });
  stackEnv = Object.fromEntries(
    r.stdout
      .split("\n")
      .map((l) => /^export ([A-Z0-9_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] ?? "", (m[2] ?? "").replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1")]),
  );
}, 120_000);

describe("one asset per process gives exactly one whole run", () => {
  it("daily_etl asset by asset in DAG order equals one run of the job", async () => {
    expect(job).toBeDefined();
    const assets = job?.assets ?? [];
    expect(assets.length).toBeGreaterThan(1);
    const whole = await side("whole");
    const split = await side("split");
    for (const s of [whole, split]) {
      await trino.execute(`CREATE SCHEMA IF NOT EXISTS iceberg.${s.schema}`);
    }
    try {
      await cli(whole, ["run", "daily_etl", "--partition", DAY]);
      for (const asset of dagOrder(assets)) {
        await cli(split, ["run", "daily_etl", "--select", asset, "--partition", DAY]);
      }
      const [wholeTables, splitTables] = [await tables(whole.schema), await tables(split.schema)];
      expect(Object.keys(wholeTables).length).toBeGreaterThan(0);
      expect(splitTables).toEqual(wholeTables);
      const [wholeLedger, splitLedger] = [await ledgerView(whole), await ledgerView(split)];
      expect(wholeLedger.materialisations.map((m) => m.asset).sort()).toEqual([...assets].sort());
      expect(wholeLedger.materialisations.every((m) => m.status === "succeeded")).toBe(true);
      expect(splitLedger).toEqual(wholeLedger);
      // One run per asset on the split side, each selecting exactly that asset.
      const runs = await new FileLedger(split.home, TENANT).runs(TENANT);
      expect(runs.map((r) => r.select).sort()).toEqual([...assets].sort());
      expect(runs.every((r) => r.status === "succeeded" && r.succeeded === 1)).toBe(true);
    } finally {
      for (const s of [whole, split]) {
        for (const { table_name: table } of (await trino.rows(
          `SELECT table_name FROM iceberg.information_schema.tables WHERE table_schema = '${s.schema}'`,
        )) as { table_name: string }[]) {
          await trino.execute(`DROP TABLE IF EXISTS iceberg.${s.schema}.${table}`);
        }
        await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${s.schema}`);
      }
    }
  }, 1_800_000);
});
