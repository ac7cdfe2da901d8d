/**
 * Iceberg upkeep of one table, in Trino: compaction (`optimize`), then `expire_snapshots` and
 * `remove_orphan_files`, with file and snapshot counts before and after.
 *
 * Scope. A table loaded by several tenants (each row carries its tenant column) is compacted only
 * in this tenant's partitions: `optimize ... WHERE <tenant column> = '<tenant>'`, which Trino allows
 * on identity partition columns only; the runtime creates load targets partitioned by the tenant
 * column first (load/target.ts). A table whose files are not all partitioned that way (created
 * before, or by hand) is compacted whole only when it holds no other tenant's rows; otherwise
 * compaction is skipped with the statement that makes it possible. dbt tables live in the tenant's
 * own schemas and are compacted whole. Expiring snapshots and removing orphan files are
 * table-wide by nature; they only drop what no current snapshot needs and is older than the
 * retention, so every tenant sharing a table may run them.
 *
 * Safety. The retention is the plan's (never under Trino's 7-day minimum, which the generator
 * enforces and the runtime never lowers), stretched to cover every writer still running on the
 * table: a load's data files are unreferenced until it commits, and `remove_orphan_files` would
 * take them for orphans if they were older than the retention.
 */
import type { TrinoClient } from "../trino/client.js";
import {
  quoteTrinoColumn,
  quoteTrinoIdent,
  stringLiteral,
  trinoQualifiedName,
} from "../trino/sql.js";

/** One table the tenant writes. */
export interface MaintainedTable {
  catalog: string;
  schema: string;
  table: string;
  /** The tenant column of a load target (compaction scoped to its partitions); null: whole table. */
  tenantColumn: string | null;
  /** Where the table comes from, for the log: `load <pipeline>` or `dbt <asset>`. */
  origin: string;
}

export interface TableCounts {
  dataFiles: number;
  deleteFiles: number;
  /** Bytes of data and delete files of the current snapshot. */
  bytes: number;
  snapshots: number;
}

export type OptimizeScope =
  | { kind: "tenant-partitions"; where: string }
  | { kind: "whole-table"; reason: string }
  | { kind: "skipped"; reason: string };

export interface TableMaintenanceResult {
  table: string;
  origin: string;
  optimize: OptimizeScope;
  before: TableCounts;
  after: TableCounts;
  snapshotRetentionSeconds: number;
  orphanRetentionSeconds: number;
  /** Writers that were running on the table and stretched the retention. */
  runningWriters: string[];
  elapsedMs: number;
}

/** `"catalog"."schema"."table"` of a maintained table. */
export function tableName(t: Pick<MaintainedTable, "catalog" | "schema" | "table">): string {
  return trinoQualifiedName(t.catalog, t.schema, t.table);
}

/** A metadata table of `t`, e.g. `"catalog"."schema"."table$files"`. */
function metadataTable(t: MaintainedTable, suffix: "files" | "snapshots" | "partitions"): string {
  return `${quoteTrinoIdent(t.catalog, "catalog")}.${quoteTrinoIdent(t.schema, "schema")}."${t.table.toLowerCase()}$${suffix}"`;
}

/** Whether the table exists as an Iceberg table (not a view). */
export async function tableExists(client: TrinoClient, t: MaintainedTable): Promise<boolean> {
  const rows = await client.rows(
    `SELECT table_type FROM ${quoteTrinoIdent(t.catalog, "catalog")}.information_schema.tables WHERE table_schema = ${stringLiteral(t.schema.toLowerCase())} AND table_name = ${stringLiteral(t.table.toLowerCase())}`,
  );
  return rows.some((r) => r.table_type === "BASE TABLE");
}

