/**
 * Run history as Parquet on the tenant's storage, for SQL over run history in Trino (what the
 * replaced system's run-log sensor provided). Each run writes two small files under
 * `<base_path>/_runs/dt=<UTC day the run started>/`: `<run id>-start.parquet` when it starts, and
 * `<run id>-end.parquet` with every asset and check event plus `run_finished` when it ends. The
 * ledger stays the source of truth (it is what `status` and backfill read); this is a copy for
 * analysis, so a run whose history could not be written still counts as done, loudly logged.
 */
import {
  Bool,
  Int32,
  type RecordBatch,
  Table,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { z } from "zod";
import type { RunObserver } from "../executor/observer.js";
import { type Logger, redact } from "../logger.js";
import { parquetStream } from "../parquet/writer.js";
import { type RetryPolicy, withRetry } from "../retry/index.js";
import type { Storage } from "../storage/storage.js";
import type { TrinoClient } from "../trino/client.js";
import { ensureCreated, ensureSchema } from "../trino/ensure.js";
import type { CheckRecord, MaterializationRecord, RunRecord } from "./types.js";

export const RUN_EVENT_TYPES = [
  "run_started",
  "run_finished",
  "asset_materialized",
  "asset_failed",
  "asset_skipped",
  "check_result",
] as const;

export const RunEventSchema = z.strictObject({
  event_type: z.enum(RUN_EVENT_TYPES),
  event_time: z.string(),
  run_id: z.string(),
  tenant: z.string(),
  environment: z.string(),
  job: z.string(),
  /** The run's partition (YYYY-MM-DD) or null; for assets, the asset's partition. */
  partition_key: z.string().nullable(),
  trigger: z.string(),
  asset_key: z.string().nullable(),
  /** Run: running/succeeded/failed/cancelled; asset: succeeded/failed/skipped; check: passed/failed. */
  status: z.string(),
  attempts: z.number().int().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  check_name: z.string().nullable(),
  check_severity: z.enum(["warn", "error"]).nullable(),
  check_passed: z.boolean().nullable(),
  error: z.string().nullable(),
  /** JSON text of what the stage or check recorded. */
  metadata: z.string(),
});
export type RunEvent = z.infer<typeof RunEventSchema>;

/** Columns of the Parquet files and of the Trino table over them (same order). */
export const RUN_EVENT_COLUMNS: readonly { name: keyof RunEvent; trino: string }[] = [
  { name: "event_type", trino: "varchar" },
  { name: "event_time", trino: "varchar" },
  { name: "run_id", trino: "varchar" },
  { name: "tenant", trino: "varchar" },
  { name: "environment", trino: "varchar" },
  { name: "job", trino: "varchar" },
  { name: "partition_key", trino: "varchar" },
  { name: "trigger", trino: "varchar" },
  { name: "asset_key", trino: "varchar" },
  { name: "status", trino: "varchar" },
  { name: "attempts", trino: "integer" },
  { name: "started_at", trino: "varchar" },
  { name: "finished_at", trino: "varchar" },
  { name: "check_name", trino: "varchar" },
  { name: "check_severity", trino: "varchar" },
  { name: "check_passed", trino: "boolean" },
  { name: "error", trino: "varchar" },
  { name: "metadata", trino: "varchar" },
];

/** Folder of run history under the tenant's base path. */
export const RUN_HISTORY_PREFIX = "_runs";

/** Default place of the history table: `hive.etl_ops.<tenant>_runs`. */
export const DEFAULT_RUN_HISTORY_CATALOG = "hive";
export const DEFAULT_RUN_HISTORY_SCHEMA = "etl_ops";
export function runHistoryTableName(tenantId: string): string {
  return `${tenantId}_runs`;
}

/** Where the history table lives in Trino. */
export interface RunHistoryTablePlace {
  catalog: string;
  schema: string;
  table: string;
}

/** Key of one history file of a run. */
export function runHistoryKey(run: Pick<RunRecord, "runId" | "startedAt">, part: string): string {
  return `${RUN_HISTORY_PREFIX}/dt=${run.startedAt.slice(0, 10)}/${run.runId}-${part}.parquet`;
}

/**
 * The Trino DDL of the history table (Hive connector, external Parquet partitioned by `dt`) and
 * the call that registers partitions written since; docs/operations.md shows the same statements.
 */
export function runHistoryTableSql(opts: {
  catalog: string;
  schema: string;
  table: string;
  /** `s3://bucket/<base_path>/_runs/`. */
  location: string;
}): { createSchema: string; createTable: string; syncPartitions: string } {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const cols = RUN_EVENT_COLUMNS.map((c) => `${q(c.name)} ${c.trino}`);
  return {
    createSchema: `CREATE SCHEMA IF NOT EXISTS ${q(opts.catalog)}.${q(opts.schema)}`,
    createTable: `CREATE TABLE IF NOT EXISTS ${q(opts.catalog)}.${q(opts.schema)}.${q(opts.table)} (${cols.join(", ")}, "dt" varchar) WITH (external_location = ${lit(opts.location)}, format = 'PARQUET', partitioned_by = ARRAY['dt'])`,
    syncPartitions: `CALL ${q(opts.catalog)}.system.sync_partition_metadata(${lit(opts.schema)}, ${lit(opts.table)}, 'ADD')`,
  };
}

/**
 * Creates the history table over `location` when missing (race-safe: every tenant's first run
 * may do it at once) and registers the day partitions written since. Returns whether this call
 * created the table.
 */
export async function registerRunHistoryTable(
  client: TrinoClient,
  place: RunHistoryTablePlace,
  location: string,
): Promise<boolean> {
  const sql = runHistoryTableSql({ ...place, location });
  await ensureSchema(client, place);
  const ensured = await ensureCreated(client, place, sql.createTable);
  await client.execute(sql.syncPartitions);
  return ensured.created;
}

function json(value: unknown): string {
  return redact(JSON.stringify(value));
}

function base(run: RunRecord, time: string) {
  return {
    event_time: time,
    run_id: run.runId,
    tenant: run.tenant,
    environment: run.environment,
    job: run.job,
    trigger: run.trigger,
  };
}

/** The event of a run starting or finishing. */
export function runEvent(run: RunRecord, type: "run_started" | "run_finished"): RunEvent {
  return {
    ...base(run, type === "run_started" ? run.startedAt : (run.finishedAt ?? run.startedAt)),
    event_type: type,
    partition_key: run.partition,
    asset_key: null,
    status: run.status,
    attempts: null,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    check_name: null,
    check_severity: null,
    check_passed: null,
    error: run.error === null ? null : redact(run.error),
    metadata: json({
      select: run.select,
      succeeded: run.succeeded,
      failed: run.failed,
      skipped: run.skipped,
      host: run.host,
      pid: run.pid,
    }),
  };
}

/** The event of an asset's materialisation (succeeded, failed or skipped). */
export function assetEvent(run: RunRecord, m: MaterializationRecord): RunEvent {
  const type =
    m.status === "succeeded"
      ? "asset_materialized"
      : m.status === "failed"
        ? "asset_failed"
        : "asset_skipped";
  return {
    ...base(run, m.finishedAt),
    event_type: type,
    partition_key: m.partition,
    asset_key: m.assetKey,
    status: m.status,
    attempts: m.attempts,
    started_at: m.startedAt,
    finished_at: m.finishedAt,
    check_name: null,
    check_severity: null,
    check_passed: null,
    error: m.error === null ? null : redact(m.error),
    metadata: json(m.metadata),
  };
}

/** The event of one check result. */
export function checkEvent(run: RunRecord, c: CheckRecord): RunEvent {
  return {
    ...base(run, c.checkedAt),
    event_type: "check_result",
    partition_key: c.partition,
    asset_key: c.assetKey,
    status: c.passed ? "passed" : "failed",
    attempts: null,
    started_at: null,
    finished_at: c.checkedAt,
    check_name: c.checkName,
    check_severity: c.severity,
    check_passed: c.passed,
    error: null,
    metadata: json(c.metadata),
  };
}

function eventBatch(events: readonly RunEvent[]): RecordBatch {
  const columns: Record<string, Vector> = {};
  for (const c of RUN_EVENT_COLUMNS) {
    const values = events.map((e) => e[c.name]);
    if (c.trino === "integer") {
      columns[c.name] = vectorFromArray(
        values.map((v) => (typeof v === "number" ? v : null)),
        new Int32(),
      );
    } else if (c.trino === "boolean") {
      columns[c.name] = vectorFromArray(
        values.map((v) => (typeof v === "boolean" ? v : null)),
        new Bool(),
      );
    } else {
      columns[c.name] = vectorFromArray(
        values.map((v) => (v === null ? null : String(v))),
        new Utf8(),
      );
    }
  }
  const batch = new Table(columns).batches[0];
  if (batch === undefined) {
    throw new Error("internal: run history events produced no Arrow batch");
  }
  return batch;
}

/** Encodes events as one Parquet file (zstd). */
export async function encodeRunEvents(events: readonly RunEvent[]): Promise<Uint8Array> {
  const batch = eventBatch(events);
  async function* one() {
    yield batch;
  }
  const stream = await parquetStream(one(), { compression: "zstd", rowGroupRows: 10_000 });
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks);
}

