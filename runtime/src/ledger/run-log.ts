/**
 * A run's own log lines, kept in the ledger beside its records so the console can show them for
 * runs of any process and machine. Every logger of a command session is teed: one copy goes where
 * it always went (the terminal, the pod's log), the other, as JSON, to a recorder that keeps the
 * lines carrying a `runId` and appends them to the ledger in small batches.
 */
import { type LogFields, Logger, type LogLevel, type LogSink } from "../logger.js";
import type { RunLogLine } from "./queries.js";
import type { Ledger } from "./types.js";

/** A run logging more than this keeps its first lines and a note of how many were left out. */
export const MAX_RUN_LOG_LINES = 5_000;
const FLUSH_MS = 500;

/** A logger writing every line to two loggers (their own levels and formats apply). */
export class TeeLogger extends Logger {
  constructor(
    private readonly primary: Logger,
    private readonly secondary: Logger,
  ) {
    super();
  }
  override withLevel(level: LogLevel): Logger {
    return new TeeLogger(this.primary.withLevel(level), this.secondary.withLevel(level));
  }
  override child(fields: LogFields): Logger {
    return new TeeLogger(this.primary.child(fields), this.secondary.child(fields));
  }
  override isEnabled(level: LogLevel): boolean {
    return this.primary.isEnabled(level) || this.secondary.isEnabled(level);
  }
  override debug(msg: string, fields: LogFields = {}): void {
    this.primary.debug(msg, fields);
    this.secondary.debug(msg, fields);
  }
  override info(msg: string, fields: LogFields = {}): void {
    this.primary.info(msg, fields);
    this.secondary.info(msg, fields);
  }
  override warn(msg: string, fields: LogFields = {}): void {
    this.primary.warn(msg, fields);
    this.secondary.warn(msg, fields);
  }
  override error(msg: string, fields: LogFields = {}): void {
    this.primary.error(msg, fields);
    this.secondary.error(msg, fields);
  }
}

const LEVELS: readonly string[] = ["debug", "info", "warn", "error"];

/** Collects the JSON log lines of runs and appends them to the ledger. */
export class RunLogRecorder {
  private readonly pending = new Map<string, RunLogLine[]>();
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  /** `onError` hears of a batch the ledger refused (the run goes on; its records are safe). */
  constructor(
    private readonly ledger: Ledger,
    private readonly tenant: string,
    private readonly onError: (error: unknown, lines: number) => void,
  ) {}

  /** The sink of the JSON logger whose lines are recorded. */
  readonly sink: LogSink = {
    write: (line) => this.take(line),
    isTTY: false,
  };

  private take(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      // Our own JSON logger wrote it: not JSON means a logger of another format was attached.
      this.onError(new Error("a run log line was not JSON"), 1);
      return;
    }
    if (typeof parsed !== "object" || parsed === null) return;
    const { ts, level, msg, runId, ...fields } = parsed as Record<string, unknown>;
    if (typeof runId !== "string") return;
    const seq = this.counts.get(runId) ?? 0;
    this.counts.set(runId, seq + 1);
    if (seq > MAX_RUN_LOG_LINES) return;
    const entry: RunLogLine =
      seq === MAX_RUN_LOG_LINES
        ? {
            seq,
            ts: typeof ts === "string" ? ts : new Date().toISOString(),
            level: "warn",
            msg: `log truncated: lines after the first ${MAX_RUN_LOG_LINES} of this run are only in the process's own log`,
            fields: {},
          }
        : {
            seq,
            ts: typeof ts === "string" ? ts : new Date().toISOString(),
            level: (typeof level === "string" && LEVELS.includes(level)
              ? level
              : "info") as RunLogLine["level"],
            msg: typeof msg === "string" ? msg : String(msg),
            fields,
          };
    const list = this.pending.get(runId) ?? [];
    this.pending.set(runId, list);
    list.push(entry);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, FLUSH_MS);
  }

  /** Appends every pending line; resolves when they are in the ledger (or reported). */
  flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batches = [...this.pending.entries()];
    this.pending.clear();
    this.chain = this.chain.then(async () => {
      for (const [runId, lines] of batches) {
        try {
          await this.ledger.appendLogs(this.tenant, runId, lines);
        } catch (e) {
          this.onError(e, lines.length);
        }
      }
    });
    return this.chain;
  }
}

/**
 * `logger` teed into a recorder of run log lines for `ledger`; `flush` before closing the ledger.
 * Problems recording lines are logged to `logger` alone (they must not loop through the tee).
 */
export function recordRunLogs(
  logger: Logger,
  ledger: Ledger,
  tenant: string,
  level: LogLevel,
): { logger: Logger; flush: () => Promise<void> } {
  const recorder = new RunLogRecorder(ledger, tenant, (error, lines) =>
    logger.warn("run log lines not recorded in the ledger", {
      lines,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  const json = new Logger({}, recorder.sink, level, "json");
  return { logger: new TeeLogger(logger, json), flush: () => recorder.flush() };
}