/** Data files, delete files, their bytes and the snapshot count of the table now. */
export async function tableCounts(client: TrinoClient, t: MaintainedTable): Promise<TableCounts> {
  const files = await client.rows(
    `SELECT content, CAST(count(*) AS bigint) AS files, CAST(coalesce(sum(file_size_in_bytes), 0) AS bigint) AS bytes FROM ${metadataTable(t, "files")} GROUP BY content`,
  );
  const snapshots = await client.rows(
    `SELECT CAST(count(*) AS bigint) AS n FROM ${metadataTable(t, "snapshots")}`,
  );
  let dataFiles = 0;
  let deleteFiles = 0;
  let bytes = 0;
  for (const r of files) {
    const n = Number(r.files);
    bytes += Number(r.bytes);
    // content: 0 data, 1 position deletes, 2 equality deletes.
    if (Number(r.content) === 0) dataFiles += n;
    else deleteFiles += n;
  }
  return { dataFiles, deleteFiles, bytes, snapshots: Number(snapshots[0]?.n ?? 0) };
}

/** Where compaction may run for this tenant (see the module doc). */
export async function optimizeScope(
  client: TrinoClient,
  t: MaintainedTable,
  tenantId: string,
): Promise<OptimizeScope> {
  if (t.tenantColumn === null) {
    return { kind: "whole-table", reason: "the tenant's own table" };
  }
  const column = t.tenantColumn.toLowerCase();
  const where = `${quoteTrinoColumn(column)} = ${stringLiteral(tenantId)}`;
  const partitionColumns = await client.rows(`SHOW COLUMNS FROM ${metadataTable(t, "partitions")}`);
  const partitionType = String(partitionColumns.find((r) => r.Column === "partition")?.Type ?? "");
  const fields = partitionFields(partitionType);
  if (fields.includes(column)) {
    const unpartitioned = await client.rows(
      `SELECT CAST(count(*) AS bigint) AS n FROM ${metadataTable(t, "files")} WHERE partition.${quoteTrinoColumn(column)} IS NULL`,
    );
    if (Number(unpartitioned[0]?.n ?? 0) === 0) {
      return { kind: "tenant-partitions", where };
    }
  }
  const others = await client.rows(
    `SELECT CAST(count(*) AS bigint) AS n FROM (SELECT 1 FROM ${tableName(t)} WHERE ${quoteTrinoColumn(column)} IS DISTINCT FROM ${stringLiteral(tenantId)} LIMIT 1)`,
  );
  if (Number(others[0]?.n ?? 0) === 0) {
    return { kind: "whole-table", reason: `only tenant ${tenantId}'s rows are in it` };
  }
  return {
    kind: "skipped",
    reason: `the table holds other tenants' rows and not all its files are partitioned by ${column}, so compaction cannot be limited to tenant ${tenantId}'s rows; to allow it, partition the table by the tenant column (ALTER TABLE ${tableName(t)} SET PROPERTIES partitioning = ARRAY['${column}', ...its current partitioning]) and compact it whole once (ALTER TABLE ${tableName(t)} EXECUTE optimize)`,
  };
}

/** Field names of a `$partitions` table's `partition` row type, e.g. `row(project_id varchar, d_day date)`. */
export function partitionFields(rowType: string): string[] {
  const m = /^row\((.*)\)$/i.exec(rowType.trim());
  if (m === null || m[1] === undefined) return [];
  const out: string[] = [];
  // Top-level fields only: split on commas outside parentheses.
  let depth = 0;
  let field = "";
  for (const ch of `${m[1]},`) {
    if (ch === "(") depth += 1;
    if (ch === ")") depth -= 1;
    if (ch === "," && depth === 0) {
      const name = /^\s*("(?:[^"]|"")+"|\S+)/.exec(field)?.[1] ?? "";
      out.push(name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name);
      field = "";
    } else {
      field += ch;
    }
  }
  return out.filter((f) => f !== "");
}

/**
 * Writers running on the table now, by Trino's own list of queries: their age stretches the
 * retention. Every writer of the runtime and of dbt goes through Trino, so this sees other
 * tenants' loads into a shared table too (for a Trino user allowed to see their queries).
 */
