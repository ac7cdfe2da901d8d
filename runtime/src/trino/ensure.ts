/**
 * The one race-safe way to make sure a schema or table exists in Trino. Every stage and the run
 * history writer go through it.
 *
 * `CREATE ... IF NOT EXISTS` is not atomic in Trino's connectors: the check and the create are two
 * steps, and when several statements race on an object that does not exist yet, every loser fails
 * although the object now exists. Seen on this stack with 8 statements at once on a new name:
 * the Hive file metastore answers `ALREADY_EXISTS (USER_ERROR): Schema already exists`, Iceberg's
 * JDBC catalog `ICEBERG_CATALOG_ERROR: Failed to create a namespace` for schemas and a PostgreSQL
 * duplicate-key `GENERIC_INTERNAL_ERROR` for tables. The outcome the caller asked for, an existing
 * object, is reached in all three cases, so a failed CREATE is success when the object exists
 * afterwards; anything else is raised with the object's name.
 */
import type { TrinoClient } from "./client.js";
import { quoteTrinoIdent, stringLiteral } from "./sql.js";

/** A schema, or a table when `table` is set. */
export interface TrinoObjectRef {
  catalog: string;
  schema: string;
  table?: string;
}

/** Outcome of an ensure call: whether this call's statement created the object. */
export interface Ensured {
  created: boolean;
}

/**
 * Error for a CREATE that failed while the object still does not exist. Transient when its cause
 * is (a lost race the catalog does not show yet, a busy server): the retry policy runs it again.
 */
export class EnsureObjectError extends Error {
  override readonly name = "EnsureObjectError";
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const cause = options?.cause;
    this.transient =
      typeof cause === "object" &&
      cause !== null &&
      "transient" in cause &&
      cause.transient === true;
  }
}

const IF_NOT_EXISTS_DDL = /^\s*CREATE\s+(SCHEMA|TABLE)\s+IF\s+NOT\s+EXISTS\s/i;

/**
 * Whether a failed statement is an `IF NOT EXISTS` create that lost a race: running it again
 * finds the object and succeeds, so the retry policy may treat it as transient (never as a
 * permanent user error). Used by the Trino client's classification.
 */
export function lostCreateRace(sql: string, errorName: string | null, message: string): boolean {
  if (!IF_NOT_EXISTS_DDL.test(sql)) {
    return false;
  }
  return (
    errorName === "ALREADY_EXISTS" ||
    /already exists|duplicate key value|Failed to create a namespace/i.test(message)
  );
}

function errorNameOf(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("details" in error)) return null;
  const details: unknown = error.details;
  if (typeof details !== "object" || details === null || !("errorName" in details)) return null;
  return typeof details.errorName === "string" ? details.errorName : null;
}

/** `"catalog"."schema"` or `"catalog"."schema"."table"`, validated. */
export function objectName(ref: TrinoObjectRef): string {
  const schema = `${quoteTrinoIdent(ref.catalog, "catalog")}.${quoteTrinoIdent(ref.schema, "schema")}`;
  return ref.table === undefined ? schema : `${schema}.${quoteTrinoIdent(ref.table, "table")}`;
}

/** Whether the schema (or table) exists, asked of the catalog's information_schema. */
export async function objectExists(client: TrinoClient, ref: TrinoObjectRef): Promise<boolean> {
  const catalog = quoteTrinoIdent(ref.catalog, "catalog");
  const schema = stringLiteral(ref.schema.toLowerCase());
  const sql =
    ref.table === undefined
      ? `SELECT 1 FROM ${catalog}.information_schema.schemata WHERE schema_name = ${schema}`
      : `SELECT 1 FROM ${catalog}.information_schema.tables WHERE table_schema = ${schema} AND table_name = ${stringLiteral(ref.table.toLowerCase())}`;
  return (await client.rows(sql)).length > 0;
}

/**
 * Runs `sql`, a `CREATE SCHEMA|TABLE IF NOT EXISTS` of `ref`, and succeeds whenever the object
 * exists afterwards: one statement on the common path, the existence query only after a failure.
 */
export async function ensureCreated(
  client: TrinoClient,
  ref: TrinoObjectRef,
  sql: string,
): Promise<Ensured> {
  const kind = ref.table === undefined ? "SCHEMA" : "TABLE";
  if (!new RegExp(`^\\s*CREATE\\s+${kind}\\s+IF\\s+NOT\\s+EXISTS\\s`, "i").test(sql)) {
    throw new EnsureObjectError(
      `internal: ensureCreated(${objectName(ref)}) needs a CREATE ${kind} IF NOT EXISTS statement`,
    );
  }
  const failure = await client.execute(sql).then(
    () => null,
    (error: unknown) => error,
  );
  if (failure === null) {
    return { created: true };
  }
  // Trino's own answer is authoritative; other race errors are confirmed by looking.
  if (errorNameOf(failure) === "ALREADY_EXISTS" || (await objectExists(client, ref))) {
    return { created: false };
  }
  const reason = failure instanceof Error ? failure.message : String(failure);
  throw new EnsureObjectError(`creating ${objectName(ref)} failed: ${reason}`, {
    cause: failure,
  });
}

/** Makes sure `catalog.schema` exists. */
export function ensureSchema(
  client: TrinoClient,
  ref: { catalog: string; schema: string },
): Promise<Ensured> {
  const schema = { catalog: ref.catalog, schema: ref.schema };
  return ensureCreated(client, schema, `CREATE SCHEMA IF NOT EXISTS ${objectName(schema)}`);
}

/**
 * Makes sure a table exists: its schema first, then `CREATE TABLE IF NOT EXISTS <name> <rest>`,
 * where `definition` is what follows the name (the column list and the WITH clause).
 */
export async function ensureTable(
  client: TrinoClient,
  ref: { catalog: string; schema: string; table: string },
  definition: string,
): Promise<Ensured> {
  await ensureSchema(client, ref);
  return ensureCreated(client, ref, `CREATE TABLE IF NOT EXISTS ${objectName(ref)} ${definition}`);
}
