/**
 * Arrow <-> transform rows. Reading turns Arrow columns (as extract wrote them) into the values the
 * transform types promise (types.ts); writing checks each output row against the pipeline's
 * declared output columns and builds Arrow columns for the Parquet writer the extract uses too.
 */
import {
  Binary,
  Bool,
  type Data,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  type Table,
  Timestamp,
  TimeUnit,
  Type,
  Utf8,
} from "apache-arrow";
import { normaliseType } from "../trino/sql.js";
import { formatDecimal, readInt128, writeInt128 } from "../types/decimal.js";
import { formatDate, parseDate } from "../types/temporal.js";
import type { Row, RowValue } from "./types.js";

const MS_PER_DAY = 86_400_000;

function timestampToDate(value: bigint, unit: TimeUnit): Date {
  const ms =
    unit === TimeUnit.SECOND
      ? value * 1000n
      : unit === TimeUnit.MILLISECOND
        ? value
        : unit === TimeUnit.MICROSECOND
          ? value / 1000n - (value % 1000n < 0n ? 1n : 0n)
          : value / 1_000_000n - (value % 1_000_000n < 0n ? 1n : 0n);
  return new Date(Number(ms));
}

/** Reads value `i` of an Arrow Data chunk as a transform row value. */
function valueAt(data: Data, i: number): RowValue {
  if (data.nullCount > 0 && data.nullBitmap !== undefined && data.nullBitmap.length > 0) {
    const bit = data.offset + i;
    if (((data.nullBitmap[bit >> 3] ?? 0) & (1 << (bit & 7))) === 0) {
      return null;
    }
  }
  const type = data.type;
  const at = data.offset + i;
  switch (type.typeId) {
    case Type.Int: {
      const v = (data.values as ArrayLike<number | bigint>)[at];
      if (v === undefined) return null;
      return (type as Int64).bitWidth === 64 ? BigInt(v) : Number(v);
    }
    case Type.Float:
      return Number((data.values as ArrayLike<number>)[at]);
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      return ((bits[at >> 3] ?? 0) & (1 << (at & 7))) !== 0;
    }
    case Type.Utf8:
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const start = offsets[at] ?? 0;
      const end = offsets[at + 1] ?? start;
      const bytes = (data.values as Uint8Array).subarray(start, end);
      return type.typeId === Type.Utf8 ? new TextDecoder().decode(bytes) : bytes.slice();
    }
    case Type.Decimal:
      return formatDecimal(readInt128(data.values as Uint32Array, at), (type as Decimal).scale);
    case Type.Date: {
      const dt = type as DateDay;
      const v = (data.values as ArrayLike<number | bigint>)[at] ?? 0;
      // DateDay stores days; DateMillisecond (unit 1) stores ms.
      return formatDate(dt.unit === 0 ? Number(v) : Math.floor(Number(v) / MS_PER_DAY));
    }
    case Type.Timestamp: {
      const v = (data.values as BigInt64Array)[at] ?? 0n;
      return timestampToDate(BigInt(v), (type as Timestamp).unit);
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const child = data.children[0];
      if (child === undefined) return [];
      const out: RowValue[] = [];
      for (let j = offsets[at] ?? 0; j < (offsets[at + 1] ?? 0); j++) {
        out.push(valueAt(child, j - child.offset));
      }
      return out;
    }
    default:
      throw new Error(`Arrow type ${String(type)} is not readable as a transform value`);
  }
}

/** Yields the rows of an Arrow table batch by batch, as transform rows. */
export function* tableRows(table: Table): Generator<Row> {
  const names = table.schema.fields.map((f) => f.name);
  for (const batch of table.batches) {
    const cols = names.map((_, c) => batch.data.children[c]);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Row = {};
      for (let c = 0; c < names.length; c++) {
        const name = names[c];
        const data = cols[c];
        if (name !== undefined && data !== undefined) {
          row[name] = valueAt(data, i);
        }
      }
      yield row;
    }
  }
}

/** A declared output column with its parsed target type. */
export interface OutputSpec {
  name: string;
  type: string;
  nullable: boolean;
}

/** Why an output row was refused: names the pipeline, row index and column. */
export class OutputRowError extends Error {
  override readonly name = "OutputRowError";
  readonly transient = false;
}

type Kind =
  | { k: "utf8" }
  | { k: "binary" }
  | { k: "bool" }
  | { k: "int"; bits: 16 | 32 | 64 }
  | { k: "float"; bits: 32 | 64 }
  | { k: "decimal"; precision: number; scale: number }
  | { k: "date" }
  | { k: "ts"; utc: boolean };

