/**
 * An incremental pipeline's watermark advances only after its last stage of the run stored the
 * rows: a run whose load fails leaves it where it was (the next run extracts those rows again), and
 * the run that loads them advances it to the cursor the extract saw.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type CliIo,
  environmentPlan,
  FileLedger,
  readWatermark,
  runCli,
  sameEnvironments,
  type TenantPlan,
  TrinoClient,
} from "@etl/runtime";
import { plan as generated, transforms } from "@etl/tenant-project_01";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackEnv, readStackVars, stackStorage } from "../../src/stack-env.js";

const TENANT = "project_01";
const BASE_PATH = "wm-it/project_id=project_01";
const SCHEMA = "wm_it";
const DAY = "2026-01-02";

/** project_01's plan with one incremental pipeline (lot_history by updated_at) and a job for it. */
function incrementalPlan(catalog: string): TenantPlan {
  const plan = structuredClone(generated);
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = BASE_PATH;
  const lot = env.pipelines.find((p) => p.name === "lot_history");
  if (lot === undefined || lot.trinoOutput === null) {
    throw new Error("generated project_01 plan has no lot_history pipeline with a Trino output");
  }
  env.pipelines.push({
    ...structuredClone(lot),
    name: "lot_inc",
    hasTransfer: false,
    transfer: null,
    incremental: { cursorColumn: "updated_at", lookbackSeconds: 0 },
    saveToTrino: true,
    trinoOutput: {
      ...lot.trinoOutput,
      catalog,
      schema: SCHEMA,
      table: "lot_inc",
      keyColumns: ["lot_id"],
      writeMode: "merge",
    },
    checks: [],
  });
  const extract = `${TENANT}/extract/lot_inc`;
  const load = `${TENANT}/load/lot_inc`;
  for (const [key, stage, deps] of [
    [extract, "extract", []],
    [load, "load", [extract]],
  ] as const) {
    env.assets.push({
      key,
      stage,
      pipeline: "lot_inc",
      deps: [...deps],
      partitioned: true,
      description: `${stage} of lot_inc (watermark test)`,
      dbt: null,
    });
  }
  env.jobs.push({
    name: "inc",
    description: "incremental lot_history (watermark test)",
    assets: [extract, load],
    partitioned: true,
    schedule: null,
    concurrency: 1,
  });
  return { ...plan, ...sameEnvironments(env) };
}

const stackEnv = readStackEnv();
const storage = stackStorage(stackEnv, BASE_PATH);
const trino = TrinoClient.create({
  host: stackEnv.TRINO_HOST,
  port: Number(stackEnv.TRINO_PORT),
  user: stackEnv.TRINO_USER,
  password: null,
  scheme: "http",
});
let etlHome = "";

async function runJob(plan: TenantPlan): Promise<{ code: number; output: string }> {
  let output = "";
  const io: CliIo = {
    isTTY: false,
    out: (t) => {
      output += t;
    },
    err: (t) => {
      output += t;
    },
  };
  const env = { ...process.env, ...readStackVars(), ETL_HOME: etlHome, ETL_ENVIRONMENT: "dev" };
  const code = await runCli({
    plan,
    transforms,
    argv: ["run", "inc", "--partition", DAY],
    env,
    io,
  });
  return { code, output };
}

beforeAll(async () => {
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-wm-"));
  await storage.deletePrefix("");
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${SCHEMA}.lot_inc`);
});

afterAll(async () => {
  await storage.deletePrefix("");
  await trino.execute(`DROP TABLE IF EXISTS iceberg.${SCHEMA}.lot_inc`);
});

describe("incremental watermark", () => {
  it("stays put when the load fails and advances when the rows are loaded", async () => {
    const failed = await runJob(incrementalPlan("no_such_catalog"));
    expect(failed.code, failed.output).toBe(1);
    expect(failed.output).toMatch(/no_such_catalog/i);
    expect(await readWatermark(storage, "lot_inc", DAY)).toBeNull();

    const loaded = await runJob(incrementalPlan("iceberg"));
    expect(loaded.code, loaded.output).toBe(0);
    const stored = await readWatermark(storage, "lot_inc", DAY);
    expect(stored).not.toBeNull();

    const extracts = (await new FileLedger(etlHome, TENANT).materializations(TENANT)).filter(
      (m) => m.assetKey === `${TENANT}/extract/lot_inc` && m.status === "succeeded",
    );
    const last = extracts.at(-1);
    const seen = (last?.metadata.watermark as { next?: unknown } | undefined)?.next;
    expect(typeof seen).toBe("string");
    expect(stored?.value).toBe(seen);

    const [row] = (
      await trino.execute(
        `SELECT count(*) FROM iceberg.${SCHEMA}.lot_inc WHERE project_id = '${TENANT}'`,
      )
    ).rows;
    expect(Number(row?.[0])).toBe(last?.metadata.rows);
  });
});
