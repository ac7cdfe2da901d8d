/**
 * Exact conversion of PostgreSQL `numeric` (binary send format: base-10000 digits) into the
 * unscaled 128-bit integers of an Arrow/Parquet DECIMAL(p,s). No floating point is ever involved:
 * a value that cannot be carried exactly is refused, never rounded.
 */

/** Why a numeric value cannot be stored in the target decimal. */
export type DecimalRefusal =
  | { kind: "nan" }
  | { kind: "infinity"; negative: boolean }
  | { kind: "scale"; dscale: number }
  | { kind: "precision" };

export type DecimalResult = { ok: true; unscaled: bigint } | { ok: false; refusal: DecimalRefusal };

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

const POW10_BIG: bigint[] = [];
for (let i = 0, p = 1n; i <= 80; i++, p *= 10n) {
  POW10_BIG.push(p);
}

function pow10(n: number): bigint {
  const cached = POW10_BIG[n];
  return cached ?? 10n ** BigInt(n);
}

/**
 * Decodes one binary `numeric` value at `offset` of `view` into its unscaled integer at `scale`,
 * checking that it fits `precision` digits. `length` is the field length from the COPY stream.
 */
export function decodeNumeric(
  view: DataView,
  offset: number,
  length: number,
  precision: number,
  scale: number,
): DecimalResult {
  if (length < 8) {
    throw new Error(`binary numeric field of ${length} bytes is shorter than its 8-byte header`);
  }
  const ndigits = view.getInt16(offset);
  const weight = view.getInt16(offset + 2);
  const sign = view.getUint16(offset + 4);
  const dscale = view.getUint16(offset + 6);
  if (sign === NUMERIC_NAN) {
    return { ok: false, refusal: { kind: "nan" } };
  }
  if (sign === NUMERIC_PINF || sign === NUMERIC_NINF) {
    return { ok: false, refusal: { kind: "infinity", negative: sign === NUMERIC_NINF } };
  }
  if (sign !== NUMERIC_POS && sign !== NUMERIC_NEG) {
    throw new Error(`binary numeric has an unknown sign word 0x${sign.toString(16)}`);
  }
  if (length !== 8 + 2 * ndigits) {
    throw new Error(`binary numeric declares ${ndigits} digits but its field has ${length} bytes`);
  }
  // Value = sum(d[i] * 10000^(weight - i)); unscaled = value * 10^scale. Accumulate the digits in
  // Horner form, then shift by the decimal exponent of the last digit.
  let acc = 0;
  let big: bigint | null = null;
  for (let i = 0; i < ndigits; i++) {
    const d = view.getInt16(offset + 8 + 2 * i);
    if (big === null && acc < 900_719_925_474) {
      acc = acc * 10000 + d;
    } else {
      big = (big ?? BigInt(acc)) * 10000n + BigInt(d);
    }
  }
  let unscaled: bigint;
  const exponent = 4 * (weight - (ndigits - 1)) + scale;
  if (ndigits === 0) {
    unscaled = 0n;
  } else if (exponent >= 0) {
    unscaled = (big ?? BigInt(acc)) * pow10(exponent);
  } else {
    const divisor = pow10(-exponent);
    const whole = big ?? BigInt(acc);
    if (whole % divisor !== 0n) {
      return { ok: false, refusal: { kind: "scale", dscale } };
    }
    unscaled = whole / divisor;
  }
  if (unscaled >= pow10(precision)) {
    return { ok: false, refusal: { kind: "precision" } };
  }
  return { ok: true, unscaled: sign === NUMERIC_NEG ? -unscaled : unscaled };
}

/** 10^n as doubles, exact up to 10^22; the fast path below only uses n <= 15. */
const POW10_NUM: number[] = Array.from({ length: 16 }, (_, n) => 10 ** n);
const TWO_32_NUM = 0x1_0000_0000;

/**
 * decodeNumeric + writeInt128 in one step: writes the unscaled value as 4 little-endian words at
 * `index*4` of `words` and returns null, or returns the refusal (nothing written). Values whose
 * digits, scaled integer and divisor all stay below 2^53 are computed in doubles, where integer
 * arithmetic below 2^53 is exact, so no BigInt is allocated per value; anything larger takes the
 * BigInt path. Both paths give the same words (see decimal.test.ts).
 */
