/**
 * The command line of every generated tenant package (`node generated/<id>/dist/main.js <command>`).
 *
 * The generated entrypoint only calls `runCli`; everything else lives here so that the behaviour of
 * all tenant packages is one piece of tested code.
 */

import type { StageHandlers } from "../executor/types.js";
import { LOG_FORMATS, parseLogFormat } from "../log-format.js";
import { quietAwsSdkNodeNotice } from "../node-support.js";
import type { TenantPlan } from "../plan.js";
import { selectEnvironment } from "../resources.js";
import type { TransformRegistry } from "../transfer/types.js";
import type { EnvSource } from "../values.js";
import { type OptionSpec, parseArgs } from "./args.js";
import {
  type CliIo,
  type CommandContext,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  processIo,
  type SelectedContext,
} from "./io.js";
import { backfillCommand, runCommand, serveCommand, statusCommand } from "./jobs.js";
import { listCommand } from "./list.js";
import { partitionCommand } from "./partition.js";
import { validateCommand } from "./validate.js";
import { workerCommand } from "./workers.js";

export type { CliIo } from "./io.js";

export interface RunCliOptions {
  plan: TenantPlan;
  transforms: TransformRegistry;
  argv: string[];
  /** Defaults to process.env. */
  env?: EnvSource;
  /** Defaults to the process streams. */
  io?: CliIo;
  /** Defaults to a signal aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Replaces the runtime's stage implementations (tests with in-process asset functions). */
  stageHandlers?: StageHandlers;
}

type Handler = (ctx: CommandContext) => Promise<number> | number;

interface CommandDef {
  usage: string;
  summary: string;
  options: OptionSpec;
  /** Number of positional arguments after the command name. */
  positionals: number;
  /** Whether the command needs an enabled environment selected first. */
  needsEnvironment: boolean;
  handler: Handler;
}

const GLOBAL: OptionSpec = { debug: "boolean", help: "boolean", "log-format": "string" };

const COMMANDS: Readonly<Record<string, CommandDef>> = {
  list: {
    usage: "list [--json]",
    summary: "assets (key, stage, deps), jobs and schedules",
    options: { json: "boolean" },
    positionals: 0,
    needsEnvironment: true,
    handler: (ctx) => listCommand(ctx as SelectedContext),
  },
  validate: {
    usage: "validate [--connect]",
    summary: "check the plan, ETL_ENVIRONMENT and env vars; --connect also reaches every service",
    options: { connect: "boolean" },
    positionals: 0,
    needsEnvironment: false,
    handler: validateCommand,
  },
  run: {
    usage: "run <job> [--partition YYYY-MM-DD] [--select <asset key glob>] [--wait]",
    summary: "run a job for one partition (default: the latest complete day)",
    options: { partition: "string", select: "string", wait: "boolean" },
    positionals: 1,
    needsEnvironment: true,
    handler: (ctx) => runCommand(ctx as SelectedContext),
  },
  partition: {
    usage: "partition <job> [--partition YYYY-MM-DD|latest]",
    summary: "print the partition a run of the job takes (default latest: the latest complete day)",
    options: { partition: "string" },
    positionals: 1,
    needsEnvironment: true,
    handler: (ctx) => partitionCommand(ctx as SelectedContext),
  },
  backfill: {
    usage:
      "backfill <job> --from YYYY-MM-DD --to YYYY-MM-DD [--concurrency N] [--chunk K] | --workers N [--lease-seconds S]] [--force]",
    summary:
      "run a job over a range of partitions, skipping those already materialised; K partitions at a time (default 31) whose loads go as one statement per pipeline (--chunk 1: one by one); --workers queues them in the PostgreSQL ledger for workers on any machine",
    options: {
      from: "string",
      to: "string",
      concurrency: "string",
      chunk: "string",
      workers: "string",
      "lease-seconds": "string",
      force: "boolean",
    },
    positionals: 1,
    needsEnvironment: true,
    handler: (ctx) => backfillCommand(ctx as SelectedContext),
  },
  worker: {
    usage: "worker <backfill-id> [--lease-seconds S]",
    summary:
      "claim and run partitions of a queued backfill (backfill --workers) until none is left",
    options: { "lease-seconds": "string" },
    positionals: 1,
    needsEnvironment: true,
    handler: (ctx) => workerCommand(ctx as SelectedContext),
  },
  status: {
    usage: "status [--json]",
    summary: "last materialisation per asset, missing and failed partitions",
    options: { json: "boolean" },
    positionals: 0,
    needsEnvironment: true,
    handler: (ctx) => statusCommand(ctx as SelectedContext),
  },
  serve: {
    usage:
      "serve [--all] [--catch-up|--no-catch-up] [--ui [--host H] [--port P]] [--metrics-port P [--metrics-host H]]",
    summary:
      "run the job schedules in-process until SIGTERM; --ui also serves the web console, --metrics-port Prometheus /metrics",
    options: {
      all: "boolean",
      "catch-up": "boolean",
      "no-catch-up": "boolean",
      ui: "boolean",
      host: "string",
      port: "string",
      "metrics-port": "string",
      "metrics-host": "string",
    },
    positionals: 0,
    needsEnvironment: true,
    handler: (ctx) => serveCommand(ctx as SelectedContext),
  },
  ui: {
    usage:
      "ui [--host H] [--port P] | ui --new-token NAME --role viewer|operator [--tenants a,b|*]",
    summary: "the web console (127.0.0.1:4700 by default; other hosts need tokens)",
    options: {
      host: "string",
      port: "string",
      "new-token": "string",
      role: "string",
      tenants: "string",
    },
    positionals: 0,
    needsEnvironment: false,
    handler: async (ctx) => {
      // Loaded on demand: the other commands never load the web server.
      const { consoleCommand } = await import("../console/command.js");
      return consoleCommand({
        tenants: [{ plan: ctx.plan, transforms: ctx.transforms }],
        env: ctx.env,
        io: ctx.io,
        args: ctx.args,
        signal: ctx.signal,
      });
    },
  },
};

