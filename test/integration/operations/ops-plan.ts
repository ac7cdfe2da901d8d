/**
 * The operations suites' tenant: project_01's generated plan (its resources, zone and
 * maintenance job) with pipelines of its own over a source table the suite creates, so every
 * run touches only this run's names: PostgreSQL schema `ops_<tag>`, Trino schema `ops_<tag>`,
 * storage prefix `ops-it/<tag>/...`.
 *
 * - `events_merge` loads with `merge` on item_key: every day updates the 50 keys the day before
 *   loaded (their rows move to the new day), which leaves position delete files behind;
 * - `events_replace` loads with `replace_partition` and carries a warn check that always fails;
 * - `broken` extracts with a query naming a column that does not exist (a failed run).
 */
import {
  type AlertDestinationPlan,
  type AssetPlan,
  environmentPlan,
  type LineagePlan,
  type PipelinePlan,
  type SourceColumn,
  sameEnvironments,
  schemaHashOf,
  type TenantPlan,
} from "@etl/runtime";
import { plan as generated } from "@etl/tenant-project_01";
import pg from "pg";

export const TENANT = "project_01";

export interface OpsNames {
  tag: string;
  sourceSchema: string;
  trinoSchema: string;
  basePath: string;
}

export function opsNames(tag: string): OpsNames {
  return {
    tag,
    sourceSchema: `ops_${tag}`,
    trinoSchema: `ops_${tag}`,
    basePath: `ops-it/${tag}/project_id=${TENANT}`,
  };
}

/** The 30 daily partitions the suites load, then the 31st (a big one, loaded last). */
export const DAYS = Array.from({ length: 30 }, (_, i) => {
  const d = new Date(Date.UTC(2026, 1, 1 + i));
  return d.toISOString().slice(0, 10);
});
export const BIG_DAY = "2026-03-03";
export const ROWS_PER_DAY = 120;
export const BIG_DAY_ROWS = 300_000;

export function pgClient(env: Readonly<Record<string, string | undefined>>): pg.Client {
  return new pg.Client({
    host: env.PROJECT_01_DB_HOST ?? "127.0.0.1",
    port: Number(env.PROJECT_01_DB_PORT ?? 55432),
    user: env.PROJECT_01_DB_USER ?? "etl",
    password: env.PROJECT_01_DB_PASSWORD ?? "etl",
    database: env.PROJECT_01_DB_NAME ?? TENANT,
  });
}

/**
 * Creates `ops_<tag>.events` (ROWS_PER_DAY rows on each of DAYS, BIG_DAY_ROWS on BIG_DAY) and
 * returns its columns as introspected, for the plan's snapshot.
 */
export async function createSource(
  env: Readonly<Record<string, string | undefined>>,
  names: OpsNames,
): Promise<SourceColumn[]> {
  const c = pgClient(env);
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA "${names.sourceSchema}"`);
    await c.query(`CREATE TABLE "${names.sourceSchema}".events (
      event_id integer PRIMARY KEY,
      item_key integer NOT NULL,
      created_at timestamp NOT NULL,
      qty integer NOT NULL,
      note text
    )`);
    // Row i of day d: key i % 50, at 10:00 plus i seconds, local time of the tenant's zone.
    await c.query(
      `INSERT INTO "${names.sourceSchema}".events
       SELECT d * 100000 + i, i % 50, (DATE '2026-02-01' + d) + time '10:00' + i * interval '1 second',
              (d * 7 + i) % 97 + 1, 'day ' || d || ' row ' || i
       FROM generate_series(0, 29) AS d, generate_series(0, $1 - 1) AS i`,
      [ROWS_PER_DAY],
    );
    await c.query(
      `INSERT INTO "${names.sourceSchema}".events
       SELECT 10000000 + i, i, DATE '${BIG_DAY}' + time '00:00' + (i % 80000) * interval '1 second',
              i % 97 + 1, 'big day row ' || i
       FROM generate_series(0, $1 - 1) AS i`,
      [BIG_DAY_ROWS],
    );
    const cols = await c.query<{ name: string; type: string; notnull: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull
       FROM pg_attribute a WHERE a.attrelid = '"${names.sourceSchema}".events'::regclass AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
    );
    return cols.rows.map((r) => ({
      name: r.name,
      pgType: r.type,
      domainBase: null,
      arrayElement: null,
      enumLabels: null,
      nullable: !r.notnull,
    }));
  } finally {
    await c.end();
  }
}

export async function dropSource(
  env: Readonly<Record<string, string | undefined>>,
  names: OpsNames,
): Promise<void> {
  const c = pgClient(env);
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${names.sourceSchema}" CASCADE`);
  } finally {
    await c.end();
  }
}

