/**
 * The runtime's logger. Library code logs through this, never through console.
 *
 * Lines are JSON (one object per line, every field) unless the format is pretty, by choice
 * (`--log-format pretty`, ETL_LOG_FORMAT) or because the destination is a terminal: then one
 * short readable line per event (log-format.ts). JSON lines carry the bound context (tenant, run
 * id, asset key, partition). Registered secrets are replaced by `***` in every message and field
 * before anything is written.
 */
import { formatPretty, type LogFields, type LogFormat, type LogLevel } from "./log-format.js";

export type { LogFields, LogFormat, LogLevel } from "./log-format.js";
export { parseLogFormat } from "./log-format.js";

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
  readonly isTTY: boolean;
  /** Whether pretty lines may carry ANSI colours (a terminal, and NO_COLOR unset). */
  readonly color?: boolean;
}

const secrets = new Set<string>();
/** Secrets shorter than this are redacted only as whole words. */
const SHORT_SECRET = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Registers a value that must never appear in any log line or error message. */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 3) {
    secrets.add(value);
  }
}

/** Replaces every registered secret, and passwords inside connection URLs, by `***`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    out =
      s.length >= SHORT_SECRET
        ? out.split(s).join("***")
        : // A short secret (a local test password like "etl") is replaced only where it stands as a
          // word of its own, so it does not mangle every name that happens to contain it.
          out.replace(
            new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(s)}(?![A-Za-z0-9_])`, "g"),
            "***",
          );
  }
  return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s]+@/gi, "$1***@");
}

/** The level named by `value` (ETL_LOG_LEVEL), info when unset or unknown. */
export function parseLevel(value: string | undefined): LogLevel {
  if (value === "debug" || value === "info" || value === "warn" || value === "error") {
    return value;
  }
  return "info";
}

const stderrSink: LogSink = {
  write: (line) => process.stderr.write(line),
  get isTTY() {
    return process.stderr.isTTY === true;
  },
  get color() {
    return process.stderr.isTTY === true && (process.env.NO_COLOR ?? "") === "";
  },
};

export class Logger {
  constructor(
    private readonly context: LogFields = {},
    private readonly sink: LogSink = stderrSink,
    private readonly minLevel: LogLevel = parseLevel(process.env.ETL_LOG_LEVEL),
    private readonly format: LogFormat = "auto",
  ) {}

  /** The same logger at another minimum level. */
  withLevel(level: LogLevel): Logger {
    return new Logger(this.context, this.sink, level, this.format);
  }

  /** A logger whose lines also carry `fields`. */
  child(fields: LogFields): Logger {
    return new Logger({ ...this.context, ...fields }, this.sink, this.minLevel, this.format);
  }

  debug(msg: string, fields: LogFields = {}): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields: LogFields = {}): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields: LogFields = {}): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields: LogFields = {}): void {
    this.log("error", msg, fields);
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= LEVEL_ORDER[this.minLevel];
  }

  private log(level: LogLevel, msg: string, fields: LogFields): void {
    if (!this.isEnabled(level)) {
      return;
    }
    const all = { ...this.context, ...fields };
    const pretty = this.format === "pretty" || (this.format === "auto" && this.sink.isTTY);
    const line = pretty
      ? formatPretty(level, msg, all, { color: this.sink.color === true })
      : `${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...all }, jsonReplacer)}\n`;
    if (line !== null) this.sink.write(redact(line));
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") {
    return value.toString();
  }
  if (value instanceof Error) {
    return { name: value.name, message: value.message };
  }
  return value;
}

/** The process-wide root logger. */
export const rootLogger = new Logger();
