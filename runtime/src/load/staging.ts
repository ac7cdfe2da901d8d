/**
 * Hive external staging tables over a committed run's Parquet prefix: the bulk path from S3 into
 * Iceberg. Names carry a recognisable prefix, their creation time and the id of the run that made
 * them, so a sweep can drop the ones a killed process left behind: at once when the ledger says
 * their run has ended, else after a few hours.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../logger.js";
import type { TrinoClient } from "../trino/client.js";
import { ensureSchema } from "../trino/ensure.js";
import { quoteTrinoColumn, quoteTrinoIdent, stringLiteral } from "../trino/sql.js";
import { hiveTypeOf, type LoadColumn } from "./columns.js";

export const STAGING_PREFIX = "etl_stg_";
export const DEFAULT_STAGING_CATALOG = "hive";
export const DEFAULT_STAGING_SCHEMA = "etl_staging";

export interface StagingPlace {
  catalog: string;
  schema: string;
}

/** Session properties every statement reading a staging table needs (microsecond timestamps). */
export function stagingSession(place: StagingPlace): Record<string, string> {
  return { [`${place.catalog}.timestamp_precision`]: "MICROSECONDS" };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

const RUN_MARK = "__run_";
const runTag = (runId: string) =>
  runId
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "_")
    .slice(0, 40);

/**
 * `etl_stg_<yyyymmddhhmmss>_<hint>[__run_<run id>]_<random>`; the hint (tenant, pipeline) is for
 * humans only, the run id lets a later run of the tenant drop it once that run has ended.
 */
export function stagingTableName(hint: string, now: Date = new Date(), runId?: string): string {
  const clean = hint
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 60);
  const run = runId === undefined ? "" : `${RUN_MARK}${runTag(runId)}`;
  return `${STAGING_PREFIX}${stamp(now)}_${clean}${run}_${randomBytes(4).toString("hex")}`;
}

/** Whether a staging table name carries this run id (see stagingTableName). */
export function stagingOfRun(name: string, runId: string): boolean {
  const at = name.lastIndexOf(RUN_MARK);
  return at >= 0 && name.slice(at + RUN_MARK.length, -9) === runTag(runId);
}

/** Creation time encoded in a staging table name, or null for names this module did not make. */
export function stagingCreatedAt(name: string): Date | null {
  const m = /^etl_stg_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_/.exec(name);
  if (m === null) {
    return null;
  }
  const [, y, mo, d, h, mi, s] = m;
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(t) ? null : new Date(t);
}

function ref(place: StagingPlace, table: string): string {
  return `${quoteTrinoIdent(place.catalog, "staging catalog")}.${quoteTrinoIdent(place.schema, "staging schema")}.${quoteTrinoIdent(table, "staging table")}`;
}

/** Creates the staging schema when missing (race-safe: many loads start at once on a new stack). */
export async function ensureStagingSchema(client: TrinoClient, place: StagingPlace): Promise<void> {
  await ensureSchema(client, place);
}

/** Creates an external Parquet table over `location` (an s3:// prefix); returns its SQL name. */
export async function createStagingTable(
  client: TrinoClient,
  place: StagingPlace,
  table: string,
  columns: readonly LoadColumn[],
  location: string,
): Promise<string> {
  const name = ref(place, table);
  const cols = columns.map((c) => `${quoteTrinoColumn(c.name)} ${hiveTypeOf(c.type)}`);
  await client.execute(
    `CREATE TABLE ${name} (${cols.join(", ")}) WITH (external_location = ${stringLiteral(location)}, format = 'PARQUET')`,
    { session: stagingSession(place) },
  );
  return name;
}

/** Drops a staging table (external: the Parquet files stay where they are). */
export async function dropStagingTable(
  client: TrinoClient,
  place: StagingPlace,
  table: string,
): Promise<void> {
  await client.execute(`DROP TABLE IF EXISTS ${ref(place, table)}`);
}

/**
 * Drops staging tables left by killed processes: those made by one of `endedRuns` (runs the
 * ledger records as ended, so no load of theirs is in progress), and any older than
 * `olderThanHours`. Returns the names dropped. Other young tables may belong to a load in progress
 * and are left alone.
 */
export async function sweepStagingTables(
  client: TrinoClient,
  place: StagingPlace,
  olderThanHours: number,
  logger: Logger,
  now: Date = new Date(),
  endedRuns: readonly string[] = [],
): Promise<string[]> {
  const rows = await client.rows(
    `SELECT table_name FROM ${quoteTrinoIdent(place.catalog, "staging catalog")}.information_schema.tables WHERE table_schema = ${stringLiteral(place.schema.toLowerCase())} AND table_name LIKE ${stringLiteral(`${STAGING_PREFIX}%`)}`,
  );
  const cutoff = now.getTime() - olderThanHours * 3_600_000;
  const dropped: string[] = [];
  for (const r of rows) {
    const name = r.table_name;
    if (typeof name !== "string") {
      continue;
    }
    const created = stagingCreatedAt(name);
    if (created === null) {
      continue;
    }
    const endedRun = endedRuns.find((runId) => stagingOfRun(name, runId));
    if (endedRun === undefined && created.getTime() >= cutoff) {
      continue;
    }
    await dropStagingTable(client, place, name);
    logger.info("dropped orphaned staging table", {
      table: name,
      createdAt: created.toISOString(),
      ...(endedRun === undefined ? {} : { endedRun }),
    });
    dropped.push(name);
  }
  return dropped;
}
