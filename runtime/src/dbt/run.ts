/**
 * Running dbt: one `dbt build` over the selected dbt assets, its JSON log lines streamed to the
 * Logger, and its run_results.json turned into per-asset outcomes.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Logger, LogLevel } from "../logger.js";
import type { AssetPlan } from "../plan.js";
import type { DbtSettings, TrinoSettings } from "../resources.js";
import { createDbtWorkDir, DBT_PROFILE_NAME, type DbtWorkDir } from "./profile.js";
import {
  type DbtAssetOutcome,
  type DbtRunResults,
  DbtRunResultsSchema,
  outcomesFromRunResults,
  testSeverities,
} from "./results.js";

export interface RunDbtOptions {
  /** The dbt assets to build (assets without `dbt` are ignored). */
  assets: readonly AssetPlan[];
  dbt: DbtSettings;
  trino: TrinoSettings;
  /** The daily partition (YYYY-MM-DD) passed as `partition_date`; null for unpartitioned runs. */
  partition: string | null;
  /** More `--vars` (e.g. where sources live); `partition_date` always wins. */
  vars?: Record<string, unknown>;
  /** Catalog of the sources the runtime exposes (sets its timestamp precision); null for none. */
  sourcesCatalog?: string | null;
  logger: Logger;
  /** Environment the dbt process inherits (PATH, HOME, ...); default: this process's. */
  env?: Readonly<Record<string, string | undefined>>;
  threads?: number;
  signal?: AbortSignal;
}

export interface RunDbtResult {
  /** dbt exited 0 (every node and error-severity test passed). */
  ok: boolean;
  exitCode: number | null;
  /** dbt's invocation id, for finding its own logs. */
  invocationId: string | null;
  elapsedMs: number;
  /** The command run, with the project path relative to nothing secret (for the run record). */
  args: string[];
  /** Per asset key: status, timing, rows and its tests as checks. */
  assets: Record<string, DbtAssetOutcome>;
  /** Why dbt could not run or report at all (the assets are then skipped); null otherwise. */
  error: string | null;
}

const DBT_LEVELS: Record<string, LogLevel> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
};

/** Logs one line of dbt's `--log-format json` output through the Logger. */
function logDbtLine(logger: Logger, line: string): void {
  if (line.trim() === "") {
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // Not every line is JSON (Python warnings, tracebacks): keep them verbatim.
    logger.info(line, { source: "dbt" });
    return;
  }
  const info = (parsed as { info?: { level?: string; msg?: string; name?: string } }).info;
  const level = DBT_LEVELS[info?.level ?? "info"] ?? "info";
  const data = (parsed as { data?: { node_info?: { unique_id?: string } } }).data;
  logger[level](info?.msg ?? line, {
    source: "dbt",
    event: info?.name,
    ...(data?.node_info?.unique_id === undefined ? {} : { node: data.node_info.unique_id }),
  });
}

/**
 * Builds `assets` with `dbt build --select <their selectors>` in the tenant's project on Trino.
 * Never throws for dbt failures: they are in the result, per asset.
 */
export async function runDbt(opts: RunDbtOptions): Promise<RunDbtResult> {
  const started = performance.now();
  const dbtAssets = opts.assets.filter((a) => a.dbt !== null);
  const selectors = [...new Set(dbtAssets.map((a) => a.dbt?.selector ?? ""))].sort();
  const logger = opts.logger.child({ stage: "dbt" });
  const notRun = (error: string, args: string[] = []) =>
    notRunResult(dbtAssets, error, args, started);
  if (selectors.length === 0) {
    return { ...notRun("no dbt assets selected"), ok: true, error: null };
  }
  if (!existsSync(path.join(opts.dbt.projectDir, "dbt_project.yml"))) {
    return notRun(`no dbt project at ${opts.dbt.projectDir} (dbt_project.yml missing)`);
  }
  const work = await createDbtWorkDir({
    trino: opts.trino,
    target: opts.dbt.target,
    targetSchema: opts.dbt.targetSchema,
    threads: opts.threads,
    sourcesCatalog: opts.sourcesCatalog ?? null,
  });
  try {
    const args = dbtBuildArgs(opts, selectors, work);
    logger.info("dbt build starting", { selectors, partition: opts.partition });
    const exit = await spawnDbt(opts, args, dbtEnv(opts.env ?? process.env, work.env), logger);
    if (exit.spawnError !== null) {
      return notRun(`could not run dbt (${opts.dbt.bin}): ${exit.spawnError.message}`, args);
    }
    const { results, error } = await readRunResults(work.targetPath, exit.code);
    const outcomes = outcomesFromRunResults(
      dbtAssets,
      results,
      error ?? "dbt did not run this node (not selected, or stopped before it)",
      await readSeverities(work.targetPath, logger),
    );
    logOutcomes(logger, outcomes);
    return {
      ok: exit.code === 0 && error === null,
      exitCode: exit.code,
      invocationId: results?.metadata.invocation_id ?? null,
      elapsedMs: Math.round(performance.now() - started),
      args,
      assets: outcomes,
      error,
    };
  } finally {
    await work.dispose();
  }
}

