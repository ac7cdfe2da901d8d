/** Shared helpers of the extract integration tests: stack settings, plans, Parquet read-back. */
import { compressors } from "hyparquet-compressors";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import pg from "pg";
import { Logger } from "@etl/runtime";
import type { PipelinePlan, PostgresSettings, Storage } from "@etl/runtime";

export const PG_PORT = Number(process.env.ETL_TEST_PG_PORT ?? "55432");

/** Source settings for a database of the stack's PostgreSQL. */
export function pgSettings(database: string, schema = "public"): PostgresSettings {
  return { host: "127.0.0.1", port: PG_PORT, database, user: "etl", password: "etl", schema };
}

/** A connected client; fails loudly when the stack is not up. */
export async function connect(database: string): Promise<pg.Client> {
  const client = new pg.Client({ ...pgSettings(database), types: { getTypeParser: () => (v: string) => v } });
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
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
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
    utf8: true,
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
