/**
 * Verification of benchmark outputs before any number is reported: row counts and an exact sum of a
 * numeric(18,4) column, compared as unscaled integers (no floating point anywhere).
 */
import type { FileMetaData } from "hyparquet";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";

/** The unscaled integer of a decimal literal at `scale` ("-12.5", 4 -> -125000n); exact. */
export function decimalToUnscaled(text: string, scale: number): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (m === null || `${m[2] ?? ""}${m[3] ?? ""}` === "") {
    throw new Error(`not a decimal number: "${text}"`);
  }
  const frac = m[3] ?? "";
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) {
    throw new Error(`"${text}" has more than ${scale} significant fraction digits`);
  }
  const digits = `${m[2] ?? ""}${frac.slice(0, scale).padEnd(scale, "0")}`;
  const value = BigInt(digits === "" ? "0" : digits);
  return m[1] === "-" ? -value : value;
}

/** The decimal literal of an unscaled integer at `scale` (-125000n, 4 -> "-12.5000"). */
export function unscaledToDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? "-" : ""}${whole}${scale > 0 ? `.${frac}` : ""}`;
}

/** A big-endian two's-complement integer (Parquet FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals). */
export function bigEndianSigned(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  const first = bytes[0];
  if (first !== undefined && first >= 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** The unscaled integer of one stored decimal value as hyparquet returns it without annotation. */
export function storedDecimal(value: unknown): bigint | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (value instanceof Uint8Array) return bigEndianSigned(value);
  throw new Error(`unexpected stored decimal value ${String(value)} (${typeof value})`);
}

export interface ParquetSum {
  rows: number;
  /** Unscaled sum of the column's non-null values. */
  sum: bigint;
  scale: number;
}

/**
 * Row count and exact sum of one DECIMAL column of a Parquet file, read one row group at a time
 * with hyparquet (an implementation independent of the writer).
 */
export async function sumParquetDecimal(bytes: Uint8Array, column: string): Promise<ParquetSum> {
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const element = metadata.schema.find((e) => e.name === column);
  if (element === undefined) throw new Error(`column ${column} is not in the Parquet file`);
  const isDecimal =
    element.converted_type === "DECIMAL" || element.logical_type?.type === "DECIMAL";
  if (!isDecimal) {
    throw new Error(`column ${column} is ${element.type}, not a DECIMAL: its sum cannot be exact`);
  }
  const scale = element.scale ?? 0;
  // Without the DECIMAL annotation hyparquet returns the stored integers instead of floats.
  const raw: FileMetaData = {
    ...metadata,
    schema: metadata.schema.map((e) => {
      if (e.name !== column) return e;
      const { converted_type: _c, logical_type: _l, ...rest } = e;
      return rest;
    }),
  };
  let sum = 0n;
  let rows = 0;
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const objects = await parquetReadObjects({
      file,
      metadata: raw,
      columns: [column],
      rowStart: start,
      rowEnd: end,
      compressors,
    });
    for (const o of objects) {
      const v = storedDecimal((o as Record<string, unknown>)[column]);
      if (v !== null) sum += v;
    }
    rows += objects.length;
    start = end;
  }
  if (rows !== Number(metadata.num_rows)) {
    throw new Error(`read ${rows} rows but the footer says ${metadata.num_rows}`);
  }
  return { rows, sum, scale };
}

/** Throws unless `got` matches the source's truth exactly; returns a one-line description. */
export function assertMatches(
  what: string,
  truth: { rows: number; sum: string },
  got: { rows: number; sum: string },
  scale: number,
): string {
  const want = decimalToUnscaled(truth.sum, scale);
  const have = decimalToUnscaled(got.sum, scale);
  if (truth.rows !== got.rows || want !== have) {
    throw new Error(
      `${what}: verification failed: ${got.rows} rows, sum ${got.sum}; PostgreSQL has ${truth.rows} rows, sum ${truth.sum}`,
    );
  }
  return `${what}: ${got.rows} rows, sum ${unscaledToDecimal(have, scale)} (matches PostgreSQL)`;
}
