/**
 * Real-world names end to end, on the real stack: a database of our own (names.sql: hyphens,
 * dots, spaces, capitals, reserved words, unicode letters and quotes in schema, table and column
 * names, and ranges, multiranges, composites, oid, ltree, isn, citext, a domain over tsvector),
 * created fresh per run, and the Pagila fixture. Each goes the way a user takes it: `npm run
 * introspect` (the CLI) → `npm run generate` (the CLI) → the generated plan's extract and load into
 * Trino/Iceberg, under both target namings. Then, per column, PostgreSQL and Trino agree on the
 * count, the distinct count and the sum (numbers), or on every value (everything carried as text,
 * timestamps, arrays, bytes). Checks run on the derived names and dbt sources expose them.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  deriveTargetNames,
  environmentPlan,
  exposeDbtSources,
  extractPartition,
  Logger,
  type LogicalType,
  loadCommitted,
  loadedScope,
  mapColumn,
  type PipelinePlan,
  quoteIdent,
  quoteTrinoColumn,
  readManifest,
  readStaged,
  runChecks,
  S3Storage,
  type SourceColumn,
  stringLiteral,
  type TenantPlan,
  TenantPlanSchema,
  TrinoClient,
} from "@etl/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, requireFixtures } from "../../src/paths.js";

const exec = promisify(execFile);
const env = process.env;
const RUN = `${process.pid}_${randomBytes(3).toString("hex")}`;
const DB = `names_it_${RUN}`;
const TARGET = `names_it_${RUN}`;
const PAGILA_TARGET = `pagila_it_${RUN}`;
const SOURCES = { catalog: "hive", schema: `names_it_src_${RUN}` };
const DAY = "2024-03-05";
const logger = new Logger({ test: "names" }, { write: () => {}, isTTY: false }, "warn");
const PG = {
  host: env.PGHOST ?? "127.0.0.1",
  port: Number(env.PGPORT ?? 55432),
  user: env.PGUSER ?? "etl",
  password: env.PGPASSWORD ?? "etl",
};
const trino = TrinoClient.create({
  host: env.TRINO_HOST ?? "127.0.0.1",
  port: Number(env.TRINO_PORT ?? 58080),
  user: env.TRINO_USER ?? "etl",
  password: null,
  scheme: "http",
});
/** The run's storage of one tenant, under a prefix of its own that the suite removes. */
function storageOf(tenant: string): S3Storage {
  return new S3Storage({
    bucket: env.S3_BUCKET_NAME ?? "data-lake",
    basePath: `names-it-${RUN}/project_id=${tenant}`,
    endpoint: env.S3_ENDPOINT_URL ?? "http://127.0.0.1:59000",
    region: env.AWS_REGION ?? "us-east-1",
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? "etl-access-key",
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "etl-secret-key",
    sessionToken: null,
    forcePathStyle: true,
  });
}

const SALES = 'Legacy "Sales".v2';
const ARABIC = "مخطط";

/** The order details columns listed one by one, the comma name aliased (preserve cannot hold it). */
const ORDER_COLUMNS = [
  "Order ID",
  "field-with_sep",
  "a.dotted.column",
  "*id*",
  "CamelCase",
  "select",
  "ünïcødé",
  "o'q",
  'dq"x',
  "Ranges",
  "nums",
  "period",
  "pair",
  "isbn",
  "ci",
  "arr",
  "doc",
  "MixedCase",
  "Größe",
  "created at",
  "multi",
];
const ORDERS_FOR_PRESERVE = `SELECT ${ORDER_COLUMNS.map(quoteIdent).join(", ")}, "(inside,parens)" AS "(inside parens)"
FROM ${quoteIdent(SALES)}."Order Details"`;
const CUSTOMERS_FOR_SNAKE = `SELECT "الاسم" AS "Name AR", "Código", "ID", "e-mail", "oids", "pt", "ch", "Última Compra", "nested"
FROM ${quoteIdent(ARABIC)}."العملاء"`;

/** YAML of one tenant; every name is written as the database holds it. */
function tenantYaml(id: string, naming: string, schema: string, pipelines: string): string {
  const v = (name: string) => `"$${"{"}${id.toUpperCase()}_DB_${name}}"`;
  return `tenant:
  id: ${id}
  name: ${id}
  target_naming: ${naming}
  source_database:
    host: ${v("HOST")}
    port: ${v("PORT")}
    database: ${v("NAME")}
    username: ${v("USER")}
    password: ${v("PASSWORD")}
    schema: ${JSON.stringify(schema)}
  storage:
    base_path: "project_id=${id}"
  target_database:
    target_schema: ${TARGET}
  partitions:
    timezone: UTC
  assets:
    pipelines:
${pipelines}`;
}

