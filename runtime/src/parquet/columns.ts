/**
 * Column builders: decode PostgreSQL binary COPY field values straight into Arrow buffers (typed
 * arrays, UTF-8 byte runs, validity bitmaps), with no per-value JS objects. One builder per output
 * column; `finish()` hands out Arrow `Data` viewing the builder's buffers, valid until `reset()`.
 */
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  List,
  makeData,
  Timestamp,
  TimeUnit,
  Utf8,
} from "apache-arrow";
import { decodeNumericInto, describeRefusal, numericToText } from "../types/decimal.js";
import type { LogicalType } from "../types/pg.js";
import { PG_DATE_NEG_INFINITY, PG_DATE_POS_INFINITY, PG_EPOCH_DAYS } from "../types/temporal.js";

/** How a column's values arrive on the wire (binary send format of the SELECTed expression). */
export type Wire =
  | { kind: "int2" | "int4" | "int8" | "float4" | "float8" | "bool" | "bytea" | "date" | "uuid" }
  | { kind: "timestamp"; utc: boolean }
  | { kind: "text" }
  | { kind: "jsonb" }
  | { kind: "numeric"; precision: number; scale: number }
  | { kind: "array"; element: Wire };

/** Identifies a column in error messages. */
export interface ColumnContext {
  relation: string;
  column: string;
  pgType: string;
}

/** A value PostgreSQL holds that the target type cannot carry exactly. */
export class UnrepresentableValueError extends Error {
  constructor(
    readonly context: ColumnContext,
    readonly value: string,
    readonly reason: string,
  ) {
    super(
      `${context.relation}.${context.column} (${context.pgType}): value ${value} cannot be extracted: ${reason}`,
    );
    this.name = "UnrepresentableValueError";
  }
}

export interface ColumnBuilder {
  readonly type: DataType;
  readonly length: number;
  readonly nullCount: number;
  /** Approximate bytes buffered, for batch and file size bounds. */
  readonly byteSize: number;
  append(view: DataView, bytes: Uint8Array, offset: number, length: number): void;
  appendNull(): void;
  finish(): Data;
  reset(): void;
}

function grow<
  T extends Uint8Array | Int32Array | Int16Array | Float32Array | Float64Array | Uint32Array,
>(array: T, needed: number, make: (n: number) => T): T {
  if (needed <= array.length) {
    return array;
  }
  let n = Math.max(array.length * 2, 1024);
  while (n < needed) n *= 2;
  const next = make(n);
  next.set(array);
  return next;
}

/**
 * Validity bitmap plus length and null count, shared by every builder. The bitmap is only written
 * once a batch has its first null (Arrow omits it when there are none): most columns never pay a
 * bit write per value.
 */
class Validity {
  bits = new Uint8Array(128);
  length = 0;
  nullCount = 0;

  pushValid(): void {
    const i = this.length;
    if (this.nullCount > 0) {
      const byte = i >> 3;
      if (byte >= this.bits.length) {
        this.bits = grow(this.bits, byte + 1, (n) => new Uint8Array(n));
      }
      this.bits[byte] = (this.bits[byte] ?? 0) | (1 << (i & 7));
    }
    this.length = i + 1;
  }

  pushNull(): void {
    const i = this.length;
    const byte = i >> 3;
    if (byte >= this.bits.length) {
      this.bits = grow(this.bits, byte + 1, (n) => new Uint8Array(n));
    }
    if (this.nullCount === 0) {
      // First null of the batch: every earlier value was valid.
      this.bits.fill(0xff, 0, byte);
      this.bits[byte] = (1 << (i & 7)) - 1;
    } else {
      this.bits[byte] = (this.bits[byte] ?? 0) & ~(1 << (i & 7));
    }
    this.nullCount++;
    this.length = i + 1;
  }

  bitmap(): Uint8Array | undefined {
    return this.nullCount === 0 ? undefined : this.bits.subarray(0, (this.length + 7) >> 3);
  }

