/** Shared helpers of the extract integration tests: stack settings, plans, Parquet read-back. */

import type {
  LogicalType,
  PipelinePlan,
  PostgresSettings,
  SourceColumn,
  Storage,
} from "@etl/runtime";
import { formatDate, formatDecimal, formatMicros, Logger, mapColumn } from "@etl/runtime";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import pg from "pg";

export const PG_PORT = Number(process.env.ETL_TEST_PG_PORT ?? "55432");

/** Source settings for a database of the stack's PostgreSQL. */
export function pgSettings(database: string, schema = "public"): PostgresSettings {
  return { host: "127.0.0.1", port: PG_PORT, database, user: "etl", password: "etl", schema };
}

/**
 * A connected client; fails loudly when the stack is not up. `raw` clients return every value as
 * PostgreSQL's text output (no JS parsing), in session time zone UTC.
 */
export async function connect(database: string, raw = true): Promise<pg.Client> {
  const client = new pg.Client({
    ...pgSettings(database),
    ...(raw ? { types: { getTypeParser: () => (v: string) => v } } : {}),
  });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `the stack's PostgreSQL is not reachable on 127.0.0.1:${PG_PORT} (start it with \`npm run stack -- up\`): ${(error as Error).message}`,
    );
  }
  await client.query("SET TIME ZONE 'UTC'");
  return client;
}

/** A pipeline plan with extract defaults; tests override what they exercise. */
export function pipelinePlan(overrides: Partial<PipelinePlan> & { name: string }): PipelinePlan {
  return {
    sourceTable: null,
    query: null,
    dateColumn: null,
    incremental: null,
    saveToS3: true,
    hasTransfer: false,
    transfer: null,
    hasDbtTransform: false,
    dbtTransform: null,
    saveToTrino: false,
    trinoOutput: null,
    columns: null,
    schemaHash: null,
    checks: [],
    extract: { compression: "zstd", rowGroupRows: 100_000, maxFileRows: 1_000_000 },
    ...overrides,
  };
}

/** A logger that keeps its lines (tests assert on them) instead of printing. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger({}, { write: (l) => lines.push(l), isTTY: false }, "debug", "json");
  return { logger, lines };
}

export type ParquetValue = unknown;

/**
 * Reads a Parquet file with hyparquet (an independent reader), keeping exact raw values: decimals
 * as unscaled bigints (with their scale), timestamps as bigint microseconds, dates as day numbers.
 */
export async function readParquet(bytes: Uint8Array): Promise<{
  rows: Record<string, ParquetValue>[];
  decimalScale: Map<string, number>;
  schema: ReturnType<typeof parquetMetadata>["schema"];
}> {
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const decimalScale = new Map<string, number>();
  // Drop the DECIMAL annotation so hyparquet hands back the stored integers instead of floats.
  const raw = {
    ...metadata,
    schema: metadata.schema.map((el) => {
      const isDecimal = el.converted_type === "DECIMAL" || el.logical_type?.type === "DECIMAL";
      if (!isDecimal) return el;
      decimalScale.set(el.name, el.scale ?? 0);
      const { converted_type: _c, logical_type: _l, ...rest } = el;
      return rest;
    }),
  };
  const rows = (await parquetReadObjects({
    file,
    metadata: raw,
    compressors,
    // Only STRING-annotated columns are text; bytea stays bytes.
    utf8: false,
    parsers: {
      timestampFromMicroseconds: (v: bigint) => v,
      timestampFromMilliseconds: (v: bigint) => v * 1000n,
      dateFromDays: (d: number) => d,
    },
  })) as Record<string, ParquetValue>[];
  return { rows, decimalScale, schema: metadata.schema };
}

/** Reads every file of a committed extract, in order. */
export async function readExtract(
  storage: Storage,
  files: readonly { key: string }[],
): Promise<{ rows: Record<string, ParquetValue>[]; decimalScale: Map<string, number> }> {
  const rows: Record<string, ParquetValue>[] = [];
  let decimalScale = new Map<string, number>();
  for (const f of files) {
    const bytes = await storage.get(f.key);
    if (bytes === null) throw new Error(`extract file ${f.key} is missing`);
    const r = await readParquet(bytes);
    rows.push(...r.rows);
    decimalScale = r.decimalScale;
  }
  return { rows, decimalScale };
}

/** The SourceColumn list of a table as recorded in the Pagila fixture's expected.json. */
export interface FixtureColumn {
  name: string;
  type: string;
  not_null: boolean;
  domain_base: string | null;
  enum_labels: string[] | null;
  array_element: string | null;
}

export function fixtureColumns(columns: readonly FixtureColumn[]): SourceColumn[] {
  return columns.map((c) => ({
    name: c.name,
    pgType: c.type,
    domainBase: c.domain_base,
    arrayElement: c.array_element,
    enumLabels: c.enum_labels,
    nullable: !c.not_null,
  }));
}