const SNAKE = tenantYaml(
  "names_snake",
  "snake_case",
  SALES,
  `      orders:
        source_table: Order Details
        date_column: CamelCase
        save_to_trino: true
        trino_output:
          target_table: orders_snake
          target_schema: ${TARGET}
          key_columns: ["Order ID"]
        checks:
          - { type: not_null, column: "Order ID" }
          - { type: unique, columns: ["Order ID"] }
          - { type: regex, column: field-with_sep, pattern: "^sep-", severity: warn }
      customers:
        query: ${JSON.stringify(CUSTOMERS_FOR_SNAKE)}
        save_to_trino: true
        trino_output:
          target_table: customers_snake
          target_schema: ${TARGET}
          write_mode: full_refresh
      reserved:
        query: 'SELECT * FROM "مخطط"."select"'
        save_to_trino: true
        trino_output:
          target_table: reserved_snake
          target_schema: ${TARGET}
          write_mode: full_refresh
`,
);

const PRESERVE = tenantYaml(
  "names_preserve",
  "preserve",
  ARABIC,
  `      customers:
        source_table: العملاء
        save_to_trino: true
        trino_output:
          target_table: customers_preserve
          target_schema: ${TARGET}
          write_mode: full_refresh
        checks:
          - { type: not_null, column: الاسم }
          - { type: unique, columns: ["e-mail"] }
      reserved:
        source_table: select
        save_to_trino: true
        trino_output:
          target_table: reserved_preserve
          target_schema: ${TARGET}
          key_columns: [from]
      orders:
        query: ${JSON.stringify(ORDERS_FOR_PRESERVE)}
        date_column: CamelCase
        save_to_trino: true
        trino_output:
          target_table: orders_preserve
          target_schema: ${TARGET}
          key_columns: ["Order ID"]
        checks:
          - { type: not_null, column: CamelCase }
          - { type: regex, column: "dq\\"x", pattern: "^top\\\\.level_" }
          - { type: unique, columns: ["Order ID", "(inside parens)"] }
`,
);

function pgClient(database: string): pg.Client {
  return new pg.Client({ ...PG, database });
}

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const r = await exec(process.execPath, args, {
    cwd: repoRoot,
    env: { ...env, ...extraEnv },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: unknown) => {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  });
  return r.stdout;
}

/** Introspects (the CLI) and generates (the CLI) the tenants of `root`; returns their plans. */
async function generateTenants(
  root: string,
  tenants: Record<string, { yaml: string; database: string }>,
): Promise<Record<string, TenantPlan>> {
  const tsx = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
  // The generated package's tsconfig extends the repository's (read when its plan is imported).
  copyFileSync(path.join(repoRoot, "tsconfig.base.json"), path.join(root, "tsconfig.base.json"));
  for (const [id, t] of Object.entries(tenants)) {
    mkdirSync(path.join(root, "tenants", id), { recursive: true });
    writeFileSync(path.join(root, "tenants", id, "config.yaml"), t.yaml);
    const prefix = id.toUpperCase();
    await cli(
      [
        tsx,
        "--conditions=source",
        "generator/src/introspect-cli.ts",
        "--tenant",
        id,
        "--root",
        root,
      ],
      {
        [`${prefix}_DB_HOST`]: PG.host,
        [`${prefix}_DB_PORT`]: String(PG.port),
        [`${prefix}_DB_NAME`]: t.database,
        [`${prefix}_DB_USER`]: PG.user,
        [`${prefix}_DB_PASSWORD`]: PG.password,
      },
    );
  }
  await cli(["generator/bin/generate.mjs", "--root", root]);
  const plans: Record<string, TenantPlan> = {};
  for (const id of Object.keys(tenants)) {
    const module = (await import(path.join(root, "generated", id, "src", "plan.ts"))) as {
      plan: unknown;
    };
    plans[id] = TenantPlanSchema.parse(module.plan);
  }
  return plans;
}

/** A measure of one column on both sides: compared as a value, or as a sorted list of values. */
interface Measure {
  name: string;
  pg: string;
  trino: string;
  list: boolean;
}

