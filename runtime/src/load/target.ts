/**
 * The Iceberg target table: created when missing, evolved by ADD COLUMN when the staged data has
 * new columns, and refused with a clear message when a column's type changed.
 */
import type { TrinoClient } from "../trino/client.js";
import { ensureCreated, ensureSchema } from "../trino/ensure.js";
import {
  normaliseType,
  quoteTrinoColumn,
  quoteTrinoIdent,
  stringLiteral,
  trinoQualifiedName,
} from "../trino/sql.js";
import type { LoadColumn } from "./columns.js";

export interface TargetTable {
  catalog: string;
  schema: string;
  table: string;
}

/** Error for a target table whose existing shape the load cannot write into. */
export class TargetSchemaError extends Error {
  override readonly name = "TargetSchemaError";
  readonly transient = false;
}

export function targetName(t: TargetTable): string {
  return trinoQualifiedName(t.catalog, t.schema, t.table);
}

/** Columns of an existing table (lower-cased names, normalised types), or null when absent. */
export async function describeTable(
  client: TrinoClient,
  t: TargetTable,
): Promise<LoadColumn[] | null> {
  const rows = await client.rows(
    `SELECT column_name, data_type FROM ${quoteTrinoIdent(t.catalog, "catalog")}.information_schema.columns WHERE table_schema = ${stringLiteral(t.schema.toLowerCase())} AND table_name = ${stringLiteral(t.table.toLowerCase())} ORDER BY ordinal_position`,
  );
  if (rows.length === 0) {
    return null;
  }
  return rows.map((r) => ({
    name: String(r.column_name),
    type: normaliseType(String(r.data_type)),
  }));
}

export interface EnsureResult {
  created: boolean;
  columnsAdded: string[];
  /** The table's columns after the call. */
  columns: LoadColumn[];
}

/**
 * Makes the target table hold every wanted column with the wanted type: CREATE when missing
 * (partitioned by `tenantColumn`, then by day on `partitionColumn`), ADD COLUMN for new ones, an
 * error for changed types.
 */
export async function ensureTargetTable(
  client: TrinoClient,
  t: TargetTable,
  wanted: readonly LoadColumn[],
  partitionColumn: string | null,
  tenantColumn: string | null = null,
  /** The table's columns as the caller just described them (its schema exists); absent: asked. */
  described?: LoadColumn[],
): Promise<EnsureResult> {
  let existing: LoadColumn[] | null;
  if (described === undefined) {
    await ensureSchema(client, t);
    existing = await describeTable(client, t);
  } else {
    existing = described;
  }
  let created = false;
  if (existing === null) {
    created = await createTable(client, t, wanted, partitionColumn, tenantColumn);
    existing = await describeTable(client, t);
    if (existing === null) {
      throw new TargetSchemaError(`table ${targetName(t)} is missing right after CREATE TABLE`);
    }
  }
  checkTypes(t, existing, wanted);
  const have = new Set(existing.map((c) => c.name.toLowerCase()));
  const added: string[] = [];
  for (const c of wanted) {
    if (have.has(c.name.toLowerCase())) {
      continue;
    }
    // Concurrent loads may race on the same new column; IF NOT EXISTS keeps the loser quiet.
    await client.execute(
      `ALTER TABLE ${targetName(t)} ADD COLUMN IF NOT EXISTS ${quoteTrinoColumn(c.name)} ${c.type}`,
    );
    added.push(c.name.toLowerCase());
  }
  const columns = added.length === 0 ? existing : await describeTable(client, t);
  if (columns === null) {
    throw new TargetSchemaError(`table ${targetName(t)} disappeared while adding columns`);
  }
  return { created, columnsAdded: added, columns };
}

/**
 * CREATE TABLE IF NOT EXISTS partitioned by the tenant column (identity) and by day; a table
 * another load created at the same moment is taken as is (the caller then evolves its columns).
 * Returns whether this call created it.
 *
 * The tenant column comes first because tables are shared by tenants: each tenant's loads and
 * its maintenance job's compaction (`optimize ... WHERE <tenant column> = ...`, which Trino
 * allows on identity partition columns only) then touch that tenant's files alone, and loads of
 * two tenants into one day never conflict on commit.
 */
async function createTable(
  client: TrinoClient,
  t: TargetTable,
  wanted: readonly LoadColumn[],
  partitionColumn: string | null,
  tenantColumn: string | null,
): Promise<boolean> {
  const cols = wanted.map((c) => `${quoteTrinoColumn(c.name)} ${c.type}`).join(", ");
  const sql = `CREATE TABLE IF NOT EXISTS ${targetName(t)} (${cols}) WITH (${tableProperties(partitionColumn, tenantColumn)})`;
  return (await ensureCreated(client, t, sql)).created;
}

/**
 * A missing target created with its first rows in one statement, `CREATE TABLE ... AS <select>`
 * (the select gives the wanted columns in order, with their types): one commit instead of a
 * CREATE and a MERGE into the empty table. Same properties as createTable. Returns the rows
 * written and the statement's query id.
 */
export async function createTableAs(
  client: TrinoClient,
  t: TargetTable,
  select: string,
  partitionColumn: string | null,
  tenantColumn: string | null,
  session: Record<string, string>,
): Promise<{ written: number; queryId: string }> {
  const out = await client.execute(
    `CREATE TABLE ${targetName(t)} WITH (${tableProperties(partitionColumn, tenantColumn)}) AS ${select}`,
    { session },
  );
  return { written: out.updateCount ?? 0, queryId: out.queryId };
}

/**
 * The target's columns after making sure its schema exists, or null when the table does not exist
 * (a load may then create it with its rows).
 */
export async function describeTarget(
  client: TrinoClient,
  t: TargetTable,
): Promise<LoadColumn[] | null> {
  await ensureSchema(client, t);
  return describeTable(client, t);
}

/** The WITH properties of a target table: Parquet, partitioned by tenant, then by day. */
function tableProperties(partitionColumn: string | null, tenantColumn: string | null): string {
  const props = ["format = 'PARQUET'"];
  // Each transform is a string property holding the quoted column name (Iceberg parses
  // `day("order date")`); stringLiteral then doubles any single quote of it.
  const partitioning: string[] = [];
  if (tenantColumn !== null) {
    partitioning.push(stringLiteral(quoteTrinoColumn(tenantColumn.toLowerCase(), "tenant column")));
  }
  if (partitionColumn !== null) {
    const column = quoteTrinoColumn(partitionColumn.toLowerCase(), "partition column");
    partitioning.push(stringLiteral(`day(${column})`));
  }
  if (partitioning.length > 0) {
    props.push(`partitioning = ARRAY[${partitioning.join(", ")}]`);
  }
  return props.join(", ");
}

function checkTypes(
  t: TargetTable,
  existing: readonly LoadColumn[],
  wanted: readonly LoadColumn[],
) {
  const byName = new Map(existing.map((c) => [c.name.toLowerCase(), c.type]));
  const problems: string[] = [];
  for (const c of wanted) {
    const old = byName.get(c.name.toLowerCase());
    if (old !== undefined && old !== c.type) {
      problems.push(`column "${c.name}" is ${old} in the table but ${c.type} in the new data`);
    }
  }
  if (problems.length > 0) {
    throw new TargetSchemaError(
      `cannot load into ${targetName(t)}: ${problems.join("; ")}. Change the column's type in the table (ALTER TABLE ... ALTER COLUMN ... SET DATA TYPE, if Iceberg allows the widening) or cast it in the source query.`,
    );
  }
}
