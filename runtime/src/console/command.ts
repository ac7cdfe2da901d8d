/**
 * `etl-<id> ui`, `etl-all ui` and the console half of `serve --ui`: starts the console on
 * --host/--port (127.0.0.1:4700 by default), prints its URL, and serves until the signal ends it.
 * `ui --new-token <name> --role viewer|operator [--tenants a,b|*]` prints a new token and the
 * hashed line that grants it, and exits.
 */
import type { ParsedArgs } from "../cli/args.js";
import { type OptionSpec, parseArgs, parsePositiveInt } from "../cli/args.js";
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo } from "../cli/io.js";
import { Logger, type LogSink, parseLevel } from "../logger.js";
import type { EnvSource } from "../values.js";
import { isLoopback, newToken } from "./auth.js";
import {
  type ConsoleTenantInput,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type RunningConsole,
  startConsole,
} from "./server.js";

/** Options of `ui` (and, with `ui`, of `serve`). */
export const UI_OPTIONS: OptionSpec = {
  host: "string",
  port: "string",
  "new-token": "string",
  role: "string",
  tenants: "string",
};

export const UI_USAGE =
  "ui [--host H] [--port P] | ui --new-token NAME --role viewer|operator [--tenants a,b|*]";

export interface ConsoleCommandOptions {
  tenants: readonly ConsoleTenantInput[];
  env: EnvSource;
  io: CliIo;
  args: ParsedArgs;
  signal: AbortSignal;
}

function consoleLogger(io: CliIo, env: EnvSource): Logger {
  const sink: LogSink = {
    write: (line) => io.err(line),
    get isTTY() {
      return io.isTTY;
    },
  };
  return new Logger({ component: "console" }, sink, parseLevel(env.ETL_LOG_LEVEL));
}

/** Starts the console from parsed `ui` options; prints problems and returns null on failure. */
export async function openConsole(o: ConsoleCommandOptions): Promise<RunningConsole | null> {
  const host = o.args.strings.get("host") ?? DEFAULT_HOST;
  let port = DEFAULT_PORT;
  const portText = o.args.strings.get("port");
  if (portText !== undefined) {
    const p =
      portText === "0" ? { ok: true as const, value: 0 } : parsePositiveInt(portText, "port");
    if (!p.ok || p.value > 65535) {
      o.io.err(`error: --port must be a TCP port (0-65535), got "${portText}"\n`);
      return null;
    }
    port = p.value;
  }
  const started = await startConsole({
    tenants: o.tenants,
    env: o.env,
    host,
    port,
    logger: consoleLogger(o.io, o.env),
    io: o.io,
    signal: o.signal,
  });
  if (!started.ok) {
    o.io.err(`${started.errors.map((e) => `error: ${e}`).join("\n")}\n`);
    return null;
  }
  o.io.out(
    `console: ${started.console.url}${isLoopback(host) ? "" : ` (listening on ${host}:${port})`}\n`,
  );
  return started.console;
}

function tokenCommand(o: ConsoleCommandOptions, name: string): number {
  const role = o.args.strings.get("role");
  if (role !== "viewer" && role !== "operator") {
    o.io.err("error: --new-token needs --role viewer or --role operator\n");
    return EXIT_USAGE;
  }
  const ids = o.tenants.map((t) => t.plan.tenant.id);
  const scopeText = o.args.strings.get("tenants") ?? (ids.length === 1 ? (ids[0] ?? "*") : "*");
  const scope = scopeText === "*" ? ("*" as const) : scopeText.split(",").filter((t) => t !== "");
  const unknown = scope === "*" ? [] : scope.filter((t) => !ids.includes(t));
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name) || unknown.length > 0) {
    o.io.err(
      `error: ${unknown.length > 0 ? `unknown tenant ${unknown.join(", ")} (tenants: ${ids.join(", ")})` : `token name "${name}" must be 1-64 of A-Z a-z 0-9 _ . @ -`}\n`,
    );
    return EXIT_USAGE;
  }
  const t = newToken(name, role, scope);
  o.io.out(
    `token for ${name} (shown once; give it to them, keep only the line below):\n  ${t.token}\nline for ETL_CONSOLE_TOKENS or the file named by ETL_CONSOLE_TOKENS_FILE:\n  ${t.line}\n`,
  );
  return EXIT_OK;
}

/** Runs `ui` with parsed options until the signal is aborted. */
export async function consoleCommand(o: ConsoleCommandOptions): Promise<number> {
  const name = o.args.strings.get("new-token");
  if (name !== undefined) return tokenCommand(o, name);
  const running = await openConsole(o);
  if (running === null) return EXIT_USAGE;
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await running.close();
  o.io.err("console stopped\n");
  return EXIT_OK;
}

export interface RunConsoleCliOptions {
  tenants: readonly ConsoleTenantInput[];
  argv: readonly string[];
  env?: EnvSource;
  io?: CliIo;
  signal?: AbortSignal;
}

/** `etl-all ui ...`: one console for every tenant given. Never throws; returns the exit code. */
export async function runConsoleCli(options: RunConsoleCliOptions): Promise<number> {
  const io = options.io ?? processIo;
  const parsed = parseArgs(options.argv, { ...UI_OPTIONS, help: "boolean", debug: "boolean" });
  if (!parsed.ok) {
    io.err(`error: ${parsed.error}\nusage: etl-all ${UI_USAGE}\n`);
    return EXIT_USAGE;
  }
  if (parsed.args.flags.has("help")) {
    io.out(`usage: etl-all ${UI_USAGE}\n  one web console for every enabled tenant\n`);
    return EXIT_OK;
  }
  if (parsed.args.positionals.length > 0) {
    io.err(`error: "ui" takes no arguments\nusage: etl-all ${UI_USAGE}\n`);
    return EXIT_USAGE;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted by signal"));
  if (options.signal === undefined) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  try {
    return await consoleCommand({
      tenants: options.tenants,
      env: options.env ?? process.env,
      io,
      args: parsed.args,
      signal: options.signal ?? controller.signal,
    });
  } catch (e) {
    io.err(`error: console failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_FAILURE;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