  reset(): void {
    this.length = 0;
    this.nullCount = 0;
  }
}

abstract class BaseBuilder implements ColumnBuilder {
  protected readonly validity = new Validity();
  abstract readonly type: DataType;
  constructor(protected readonly context: ColumnContext) {}
  get length(): number {
    return this.validity.length;
  }
  get nullCount(): number {
    return this.validity.nullCount;
  }
  abstract get byteSize(): number;
  abstract append(view: DataView, bytes: Uint8Array, offset: number, length: number): void;
  abstract appendNull(): void;
  abstract finish(): Data;
  reset(): void {
    this.validity.reset();
  }
  protected expectLength(length: number, expected: number): void {
    if (length !== expected) {
      throw new Error(
        `${this.context.relation}.${this.context.column} (${this.context.pgType}): binary field of ${length} bytes, expected ${expected}: the column's wire type does not match its declared type`,
      );
    }
  }
}

/** int2, int4, float4, float8, date: one fixed-width value per row. */
class FixedBuilder extends BaseBuilder {
  private values: Int16Array | Int32Array | Float32Array | Float64Array;
  readonly type: DataType;
  private readonly width: number;
  constructor(
    context: ColumnContext,
    private readonly wire: "int2" | "int4" | "float4" | "float8" | "date",
  ) {
    super(context);
    switch (wire) {
      case "int2":
        this.type = new Int16();
        this.values = new Int16Array(1024);
        this.width = 2;
        break;
      case "int4":
        this.type = new Int32();
        this.values = new Int32Array(1024);
        this.width = 4;
        break;
      case "date":
        this.type = new DateDay();
        this.values = new Int32Array(1024);
        this.width = 4;
        break;
      case "float4":
        this.type = new Float32();
        this.values = new Float32Array(1024);
        this.width = 4;
        break;
      case "float8":
        this.type = new Float64();
        this.values = new Float64Array(1024);
        this.width = 8;
        break;
    }
  }
  get byteSize(): number {
    return this.length * this.width;
  }
  private ensure(): void {
    const n = this.length + 1;
    if (n > this.values.length) {
      const v = this.values;
      const size = v.length * 2;
      const next =
        v instanceof Int16Array
          ? new Int16Array(size)
          : v instanceof Int32Array
            ? new Int32Array(size)
            : v instanceof Float32Array
              ? new Float32Array(size)
              : new Float64Array(size);
      next.set(v);
      this.values = next;
    }
  }
  append(view: DataView, _bytes: Uint8Array, offset: number, length: number): void {
    this.ensure();
    const i = this.length;
    this.expectLength(length, this.width);
    switch (this.wire) {
      case "int2":
        this.values[i] = view.getInt16(offset);
        break;
      case "int4":
        this.values[i] = view.getInt32(offset);
        break;
      case "float4":
        this.values[i] = view.getFloat32(offset);
        break;
      case "float8":
        this.values[i] = view.getFloat64(offset);
        break;
      case "date": {
        const d = view.getInt32(offset);
        if (d === PG_DATE_POS_INFINITY || d === PG_DATE_NEG_INFINITY) {
          throw new UnrepresentableValueError(
            this.context,
            d > 0 ? "infinity" : "-infinity",
            "Parquet DATE has no infinity",
          );
        }
        this.values[i] = d + PG_EPOCH_DAYS;
        break;
      }
    }
    this.validity.pushValid();
  }
  appendNull(): void {
    this.ensure();
    this.values[this.length] = 0;
    this.validity.pushNull();
  }
  finish(): Data {
    return makeData({
      type: this.type as Int32,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.validity.bitmap(),
      data: this.values.subarray(0, this.length) as Int32Array,
    });
  }
}

// 946684800000000 (2000-01-01 in Unix microseconds) split into 32-bit halves, so the epoch shift
// is done without allocating a BigInt per value.
const EPOCH_LO = 946_684_800_000_000 % 0x1_0000_0000;
const EPOCH_HI = Math.floor(946_684_800_000_000 / 0x1_0000_0000);