function pipeline(
  name: string,
  columns: SourceColumn[],
  names: OpsNames,
  out: { table: string; keys: string[]; mode: "merge" | "replace_partition" } | null,
  extra: Partial<PipelinePlan> = {},
): PipelinePlan {
  return {
    name,
    sourceTable: "events",
    query: null,
    dateColumn: "created_at",
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: out !== null,
    trinoOutput:
      out === null
        ? null
        : {
            catalog: { env: "TRINO_CATALOG", default: "iceberg" },
            schema: names.trinoSchema,
            table: out.table,
            keyColumns: out.keys,
            writeMode: out.mode,
            tenantColumn: "project_id",
          },
    columns,
    schemaHash: schemaHashOf(columns),
    targetColumns: {
      naming: "snake_case",
      unmappedTypes: "text",
      names: columns.map((c) => c.name),
    },
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 100_000, maxFileRows: 1_000_000 },
    ...extra,
  };
}

export interface OpsPlanOptions {
  alerts?: AlertDestinationPlan[];
  lineage?: LineagePlan;
  /** Extra variable names the plan references (alert and lineage URLs). */
  envVars?: string[];
}

/** The suites' plan (dev environment); see the module doc. */
export function opsPlan(
  names: OpsNames,
  columns: SourceColumn[],
  options: OpsPlanOptions = {},
): TenantPlan {
  const plan = structuredClone(generated);
  plan.envVars = [...new Set([...plan.envVars, ...(options.envVars ?? [])])].sort();
  const env = environmentPlan(plan, "dev");
  env.resources.storage.basePath = names.basePath;
  env.resources.source.schema = names.sourceSchema;
  const merge = pipeline("events_merge", columns, names, {
    table: "events_merge",
    keys: ["project_id", "item_key"],
    mode: "merge",
  });
  const replace = pipeline(
    "events_replace",
    columns,
    names,
    { table: "events_replace", keys: [], mode: "replace_partition" },
    {
      checks: [
        { type: "row_count", name: "some_rows", min: 1, max: null, severity: "error" },
        // Always fails (qty is 1..97): a check_failed alert of severity warn.
        {
          type: "range",
          name: "qty_never_above_zero",
          column: "qty",
          min: null,
          max: 0,
          severity: "warn",
        },
      ],
    },
  );
  const broken = pipeline("broken", columns, names, null, {
    sourceTable: null,
    query: "SELECT event_id, created_at, no_such_column FROM events",
    columns: null,
    schemaHash: null,
    targetColumns: { naming: "snake_case", unmappedTypes: "text", names: null },
  });
  env.pipelines = [broken, merge, replace];
  const asset = (stage: "extract" | "load", p: string, deps: string[]): AssetPlan => ({
    key: `${TENANT}/${stage}/${p}`,
    stage,
    pipeline: p,
    deps,
    partitioned: true,
    description: `${stage} of ${p} (operations test)`,
    dbt: null,
  });
  env.assets = [
    asset("extract", "broken", []),
    asset("extract", "events_merge", []),
    asset("load", "events_merge", [`${TENANT}/extract/events_merge`]),
    asset("extract", "events_replace", []),
    {
      ...asset("load", "events_replace", [`${TENANT}/extract/events_replace`]),
      freshness: { maxLagSeconds: 26 * 3600, deadline: null },
    },
  ];
  const maintenance = env.jobs.find((j) => j.kind === "maintenance");
  if (maintenance === undefined || env.maintenance === undefined) {
    throw new Error("project_01's generated dev plan has no maintenance job");
  }
  env.jobs = [
    {
      name: "daily",
      description: "both loads (operations test)",
      assets: env.assets.filter((a) => a.pipeline !== "broken").map((a) => a.key),
      partitioned: true,
      schedule: null,
      concurrency: 2,
    },
    {
      name: "broken",
      description: "a bad custom query (operations test)",
      assets: [`${TENANT}/extract/broken`],
      partitioned: true,
      schedule: null,
      concurrency: 1,
    },
    maintenance,
  ];
  env.dbt = null;
  if (options.alerts !== undefined) env.alerts = { destinations: options.alerts };
  else delete env.alerts;
  if (options.lineage !== undefined) env.lineage = options.lineage;
  return { ...plan, ...sameEnvironments(env) };
}