export async function runningWriters(
  client: TrinoClient,
  t: MaintainedTable,
): Promise<{ queryId: string; ageSeconds: number }[]> {
  const quoted =
    `${quoteTrinoIdent(t.schema, "schema")}.${quoteTrinoIdent(t.table, "table")}`.toLowerCase();
  const plain = `${t.schema}.${t.table}`.toLowerCase();
  const rows = await client.rows(
    `SELECT query_id, CAST(to_unixtime(current_timestamp) - to_unixtime(created) AS double) AS age FROM system.runtime.queries WHERE state NOT IN ('FINISHED', 'FAILED') AND regexp_like(lower(query), '^\\s*(merge|insert|update|delete|create|alter|call)') AND NOT regexp_like(lower(query), 'execute\\s+(optimize|expire_snapshots|remove_orphan_files)') AND (strpos(lower(query), ${stringLiteral(quoted)}) > 0 OR strpos(lower(query), ${stringLiteral(plain)}) > 0)`,
  );
  return rows.map((r) => ({ queryId: String(r.query_id), ageSeconds: Number(r.age) }));
}

export interface MaintainOptions {
  client: TrinoClient;
  tenantId: string;
  table: MaintainedTable;
  snapshotRetentionSeconds: number;
  orphanRetentionSeconds: number;
  fileSizeThresholdMb: number;
  /** This tenant's runs still loading into the table (from the ledger), with their ages. */
  runningRuns: { runId: string; ageSeconds: number }[];
  /** Session properties for the statements (an embedding caller's; the runtime sets none). */
  session?: Record<string, string>;
}

/** Margin on top of a running writer's age: files it writes from now on are younger still. */
const WRITER_MARGIN_SECONDS = 600;

/** Runs optimize, expire_snapshots and remove_orphan_files on one table; see the module doc. */
export async function maintainTable(o: MaintainOptions): Promise<TableMaintenanceResult> {
  const started = performance.now();
  const { client, table } = o;
  const name = tableName(table);
  const exec = (sql: string) =>
    client.execute(sql, o.session === undefined ? {} : { session: o.session });
  const before = await tableCounts(client, table);
  const scope = await optimizeScope(client, table, o.tenantId);
  if (scope.kind !== "skipped") {
    await exec(
      `ALTER TABLE ${name} EXECUTE optimize(file_size_threshold => ${stringLiteral(`${o.fileSizeThresholdMb}MB`)})${scope.kind === "tenant-partitions" ? ` WHERE ${scope.where}` : ""}`,
    );
  }
  const writers = await runningWriters(client, table);
  const oldest = Math.max(
    0,
    ...writers.map((w) => w.ageSeconds),
    ...o.runningRuns.map((r) => r.ageSeconds),
  );
  const stretch = (retention: number) =>
    oldest > 0 ? Math.max(retention, Math.ceil(oldest) + WRITER_MARGIN_SECONDS) : retention;
  const snapshotRetentionSeconds = stretch(o.snapshotRetentionSeconds);
  const orphanRetentionSeconds = stretch(o.orphanRetentionSeconds);
  await exec(
    `ALTER TABLE ${name} EXECUTE expire_snapshots(retention_threshold => ${stringLiteral(`${snapshotRetentionSeconds}s`)})`,
  );
  await exec(
    `ALTER TABLE ${name} EXECUTE remove_orphan_files(retention_threshold => ${stringLiteral(`${orphanRetentionSeconds}s`)})`,
  );
  const after = await tableCounts(client, table);
  return {
    table: `${table.catalog}.${table.schema}.${table.table}`,
    origin: table.origin,
    optimize: scope,
    before,
    after,
    snapshotRetentionSeconds,
    orphanRetentionSeconds,
    runningWriters: [
      ...o.runningRuns.map((r) => `run ${r.runId}`),
      ...writers.map((w) => `query ${w.queryId}`),
    ],
    elapsedMs: performance.now() - started,
  };
}
