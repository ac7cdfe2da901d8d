/**
 * Progress of long stages: a single rewritten line on a terminal, a JSON log line every few seconds
 * otherwise. Both carry rows, bytes and rate; the logger's bound context supplies tenant, run id,
 * asset key and partition.
 */
import { humanBytes } from "../log-format.js";
import type { Logger } from "../logger.js";

export interface ProgressUpdate {
  rows?: number;
  bytes?: number;
  /** Free text such as the current file or step. */
  detail?: string;
}

export interface Progress {
  /** Reports cumulative totals so far. */
  update(update: ProgressUpdate): void;
  /** Ends the progress display (clears the terminal line). */
  done(): void;
}

export interface ProgressOptions {
  logger: Logger;
  label: string;
  /** Terminal writer; null when stderr is not a TTY (JSON log lines are used instead). */
  tty: ((text: string) => void) | null;
  intervalMs?: number;
  now?: () => number;
}

/** Creates a progress reporter that throttles output to one line per interval. */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  const interval = options.intervalMs ?? (options.tty === null ? 5000 : 200);
  // The first report waits one interval: a stage shorter than that shows no progress at all
  // (its outcome line says the same, once).
  let last = started;
  let rows = 0;
  let bytes = 0;
  let detail: string | undefined;
  let drawn = false;
  const emit = (final: boolean) => {
    const elapsedS = Math.max(0.001, (now() - started) / 1000);
    const rowsPerS = Math.round(rows / elapsedS);
    const bytesPerS = Math.round(bytes / elapsedS);
    if (options.tty !== null) {
      const text = `${options.label}: ${rows.toLocaleString("en-US")} rows, ${humanBytes(bytes)} (${rowsPerS.toLocaleString("en-US")} rows/s, ${humanBytes(bytesPerS)}/s)${detail === undefined ? "" : ` ${detail}`}`;
      options.tty(`\r\x1b[2K${final ? "" : text}`);
      drawn = !final;
      return;
    }
    if (!final) {
      options.logger.info("progress", {
        rows,
        bytes,
        rowsPerSecond: rowsPerS,
        bytesPerSecond: bytesPerS,
        elapsedMs: Math.round(elapsedS * 1000),
        ...(detail === undefined ? {} : { detail }),
      });
    }
  };
  return {
    update(u) {
      rows = u.rows ?? rows;
      bytes = u.bytes ?? bytes;
      detail = u.detail ?? detail;
      const t = now();
      if (t - last >= interval) {
        last = t;
        emit(false);
      }
    },
    done() {
      if (drawn) {
        emit(true);
      }
    },
  };
}
