/**
 * The extract's measured runs: the floor (psql's binary COPY to /dev/null) and our extract in a
 * child process (test/bench/extract-bench.ts, so its peak RSS is the extract's alone), each output
 * verified (row count and exact sum of `amount`) before its number is reported.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { S3Storage } from "@etl/runtime";
import { z } from "zod";
import { repoRoot } from "../../src/paths.js";
import { BackendCpu } from "./backend-cpu.js";
import { type BenchContext, mib, round } from "./context.js";
import { type ExtractRun, ExtractRunSchema } from "./extract-run.js";
import { type Measured, runMeasured } from "./proc.js";
import { DATABASE, floorCommand, SCALE, type Truth } from "./source-table.js";
import { assertMatches, sumParquetDecimal, unscaledToDecimal } from "./verify.js";

export const ToolResultSchema = z.object({
  tool: z.string(),
  rows: z.number().int(),
  /** The tool's own time for the work (ours: connect to commit; dlt: pipeline.run; psql: wall). */
  seconds: z.number(),
  /** Wall time of the whole process, start-up included. */
  wallSeconds: z.number(),
  rowsPerSecond: z.number(),
  /** Binary COPY bytes of the same rows per second of `seconds` (one yardstick for every tool). */
  mbPerSecond: z.number(),
  peakRssMiB: z.number(),
  peakProcesses: z.number().int(),
  outputBytes: z.number().int().nullable(),
  verified: z.string(),
});
export type ToolResult = z.infer<typeof ToolResultSchema>;

/** S3 settings of the stack's bucket under `basePath`. */
export function s3Settings(env: NodeJS.ProcessEnv, basePath: string) {
  return {
    bucket: env.S3_BUCKET_NAME ?? "data-lake",
    basePath,
    endpoint: env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
    region: env.AWS_REGION ?? "us-east-1",
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
    sessionToken: null,
    forcePathStyle: true,
  };
}

/** One tool's measured run as the report holds it. */
export function toolResult(
  tool: string,
  truth: Truth,
  m: Measured,
  seconds: number,
  outputBytes: number | null,
  verified: string,
): ToolResult {
  return {
    tool,
    rows: truth.rows,
    seconds: round(seconds, 3),
    wallSeconds: round(m.seconds, 3),
    rowsPerSecond: Math.round(truth.rows / seconds),
    mbPerSecond: round(truth.copyBytes / 1024 / 1024 / seconds, 1),
    peakRssMiB: mib(m.peakRssBytes),
    peakProcesses: m.peakProcesses,
    outputBytes,
    verified,
  };
}

/** The floor once: psql's binary COPY of the table to /dev/null, with its CPU and its backend's. */
export async function runFloor(
  ctx: BenchContext,
  table: string,
  truth: Truth,
): Promise<{ result: ToolResult; cpu: number | null; backendCpu: number | null }> {
  const backends = await BackendCpu.start({ ...ctx.pg, database: DATABASE }, FLOOR_APPLICATION);
  // `times` prints the shell's and then its children's user and system time.
  const m = await runMeasured("bash", ["-c", `${floorCommand(ctx.pg, table)} > /dev/null; times`], {
    env: { ...ctx.env, PGAPPNAME: FLOOR_APPLICATION },
  });
  const backendCpu = await backends.stop();
  const children = m.stdout.trim().split("\n").pop() ?? "";
  const cpu = parseTimes(children);
  return {
    result: toolResult(
      "floor: psql binary COPY > /dev/null",
      truth,
      m,
      m.seconds,
      null,
      `${truth.copyBytes} bytes of binary COPY (counted separately)`,
    ),
    cpu,
    backendCpu,
  };
}

const FLOOR_APPLICATION = "etl-bench-floor";

/** User + system seconds from a line of bash's `times` ("0m1.234s 0m0.056s"), or null. */
export function parseTimes(line: string): number | null {
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return parts.length === 2 ? (parts[0] ?? 0) + (parts[1] ?? 0) : null;
}

export interface OursOptions {
  storage: "local" | "s3";
  table: string;
  partition?: string;
  basePath?: string;
  /** extract.parallelism of the run (default 1). */
  parallelism?: number;
}

/** Runs our extract in its own node process and verifies what it wrote. */
export async function runOurs(
  ctx: BenchContext,
  truth: Truth,
  o: OursOptions,
): Promise<{ result: ToolResult; location: string; run: ExtractRun }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-ours-"));
  const args = [
    "--conditions=source",
    "--import",
    "tsx",
    path.join(repoRoot, "test/bench/extract-bench.ts"),
    "--database",
    DATABASE,
    "--table",
    o.table,
    "--storage",
    o.storage,
    "--dir",
    dir,
    "--run-id",
    ctx.stamp,
  ];
  if (o.basePath !== undefined) args.push("--base-path", o.basePath);
  if (o.parallelism !== undefined) args.push("--parallelism", String(o.parallelism));
  if (o.partition !== undefined)
    args.push("--partition", o.partition, "--date-column", "created_at");
  try {
    const m = await runMeasured(process.execPath, args, { env: ctx.env, cwd: repoRoot });
    const last = m.stdout.trim().split("\n").pop() ?? "";
    const run = ExtractRunSchema.parse(JSON.parse(last));
    let rows = 0;
    let sum = 0n;
    const s3 = o.storage === "s3" ? new S3Storage(s3Settings(ctx.env, o.basePath ?? "")) : null;
    for (const f of run.files) {
      const bytes =
        s3 === null
          ? new Uint8Array(readFileSync(path.join(run.location, ...f.key.split("/"))))
          : await s3.get(f.key);
      if (bytes === null) throw new Error(`extract file ${f.key} is missing from ${o.storage}`);
      const part = await sumParquetDecimal(bytes, "amount");
      rows += part.rows;
      sum += part.sum;
    }
    const verified = assertMatches(
      `ours (${o.storage}, ${o.table})`,
      truth,
      { rows, sum: unscaledToDecimal(sum, SCALE) },
      SCALE,
    );
    const tool = `ours: extract to Parquet on ${o.storage === "s3" ? "the S3 server" : "local disk"}`;
    return {
      result: toolResult(tool, truth, m, run.seconds, run.parquetBytes, verified),
      location: run.location,
      run,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