/** The Trino table a RunHistory keeps registered over its files (S3 storage only). */
export interface RunHistoryTable {
  client: TrinoClient;
  place: RunHistoryTablePlace;
}

/** Writes a run's history files, retrying transient storage failures. */
export class RunHistory {
  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
    private readonly retry: RetryPolicy,
    private readonly signal?: AbortSignal,
    private readonly table: RunHistoryTable | null = null,
  ) {}

  /**
   * Makes the run's history queryable in Trino: creates the table when missing and registers
   * new day partitions. Only with a table to keep (the plan names one) and S3 storage (Trino
   * cannot read local files). A failure is logged and the run goes on: the files and the ledger
   * hold the events.
   */
  async publish(): Promise<boolean> {
    if (this.table === null || this.storage.kind !== "s3") {
      return false;
    }
    const { client, place } = this.table;
    const name = `${place.catalog}.${place.schema}.${place.table}`;
    try {
      const created = await registerRunHistoryTable(client, place, this.location());
      if (created) this.logger.info("run history table created", { table: name });
      return true;
    } catch (e) {
      this.logger.warn(
        "run history table not registered (the files and the ledger have the events)",
        {
          table: name,
          error: e instanceof Error ? e.message : String(e),
        },
      );
      return false;
    }
  }

  /** Where history goes, for `status` and the docs (`s3://.../_runs/`). */
  location(): string {
    return this.storage.uri(`${RUN_HISTORY_PREFIX}/`);
  }

  /**
   * Writes `events` as `<run id>-<part>.parquet`. Returns the key, or null when the write failed
   * for good: that is logged as an error with the key and cause, and the run goes on, because the
   * ledger already holds every event this file copies.
   */
  async write(run: RunRecord, part: string, events: readonly RunEvent[]): Promise<string | null> {
    const key = runHistoryKey(run, part);
    try {
      const bytes = await encodeRunEvents(events);
      await withRetry(
        () => this.storage.put(key, bytes, "application/vnd.apache.parquet"),
        this.retry,
        {
          ...(this.signal === undefined ? {} : { signal: this.signal }),
          onRetry: ({ attempt, delayMs, error }) =>
            this.logger.warn("run history write failed, retrying", {
              key,
              attempt,
              delayMs,
              error: error instanceof Error ? error.message : String(error),
            }),
        },
      );
      return key;
    } catch (e) {
      this.logger.error("run history not written (the ledger has the events)", {
        key: this.storage.uri(key),
        events: events.length,
        error: e instanceof Error ? e.message : String(e),
      });
      return null;
    }
  }
}