/** int8 and timestamp/timestamptz: 64-bit values copied as two 32-bit halves. */
class Int64Builder extends BaseBuilder {
  private words = new Int32Array(2048);
  readonly type: DataType;
  constructor(
    context: ColumnContext,
    private readonly timestamp: { utc: boolean } | null,
  ) {
    super(context);
    this.type =
      timestamp === null
        ? new Int64()
        : new Timestamp(TimeUnit.MICROSECOND, timestamp.utc ? "UTC" : null);
  }
  get byteSize(): number {
    return this.length * 8;
  }
  append(view: DataView, _bytes: Uint8Array, offset: number, length: number): void {
    this.expectLength(length, 8);
    const i = this.length;
    if (2 * i + 2 > this.words.length) {
      this.words = grow(this.words, 2 * i + 2, (n) => new Int32Array(n));
    }
    let hi = view.getInt32(offset);
    let lo = view.getUint32(offset + 4);
    if (this.timestamp !== null) {
      if ((hi === 0x7fffffff && lo === 0xffffffff) || (hi === -0x80000000 && lo === 0)) {
        throw new UnrepresentableValueError(
          this.context,
          hi > 0 ? "infinity" : "-infinity",
          "Parquet TIMESTAMP has no infinity",
        );
      }
      const sum = lo + EPOCH_LO;
      lo = sum >>> 0;
      hi = (hi + EPOCH_HI + (sum > 0xffffffff ? 1 : 0)) | 0;
    }
    this.words[2 * i] = lo | 0;
    this.words[2 * i + 1] = hi;
    this.validity.pushValid();
  }
  appendNull(): void {
    const i = this.length;
    if (2 * i + 2 > this.words.length) {
      this.words = grow(this.words, 2 * i + 2, (n) => new Int32Array(n));
    }
    this.words[2 * i] = 0;
    this.words[2 * i + 1] = 0;
    this.validity.pushNull();
  }
  finish(): Data {
    const data = new BigInt64Array(this.words.buffer, this.words.byteOffset, this.length);
    return makeData({
      type: this.type as Int64,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.validity.bitmap(),
      data,
    });
  }
}

class BoolBuilder extends BaseBuilder {
  private bits = new Uint8Array(128);
  readonly type = new Bool();
  get byteSize(): number {
    return this.length >> 3;
  }
  private set(value: boolean): void {
    const i = this.length;
    const byte = i >> 3;
    if (byte >= this.bits.length) {
      this.bits = grow(this.bits, byte + 1, (n) => new Uint8Array(n));
    }
    const old = this.bits[byte] ?? 0;
    this.bits[byte] = value ? old | (1 << (i & 7)) : old & ~(1 << (i & 7));
  }
  append(view: DataView, _bytes: Uint8Array, offset: number, length: number): void {
    this.expectLength(length, 1);
    this.set(view.getUint8(offset) !== 0);
    this.validity.pushValid();
  }
  appendNull(): void {
    this.set(false);
    this.validity.pushNull();
  }
  finish(): Data {
    return makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.validity.bitmap(),
      data: this.bits.subarray(0, (this.length + 7) >> 3),
    });
  }
}

const HEX = "0123456789abcdef";
const HEX_CODES = Array.from(HEX, (c) => c.charCodeAt(0));

