/**
 * What every bench section is given: the shared stack's environment and PostgreSQL settings, the
 * run's unique stamp, its options, a progress logger and the results of sections run before it.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import type { z } from "zod";
import { repoRoot } from "../../src/paths.js";

/** PostgreSQL of the shared stack (the bench's source database lives there). */
export interface PgSettings {
  host: string;
  port: number;
  user: string;
  password: string;
}

export type OptionValue = string | boolean | undefined;

export interface BenchContext {
  /** The process environment with the stack's variables exported. */
  env: NodeJS.ProcessEnv;
  pg: PgSettings;
  /** The stack's home (caches such as the peer's virtualenv live there). */
  stackHome: string;
  /** Unique per invocation: names of tables, prefixes and databases the bench creates. */
  stamp: string;
  /** --quick: smaller defaults everywhere. */
  quick: boolean;
  /** A positive integer option, with its full and --quick defaults. */
  int(name: string, full: number, quick: number): number;
  /** A boolean option (false when absent). */
  flag(name: string): boolean;
  /** A string option, or null when absent. */
  text(name: string): string | null;
  log(line: string): void;
  /** Results of a section that ran earlier in this invocation, validated by `schema`, else null. */
  earlier<T>(section: string, schema: z.ZodType<T>): T | null;
}

/** The stack's exported variables (`npm run stack -- env`), bringing the stack up when it is down. */
export function stackEnv(log: (line: string) => void): NodeJS.ProcessEnv {
  const npm = (args: string[]) =>
    execFileSync("npm", ["run", "-s", "stack", "--", ...args], { cwd: repoRoot, encoding: "utf8" });
  try {
    npm(["status"]);
  } catch {
    // status exits non-zero when something is down: bring the stack up (its output goes to stderr).
    log("stack not healthy: npm run stack -- up");
    execFileSync("npm", ["run", "-s", "stack", "--", "up"], {
      cwd: repoRoot,
      stdio: ["ignore", process.stderr, process.stderr],
    });
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const line of npm(["env"]).split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] === undefined) continue;
    const raw = m[2] ?? "";
    env[m[1]] = /^'.*'$|^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return env;
}

/** The context of one invocation. */
export function createContext(inputs: {
  env: NodeJS.ProcessEnv;
  values: Record<string, OptionValue>;
  quick: boolean;
  log: (line: string) => void;
  earlier: (section: string) => unknown;
}): BenchContext {
  const { env, values } = inputs;
  return {
    env,
    pg: {
      host: env.PGHOST ?? "127.0.0.1",
      port: Number(env.PGPORT ?? 55432),
      user: env.PGUSER ?? "etl",
      password: env.PGPASSWORD ?? "etl",
    },
    stackHome: env.ETL_STACK_HOME ?? path.join(os.homedir(), ".cache/etl-stack"),
    stamp: `${Date.now().toString(36)}_${process.pid}`,
    quick: inputs.quick,
    int(name, full, quick) {
      const raw = values[name];
      const n = typeof raw === "string" ? Number(raw) : inputs.quick ? quick : full;
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`--${name} must be a positive integer (got ${String(raw)})`);
      }
      return n;
    },
    flag: (name) => values[name] === true,
    text: (name) => {
      const raw = values[name];
      return typeof raw === "string" && raw !== "" ? raw : null;
    },
    log: inputs.log,
    earlier(section, schema) {
      const value = inputs.earlier(section);
      return value === undefined || value === null ? null : schema.parse(value);
    },
  };
}

/** Rounds to `digits` decimals (every figure the bench reports). */
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
/** Bytes as MiB with one decimal. */
export const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);
/** a / b with two decimals. */
export const ratio = (a: number, b: number) => round(a / b, 2);