function usage(tenant: string): string {
  const lines = [`usage: etl-${tenant} <command> [options] [--debug]`, "", "commands:"];
  for (const def of Object.values(COMMANDS)) {
    lines.push(`  ${def.usage}`, `      ${def.summary}`);
  }
  lines.push(
    "",
    "options of every command: --debug (stack traces), --log-format json|pretty|auto",
    "  (default auto: pretty lines on a terminal, JSON lines otherwise; also ETL_LOG_FORMAT)",
    "",
    "environment: ETL_ENVIRONMENT (dev|staging|prod, default dev), ETL_HOME (default .etl/)",
  );
  return `${lines.join("\n")}\n`;
}

/** Runs one command of a tenant package and returns its exit code; never throws. */
export async function runCli(options: RunCliOptions): Promise<number> {
  const io = options.io ?? processIo;
  const env = options.env ?? process.env;
  const debug = options.argv.includes("--debug");
  const tenant = options.plan.tenant.id;
  const [name, ...rest] = options.argv.filter((a) => a !== "--debug");
  if (name === undefined || name === "--help" || name === "help" || name === "-h") {
    (name === undefined ? io.err : io.out)(usage(tenant));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const def = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (def === undefined) {
    io.err(`error: unknown command "${name}"\n\n${usage(tenant)}`);
    return EXIT_USAGE;
  }
  const parsed = parseArgs(rest, { ...GLOBAL, ...def.options });
  if (!parsed.ok) {
    io.err(`error: ${parsed.error}\nusage: etl-${tenant} ${def.usage}\n`);
    return EXIT_USAGE;
  }
  if (parsed.args.flags.has("help")) {
    io.out(`usage: etl-${tenant} ${def.usage}\n  ${def.summary}\n`);
    return EXIT_OK;
  }
  if (parsed.args.positionals.length !== def.positionals) {
    io.err(
      `error: "${name}" takes ${def.positionals === 0 ? "no arguments" : `${def.positionals} argument`}, got ${
        parsed.args.positionals.length
      }\nusage: etl-${tenant} ${def.usage}\n`,
    );
    return EXIT_USAGE;
  }

  const formatText = parsed.args.strings.get("log-format") ?? env.ETL_LOG_FORMAT;
  const logFormat = parseLogFormat(formatText);
  if (logFormat === null) {
    io.err(
      `error: log format "${formatText}" (${parsed.args.strings.has("log-format") ? "--log-format" : "ETL_LOG_FORMAT"}) must be one of ${LOG_FORMATS.join(", ")}\n`,
    );
    return EXIT_USAGE;
  }
  quietAwsSdkNodeNotice(process.env);

  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted by signal"));
  const ownSignal = options.signal === undefined;
  if (ownSignal) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  const ctx: CommandContext = {
    plan: options.plan,
    transforms: options.transforms,
    env,
    io,
    args: parsed.args,
    debug,
    logFormat,
    stageHandlers: options.stageHandlers ?? null,
    signal: options.signal ?? controller.signal,
  };
  try {
    if (!def.needsEnvironment) {
      return await def.handler(ctx);
    }
    const selected = selectEnvironment(options.plan, env);
    if (!selected.ok) {
      io.err(`error: ${selected.error}\n`);
      return EXIT_USAGE;
    }
    const sctx: SelectedContext = { ...ctx, environment: selected.name, envPlan: selected.plan };
    return await def.handler(sctx);
  } catch (e) {
    io.err(`${describeError(e, debug)}\n`);
    return EXIT_FAILURE;
  } finally {
    if (ownSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

/** One line per error (with its causes); the whole stack with --debug. */
export function describeError(e: unknown, debug: boolean): string {
  if (!(e instanceof Error)) {
    return `error: ${String(e)}`;
  }
  if (debug) {
    return `error: ${e.stack ?? e.message}${e.cause === undefined ? "" : `\ncaused by: ${describeError(e.cause, true)}`}`;
  }
  const parts: string[] = [e.message];
  let cause: unknown = e.cause;
  while (cause instanceof Error) {
    if (!parts.some((p) => p.includes(cause instanceof Error ? cause.message : ""))) {
      parts.push(cause.message);
    }
    cause = cause.cause;
  }
  return `error: ${parts.join(": ")} (run with --debug for details)`;
}