export function decodeNumericInto(
  view: DataView,
  offset: number,
  length: number,
  precision: number,
  scale: number,
  words: Uint32Array,
  index: number,
): DecimalRefusal | null {
  if (length >= 8) {
    const ndigits = view.getInt16(offset);
    const weight = view.getInt16(offset + 2);
    const sign = view.getUint16(offset + 4);
    if ((sign === NUMERIC_POS || sign === NUMERIC_NEG) && length === 8 + 2 * ndigits) {
      let acc = 0;
      let small = true;
      for (let i = 0; i < ndigits; i++) {
        if (acc >= 900_719_925_474) {
          small = false;
          break;
        }
        acc = acc * 10000 + view.getInt16(offset + 8 + 2 * i);
      }
      const exponent = 4 * (weight - (ndigits - 1)) + scale;
      let unscaled = -1;
      if (!small) {
        // falls through to the BigInt path
      } else if (ndigits === 0) {
        unscaled = 0;
      } else if (exponent >= 0) {
        const factor = POW10_NUM[exponent];
        if (factor !== undefined && acc <= Math.floor(Number.MAX_SAFE_INTEGER / factor)) {
          unscaled = acc * factor;
        }
      } else {
        const divisor = POW10_NUM[-exponent];
        if (divisor !== undefined) {
          if (acc % divisor !== 0) {
            return { kind: "scale", dscale: view.getUint16(offset + 6) };
          }
          unscaled = acc / divisor;
        }
      }
      if (unscaled >= 0) {
        const limit = POW10_NUM[precision];
        if (limit !== undefined && unscaled >= limit) {
          return { kind: "precision" };
        }
        const lo = unscaled % TWO_32_NUM;
        const hi = (unscaled - lo) / TWO_32_NUM;
        const base = index * 4;
        if (sign === NUMERIC_NEG && unscaled !== 0) {
          // Two's complement of a magnitude below 2^53: invert and add one; the carry out of the
          // low word only happens when it is 0, and the high words are all ones.
          const nlo = (~lo >>> 0) + 1;
          words[base] = nlo >>> 0;
          words[base + 1] = ((~hi >>> 0) + (nlo === TWO_32_NUM ? 1 : 0)) >>> 0;
          words[base + 2] = 0xffffffff;
          words[base + 3] = 0xffffffff;
        } else {
          words[base] = lo;
          words[base + 1] = hi;
          words[base + 2] = 0;
          words[base + 3] = 0;
        }
        return null;
      }
    }
  }
  const r = decodeNumeric(view, offset, length, precision, scale);
  if (!r.ok) {
    return r.refusal;
  }
  writeInt128(words, index, r.unscaled);
  return null;
}

const TWO_32 = 0x1_0000_0000n;
const MASK_128 = (1n << 128n) - 1n;

/** Writes `value` as a little-endian two's-complement 128-bit integer into 4 words at `index*4`. */
export function writeInt128(words: Uint32Array, index: number, value: bigint): void {
  let v = value < 0n ? (value + (1n << 128n)) & MASK_128 : value;
  const base = index * 4;
  for (let w = 0; w < 4; w++) {
    words[base + w] = Number(v % TWO_32);
    v /= TWO_32;
  }
}

/** Reads a little-endian two's-complement 128-bit integer from 4 words at `index*4`. */
export function readInt128(words: Uint32Array, index: number): bigint {
  const base = index * 4;
  let v = 0n;
  for (let w = 3; w >= 0; w--) {
    v = v * TWO_32 + BigInt(words[base + w] ?? 0);
  }
  return v >= 1n << 127n ? v - (1n << 128n) : v;
}

/** Renders an unscaled decimal as PostgreSQL prints numeric(p,s): all `scale` digits kept. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale === 0) {
    return (negative ? "-" : "") + digits;
  }
  const padded = digits.padStart(scale + 1, "0");
  const intPart = padded.slice(0, padded.length - scale);
  const frac = padded.slice(padded.length - scale);
  return `${negative ? "-" : ""}${intPart}.${frac}`;
}

/** Parses a plain decimal string (as PostgreSQL prints numeric) into an unscaled integer. */
export function parseDecimal(text: string, scale: number): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (m === null) {
    return null;
  }
  const frac = m[3] ?? "";
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) {
    return null;
  }
  const digits = `${m[2] ?? "0"}${frac.slice(0, scale).padEnd(scale, "0")}`;
  const v = BigInt(digits);
  return m[1] === "-" ? -v : v;
}

/** Human text for a refusal, used in error messages. */
export function describeRefusal(refusal: DecimalRefusal, precision: number, scale: number): string {
  switch (refusal.kind) {
    case "nan":
      return "NaN has no decimal representation";
    case "infinity":
      return `${refusal.negative ? "-" : ""}Infinity has no decimal representation`;
    case "scale":
      return `the value has ${refusal.dscale} fractional digits, more than the ${scale} of decimal(${precision},${scale}); rounding would change it`;
    case "precision":
      return `the value has more than ${precision - scale} integer digits of decimal(${precision},${scale})`;
  }
}

/** Renders a binary numeric exactly as PostgreSQL would print it (for error messages). */
export function numericToText(view: DataView, offset: number): string {
  const ndigits = view.getInt16(offset);
  const weight = view.getInt16(offset + 2);
  const sign = view.getUint16(offset + 4);
  const dscale = view.getUint16(offset + 6);
  if (sign === NUMERIC_NAN) return "NaN";
  if (sign === NUMERIC_PINF) return "Infinity";
  if (sign === NUMERIC_NINF) return "-Infinity";
  let whole = 0n;
  for (let i = 0; i < ndigits; i++) {
    whole = whole * 10000n + BigInt(view.getInt16(offset + 8 + 2 * i));
  }
  const exponent = 4 * (weight - (ndigits - 1)) + dscale;
  const unscaled =
    ndigits === 0 ? 0n : exponent >= 0 ? whole * pow10(exponent) : whole / pow10(-exponent);
  return formatDecimal(sign === NUMERIC_NEG ? -unscaled : unscaled, dscale);
}