/** Variable-length values: text (UTF-8 as sent), jsonb (minus its version byte), uuid, bytea. */
class VarBuilder extends BaseBuilder {
  private offsets = new Int32Array(1024);
  private data = new Uint8Array(64 * 1024);
  private end = 0;
  readonly type: DataType;
  constructor(
    context: ColumnContext,
    private readonly wire: "text" | "jsonb" | "uuid" | "bytea",
  ) {
    super(context);
    this.type = wire === "bytea" ? new Binary() : new Utf8();
  }
  get byteSize(): number {
    return this.end + this.length * 4;
  }
  private reserve(bytes: number): void {
    const i = this.length;
    if (i + 2 > this.offsets.length) {
      this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    }
    if (this.end + bytes > this.data.length) {
      this.data = grow(this.data, this.end + bytes, (n) => new Uint8Array(n));
    }
  }
  append(_view: DataView, bytes: Uint8Array, offset: number, length: number): void {
    let start = offset;
    let len = length;
    if (this.wire === "jsonb") {
      if (len < 1 || bytes[start] !== 1) {
        throw new Error(
          `${this.context.relation}.${this.context.column} (${this.context.pgType}): unsupported jsonb binary version ${bytes[start] ?? "(empty)"}`,
        );
      }
      start++;
      len--;
    }
    if (this.wire === "uuid") {
      this.expectLength(len, 16);
      this.reserve(36);
      let p = this.end;
      const d = this.data;
      for (let k = 0; k < 16; k++) {
        if (k === 4 || k === 6 || k === 8 || k === 10) d[p++] = 45; // "-"
        const b = bytes[start + k] ?? 0;
        d[p++] = HEX_CODES[b >> 4] ?? 48;
        d[p++] = HEX_CODES[b & 15] ?? 48;
      }
      this.end = p;
    } else {
      this.reserve(len);
      const d = this.data;
      if (len < 32) {
        let p = this.end;
        for (let k = 0; k < len; k++) d[p++] = bytes[start + k] ?? 0;
      } else {
        d.set(bytes.subarray(start, start + len), this.end);
      }
      this.end += len;
    }
    this.offsets[this.length + 1] = this.end;
    this.validity.pushValid();
  }
  appendNull(): void {
    this.reserve(0);
    this.offsets[this.length + 1] = this.end;
    this.validity.pushNull();
  }
  finish(): Data {
    return makeData({
      type: this.type as Utf8,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.validity.bitmap(),
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      data: this.data.subarray(0, this.end),
    });
  }
  override reset(): void {
    super.reset();
    this.end = 0;
    this.offsets[0] = 0;
  }
}

/** numeric -> Decimal128(p,s), exact or refused. */
class DecimalBuilder extends BaseBuilder {
  private words = new Uint32Array(4096);
  readonly type: Decimal;
  constructor(
    context: ColumnContext,
    private readonly precision: number,
    private readonly scale: number,
  ) {
    super(context);
    this.type = new Decimal(scale, precision, 128);
  }
  get byteSize(): number {
    return this.length * 16;
  }
  append(view: DataView, _bytes: Uint8Array, offset: number, length: number): void {
    const i = this.length;
    if (4 * i + 4 > this.words.length) {
      this.words = grow(this.words, 4 * i + 4, (n) => new Uint32Array(n));
    }
    const refusal = decodeNumericInto(
      view,
      offset,
      length,
      this.precision,
      this.scale,
      this.words,
      i,
    );
    if (refusal !== null) {
      throw new UnrepresentableValueError(
        this.context,
        numericToText(view, offset),
        `${describeRefusal(refusal, this.precision, this.scale)}; declare the column numeric(p,s) with a fitting precision and scale (p <= 38), or cast it in a custom query`,
      );
    }
    this.validity.pushValid();
  }
  appendNull(): void {
    const i = this.length;
    if (4 * i + 4 > this.words.length) {
      this.words = grow(this.words, 4 * i + 4, (n) => new Uint32Array(n));
    }
    this.words.fill(0, 4 * i, 4 * i + 4);
    this.validity.pushNull();
  }
  finish(): Data {
    return makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.validity.bitmap(),
      data: this.words.subarray(0, 4 * this.length),
    });
  }
}