/**
 * Run history as an observer of runs: the start file when a run starts, written in the background
 * (storage may be retrying: the run does not wait for it), and when it finishes, once the start
 * file is settled so the two never race, the end file with every asset and check event, and the
 * Trino table registration. One observer serves concurrent runs (a backfill's), each by its id.
 */
export class RunHistoryObserver implements RunObserver {
  readonly name = "run history";
  private readonly runs = new Map<string, { startFile: Promise<unknown>; events: RunEvent[] }>();

  constructor(private readonly history: RunHistory) {}

  async runStarted(run: RunRecord): Promise<void> {
    const startFile = this.history.write(run, "start", [runEvent(run, "run_started")]);
    this.runs.set(run.runId, { startFile, events: [] });
  }

  async assetFinished(event: { run: RunRecord; materialization: MaterializationRecord }) {
    this.runs.get(event.run.runId)?.events.push(assetEvent(event.run, event.materialization));
  }

  async checkEvaluated(event: { run: RunRecord; check: CheckRecord }) {
    this.runs.get(event.run.runId)?.events.push(checkEvent(event.run, event.check));
  }

  /** A run this observer did not see start (one found interrupted) gets its end file alone. */
  async runFinished(run: RunRecord): Promise<void> {
    const state = this.runs.get(run.runId);
    this.runs.delete(run.runId);
    await state?.startFile;
    await this.history.write(run, "end", [...(state?.events ?? []), runEvent(run, "run_finished")]);
    await this.history.publish();
  }
}
