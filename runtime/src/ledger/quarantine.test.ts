/**
 * A damaged record file in the file ledger (empty, truncated, not a record) is named in a warning,
 * moved to `quarantine/`, and never breaks `status` or `run`: through the package CLI (runCli) with
 * the real file ledger and real asset functions writing files.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/index.js";
import type { CliIo } from "../cli/io.js";
import type { StageHandlers } from "../executor/types.js";
import { Logger } from "../logger.js";
import {
  type AssetPlan,
  type EnvironmentPlan,
  sameEnvironments,
  type TenantPlan,
} from "../plan.js";
import { FileLedger } from "./file.js";

const ASSET: AssetPlan = {
  key: "t/extract/orders",
  stage: "extract",
  pipeline: "orders",
  deps: [],
  partitioned: true,
  description: "",
  dbt: null,
};

function plan(): TenantPlan {
  const env: EnvironmentPlan = {
    enabled: true,
    resources: {
      source: {
        host: "127.0.0.1",
        port: "5432",
        database: "d",
        user: "u",
        password: "",
        schema: "public",
      },
      storage: { bucket: "", basePath: "t" },
      trino: {
        host: "127.0.0.1",
        port: "8080",
        user: "etl",
        password: "",
        httpScheme: "http",
        catalog: "iceberg",
        schema: "s",
      },
    },
    partitions: { startDate: "2026-01-01", timezone: "UTC" },
    pipelines: [],
    assets: [ASSET],
    jobs: [
      {
        name: "daily_etl",
        description: "",
        assets: [ASSET.key],
        partitioned: true,
        schedule: null,
        concurrency: 1,
      },
    ],
    dbt: null,
  };
  return {
    generatorVersion: "test",
    tenant: { id: "t", name: "T", enabled: true, tags: {} },
    envVars: [],
    ...sameEnvironments(env),
  };
}

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}

/** An asset function that writes one file per partition into `dir`. */
function writer(dir: string): StageHandlers {
  return {
    extract: async (ctx) => {
      const out = path.join(dir, `orders_${ctx.partition?.date}`);
      await writeFile(out, `${ctx.runId}\n`);
      return { metadata: { file: out }, checks: [] };
    },
  };
}

async function cli(home: string, argv: string[]) {
  const io = captureIo();
  const code = await runCli({
    plan: plan(),
    transforms: {},
    argv,
    env: { ETL_HOME: home, ETL_LOG_LEVEL: "warn" },
    io,
    stageHandlers: writer(home),
  });
  return { code, ...io };
}

describe("damaged file-ledger records", () => {
  it("are named, quarantined and left out; status and run go on", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-quarantine-"));
    const first = await cli(home, ["run", "daily_etl", "--partition", "2026-01-02"]);
    expect(first.code, first.stderr).toBe(0);
    const ledger = path.join(home, "ledger", "t");
    const [runFile] = await readdir(path.join(ledger, "runs"));
    const [matFile] = await readdir(path.join(ledger, "materializations"));
    if (runFile === undefined || matFile === undefined) throw new Error("the run wrote no records");
    // A run record cut in half, an empty materialisation, and a run file of another shape.
    const runPath = path.join(ledger, "runs", runFile);
    const runText = await readFile(runPath, "utf8");
    await writeFile(runPath, runText.slice(0, Math.floor(runText.length / 2)));
    await writeFile(path.join(ledger, "materializations", matFile), "");
    await writeFile(path.join(ledger, "runs", "zz-other.json"), '{"hello":"world"}\n');

    const status = await cli(home, ["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const warnings = status.stderr
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { level: string; msg: string; file: string; reason: string })
      .filter((l) => l.msg.includes("ledger record"));
    expect(warnings.map((w) => [w.level, path.basename(w.file)]).sort()).toEqual(
      [
        ["warn", matFile],
        ["warn", runFile],
        ["warn", "zz-other.json"],
      ].sort(),
    );
    expect(warnings.map((w) => w.reason).sort()).toEqual([
      expect.stringMatching(/^not a ledger record: /),
      expect.stringMatching(/^not valid JSON/),
      "the file is empty",
    ]);
    for (const w of warnings) expect(w.msg).toMatch(/quarantined a damaged ledger record/);
    const parsed = JSON.parse(status.stdout) as { recentRuns: unknown[] };
    expect(parsed.recentRuns).toEqual([]);

    // Moved aside, not deleted, and not reported again.
    expect(existsSync(runPath)).toBe(false);
    expect(await readFile(path.join(ledger, "quarantine", "runs", runFile), "utf8")).toBe(
      runText.slice(0, Math.floor(runText.length / 2)),
    );
    expect(existsSync(path.join(ledger, "quarantine", "materializations", matFile))).toBe(true);
    const again = await cli(home, ["status"]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("ledger record");

    // The next run of the same partition runs (its earlier success is gone with the record).
    const rerun = await cli(home, ["run", "daily_etl", "--partition", "2026-01-02"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const runs = await new FileLedger(home, "t").runs("t");
    expect(runs.map((r) => r.status)).toEqual(["succeeded"]);
  });

  it("are quarantined by the console's index too, which goes on answering", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "etl-quarantine-index-"));
    for (const day of ["2026-01-02", "2026-01-03"]) {
      const r = await cli(home, ["run", "daily_etl", "--partition", day]);
      expect(r.code, r.stderr).toBe(0);
    }
    const ledger = path.join(home, "ledger", "t");
    const [damaged, kept] = (await readdir(path.join(ledger, "runs"))).sort();
    if (damaged === undefined || kept === undefined) throw new Error("the runs wrote no records");
    await writeFile(path.join(ledger, "runs", damaged), '{"runId": "cut');
    const warnings: string[] = [];
    const logger = new Logger({}, { write: (line) => warnings.push(line), isTTY: false }, "warn");
    const index = new FileLedger(home, "t", { logger });
    const runs = await index.findRuns("t", { limit: 10 });
    expect(runs).toHaveLength(1);
    expect(warnings.join("\n")).toContain(damaged);
    expect(existsSync(path.join(ledger, "quarantine", "runs", damaged))).toBe(true);
    expect(await index.findRuns("t", { limit: 10 })).toHaveLength(1);
  });
});