function elementJson(type: LogicalType, ref: string): string {
  if (type.kind !== "list") throw new Error("not a list");
  const e = type.element;
  const cast = e.kind === "int64" ? "bigint[]" : e.kind === "string" ? "text[]" : null;
  return cast === null ? `array_to_json(${ref})::text` : `array_to_json(${ref}::${cast})::text`;
}

/**
 * Measures of one column. `pgRef` is the source column, `trinoRef` the target column. Values
 * carried as text are compared one by one, against PostgreSQL's text output of the source value.
 */
function measuresOf(column: SourceColumn, type: LogicalType, pgRef: string, trinoRef: string) {
  const m: Measure[] = [
    {
      name: "count",
      pg: `count(${pgRef})::text`,
      trino: `CAST(count(${trinoRef}) AS varchar)`,
      list: false,
    },
  ];
  const base = (column.domainBase ?? column.pgType).toLowerCase();
  const values = (pgExpr: string, trinoExpr: string): Measure => ({
    name: "values",
    pg: `to_json(array_agg(${pgExpr} ORDER BY ${pgExpr} COLLATE "C"))::text`,
    trino: `json_format(CAST(array_sort(array_agg(${trinoExpr})) AS json))`,
    list: true,
  });
  const distinct = (pgExpr: string, trinoExpr: string): Measure => ({
    name: "distinct",
    pg: `count(DISTINCT ${pgExpr})::text`,
    trino: `CAST(count(DISTINCT ${trinoExpr}) AS varchar)`,
    list: false,
  });
  switch (type.kind) {
    case "int16":
    case "int32":
    case "int64":
    case "decimal": {
      const pgValue = base === "oid" ? `${pgRef}::bigint` : pgRef;
      m.push(distinct(pgValue, trinoRef), {
        name: "sum",
        pg: `sum(${pgValue})::text`,
        trino: `CAST(sum(${trinoRef}) AS varchar)`,
        list: false,
      });
      break;
    }
    case "float32":
    case "float64":
      m.push(distinct(pgRef, trinoRef));
      break;
    case "bool":
      m.push({
        name: "true",
        pg: `(count(*) FILTER (WHERE ${pgRef}))::text`,
        trino: `CAST(count_if(${trinoRef}) AS varchar)`,
        list: false,
      });
      break;
    case "date":
      m.push(distinct(pgRef, trinoRef), {
        name: "sum of days",
        pg: `sum(${pgRef} - DATE '1970-01-01')::text`,
        trino: `CAST(sum(date_diff('day', DATE '1970-01-01', ${trinoRef})) AS varchar)`,
        list: false,
      });
      break;
    case "timestamp":
      m.push(
        values(`to_char(${pgRef}, 'YYYY-MM-DD HH24:MI:SS.US')`, `CAST(${trinoRef} AS varchar)`),
      );
      break;
    case "timestamptz":
      m.push(
        values(
          `to_char(${pgRef} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`,
          `CAST(CAST(${trinoRef} AT TIME ZONE 'UTC' AS timestamp(6)) AS varchar)`,
        ),
      );
      break;
    case "string": {
      // char(n) keeps its padding in the extract; format() prints it padded, ::text would not.
      const text = /^(character|char|bpchar)(\(\d+\))?$/.test(base)
        ? `format('%s', ${pgRef})`
        : `${pgRef}::text`;
      m.push(
        distinct(text, trinoRef),
        {
          name: "sum of lengths",
          pg: `sum(char_length(${text}))::text`,
          trino: `CAST(sum(length(${trinoRef})) AS varchar)`,
          list: false,
        },
        values(text, trinoRef),
      );
      break;
    }
    case "bytes":
      m.push(values(`md5(${pgRef})`, `lower(to_hex(md5(${trinoRef})))`));
      break;
    case "list":
      m.push(values(elementJson(type, pgRef), `json_format(CAST(${trinoRef} AS json))`));
      break;
  }
  return m;
}