function kindOf(type: string): Kind {
  const t = normaliseType(type);
  if (t === "varchar" || t === "json" || t === "uuid") return { k: "utf8" };
  if (t === "varbinary") return { k: "binary" };
  if (t === "boolean") return { k: "bool" };
  if (t === "tinyint" || t === "smallint") return { k: "int", bits: 16 };
  if (t === "integer") return { k: "int", bits: 32 };
  if (t === "bigint") return { k: "int", bits: 64 };
  if (t === "real") return { k: "float", bits: 32 };
  if (t === "double") return { k: "float", bits: 64 };
  if (t === "date") return { k: "date" };
  const dec = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (dec !== null) return { k: "decimal", precision: Number(dec[1]), scale: Number(dec[2]) };
  if (t.startsWith("timestamp(")) return { k: "ts", utc: t.endsWith("with time zone") };
  throw new Error(
    `output type ${type} is not supported by the transfer writer, which writes scalar columns only (boolean, tinyint, smallint, integer, bigint, real, double, decimal(p,s), varchar, json, uuid, varbinary, date, timestamp(p), timestamp(p) with time zone): declare an array as varchar holding JSON text`,
  );
}

function arrowType(kind: Kind) {
  switch (kind.k) {
    case "utf8":
      return new Utf8();
    case "binary":
      return new Binary();
    case "bool":
      return new Bool();
    case "int":
      return kind.bits === 16 ? new Int16() : kind.bits === 32 ? new Int32() : new Int64();
    case "float":
      return kind.bits === 32 ? new Float32() : new Float64();
    case "decimal":
      return new Decimal(kind.scale, kind.precision, 128);
    case "date":
      return new DateDay();
    case "ts":
      return new Timestamp(TimeUnit.MICROSECOND, kind.utc ? "UTC" : null);
  }
}

type Cell = string | number | bigint | boolean | Uint8Array | null;

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?$/;

/** Exact decimal text (or bigint, or number rounded half-up to the scale) as an unscaled bigint. */
function toUnscaled(value: RowValue, precision: number, scale: number): bigint | string {
  let text: string;
  if (typeof value === "bigint") text = value.toString();
  else if (typeof value === "number") {
    if (!Number.isFinite(value)) return `${value} is not finite`;
    text = value.toFixed(scale);
  } else if (typeof value === "string") text = value.trim();
  else return `expected a decimal string, bigint or number, got ${describe(value)}`;
  const m = DECIMAL_TEXT.exec(text);
  if (m === null || ((m[2] ?? "") === "" && (m[3] ?? "") === "")) {
    return `"${text}" is not a decimal number`;
  }
  const frac = m[3] ?? "";
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) {
    return `"${text}" has more than ${scale} decimal places`;
  }
  const digits = `${m[2] ?? ""}${frac.slice(0, scale).padEnd(scale, "0")}`.replace(/^0+(?=\d)/, "");
  if (digits.length > precision) {
    return `"${text}" needs more than ${precision} digits`;
  }
  const v = BigInt(digits === "" ? "0" : digits);
  return m[1] === "-" ? -v : v;
}

function describe(value: RowValue | undefined): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (value instanceof Date) return "a Date";
  if (value instanceof Uint8Array) return "a Uint8Array";
  if (Array.isArray(value)) return "an array";
  return `${typeof value} ${JSON.stringify(typeof value === "bigint" ? value.toString() : value)}`;
}

/** Converts one value to its column cell, or returns why it cannot be. */
function convert(
  value: RowValue,
  kind: Kind,
): { ok: true; cell: Cell } | { ok: false; why: string } {
  const bad = (what: string) => ({
    ok: false as const,
    why: `expected ${what}, got ${describe(value)}`,
  });
  switch (kind.k) {
    case "utf8":
      return typeof value === "string" ? { ok: true, cell: value } : bad("a string");
    case "binary":
      return value instanceof Uint8Array ? { ok: true, cell: value } : bad("a Uint8Array");
    case "bool":
      return typeof value === "boolean" ? { ok: true, cell: value } : bad("a boolean");
    case "int": {
      if (kind.bits === 64) {
        if (typeof value === "bigint") return { ok: true, cell: value };
        if (typeof value === "number" && Number.isSafeInteger(value))
          return { ok: true, cell: BigInt(value) };
        return bad("a bigint (or a safe integer number)");
      }
      const lim = kind.bits === 16 ? 32767 : 2147483647;
      const n = typeof value === "bigint" ? Number(value) : value;
      if (typeof n === "number" && Number.isInteger(n) && n >= -lim - 1 && n <= lim) {
        return { ok: true, cell: n };
      }
      return bad(`an integer within ${kind.bits}-bit range`);
    }
    case "float":
      return typeof value === "number" ? { ok: true, cell: value } : bad("a number");
    case "decimal": {
      const u = toUnscaled(value, kind.precision, kind.scale);
      return typeof u === "bigint" ? { ok: true, cell: u } : { ok: false, why: u };
    }
    case "date": {
      const days = typeof value === "string" ? parseDate(value) : null;
      return days === null ? bad('a "YYYY-MM-DD" string') : { ok: true, cell: days };
    }
    case "ts":
      return value instanceof Date && !Number.isNaN(value.getTime())
        ? { ok: true, cell: BigInt(value.getTime()) * 1000n }
        : bad("a valid Date");
  }
}

