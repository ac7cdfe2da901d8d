import { describe, expect, it } from "vitest";
import {
  type ColumnBuilder,
  createBuilder,
  UnrepresentableValueError,
  type Wire,
} from "../parquet/columns.js";
import { formatDecimal, readInt128 } from "../types/decimal.js";
import { formatMicros } from "../types/temporal.js";
import { CopyBinaryReader, CopyFormatError } from "./copy-binary.js";

// --- encoders of PostgreSQL's binary send formats, written from the protocol documentation ---

const be = {
  i16: (v: number) => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setInt16(0, v);
    return b;
  },
  i32: (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v);
    return b;
  },
  i64: (v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v);
    return b;
  },
  f64: (v: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v);
    return b;
  },
};

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A binary COPY stream of rows whose fields are already encoded (null = SQL NULL). */
function copyStream(rows: (Uint8Array | null)[][], trailer = true): Uint8Array {
  const header = concat([
    new Uint8Array([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]),
    be.i32(0),
    be.i32(0),
  ]);
  const body = rows.map((fields) =>
    concat([
      be.i16(fields.length),
      ...fields.map((f) => (f === null ? be.i32(-1) : concat([be.i32(f.length), f]))),
    ]),
  );
  return concat([header, ...body, ...(trailer ? [be.i16(-1)] : [])]);
}