/** PostgreSQL's and Trino's measures of every column of a loaded pipeline, keyed alike. */
async function fingerprints(
  source: pg.Client,
  pipeline: PipelinePlan,
  tenantId: string,
  sourceFrom: string,
): Promise<{ pg: Record<string, unknown>; trino: Record<string, unknown> }> {
  const columns = pipeline.columns ?? [];
  const names = pipeline.targetColumns?.names ?? [];
  const measures = columns.flatMap((c, i) => {
    const mapped = mapColumn(c);
    if (!mapped.ok) throw new Error(mapped.reason);
    return measuresOf(
      c,
      mapped.type,
      `q.${quoteIdent(c.name)}`,
      `t.${quoteTrinoColumn(names[i] ?? "")}`,
    ).map((measure) => ({ ...measure, key: `${c.name} -> ${names[i]}: ${measure.name}` }));
  });
  const partition =
    pipeline.dateColumn === null ? null : `q.${quoteIdent(pipeline.dateColumn)} = DATE '${DAY}'`;
  const pgSql = `SELECT count(*)::text AS rows, ${measures.map((x, i) => `${x.pg} AS m${i}`).join(", ")} FROM ${sourceFrom} AS q${partition === null ? "" : ` WHERE ${partition}`}`;
  const out = pipeline.trinoOutput;
  if (out === null) throw new Error(`${pipeline.name} does not load`);
  const dateTarget =
    pipeline.dateColumn === null
      ? null
      : names[columns.findIndex((c) => c.name === pipeline.dateColumn)];
  const trinoSql = `SELECT CAST(count(*) AS varchar), ${measures.map((x) => x.trino).join(", ")} FROM iceberg.${quoteTrinoColumn(out.schema)}.${quoteTrinoColumn(out.table)} AS t WHERE t.${quoteTrinoColumn(out.tenantColumn)} = ${stringLiteral(tenantId)}${dateTarget === undefined || dateTarget === null ? "" : ` AND t.${quoteTrinoColumn(dateTarget)} = DATE '${DAY}'`}`;
  const pgRow = (await source.query({ text: pgSql, rowMode: "array" })).rows[0] as (
    | string
    | null
  )[];
  const trinoRow = (await trino.execute(trinoSql)).rows[0] ?? [];
  const pick = (row: readonly unknown[]) =>
    Object.fromEntries([
      ["rows", row[0]],
      ...measures.map((x, i) => {
        const v = row[i + 1];
        return [x.key, x.list && typeof v === "string" ? JSON.parse(v) : (v ?? null)];
      }),
    ]);
  return { pg: pick(pgRow), trino: pick(trinoRow) };
}

/** Extracts and loads one pipeline of a generated plan, as the executor's stages do. */
async function extractAndLoad(plan: TenantPlan, pipeline: PipelinePlan, database: string) {
  const env = environmentPlan(plan, "dev");
  const schema = env.resources.source.schema;
  if (typeof schema !== "string") throw new Error("the test tenants name their schema literally");
  const partition = pipeline.dateColumn === null ? null : DAY;
  const extracted = await extractPartition({
    source: { ...PG, database, schema },
    pipeline,
    partition,
    timeZone: env.partitions.timezone,
    storage: storageOf(plan.tenant.id),
    tenantId: plan.tenant.id,
    runId: `r${randomBytes(4).toString("hex")}`,
    logger,
  });
  const loaded = await loadCommitted({
    client: trino,
    storage: storageOf(plan.tenant.id),
    tenantId: plan.tenant.id,
    pipeline,
    catalog: "iceberg",
    partition,
    timeZone: env.partitions.timezone,
    logger,
  });
  return { extracted, loaded };
}

function sourceOf(pipeline: PipelinePlan, schema: string): string {
  return pipeline.query !== null
    ? `(${pipeline.query})`
    : `${quoteIdent(schema)}.${quoteIdent(pipeline.sourceTable ?? "")}`;
}

const work: string[] = [];
afterAll(async () => {
  for (const d of work) rmSync(d, { recursive: true, force: true });
});