/** One-dimensional arrays (binary array format) -> List<element>. */
class ListBuilder extends BaseBuilder {
  private offsets = new Int32Array(1024);
  readonly type: List;
  constructor(
    context: ColumnContext,
    private readonly child: ColumnBuilder,
  ) {
    super(context);
    this.type = new List(new Field("element", child.type, true));
  }
  get byteSize(): number {
    return this.length * 4 + this.child.byteSize;
  }
  append(view: DataView, bytes: Uint8Array, offset: number, length: number): void {
    if (length < 12) {
      throw new Error(
        `${this.context.relation}.${this.context.column} (${this.context.pgType}): binary array field of ${length} bytes is shorter than its header`,
      );
    }
    const ndim = view.getInt32(offset);
    if (ndim > 1) {
      throw new UnrepresentableValueError(
        this.context,
        `(a ${ndim}-dimensional array)`,
        "only one-dimensional arrays map to a Parquet LIST; select a flattened or text-cast expression in a custom query",
      );
    }
    let p = offset + 12;
    let count = 0;
    if (ndim === 1) {
      count = view.getInt32(p);
      p += 8; // dimension size and lower bound: the lower bound is not carried (lists start at 1)
    }
    for (let k = 0; k < count; k++) {
      const len = view.getInt32(p);
      p += 4;
      if (len < 0) {
        this.child.appendNull();
      } else {
        this.child.append(view, bytes, p, len);
        p += len;
      }
    }
    if (p !== offset + length) {
      throw new Error(
        `${this.context.relation}.${this.context.column} (${this.context.pgType}): binary array field length mismatch (${p - offset} of ${length} bytes used)`,
      );
    }
    this.pushOffset();
    this.validity.pushValid();
  }
  private pushOffset(): void {
    const i = this.length;
    if (i + 2 > this.offsets.length) {
      this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    }
    this.offsets[i + 1] = this.child.length;
  }
  appendNull(): void {
    this.pushOffset();
    this.validity.pushNull();
  }
  finish(): Data {
    return makeData({
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.validity.bitmap(),
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      child: this.child.finish(),
    });
  }
  override reset(): void {
    super.reset();
    this.child.reset();
    this.offsets[0] = 0;
  }
}

/** Creates the builder decoding `wire` into Arrow. */
export function createBuilder(wire: Wire, context: ColumnContext): ColumnBuilder {
  switch (wire.kind) {
    case "int2":
    case "int4":
    case "float4":
    case "float8":
    case "date":
      return new FixedBuilder(context, wire.kind);
    case "int8":
      return new Int64Builder(context, null);
    case "timestamp":
      return new Int64Builder(context, { utc: wire.utc });
    case "bool":
      return new BoolBuilder(context);
    case "text":
    case "jsonb":
    case "uuid":
    case "bytea":
      return new VarBuilder(context, wire.kind);
    case "numeric":
      return new DecimalBuilder(context, wire.precision, wire.scale);
    case "array": {
      if (wire.element.kind === "array") {
        throw new Error(
          `${context.relation}.${context.column}: nested array wire types are not supported`,
        );
      }
      return new ListBuilder(context, createBuilder(wire.element, context));
    }
  }
}

/** Wire format for a logical type; `jsonb` tells the binary jsonb version byte apart from json. */
export function wireOf(type: LogicalType, jsonb: boolean): Wire {
  switch (type.kind) {
    case "int16":
      return { kind: "int2" };
    case "int32":
      return { kind: "int4" };
    case "int64":
      return { kind: "int8" };
    case "float32":
      return { kind: "float4" };
    case "float64":
      return { kind: "float8" };
    case "bool":
      return { kind: "bool" };
    case "decimal":
      return { kind: "numeric", precision: type.precision, scale: type.scale };
    case "bytes":
      return { kind: "bytea" };
    case "date":
      return { kind: "date" };
    case "timestamp":
      return { kind: "timestamp", utc: false };
    case "timestamptz":
      return { kind: "timestamp", utc: true };
    case "string":
      if (type.source === "uuid") return { kind: "uuid" };
      if (type.source === "json" && jsonb) return { kind: "jsonb" };
      return { kind: "text" };
    case "list":
      return { kind: "array", element: wireOf(type.element, jsonb) };
  }
}
