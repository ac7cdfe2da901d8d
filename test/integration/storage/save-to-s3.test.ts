/**
 * `save_to_s3: false` on the real stack: the pipeline's stage files live only in the run's scratch
 * space (ETL_HOME/scratch/<tenant>/<run>/), another pipeline's transfer of the same run reads them
 * there, nothing of the pipeline reaches the bucket, and the scratch is gone when the run ends
 * (also the scratch a killed run left). project_01's daily_etl on never-used names, with
 * lot_history keeping nothing and not loading, while process_result (which reads lot_history's
 * extract) keeps its files and loads into Trino.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type CliIo,
  environmentPlan,
  FileLedger,
  runCli,
  sameEnvironments,
  scratchDir,
  type TenantPlan,
} from "@etl/runtime";
import { transforms } from "@etl/tenant-project_01";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackVars } from "../../src/stack-env.js";
import { basePathOf, firstRunPlan, sourceSchemaOf, TENANT } from "../first-run/first-run-plan.js";
import {
  dropPrivateSchema,
  dropTaggedSchemas,
  freshTag,
  loadPrivateSampleData,
  s3Storage,
  trinoClient,
} from "../first-run/fresh.js";

const TAG = freshTag();
const PARTITION = "2026-01-02";
const trino = trinoClient();
const storage = s3Storage(basePathOf(TAG));
let etlHome = "";

/** The first-run plan with lot_history keeping nothing (and so neither loading nor checking). */
function scratchPlan(): TenantPlan {
  const plan = firstRunPlan(TAG);
  const dev = environmentPlan(plan, "dev");
  const lot = dev.pipelines.find((p) => p.name === "lot_history");
  if (lot === undefined) throw new Error("project_01 has no lot_history pipeline");
  lot.saveToS3 = false;
  lot.saveToTrino = false;
  lot.checks = [];
  const load = `${TENANT}/load/lot_history`;
  dev.assets = dev.assets.filter((a) => a.key !== load);
  for (const job of dev.jobs) job.assets = job.assets.filter((k) => k !== load);
  return { ...plan, ...sameEnvironments(dev) };
}

const plan = scratchPlan();

async function cli(...argv: string[]) {
  const io = { out: "", err: "", isTTY: false };
  const cliIo: CliIo = {
    out: (t) => {
      io.out += t;
    },
    err: (t) => {
      io.err += t;
    },
    isTTY: false,
  };
  const env = { ...process.env, ...readStackVars(), ETL_HOME: etlHome, ETL_ENVIRONMENT: "dev" };
  const code = await runCli({ plan, transforms, argv, env, io: cliIo });
  return { code, ...io };
}

beforeAll(async () => {
  etlHome = await mkdtemp(path.join(tmpdir(), "etl-save-to-s3-"));
  await loadPrivateSampleData(TENANT, sourceSchemaOf(TAG), { tenant: TENANT });
}, 600_000);

afterAll(async () => {
  await dropTaggedSchemas(trino, "iceberg", TAG);
  await dropTaggedSchemas(trino, "hive", TAG);
  await storage.deletePrefix("");
  await dropPrivateSchema(TENANT, sourceSchemaOf(TAG));
  if (etlHome !== "") await rm(etlHome, { recursive: true, force: true });
}, 600_000);

describe("save_to_s3: false", () => {
  it("keeps the pipeline's files in the run's scratch only; its reader in the run still loads", async () => {
    // What a killed run left behind: removed by the next run, since that run is not running.
    const orphan = scratchDir(etlHome, TENANT, "20260101T000000Z-deadbeef");
    await mkdir(orphan, { recursive: true });
    await writeFile(path.join(orphan, "part-00000.parquet"), "left by a killed run");

    const r = await cli("run", "daily_etl", "--partition", PARTITION);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);

    const keys = (await storage.list("")).map((o) => o.key);
    expect(keys.filter((k) => k.includes("lot_history"))).toEqual([]);
    expect(keys.some((k) => k.startsWith("extract/process_result/"))).toBe(true);
    expect(keys.some((k) => k.startsWith("transfer/process_result/"))).toBe(true);

    const ledger = new FileLedger(etlHome, TENANT);
    const done = await ledger.materializations(TENANT);
    const lotExtract = done.find((m) => m.assetKey === `${TENANT}/extract/lot_history`);
    expect(lotExtract?.status).toBe("succeeded");
    expect(String(lotExtract?.metadata.location)).toContain(path.join(etlHome, "scratch", TENANT));
    const cycle = done.find((m) => m.assetKey === `${TENANT}/transfer/process_result`);
    expect(cycle?.status).toBe("succeeded");
    // The cycle-time transform joined lot_history's scratch extract with process_result's.
    expect(cycle?.metadata.rowsIn).toMatchObject({ lot_history: 333, process_result: 333 });

    const out = environmentPlan(plan, "dev").pipelines.find(
      (p) => p.name === "process_result",
    )?.trinoOutput;
    const rows = await trino.rows(
      `SELECT count(*) AS n FROM iceberg."${out?.schema}"."${out?.table}" WHERE snapshot_date = DATE '${PARTITION}'`,
    );
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);

    // The run's scratch and the orphan are gone.
    expect(await readdir(path.join(etlHome, "scratch", TENANT))).toEqual([]);
  });

  it("refuses a transfer whose input's extract is not in the same run, naming the fix", async () => {
    const r = await cli(
      "run",
      "daily_etl",
      "--partition",
      PARTITION,
      "--select",
      `${TENANT}/transfer/process_result`,
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `transfer of process_result reads lot_history, whose extract keeps its files only for the run that made it (save_to_s3: false): select ${TENANT}/extract/lot_history in the same run, or set save_to_s3: true`,
    );
  });
});
