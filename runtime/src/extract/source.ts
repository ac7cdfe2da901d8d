/**
 * The extract's side of the source database: the connection, the snapshot it reads in, and what
 * to read from it (the live columns checked against the plan's snapshot, their target names, the
 * partition and watermark predicates, the one statement that COPY runs).
 */
import pg from "pg";
import { deriveTargetNames } from "../contract/naming.js";
import { type Logger, registerSecret } from "../logger.js";
import { describeStatement } from "../pg/describe.js";
import {
  compareColumns,
  describeDrift,
  introspectQuery,
  introspectRelation,
} from "../pg/introspect.js";
import {
  DEFAULT_TARGET_COLUMNS,
  type PipelinePlan,
  type SourceColumn,
  schemaHashOf,
} from "../plan.js";
import type { PostgresSettings } from "../resources.js";
import type { Storage } from "../storage/storage.js";
import { type ExtractColumn, planColumns } from "./columns.js";
import {
  buildSelect,
  incrementalPredicate,
  partitionPredicate,
  relationName,
  type Source,
} from "./query.js";
import { readWatermark, watermarkKey } from "./watermark.js";

/** An open connection to the tenant's source database. */
export interface SourceConnection {
  client: pg.Client;
  /** The error pg reported when the connection was lost, else null. */
  lost(): Error | null;
  /** Closes the connection; a failure is logged (the extract's outcome is already decided). */
  end(): Promise<void>;
}

/** Connects to the source; a refused connection names the server it tried. */
export async function connectSource(
  settings: PostgresSettings,
  applicationName: string,
  logger: Logger,
): Promise<SourceConnection> {
  registerSecret(settings.password);
  const client = new pg.Client({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password: settings.password,
    application_name: applicationName,
  });
  // pg reports a lost connection twice: to the running query (which fails the extract with it) and
  // as a client 'error' event, which would crash the process without a listener. The query's
  // failure carries the error; here it is only logged.
  let lost: Error | null = null;
  client.on("error", (error: Error) => {
    lost = error;
    logger.warn("source PostgreSQL connection lost", { error: error.message });
  });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot connect to source PostgreSQL ${settings.user}@${settings.host}:${settings.port}/${settings.database}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    client,
    lost: () => lost,
    end: () =>
      client.end().catch((endError: unknown) => {
        logger.warn("closing the source connection failed", {
          error: (endError as Error).message,
        });
      }),
  };
}

/**
 * Session settings the text form of text-carried types depends on (dates inside ranges and
 * composites, intervals, floats inside geometric types, bytea inside composites), fixed for the
 * extract's transaction so the same value always gives the same text (docs/types.md).
 */
const TEXT_OUTPUT_SETTINGS: readonly [string, string][] = [
  ["DateStyle", "ISO, MDY"],
  ["IntervalStyle", "postgres"],
  ["extra_float_digits", "1"],
  ["bytea_output", "hex"],
];

/**
 * A read-only repeatable-read transaction: introspection and COPY see one snapshot. With
 * `snapshot` (a `pg_export_snapshot()` id of a transaction still open), the transaction reads that
 * snapshot instead of taking its own: the ranges of a parallel extract read one and the same.
 */
export async function beginSnapshot(client: pg.Client, snapshot?: string): Promise<void> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (snapshot !== undefined) {
    // Must come before any query of the transaction; the id is checked, it cannot take parameters.
    if (!/^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i.test(snapshot)) {
      throw new Error(`internal: unexpected exported snapshot id ${JSON.stringify(snapshot)}`);
    }
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
  }
  await client.query(
    `SELECT ${TEXT_OUTPUT_SETTINGS.map((_, i) => `pg_catalog.set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ")}`,
    TEXT_OUTPUT_SETTINGS.flat(),
  );
}

/** What one extract reads: decided from the live source before any row is read. */
export interface ExtractQuery {
  /** The live columns, as the snapshot's introspection sees them. */
  live: SourceColumn[];
  /** Hash of the live columns (the manifest's and each file's schema hash). */
  schemaHash: string;
  columns: ExtractColumn[];
  /** The SELECT the COPY wraps. */
  sql: string;
  /** The partition and watermark predicates in `sql` (a parallel extract adds its range's). */
  predicates: string[];
  /** The incremental cursor column, null for full extracts. */
  cursor: ExtractColumn | null;
  /** The stored watermark this extract starts after, null for full extracts and first runs. */
  previousWatermark: string | null;
}

/** What `planQuery` reads besides the connection. */
export interface QueryInputs {
  pipeline: PipelinePlan;
  partition: string | null;
  timeZone: string;
  tenantId: string;
  /** Where the pipeline's watermark is stored. */
  storage: Storage;
  source: Source;
  logger: Logger;
}

/** Introspects the source in the snapshot and decides the extract's columns and statement. */
export async function planQuery(client: pg.Client, inputs: QueryInputs): Promise<ExtractQuery> {
  const { pipeline: plan, source } = inputs;
  const relation = relationName(source);
  const live = await liveColumns(client, source);
  checkDrift(inputs, relation, live);
  const columns = extractColumns(plan, relation, live);
  const predicates: string[] = [];
  if (inputs.partition !== null && plan.dateColumn !== null) {
    await assertZoneKnown(client, inputs.timeZone);
    predicates.push(
      partitionPredicate(columns, plan.dateColumn, inputs.partition, inputs.timeZone),
    );
  }
  const incremental = await watermarkFilter(inputs, columns);
  if (incremental.predicate !== null) {
    predicates.push(incremental.predicate);
  }
  const sql = buildSelect(source, columns, predicates);
  inputs.logger.debug("extract query", { sql });
  await assertOneStatement(client, plan, sql);
  return {
    live,
    schemaHash: schemaHashOf(live),
    columns,
    sql,
    predicates,
    cursor: incremental.cursor,
    previousWatermark: incremental.previous,
  };
}