/**
 * Every row of `fromSql` as PostgreSQL renders it (text protocol, session time zone UTC); arrays as
 * JSON lists of their elements' text. Rows sorted, so the comparison does not depend on order.
 */
export async function pgRows(
  client: pg.Client,
  fromSql: string,
  columns: readonly SourceColumn[],
): Promise<string[]> {
  const exprs = columns.map((c) => {
    const ref = `"${c.name.replaceAll('"', '""')}"`;
    if (c.arrayElement !== null) {
      return `CASE WHEN ${ref} IS NULL THEN NULL ELSE to_json(ARRAY(SELECT x::text FROM unnest(${ref}) AS x))::text END`;
    }
    // Unconstrained numeric is carried as decimal(38,10): compare it at that scale (values with
    // more fractional digits are refused by the extract, never rounded).
    if ((c.domainBase ?? c.pgType) === "numeric") return `round(${ref}, 10)::text`;
    return `${ref}::text`;
  });
  const bpchar = columns.map((c) =>
    /^(character|char|bpchar)(\(\d+\))?$/.test(c.domainBase ?? c.pgType),
  );
  // `::text` on char(n) drops the padding that the value (and its Parquet copy) keeps: select those
  // columns as they are, the text protocol prints them padded.
  const select = exprs
    .map((e, i) => (bpchar[i] ? `"${columns[i]?.name.replaceAll('"', '""')}"` : e))
    .join(", ");
  const r = await client.query({ text: `SELECT ${select} FROM ${fromSql}`, rowMode: "array" });
  return (r.rows as (string | null)[][])
    .map((row) =>
      JSON.stringify(
        row.map((v, i) => (v !== null && columns[i]?.arrayElement !== null ? JSON.parse(v) : v)),
      ),
    )
    .sort();
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unscaledOf(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(v);
  if (v instanceof Uint8Array) {
    // FIXED_LEN_BYTE_ARRAY: big-endian two's complement.
    let x = 0n;
    for (const b of v) x = (x << 8n) | BigInt(b);
    return v.length > 0 && (v[0] ?? 0) >= 0x80 ? x - (1n << BigInt(8 * v.length)) : x;
  }
  throw new Error(`unexpected decimal representation ${String(v)}`);
}

/** Renders a value read from Parquet the way PostgreSQL prints the source value. */
function render(
  type: LogicalType,
  v: unknown,
  scale: number | undefined,
  pgText: string | null,
): unknown {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case "int16":
    case "int32":
    case "int64":
      return String(v);
    case "decimal":
      return formatDecimal(unscaledOf(v), scale ?? type.scale);
    case "float32":
      // PostgreSQL prints the shortest text that reads back as the same float4.
      return pgText !== null && Object.is(Math.fround(Number(pgText)), v)
        ? pgText
        : `float4 ${String(v)}`;
    case "float64":
      return pgText !== null && Object.is(Number(pgText), v) ? pgText : `float8 ${String(v)}`;
    case "bool":
      return v === true ? "true" : "false";
    case "string":
      return String(v);
    case "bytes":
      return `\\x${hex(v as Uint8Array)}`;
    case "date":
      return formatDate(v as number);
    case "timestamp":
      return formatMicros(v as bigint, false);
    case "timestamptz":
      return `${formatMicros(v as bigint, false)}+00`;
    case "list":
      return (v as unknown[]).map((e) => render(type.element, e, scale, null));
  }
}

/** Rows read from Parquet, rendered like `pgRows` renders PostgreSQL's; sorted. */
export function parquetRows(
  rows: readonly Record<string, unknown>[],
  columns: readonly SourceColumn[],
  decimalScale: ReadonlyMap<string, number>,
  pgSorted: readonly string[] = [],
): string[] {
  const types = columns.map((c) => {
    const m = mapColumn(c);
    if (!m.ok) throw new Error(m.reason);
    return m.type;
  });
  // Floats are compared through PostgreSQL's own text: index its rows by their non-float fields.
  const floatCols = types.map((t) => t.kind === "float32" || t.kind === "float64");
  const pgByKey = new Map<string, (string | null)[]>();
  if (floatCols.some((x) => x)) {
    for (const r of pgSorted) {
      const row = JSON.parse(r) as (string | null)[];
      pgByKey.set(JSON.stringify(row.map((v, i) => (floatCols[i] ? "" : v))), row);
    }
  }
  return rows
    .map((row) => {
      const base = columns.map((c, i) =>
        floatCols[i]
          ? ""
          : render(types[i] as LogicalType, row[c.name], decimalScale.get(c.name), null),
      );
      const pgRow = pgByKey.get(JSON.stringify(base)) ?? [];
      return JSON.stringify(
        columns.map((c, i) =>
          floatCols[i]
            ? render(types[i] as LogicalType, row[c.name], undefined, pgRow[i] ?? null)
            : base[i],
        ),
      );
    })
    .sort();
}
