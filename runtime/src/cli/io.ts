/** Output channels and shared types of the CLI commands. */
import type { StageHandlers } from "../executor/types.js";
import { type LogFormat, redact } from "../logger.js";
import type { EnvironmentName, EnvironmentPlan, TenantPlan } from "../plan.js";
import type { TransformRegistry } from "../transfer/types.js";
import type { EnvSource } from "../values.js";
import type { ParsedArgs } from "./args.js";

export interface CliIo {
  /** Program output (tables, JSON). */
  out(text: string): void;
  /** Problems and progress meant for a person. */
  err(text: string): void;
  /** Whether stderr is a terminal (progress bars instead of JSON log lines). */
  readonly isTTY: boolean;
}

/** Writes to the process streams, redacting every registered secret. */
export const processIo: CliIo = {
  out: (text) => {
    process.stdout.write(redact(text));
  },
  err: (text) => {
    process.stderr.write(redact(text));
  },
  get isTTY() {
    return process.stderr.isTTY === true;
  },
};

export interface CommandContext {
  plan: TenantPlan;
  transforms: TransformRegistry;
  env: EnvSource;
  io: CliIo;
  args: ParsedArgs;
  debug: boolean;
  /** `--log-format`, else ETL_LOG_FORMAT, else auto (pretty on a terminal, JSON otherwise). */
  logFormat: LogFormat;
  /** Stage implementations; null means the runtime's own (tests pass in-process ones). */
  stageHandlers: StageHandlers | null;
  /** Aborted on SIGINT/SIGTERM so long commands can stop cleanly. */
  signal: AbortSignal;
}

export interface SelectedContext extends CommandContext {
  environment: EnvironmentName;
  envPlan: EnvironmentPlan;
}

/** Exit codes: 0 success, 1 failure of the work itself, 2 usage or configuration error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