async function liveColumns(client: pg.Client, source: Source): Promise<SourceColumn[]> {
  if (source.query !== null) {
    return introspectQuery(client, source.schema, source.query);
  }
  if (source.table === null) {
    throw new Error("a pipeline needs either source_table or query");
  }
  return introspectRelation(client, source.schema, source.table);
}

/** Refuses live columns that differ from the plan's snapshot; warns when there is none. */
function checkDrift(
  inputs: Pick<QueryInputs, "pipeline" | "tenantId" | "logger">,
  relation: string,
  live: readonly SourceColumn[],
): void {
  const { pipeline: plan, tenantId } = inputs;
  if (plan.columns === null) {
    inputs.logger.warn(
      "pipeline has no schema snapshot: the source schema is not checked for drift; run `npm run introspect` to take one",
    );
    return;
  }
  const diffs = compareColumns(plan.columns, live);
  if (diffs.length > 0) {
    throw new Error(describeDrift(`${tenantId}/${plan.name} (${relation})`, tenantId, diffs));
  }
}

/**
 * Target names of the live columns: the generator's, from the snapshot (the drift check has just
 * proven the live columns equal it), else derived here with the plan's convention, before any row
 * is read, so a name the target cannot hold never fails the load after the data was copied.
 */
export function targetNamesOf(plan: PipelinePlan, live: readonly SourceColumn[]): string[] {
  const target = plan.targetColumns ?? DEFAULT_TARGET_COLUMNS;
  if (plan.columns !== null && target.names !== null && target.names.length === live.length) {
    return target.names;
  }
  const derived = deriveTargetNames(
    live.map((c) => c.name),
    target.naming,
  );
  if (!derived.ok) {
    throw new Error(
      `pipeline ${plan.name}: ${derived.problems.length} source column name(s) cannot become target columns (nothing was extracted):\n  ${derived.problems.map((p) => `${p.message}; ${p.hint}`).join("\n  ")}\ntake a snapshot (npm run introspect) so the generator reports this before deployment`,
    );
  }
  return derived.names;
}

/** Every live column planned under the pipeline's type policy; all unsupported ones at once. */
function extractColumns(
  plan: PipelinePlan,
  relation: string,
  live: readonly SourceColumn[],
): ExtractColumn[] {
  const planned = planColumns(
    relation,
    live,
    targetNamesOf(plan, live),
    (plan.targetColumns ?? DEFAULT_TARGET_COLUMNS).unmappedTypes,
  );
  if (!planned.ok) {
    throw new Error(
      `pipeline ${plan.name}: ${planned.errors.length} column(s) cannot be extracted:\n  ${planned.errors.join("\n  ")}`,
    );
  }
  return planned.columns;
}

async function assertZoneKnown(client: pg.Client, timeZone: string): Promise<void> {
  const known = await client.query("SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = $1", [
    timeZone,
  ]);
  if (known.rowCount === 0) {
    throw new Error(
      `partition time zone "${timeZone}" is unknown to the source PostgreSQL (pg_timezone_names)`,
    );
  }
}

/** The incremental cursor, the stored watermark and the predicate reading past it. */
async function watermarkFilter(
  inputs: Pick<QueryInputs, "pipeline" | "partition" | "storage">,
  columns: readonly ExtractColumn[],
): Promise<{ cursor: ExtractColumn | null; previous: string | null; predicate: string | null }> {
  const { pipeline: plan, partition, storage } = inputs;
  if (plan.incremental === null) {
    return { cursor: null, previous: null, predicate: null };
  }
  const cursorName = plan.incremental.cursorColumn;
  const cursor = columns.find((c) => c.source.name === cursorName) ?? null;
  const stored = await readWatermark(storage, plan.name, partition);
  if (stored !== null && stored.cursorColumn !== cursorName) {
    throw new Error(
      `stored watermark ${storage.uri(watermarkKey(plan.name, partition))} is for cursor column ${stored.cursorColumn}, the pipeline now uses ${cursorName}: delete the watermark file to re-extract everything`,
    );
  }
  const previous = stored?.value ?? null;
  if (previous === null) {
    // Validates the cursor column even on the first (full) run.
    incrementalPredicate(columns, cursorName, "0", 0);
    return { cursor, previous, predicate: null };
  }
  const predicate = incrementalPredicate(
    columns,
    cursorName,
    previous,
    plan.incremental.lookbackSeconds,
  );
  return { cursor, previous, predicate };
}

/**
 * COPY goes through the simple protocol, which runs every statement of its text: the exact SELECT
 * is first parsed alone (Parse takes one statement), so the COPY around it is one too.
 */
export async function assertOneStatement(client: pg.Client, plan: PipelinePlan, sql: string) {
  await describeStatement(client, sql).catch((error: unknown) => {
    throw new Error(
      `pipeline ${plan.name}: the extract statement is not exactly one statement (${(error as Error).message}); nothing was extracted`,
      { cause: error },
    );
  });
}