/** numeric_send of a plain decimal string (same digit grouping as PostgreSQL). */
function numeric(text: string): Uint8Array {
  if (text === "NaN") return concat([be.i16(0), be.i16(0), new Uint8Array([0xc0, 0]), be.i16(0)]);
  if (text === "Infinity")
    return concat([be.i16(0), be.i16(0), new Uint8Array([0xd0, 0]), be.i16(0)]);
  const neg = text.startsWith("-");
  const [ip = "0", fp = ""] = (neg ? text.slice(1) : text).split(".");
  const intPart = ip.replace(/^0+/, "");
  const intPadded = intPart.padStart(Math.ceil(intPart.length / 4) * 4, "0");
  const fracPadded = fp.padEnd(Math.ceil(fp.length / 4) * 4, "0");
  const groups: number[] = [];
  for (let i = 0; i < intPadded.length; i += 4) groups.push(Number(intPadded.slice(i, i + 4)));
  for (let i = 0; i < fracPadded.length; i += 4) groups.push(Number(fracPadded.slice(i, i + 4)));
  let weight = intPadded.length / 4 - 1;
  while (groups.length > 0 && groups[0] === 0) {
    groups.shift();
    weight--;
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
  return concat([
    be.i16(groups.length),
    be.i16(groups.length === 0 ? 0 : weight),
    new Uint8Array([neg ? 0x40 : 0, 0]),
    be.i16(fp.length),
    ...groups.map(be.i16),
  ]);
}

function array1d(elemOid: number, elements: (Uint8Array | null)[]): Uint8Array {
  if (elements.length === 0) return concat([be.i32(0), be.i32(0), be.i32(elemOid)]);
  return concat([
    be.i32(1),
    be.i32(elements.some((e) => e === null) ? 1 : 0),
    be.i32(elemOid),
    be.i32(elements.length),
    be.i32(1),
    ...elements.map((e) => (e === null ? be.i32(-1) : concat([be.i32(e.length), e]))),
  ]);
}

/** Element `i`, failing the test when it is missing. */
function at<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new Error(`missing item ${i}`);
  return item;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

function builders(wires: Wire[]): ColumnBuilder[] {
  return wires.map((w, i) =>
    createBuilder(w, { relation: "public.t", column: `c${i}`, pgType: w.kind }),
  );
}

async function readAll(bytes: Uint8Array, wires: Wire[], chunk = 1 << 20) {
  const bs = builders(wires);
  const reader = new CopyBinaryReader(chunked(bytes, chunk), bs);
  let rows = 0;
  while (!reader.done) rows += await reader.fill(1000, 1 << 30);
  return { rows, data: bs.map((b) => b.finish()), reader };
}

describe("CopyBinaryReader", () => {
  const wires: Wire[] = [
    { kind: "int4" },
    { kind: "text" },
    { kind: "int8" },
    { kind: "float8" },
    { kind: "bool" },
  ];
  const rows = [
    [be.i32(1), utf8("héllo"), be.i64(-9007199254740993n), be.f64(0.1), new Uint8Array([1])],
    [be.i32(-2), null, be.i64(9223372036854775807n), be.f64(Number.NaN), new Uint8Array([0])],
    [null, utf8(""), null, null, null],
  ];

  it("decodes every value and null, whatever the chunk boundaries", async () => {
    const stream = copyStream(rows);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const { rows: n, data, reader } = await readAll(stream, wires, size);
      expect(n).toBe(3);
      expect(reader.bytesRead).toBe(stream.length);
      const ints = at(data, 0);
      const texts = at(data, 1);
      const bigs = at(data, 2);
      const floats = at(data, 3);
      const bools = at(data, 4);
      expect([0, 1, 2].map((i) => ints.getValid(i) && ints.values[i])).toEqual([1, -2, false]);
      const decoder = new TextDecoder();
      const text = (i: number) =>
        texts.getValid(i)
          ? decoder.decode(
              (texts.values as Uint8Array).subarray(
                texts.valueOffsets[i],
                texts.valueOffsets[i + 1],
              ),
            )
          : null;
      expect([text(0), text(1), text(2)]).toEqual(["héllo", null, ""]);
      expect(Array.from(bigs.values as BigInt64Array)).toEqual([
        -9007199254740993n,
        9223372036854775807n,
        0n,
      ]);
      expect(bigs.getValid(2)).toBe(false);
      expect((floats.values as Float64Array)[0]).toBe(0.1);
      expect(Number.isNaN((floats.values as Float64Array)[1])).toBe(true);
      expect([bools.getValid(0), bools.getValid(1), bools.getValid(2)]).toEqual([
        true,
        true,
        false,
      ]);
      expect(bools.nullCount).toBe(1);
    }
  });

  it("stops at maxRows and resumes in the middle of a chunk", async () => {
    const bs = builders(wires);
    const reader = new CopyBinaryReader(chunked(copyStream(rows), 1 << 20), bs);
    expect(await reader.fill(2, 1 << 30)).toBe(2);
    expect(reader.done).toBe(false);
    for (const b of bs) b.reset();
    expect(await reader.fill(2, 1 << 30)).toBe(1);
    expect(reader.done).toBe(true);
    expect(bs[0]?.length).toBe(1);
  });

  it("refuses a stream without trailer, a wrong field count and a non-binary stream", async () => {
    await expect(readAll(copyStream(rows).slice(0, -5), wires)).rejects.toThrow(CopyFormatError);
    await expect(readAll(copyStream(rows), wires.slice(0, 4))).rejects.toThrow(
      "row has 5 fields, expected 4",
    );
    await expect(readAll(utf8("1\thello\tworld\t42\n2\tabc\n"), wires)).rejects.toThrow(
      "PGCOPY signature",
    );
  });

  it("shifts dates and timestamps from the 2000-01-01 epoch without any time zone", async () => {
    const micros = 1_234_567n; // 2000-01-01 00:00:01.234567
    const { data } = await readAll(
      copyStream([
        [be.i32(0), be.i64(micros), be.i64(micros)],
        [be.i32(-10958), be.i64(-946_684_800_000_001n), be.i64(-1n)],
      ]),
      [{ kind: "date" }, { kind: "timestamp", utc: false }, { kind: "timestamp", utc: true }],
    );
    const dates = at(data, 0);
    const ts = at(data, 1);
    const tstz = at(data, 2);
    expect(Array.from(dates.values as Int32Array)).toEqual([10957, -1]);
    const t = Array.from(ts.values as BigInt64Array);
    expect(t.map((v) => formatMicros(v, false))).toEqual([
      "2000-01-01 00:00:01.234567",
      "1969-12-31 23:59:59.999999",
    ]);
    expect(formatMicros(at(Array.from(tstz.values as BigInt64Array), 1), true)).toBe(
      "1999-12-31T23:59:59.999999Z",
    );
    expect(String(tstz.type)).toContain("UTC");
  });

  it("refuses infinite dates and timestamps naming the column", async () => {
    await expect(readAll(copyStream([[be.i32(0x7fffffff)]]), [{ kind: "date" }])).rejects.toThrow(
      /public\.t\.c0 \(date\): value infinity cannot be extracted/,
    );
    await expect(
      readAll(copyStream([[be.i64(-9223372036854775808n)]]), [{ kind: "timestamp", utc: true }]),
    ).rejects.toThrow(UnrepresentableValueError);
  });

  it("decodes numeric exactly into decimal128 and refuses what does not fit", async () => {
    const values = [
      "0",
      "1.5",
      "-1.5",
      "12345678901234567890123456.0123456789",
      "-0.0000000001",
      "10000",
      "0.1",
    ];
    const { data } = await readAll(copyStream(values.map((v) => [numeric(v)])), [
      { kind: "numeric", precision: 38, scale: 10 },
    ]);
    const words = data[0]?.values as Uint32Array;
    expect(values.map((_, i) => formatDecimal(readInt128(words, i), 10))).toEqual([
      "0.0000000000",
      "1.5000000000",
      "-1.5000000000",
      "12345678901234567890123456.0123456789",
      "-0.0000000001",
      "10000.0000000000",
      "0.1000000000",
    ]);
    const wire: Wire = { kind: "numeric", precision: 5, scale: 2 };
    await expect(readAll(copyStream([[numeric("1000.00")]]), [wire])).rejects.toThrow(
      /value 1000\.00 cannot be extracted: the value has more than 3 integer digits/,
    );
    await expect(readAll(copyStream([[numeric("1.005")]]), [wire])).rejects.toThrow(
      /value 1\.005 cannot be extracted: the value has 3 fractional digits/,
    );
    await expect(readAll(copyStream([[numeric("NaN")]]), [wire])).rejects.toThrow(/value NaN/);
    await expect(readAll(copyStream([[numeric("Infinity")]]), [wire])).rejects.toThrow(
      /value Infinity/,
    );
  });

  it("renders uuid, strips the jsonb version byte and keeps bytea bytes", async () => {
    const uuid = Uint8Array.from([
      0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a,
      0x11,
    ]);
    const { data } = await readAll(
      copyStream([
        [uuid, concat([new Uint8Array([1]), utf8('{"a": 1}')]), Uint8Array.from([0, 255, 92])],
      ]),
      [{ kind: "uuid" }, { kind: "jsonb" }, { kind: "bytea" }],
    );
    const decoder = new TextDecoder();
    expect(decoder.decode(data[0]?.values as Uint8Array)).toBe(
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    );
    expect(decoder.decode(data[1]?.values as Uint8Array)).toBe('{"a": 1}');
    expect(Array.from(data[2]?.values as Uint8Array)).toEqual([0, 255, 92]);
  });

  it("decodes one-dimensional arrays with null elements and empty arrays; refuses 2-D", async () => {
    const wire: Wire = { kind: "array", element: { kind: "text" } };
    const { data } = await readAll(
      copyStream([[array1d(25, [utf8("a"), null, utf8("b c")])], [array1d(25, [])], [null]]),
      [wire],
    );
    const list = at(data, 0);
    expect(Array.from(list.valueOffsets ?? [])).toEqual([0, 3, 3, 3]);
    expect(list.getValid(2)).toBe(false);
    expect(list.children[0]?.nullCount).toBe(1);
    const twoD = concat([
      be.i32(2),
      be.i32(0),
      be.i32(23),
      be.i32(1),
      be.i32(1),
      be.i32(1),
      be.i32(1),
      be.i32(4),
      be.i32(7),
    ]);
    await expect(
      readAll(copyStream([[twoD]]), [{ kind: "array", element: { kind: "int4" } }]),
    ).rejects.toThrow(/a 2-dimensional array.*only one-dimensional arrays/);
  });
});