function bitmap(valid: boolean[]): Uint8Array {
  const out = new Uint8Array((valid.length + 7) >> 3);
  valid.forEach((v, i) => {
    if (v) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return out;
}

function buildData(kind: Kind, cells: Cell[]): Data {
  const type = arrowType(kind);
  const length = cells.length;
  const valid = cells.map((c) => c !== null);
  const nullCount = valid.filter((v) => !v).length;
  const nullBitmap = bitmap(valid);
  switch (kind.k) {
    case "utf8":
    case "binary": {
      const enc = new TextEncoder();
      const parts = cells.map((c) =>
        c === null ? new Uint8Array(0) : typeof c === "string" ? enc.encode(c) : (c as Uint8Array),
      );
      const offsets = new Int32Array(length + 1);
      parts.forEach((p, i) => {
        offsets[i + 1] = (offsets[i] ?? 0) + p.length;
      });
      const data = new Uint8Array(offsets[length] ?? 0);
      parts.forEach((p, i) => {
        data.set(p, offsets[i] ?? 0);
      });
      return makeData({
        type: type as Utf8,
        length,
        nullCount,
        nullBitmap,
        valueOffsets: offsets,
        data,
      });
    }
    case "bool":
      return makeData({
        type: type as Bool,
        length,
        nullCount,
        nullBitmap,
        data: bitmap(cells.map((c) => c === true)),
      });
    case "int":
    case "float":
    case "date": {
      const arr =
        kind.k === "int" && kind.bits === 64
          ? BigInt64Array.from(cells.map((c) => (typeof c === "bigint" ? c : 0n)))
          : kind.k === "int"
            ? (kind.bits === 16 ? Int16Array : Int32Array).from(
                cells.map((c) => (typeof c === "number" ? c : 0)),
              )
            : kind.k === "date"
              ? Int32Array.from(cells.map((c) => (typeof c === "number" ? c : 0)))
              : (kind.bits === 32 ? Float32Array : Float64Array).from(
                  cells.map((c) => (typeof c === "number" ? c : 0)),
                );
      return makeData({
        type: type as Int32,
        length,
        nullCount,
        nullBitmap,
        data: arr as Int32Array,
      });
    }
    case "ts":
      return makeData({
        type: type as Timestamp,
        length,
        nullCount,
        nullBitmap,
        data: BigInt64Array.from(
          cells.map((c) => (typeof c === "bigint" ? c : 0n)),
        ) as unknown as Int32Array,
      });
    case "decimal": {
      const words = new Uint32Array(length * 4);
      cells.forEach((c, i) => {
        writeInt128(words, i, typeof c === "bigint" ? c : 0n);
      });
      return makeData({ type: type as Decimal, length, nullCount, nullBitmap, data: words });
    }
  }
}

/** Validates output rows against the declared columns and builds Arrow record batches. */
export class OutputBatcher {
  private readonly kinds: Kind[];
  private readonly columns: Cell[][];
  private rowIndex = 0;
  readonly schema: Schema;

  constructor(
    private readonly pipeline: string,
    private readonly specs: readonly OutputSpec[],
  ) {
    this.kinds = specs.map((s) => kindOf(s.type));
    this.columns = specs.map(() => []);
    this.schema = new Schema(
      specs.map((s, i) => new Field(s.name, arrowType(this.kinds[i] ?? { k: "utf8" }), s.nullable)),
    );
  }

  get pending(): number {
    return this.columns[0]?.length ?? 0;
  }

  /** Rows accepted so far (also the index of the next row in error messages). */
  get rows(): number {
    return this.rowIndex;
  }

  /** Checks and buffers one output row; throws OutputRowError naming row and column. */
  push(row: unknown): void {
    const index = this.rowIndex;
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new OutputRowError(
        `transform of pipeline ${this.pipeline}: output row ${index} is not an object`,
      );
    }
    const cells: Cell[] = [];
    this.specs.forEach((spec, c) => {
      const kind = this.kinds[c] ?? { k: "utf8" };
      const value = (row as Record<string, RowValue | undefined>)[spec.name];
      if (value === undefined) {
        throw new OutputRowError(
          `transform of pipeline ${this.pipeline}: output row ${index} has no column "${spec.name}" (declared ${spec.type}); set it, or null if it is nullable`,
        );
      }
      if (value === null) {
        if (!spec.nullable) {
          throw new OutputRowError(
            `transform of pipeline ${this.pipeline}: output row ${index} column "${spec.name}" is null but declared not nullable`,
          );
        }
        cells.push(null);
        return;
      }
      const r = convert(value, kind);
      if (!r.ok) {
        throw new OutputRowError(
          `transform of pipeline ${this.pipeline}: output row ${index} column "${spec.name}" (${spec.type}): ${r.why}`,
        );
      }
      cells.push(r.cell);
    });
    cells.forEach((cell, c) => {
      this.columns[c]?.push(cell);
    });
    this.rowIndex++;
  }

  /** Takes the buffered rows as one record batch (possibly empty). */
  flush(): RecordBatch {
    const children = this.specs.map((_, c) =>
      buildData(this.kinds[c] ?? { k: "utf8" }, this.columns[c] ?? []),
    );
    const length = this.pending;
    for (const col of this.columns) col.length = 0;
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children });
    return new RecordBatch(this.schema, data);
  }
}
