/**
 * One console test environment on the shared stack: a fresh ETL_HOME (and, for PostgreSQL, a
 * fresh ledger database), project_01's plan with its own storage prefix and Trino schema, the
 * console started in-process on a free loopback port, and cleanup of exactly what it created.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CliIo, Logger, type LogSink, runCli, type TenantPlan } from "@etl/runtime";
import { type ConsoleTenantInput, startConsole } from "@etl/runtime/console";
import { transforms } from "@etl/tenant-project_01";
import pg from "pg";
import { readStackEnv, readStackVars, stackStorage, trinoQuery } from "../../src/stack-env.js";
import { consolePlan, TENANT } from "./plans.js";

export type LedgerKind = "file" | "postgres";

export function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTTY: false,
    out: (t: string) => {
      io.stdout += t;
    },
    err: (t: string) => {
      io.stderr += t;
    },
  };
  return io;
}

export interface Harness {
  url: string;
  plan: TenantPlan;
  env: Record<string, string | undefined>;
  etlHome: string;
  /** The console's own log lines (JSON), for the refusal checks. */
  consoleLog: string[];
  /** `etl-project_01 <argv>` in this process, as the CLI runs it. */
  cli: (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  /** fetch against the console, JSON parsed. */
  api: <T = unknown>(
    pathname: string,
    init?: RequestInit,
  ) => Promise<{ status: number; body: T; headers: Headers }>;
  /** Polls `check` until it returns a value (at most `ms`). */
  until: <T>(what: string, check: () => Promise<T | null>, ms?: number) => Promise<T>;
  close: () => Promise<void>;
}

export interface HarnessOptions {
  ledger: LedgerKind;
  /** More tenants served beside project_01. */
  extraTenants?: ConsoleTenantInput[];
  /** Extra environment (tokens). */
  env?: Record<string, string>;
  host?: string;
}

/** Starts the console for a fresh test environment; `close` removes everything it made. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const stack = readStackEnv();
  const stamp = `${Date.now().toString(36)}${process.pid}`;
  const schema = `console_it_${stamp}`;
  const basePath = `console-it/${stamp}/project_id=${TENANT}`;
  const plan = consolePlan(basePath, schema);
  // (No "etl" in the path: the stack's short test password is redacted wherever it is a word.)
  const etlHome = await mkdtemp(path.join(tmpdir(), "console-it-"));
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...readStackVars(),
    ETL_HOME: etlHome,
    ETL_ENVIRONMENT: "dev",
    ETL_RETRY_ATTEMPTS: "1",
    ...options.env,
  };
  let database: string | null = null;
  const admin = {
    host: stack.PGHOST,
    port: stack.PGPORT,
    user: stack.PGUSER,
    password: stack.PGPASSWORD,
  };
  if (options.ledger === "postgres") {
    database = `console_it_${stamp}`;
    const c = new pg.Client({ ...admin, database: "postgres" });
    await c.connect();
    await c.query(`CREATE DATABASE ${database}`);
    await c.end();
    env.ETL_LEDGER_URL = `postgres://${admin.user}:${admin.password}@${admin.host}:${admin.port}/${database}`;
  }
  const consoleLog: string[] = [];
  const sink: LogSink = { write: (line) => consoleLog.push(line), isTTY: false };
  const controller = new AbortController();
  const started = await startConsole({
    tenants: [{ plan, transforms }, ...(options.extraTenants ?? [])],
    env,
    host: options.host ?? "127.0.0.1",
    port: 0,
    logger: new Logger({ component: "console" }, sink, "info", "json"),
    io: captureIo(),
    signal: controller.signal,
  });
  if (!started.ok) {
    // Leave nothing behind when the console cannot start (its database, its ETL_HOME).
    if (database !== null) {
      const c = new pg.Client({ ...admin, database: "postgres" });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await c.end();
    }
    await rm(etlHome, { recursive: true, force: true });
    throw new Error(`console did not start:\n${started.errors.join("\n")}`);
  }
  const url = started.console.url.replace(/\/$/, "");
  return {
    url,
    plan,
    env,
    etlHome,
    consoleLog,
    cli: async (argv) => {
      const io = captureIo();
      const code = await runCli({ plan, transforms, argv, env, io });
      return { code, stdout: io.stdout, stderr: io.stderr };
    },
    api: async <T>(pathname: string, init?: RequestInit) => {
      const response = await fetch(`${url}${pathname}`, init);
      const text = await response.text();
      return {
        status: response.status,
        body: (text === "" ? null : JSON.parse(text)) as T,
        headers: response.headers,
      };
    },
    until: async <T>(what: string, check: () => Promise<T | null>, ms = 120_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = await check();
        if (value !== null) return value;
        if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    close: async () => {
      controller.abort();
      await started.console.close();
      await stackStorage(stack, basePath).deletePrefix("");
      const tables = await trinoQuery(
        stack,
        `SELECT table_name FROM ${stack.TRINO_CATALOG}.information_schema.tables WHERE table_schema = '${schema}'`,
      );
      for (const [table] of tables) {
        await trinoQuery(
          stack,
          `DROP TABLE IF EXISTS ${stack.TRINO_CATALOG}.${schema}."${String(table)}"`,
        );
      }
      await trinoQuery(stack, `DROP SCHEMA IF EXISTS ${stack.TRINO_CATALOG}.${schema}`);
      if (database !== null) {
        const c = new pg.Client({ ...admin, database: "postgres" });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await c.end();
      }
      await rm(etlHome, { recursive: true, force: true });
    },
  };
}

/** Headers of a same-origin action from a script (the console's own pages send the same). */
export function actionHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { "content-type": "application/json", "x-console-action": "1", ...extra };
}
