/**
 * Log line formats. `json`: one object per line, every field, for machines (log shippers, the
 * tests). `pretty`: one short line per event for a person at a terminal, in the manner of dbt's
 * and Dagster's command lines: time, level, the asset, what happened, and only the fields that
 * matter, humanised (`333 rows`, `9.2 KiB`, `0.24 s`). The run context (tenant, run id, job,
 * partition) is said once by "run started"; the JSON lines carry it on every line.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export const LOG_FORMATS = ["json", "pretty", "auto"] as const;
/** `auto`: pretty on a terminal, JSON otherwise. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The format named by `value` (`--log-format` / ETL_LOG_FORMAT), or null when unknown. */
export function parseLogFormat(value: string | undefined): LogFormat | null {
  if (value === undefined || value === "") return "auto";
  return (LOG_FORMATS as readonly string[]).includes(value) ? (value as LogFormat) : null;
}

/** Fields a pretty line leaves out: context said once per run, or details only machines need. */
const CONTEXT_FIELDS = new Set([
  "tenant",
  "environment",
  "runId",
  "job",
  "partition",
  "asset",
  "stage",
  "pipeline",
  "transform",
  "source",
]);
const DETAIL_FIELDS = new Set([
  "location",
  "manifest",
  "manifestKey",
  "schemaHash",
  "snapshotId",
  "queryId",
  "rowsPerSecond",
  "bytesPerSecond",
  "elapsedMs",
  "seconds",
  "durationMs",
  "attempts",
  "attempt",
  "rowsIn",
  "writeMode",
  "target",
  "created",
  "columnsAdded",
  // dbt's structured lines: the event name and node id are for machines.
  "event",
  "node",
]);

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function count(n: unknown, one: string, many = `${one}s`): string | null {
  // dbt reports -1 rows for a view: no count to tell.
  if (typeof n !== "number" || n < 0) return null;
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

function num(fields: LogFields, key: string): number | null {
  const v = fields[key];
  return typeof v === "number" ? v : null;
}

function str(fields: LogFields, key: string): string | null {
  const v = fields[key];
  return typeof v === "string" ? v : null;
}

function compact(value: unknown): string {
  const text =
    typeof value === "string"
      ? value
      : JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** `key=value` for what the message's own wording did not already say. */
function rest(fields: LogFields, used: readonly string[]): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (CONTEXT_FIELDS.has(key) || DETAIL_FIELDS.has(key) || used.includes(key)) continue;
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (key === "bytes" && typeof value === "number") {
      parts.push(humanBytes(value));
    } else if (key.endsWith("Ms") && typeof value === "number") {
      parts.push(`${key.slice(0, -2)} ${seconds(value)}`);
    } else {
      parts.push(`${key}=${compact(value)}`);
    }
  }
  return parts.join("  ");
}

function joined(...parts: (string | null | false)[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p !== "").join(", ");
}

/** The wording of the events a run prints most; others fall back to message + fields. */
function describe(msg: string, f: LogFields): string {
  const attempts = num(f, "attempts");
  const retried = attempts !== null && attempts > 1 ? `after ${attempts} attempts` : null;
  switch (msg) {
    case "run started":
      return `run ${str(f, "runId") ?? "?"} started: job ${str(f, "job") ?? "?"}${
        typeof f.partition === "string" ? `, partition ${f.partition}` : ""
      }, ${count(f.assets, "asset") ?? "assets"}`;
    case "run finished":
      return `run finished: ${String(f.status ?? "?").toUpperCase()} (${joined(
        count(f.succeeded, "succeeded", "succeeded"),
        count(f.failed, "failed", "failed"),
        count(f.skipped, "skipped", "skipped"),
      )})`;
    case "asset started":
      return "started";
    case "asset succeeded": {
      const inserted = num(f, "rowsInserted");
      const what =
        inserted !== null
          ? `${inserted} inserted, ${num(f, "rowsUpdated") ?? 0} updated, ${num(f, "rowsDeleted") ?? 0} deleted in ${str(f, "target") ?? "?"}`
          : joined(
              count(f.rows ?? f.rowsAffected, "row"),
              num(f, "bytes") ? humanBytes(num(f, "bytes") ?? 0) : null,
            );
      const details = joined(what, retried);
      return `OK in ${seconds(num(f, "durationMs") ?? 0)}${details === "" ? "" : ` (${details})`}`;
    }
    case "asset failed":
      return `FAILED${retried === null ? "" : ` ${retried}`}: ${String(f.error ?? "")}`;
    case "asset skipped":
      return `SKIPPED: ${String(f.reason ?? "")}`;
    case "target table ready":
      return f.created === true
        ? `created table ${str(f, "target") ?? ""}`
        : `added column(s) ${compact(f.columnsAdded)} to ${str(f, "target") ?? ""}`;
    case "check failed":
      return `check ${String(f.check ?? "?")} failed (${String(f.severity ?? "error")})${
        num(f, "failing") === null ? "" : `: ${count(f.failing, "failing row")}`
      }${Array.isArray(f.sample) && f.sample.length > 0 ? `, e.g. ${compact(f.sample)}` : ""}`;
    case "transient failure, retrying":
      return `transient failure, retrying in ${seconds(num(f, "delayMs") ?? 0)} (attempt ${num(f, "attempt") ?? "?"}): ${String(f.error ?? "")}`;
    case "progress":
      return `${joined(count(f.rows, "row"), num(f, "bytes") ? humanBytes(num(f, "bytes") ?? 0) : null)} so far (${(num(f, "rowsPerSecond") ?? 0).toLocaleString("en-US")} rows/s)`;
    default:
      return msg;
  }
}