describe("a legacy database with real-world names, end to end under both target namings", () => {
  let plans: Record<string, TenantPlan> = {};
  let source: pg.Client;

  beforeAll(async () => {
    const admin = pgClient("postgres");
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(DB)}`);
    await admin.end();
    source = pgClient(DB);
    await source.connect();
    // The fixture is ours and trusted: several statements in one simple query.
    await source.query(readFileSync(path.join(import.meta.dirname, "names.sql"), "utf8"));
    await source.query(
      "SELECT set_config('DateStyle', 'ISO, MDY', false), set_config('IntervalStyle', 'postgres', false), set_config('extra_float_digits', '1', false)",
    );
    const root = mkdtempSync(path.join(tmpdir(), "names-it-"));
    work.push(root);
    plans = await generateTenants(root, {
      names_snake: { yaml: SNAKE, database: DB },
      names_preserve: { yaml: PRESERVE, database: DB },
    });
  });

  afterAll(async () => {
    await source?.end();
    for (const t of [
      "orders_snake",
      "customers_snake",
      "reserved_snake",
      "orders_preserve",
      "customers_preserve",
      "reserved_preserve",
    ]) {
      await trino.execute(`DROP TABLE IF EXISTS iceberg.${TARGET}.${t}`);
    }
    await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${TARGET}`);
    for (const t of ["customers", "customers__files"]) {
      await trino.execute(`DROP VIEW IF EXISTS hive.${SOURCES.schema}.${t}`).catch(() => null);
      await trino.execute(`DROP TABLE IF EXISTS hive.${SOURCES.schema}.${t}`).catch(() => null);
    }
    await trino.execute(`DROP SCHEMA IF EXISTS hive.${SOURCES.schema}`);
    for (const tenant of Object.keys(plans)) {
      await storageOf(tenant).deletePrefix("");
    }
    const admin = pgClient("postgres");
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(DB)} WITH (FORCE)`);
    await admin.end();
  });

  it("derives the documented target names at generate time", () => {
    const names = (tenant: string, pipeline: string) =>
      plans[tenant]?.shared.pipelines.find((p) => p.name === pipeline)?.targetColumns?.names;
    expect(names("names_snake", "orders")).toEqual([
      "order_id",
      "field_with_sep",
      "a_dotted_column",
      "xidx",
      "inside_parens",
      "camel_case",
      "select",
      "unicode",
      "o_q",
      "dq_x",
      "ranges",
      "nums",
      "period",
      "pair",
      "isbn",
      "ci",
      "arr",
      "doc",
      "mixed_case",
      "grosse",
      "created_at",
      "multi",
    ]);
    expect(names("names_preserve", "customers")).toEqual([
      "الاسم",
      "código",
      "id",
      "e-mail",
      "oids",
      "pt",
      "ch",
      "última compra",
      "nested",
    ]);
    expect(names("names_preserve", "orders")).toContain('dq"x');
    expect(names("names_preserve", "orders")).toContain("(inside parens)");
    // Key and check columns were named by their source names; the plan holds target names.
    const orders = plans.names_preserve?.shared.pipelines.find((p) => p.name === "orders");
    expect(orders?.trinoOutput?.keyColumns).toEqual(["order id"]);
    expect(orders?.dateColumn).toBe("CamelCase");
  });

  for (const [tenant, schema] of [
    ["names_snake", SALES],
    ["names_preserve", ARABIC],
  ] as const) {
    it(`${tenant}: every pipeline loads into Trino with every value equal`, async () => {
      const plan = plans[tenant];
      if (plan === undefined) throw new Error(`no plan for ${tenant}`);
      for (const pipeline of environmentPlan(plan, "dev").pipelines) {
        const { extracted, loaded } = await extractAndLoad(plan, pipeline, DB);
        expect(loaded.rowsStaged, pipeline.name).toBe(extracted.rowCount);
        expect(extracted.rowCount, pipeline.name).toBeGreaterThan(0);
        // The Iceberg table's columns are exactly the derived names (and the tenant column).
        const out = pipeline.trinoOutput;
        const described = await trino.rows(
          `SELECT column_name FROM iceberg.information_schema.columns WHERE table_schema = ${stringLiteral(TARGET)} AND table_name = ${stringLiteral(out?.table ?? "")} ORDER BY ordinal_position`,
        );
        expect(described.map((r) => r.column_name)).toEqual([
          ...(pipeline.targetColumns?.names ?? []),
          "project_id",
        ]);
        const { pg: want, trino: got } = await fingerprints(
          source,
          pipeline,
          tenant,
          sourceOf(pipeline, schema),
        );
        expect(got, `${tenant}/${pipeline.name}`).toEqual(want);
        // The declared checks run on the derived names and pass on this data.
        if (pipeline.checks.length > 0) {
          const scope = loadedScope(
            pipeline,
            "iceberg",
            tenant,
            pipeline.dateColumn === null
              ? null
              : `${quoteTrinoColumn(pipeline.targetColumns?.names?.[pipeline.columns?.findIndex((c) => c.name === pipeline.dateColumn) ?? -1] ?? "")} = DATE '${DAY}'`,
          );
          const results = await runChecks(trino, pipeline.checks, scope, logger);
          expect(results.map((r) => [r.name, r.passed])).toEqual(
            pipeline.checks.map((c) => [c.name, true]),
          );
        }
      }
    });
  }

  it("exposes a preserve pipeline's extract as a dbt source under its derived names", async () => {
    const plan = plans.names_preserve;
    const pipeline = plan?.shared.pipelines.find((p) => p.name === "customers");
    if (plan === undefined || pipeline === undefined) throw new Error("no customers pipeline");
    const manifest = await readManifest(storageOf(plan.tenant.id), "extract", "customers", null);
    if (manifest === null) throw new Error("customers was not extracted");
    const staged = readStaged(pipeline, manifest);
    if (!staged.ok) throw new Error(staged.error);
    await exposeDbtSources(
      trino,
      SOURCES,
      [{ table: "customers", columns: staged.staged.columns, location: manifest.location }],
      logger,
    );
    // The view dbt reads, queried the way dbt does (no session properties of ours).
    const view = await trino.execute(
      `SELECT CAST(count(*) AS varchar), CAST(count(DISTINCT "e-mail") AS varchar), CAST(sum("id") AS varchar), CAST(max("última compra") AT TIME ZONE 'UTC' AS varchar) FROM hive.${SOURCES.schema}.customers`,
    );
    const want = await source.query({
      text: `SELECT count(*)::text, count(DISTINCT "e-mail"::text)::text, sum("ID")::text, to_char(max("Última Compra") AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || ' UTC' FROM "مخطط"."العملاء"`,
      rowMode: "array",
    });
    expect(view.rows[0]).toEqual(want.rows[0]);
  });
});

interface FixtureTable {
  name: string;
  schema: string;
  rows_with_children: number;
}

describe("Pagila into Trino, every value equal", () => {
  const tables = (
    JSON.parse(
      readFileSync(path.join(requireFixtures(), "postgres", "pagila", "expected.json"), "utf8"),
    ) as { tables: FixtureTable[] }
  ).tables.filter((t) => !/^payment_p2022_0[2-7]$/.test(t.name));
  let plan: TenantPlan | undefined;
  let source: pg.Client;

  beforeAll(async () => {
    source = pgClient("pagila");
    await source.connect();
    await source.query(
      "SELECT set_config('DateStyle', 'ISO, MDY', false), set_config('IntervalStyle', 'postgres', false), set_config('extra_float_digits', '1', false)",
    );
    const root = mkdtempSync(path.join(tmpdir(), "pagila-it-"));
    work.push(root);
    const pipelines = tables
      .map(
        (t) => `      ${t.name}:
        source_table: ${t.name}
        save_to_trino: true
        trino_output:
          target_table: ${t.name}
          target_schema: ${PAGILA_TARGET}
          write_mode: full_refresh
`,
      )
      .join("");
    const yaml = tenantYaml("pagila_rt", "snake_case", "public", pipelines).replace(
      `target_schema: ${TARGET}`,
      `target_schema: ${PAGILA_TARGET}`,
    );
    plan = (await generateTenants(root, { pagila_rt: { yaml, database: "pagila" } })).pagila_rt;
  });

  afterAll(async () => {
    await source?.end();
    await storageOf("pagila_rt").deletePrefix("");
    for (const t of tables) {
      await trino.execute(`DROP TABLE IF EXISTS iceberg.${PAGILA_TARGET}.${t.name}`);
    }
    await trino.execute(`DROP SCHEMA IF EXISTS iceberg.${PAGILA_TARGET}`);
  });

  it("keeps Pagila's names (already snake case) under both conventions", () => {
    for (const p of plan?.shared.pipelines ?? []) {
      const sources = p.columns?.map((c) => c.name) ?? [];
      expect(p.targetColumns?.names, p.name).toEqual(sources);
      expect(deriveTargetNames(sources, "preserve"), p.name).toEqual({ ok: true, names: sources });
    }
  });

  it("loads every table with PostgreSQL's counts, distinct counts, sums and values", async () => {
    if (plan === undefined) throw new Error("no plan");
    for (const pipeline of environmentPlan(plan, "dev").pipelines) {
      const table = tables.find((t) => t.name === pipeline.name);
      const { extracted } = await extractAndLoad(plan, pipeline, "pagila");
      expect(extracted.rowCount, pipeline.name).toBe(table?.rows_with_children);
      const { pg: want, trino: got } = await fingerprints(
        source,
        pipeline,
        plan.tenant.id,
        `public.${quoteIdent(pipeline.sourceTable ?? "")}`,
      );
      expect(got, pipeline.name).toEqual(want);
    }
  });
});