/** The result of a build that did not run (or could not report): every asset skipped with `error`. */
function notRunResult(
  assets: readonly AssetPlan[],
  error: string,
  args: string[],
  started: number,
): RunDbtResult {
  return {
    ok: false,
    exitCode: null,
    invocationId: null,
    elapsedMs: Math.round(performance.now() - started),
    args,
    assets: outcomesFromRunResults(assets, null, error),
    error,
  };
}

/** The `dbt build` command line: the selectors, `partition_date` and the run's own work paths. */
export function dbtBuildArgs(
  opts: Pick<RunDbtOptions, "dbt" | "partition" | "vars">,
  selectors: readonly string[],
  work: Pick<DbtWorkDir, "dir" | "targetPath" | "logPath">,
): string[] {
  const vars = { ...(opts.vars ?? {}), partition_date: opts.partition };
  return [
    "build",
    "--select",
    ...selectors,
    "--vars",
    JSON.stringify(vars),
    "--target",
    opts.dbt.target,
    "--profile",
    DBT_PROFILE_NAME,
    "--profiles-dir",
    work.dir,
    "--project-dir",
    opts.dbt.projectDir,
    "--target-path",
    work.targetPath,
    "--log-path",
    work.logPath,
    "--log-format",
    "json",
    "--no-use-colors",
    "--no-send-anonymous-usage-stats",
  ];
}

/** The dbt process's environment: the caller's, the profile's variables, no usage statistics. */
export function dbtEnv(
  base: Readonly<Record<string, string | undefined>>,
  profile: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined) env[k] = v;
  }
  return Object.assign(env, profile, { DBT_SEND_ANONYMOUS_USAGE_STATS: "false" });
}

/** Runs dbt to its end, every output line through the Logger; a spawn failure is returned. */
function spawnDbt(
  opts: Pick<RunDbtOptions, "dbt" | "signal">,
  args: string[],
  env: Record<string, string>,
  logger: Logger,
): Promise<{ code: number | null; spawnError: Error | null }> {
  return new Promise((resolve) => {
    const child = spawn(opts.dbt.bin, args, {
      cwd: opts.dbt.projectDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      signal: opts.signal,
    });
    let spawnError: Error | null = null;
    child.on("error", (err) => {
      spawnError = err;
    });
    createInterface({ input: child.stdout }).on("line", (l) => logDbtLine(logger, l));
    createInterface({ input: child.stderr }).on("line", (l) => logDbtLine(logger, l));
    child.on("close", (code) => resolve({ code, spawnError }));
  });
}

/** dbt's run_results.json, or why there is none to read. */
async function readRunResults(
  targetPath: string,
  exitCode: number | null,
): Promise<{ results: DbtRunResults | null; error: string | null }> {
  const resultsPath = path.join(targetPath, "run_results.json");
  if (!existsSync(resultsPath)) {
    return {
      results: null,
      error: `dbt exited with code ${exitCode} before writing run_results.json (see the dbt log lines above)`,
    };
  }
  return parseRunResults(await readFile(resultsPath, "utf8"));
}

/** The text of a run_results.json as the results this runtime reads, or why it cannot. */
export function parseRunResults(text: string): {
  results: DbtRunResults | null;
  error: string | null;
} {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return {
      results: null,
      error: `dbt's run_results.json is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const parsed = DbtRunResultsSchema.safeParse(raw);
  return parsed.success
    ? { results: parsed.data, error: null }
    : {
        results: null,
        error: `dbt wrote a run_results.json this runtime cannot read: ${parsed.error.message}`,
      };
}

/**
 * Test severities from the manifest dbt wrote. Severity is a label on the record (the outcome
 * itself comes from run_results), so a manifest that cannot be read is logged, not fatal.
 */
async function readSeverities(
  targetPath: string,
  logger: Logger,
): Promise<Map<string, "warn" | "error">> {
  const manifestPath = path.join(targetPath, "manifest.json");
  if (!existsSync(manifestPath)) {
    return new Map();
  }
  try {
    return testSeverities(JSON.parse(await readFile(manifestPath, "utf8")));
  } catch (err) {
    logger.warn("could not read test severities from dbt's manifest", {
      error: err instanceof Error ? err.message : String(err),
    });
    return new Map();
  }
}

/** One line per dbt asset: an error for a failure or a blocking test, a warning for test warnings. */
function logOutcomes(logger: Logger, outcomes: Record<string, DbtAssetOutcome>): void {
  for (const o of Object.values(outcomes)) {
    const failedChecks = o.checks.filter((c) => c.status !== "pass");
    const fields = {
      asset: o.key,
      status: o.status,
      rowsAffected: o.rowsAffected,
      elapsedMs: o.elapsedMs,
      checks: o.checks.map((c) => `${c.name}=${c.status}`),
    };
    if (o.status === "failed" || failedChecks.some((c) => c.blocking)) {
      logger.error(
        `dbt asset ${o.key} failed: ${o.message ?? failedChecks[0]?.message ?? ""}`,
        fields,
      );
    } else if (failedChecks.length > 0) {
      logger.warn(`dbt asset ${o.key} has test warnings`, fields);
    } else {
      logger.info(`dbt asset ${o.key} ${o.status}`, fields);
    }
  }
}
