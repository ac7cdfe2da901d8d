/** The extract's peer: dlt sql_database (pyarrow / connectorx backends) in a cached virtualenv. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { repoRoot } from "../../src/paths.js";
import type { BenchContext } from "./context.js";
import { type ToolResult, toolResult } from "./extract-runs.js";
import { runMeasured } from "./proc.js";
import { DATABASE, SCALE, type Truth } from "./source-table.js";
import { assertMatches } from "./verify.js";

const PEER_REQUIREMENTS = [
  "dlt[parquet,sql_database]==1.31.0",
  "psycopg[binary]==3.3.9",
  "pyarrow==26.0.1",
  "sqlalchemy==2.1.9",
];
const CONNECTORX = "connectorx==0.4.6";

/** The venv's python, creating or refreshing the venv when its recorded requirements differ. */
export function peerPython(ctx: BenchContext): { python: string; connectorx: string | null } {
  const venv = path.join(ctx.stackHome, "bench-venv");
  const python = path.join(venv, "bin", "python");
  const marker = path.join(venv, ".etl-bench-requirements");
  const want = [...PEER_REQUIREMENTS, CONNECTORX].join("\n");
  const have = existsSync(marker) ? readFileSync(marker, "utf8") : null;
  const cxMarker = path.join(venv, ".etl-bench-connectorx-error");
  if (have !== want || !existsSync(python)) {
    ctx.log(`installing the peer into ${venv} (${PEER_REQUIREMENTS.join(", ")})`);
    rmSync(venv, { recursive: true, force: true });
    execFileSync("python3", ["-m", "venv", venv], { stdio: ["ignore", process.stderr, "inherit"] });
    const pip = (pkgs: string[]) =>
      execFileSync(python, ["-m", "pip", "install", "-q", ...pkgs], {
        stdio: ["ignore", process.stderr, "pipe"],
      });
    pip(["--upgrade", "pip"]);
    pip(PEER_REQUIREMENTS);
    rmSync(cxMarker, { force: true });
    try {
      pip([CONNECTORX]);
    } catch (error) {
      // connectorx is optional ("if it installs"): remember why, and report it.
      writeFileSync(cxMarker, String((error as Error).message).slice(0, 2000));
    }
    writeFileSync(marker, want);
  }
  const cxError = existsSync(cxMarker) ? readFileSync(cxMarker, "utf8") : null;
  return { python, connectorx: cxError };
}

/** One run of the peer on `table`, verified like ours. */
export async function runPeer(
  ctx: BenchContext,
  python: string,
  backend: "pyarrow" | "connectorx",
  table: string,
  truth: Truth,
): Promise<ToolResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-peer-"));
  const script = path.join(repoRoot, "test/bench/peer_dlt.py");
  const peerEnv = { ...ctx.env, RUNTIME__DLTHUB_TELEMETRY: "false", DLT_DATA_DIR: dir };
  const { pg } = ctx;
  try {
    const dsn = `postgresql://${pg.user}:${encodeURIComponent(pg.password)}@${pg.host}:${pg.port}/${DATABASE}`;
    const m = await runMeasured(
      python,
      [script, "run", "--dsn", dsn, "--table", table, "--out", dir, "--backend", backend],
      { env: peerEnv },
    );
    const run = z
      .object({ seconds: z.number(), bytes: z.number().int(), dlt: z.string() })
      .parse(JSON.parse(m.stdout.trim().split("\n").pop() ?? ""));
    const v = await runMeasured(
      python,
      [script, "verify", "--out", path.join(dir, "data"), "--column", "amount"],
      { env: peerEnv },
    );
    const got = z
      .object({ rows: z.number().int(), sum: z.string(), type: z.string() })
      .parse(JSON.parse(v.stdout.trim().split("\n").pop() ?? ""));
    const verified = `${assertMatches(`peer dlt ${run.dlt} (${backend})`, truth, got, SCALE)}; amount read back by pyarrow as ${got.type}`;
    return toolResult(
      `peer: dlt ${run.dlt} sql_database (${backend}) to Parquet on local disk`,
      truth,
      m,
      run.seconds,
      run.bytes,
      verified,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