/** Fields each described message already put into words. */
const DESCRIBED: Readonly<Record<string, readonly string[]>> = {
  "run started": ["assets", "trigger"],
  "run finished": ["status", "succeeded", "failed", "skipped"],
  "asset succeeded": [
    "rows",
    "bytes",
    "files",
    "rowsStaged",
    "rowsInserted",
    "rowsUpdated",
    "rowsDeleted",
    "tableCreated",
    "dbtUniqueId",
    "dbtStatus",
    "dbtInvocationId",
    "dbtBatchSize",
    "rowsAffected",
    "startedAt",
    "completedAt",
    "message",
    "watermark",
    "partition",
  ],
  "asset failed": ["error"],
  "asset skipped": ["reason"],
  "check failed": ["check", "severity", "failing", "sample", "type"],
  "transient failure, retrying": ["delayMs", "error"],
  progress: ["rows", "bytes", "detail"],
};

const COLORS: Record<LogLevel, string> = {
  debug: "\x1b[2m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

/** `asset key` without its tenant: `extract/equipment_event`, `dbt/stg_items`. */
function scope(fields: LogFields): string {
  const asset = str(fields, "asset");
  if (asset === null) return "";
  const slash = asset.indexOf("/");
  return slash < 0 ? asset : asset.slice(slash + 1);
}

/**
 * Info events whose content the asset's outcome line repeats (`OK in 0.29 s (333 rows, 14.3
 * KiB)`): a person reads it once; the JSON lines keep every one of them.
 */
const REPEATED_BY_OUTCOME = new Set(["partition committed", "extract done", "load committed"]);

/**
 * One pretty line (with its newline) for a log event, or null for an info event the asset's
 * outcome line repeats.
 */
export function formatPretty(
  level: LogLevel,
  msg: string,
  fields: LogFields,
  options: { now?: Date; color?: boolean } = {},
): string | null {
  if (level === "info" && (REPEATED_BY_OUTCOME.has(msg) || /^dbt asset \S+ success$/.test(msg))) {
    return null;
  }
  // dbt separates its report with blank lines; a person's terminal needs no empty events.
  if (msg.trim() === "") return null;
  const now = options.now ?? new Date();
  const time = [now.getHours(), now.getMinutes(), now.getSeconds()]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
  const tag = level.toUpperCase().padEnd(5);
  const levelText = options.color === true ? `${COLORS[level]}${tag}\x1b[0m` : tag;
  const where = scope(fields);
  const text = describe(msg, fields);
  const extra = rest(fields, DESCRIBED[msg] ?? []);
  const attempt = num(fields, "attempt");
  const again =
    attempt !== null && attempt > 1 && msg !== "transient failure, retrying"
      ? `  (attempt ${attempt})`
      : "";
  const head = `${time}  ${levelText}  ${where === "" ? "" : `${where.padEnd(28)}  `}`;
  // One event, one line: a message or error that spans lines is joined.
  const body = `${text}${extra === "" ? "" : `  ${extra}`}`.replace(/\s*\n\s*/g, " / ");
  return `${head}${body}${again}\n`;
}
