import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { environmentPlan, runCli, sameEnvironments } from "@etl/runtime";
import { plan as generated, transforms } from "@etl/tenant-project_01";
import pg from "pg";
import { loadSampleData } from "../../src/sample-data.js";

const days = Number(process.argv[2] ?? 31);
const chunk = process.argv[3] ?? "31";
const stamp = `${Date.now().toString(36)}`;
const database = `prof_${stamp}`;
const pgs = { host: "127.0.0.1", port: 55432, user: "etl", password: "etl" };
const admin = new pg.Client({ ...pgs, database: "postgres" });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const src = new pg.Client({ ...pgs, database });
await src.connect();
await loadSampleData(src, { tenant: "project_01", rows: 2000 * days, days, start: "2025-01-01" });
await src.end();
const plan = structuredClone(generated);
const env = environmentPlan(plan, "dev");
env.resources.storage.basePath = `prof/${stamp}/project_id=project_01`;
for (const p of env.pipelines)
  if (p.trinoOutput !== null) p.trinoOutput = { ...p.trinoOutput, schema: `prof_${stamp}` };
const home = await mkdtemp(path.join(os.tmpdir(), "prof-"));
const to = new Date(Date.UTC(2025, 0, days)).toISOString().slice(0, 10);
let out = "";
const t0 = performance.now();
const code = await runCli({
  plan: { ...plan, ...sameEnvironments(env) },
  transforms,
  argv: [
    "backfill",
    "daily_etl",
    "--from",
    "2025-01-01",
    "--to",
    to,
    "--concurrency",
    "2",
    "--chunk",
    chunk,
  ],
  env: {
    ...process.env,
    ETL_HOME: home,
    ETL_ENVIRONMENT: "dev",
    ETL_LOG_LEVEL: "info",
    ETL_LOG_FORMAT: "json",
    PROJECT_01_DB_NAME: database,
  },
  io: {
    isTTY: false,
    out: (t) => {
      out += t;
    },
    err: (t) => {
      out += t;
    },
  },
});
const secs = (performance.now() - t0) / 1000;
await (await import("node:fs/promises")).writeFile("/tmp/prof-out.log", out);
console.log(JSON.stringify({ code, secs, perMin: (days * 60) / secs, home, database }));
await admin.query(`DROP DATABASE ${database}`);
await admin.end();
