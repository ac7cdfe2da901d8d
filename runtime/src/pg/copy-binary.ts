/**
 * Streaming parser of PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT binary)`).
 *
 * It pulls chunks from the COPY stream only when it needs bytes (so the socket's backpressure holds:
 * nothing is read ahead of what the caller asked for) and decodes each field straight into the
 * column builders. A row is decoded only once all of its bytes are buffered; a row spanning chunks
 * is assembled once its total length is known, so a large value costs one copy, not one per chunk.
 */
import type { ColumnBuilder } from "../parquet/columns.js";

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const HEADER_FIXED = SIGNATURE.length + 8;

export class CopyFormatError extends Error {
  constructor(message: string) {
    super(`binary COPY stream: ${message}`);
    this.name = "CopyFormatError";
  }
}

export class CopyBinaryReader {
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private headerDone = false;
  private finished = false;
  private sourceDone = false;
  /** Bytes of COPY data consumed so far (headers, field lengths and values). */
  bytesRead = 0;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly builders: readonly ColumnBuilder[],
  ) {}

  /** True once the trailer was read: every row has been delivered. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * Decodes rows into the builders until `maxRows` rows or `maxBytes` buffered bytes were added, or
   * the stream ends. Returns the number of rows added.
   */
  async fill(maxRows: number, maxBytes: number): Promise<number> {
    if (!this.headerDone) {
      await this.readHeader();
    }
    let rows = 0;
    let bytes = 0;
    while (!this.finished && rows < maxRows && bytes < maxBytes) {
      const need = this.tryRow();
      if (need === 0) {
        continue; // trailer
      }
      if (need > 0) {
        if (!(await this.ensure(need))) {
          throw new CopyFormatError(
            `stream ended inside a row (${this.buf.length - this.pos} of at least ${need} bytes received)`,
          );
        }
        continue;
      }
      rows++;
      bytes += -need;
    }
    return rows;
  }

  /**
   * Decodes one row if it is completely buffered and returns minus its size; returns the number of
   * bytes needed from `pos` when it is not; 0 after the trailer.
   */
  private tryRow(): number {
    const buf = this.buf;
    const view = this.view;
    const start = this.pos;
    const end = buf.length;
    if (end - start < 2) {
      return 2;
    }
    const fields = view.getInt16(start);
    if (fields === -1) {
      this.pos = start + 2;
      this.bytesRead += 2;
      this.finished = true;
      return 0;
    }
    const builders = this.builders;
    if (fields !== builders.length) {
      throw new CopyFormatError(`row has ${fields} fields, expected ${builders.length}`);
    }
    let p = start + 2;
    for (let k = 0; k < fields; k++) {
      if (p + 4 > end) {
        return p + 4 - start;
      }
      const len = view.getInt32(p);
      p += 4;
      if (len > 0) {
        p += len;
        if (p > end) {
          return p - start;
        }
      }
    }
    p = start + 2;
    for (let k = 0; k < fields; k++) {
      const len = view.getInt32(p);
      p += 4;
      const b = builders[k] as ColumnBuilder;
      if (len < 0) {
        b.appendNull();
      } else {
        b.append(view, buf, p, len);
        p += len;
      }
    }
    this.pos = p;
    this.bytesRead += p - start;
    return start - p;
  }

  private async readHeader(): Promise<void> {
    if (!(await this.ensure(HEADER_FIXED))) {
      throw new CopyFormatError("stream ended before the header");
    }
    for (let i = 0; i < SIGNATURE.length; i++) {
      if (this.buf[this.pos + i] !== SIGNATURE[i]) {
        throw new CopyFormatError("missing PGCOPY signature (is the COPY in FORMAT binary?)");
      }
    }
    const flags = this.view.getUint32(this.pos + SIGNATURE.length);
    if ((flags & 0x10000) !== 0) {
      throw new CopyFormatError("OIDs are included in the data, which this reader does not expect");
    }
    const extension = this.view.getUint32(this.pos + SIGNATURE.length + 4);
    if (!(await this.ensure(HEADER_FIXED + extension))) {
      throw new CopyFormatError("stream ended inside the header extension");
    }
    this.pos += HEADER_FIXED + extension;
    this.bytesRead += HEADER_FIXED + extension;
    this.headerDone = true;
  }

  /** Buffers at least `need` bytes from `pos`; false when the stream ends first. */
  private async ensure(need: number): Promise<boolean> {
    const have = this.buf.length - this.pos;
    if (have >= need) {
      return true;
    }
    const parts: Uint8Array[] = have > 0 ? [this.buf.subarray(this.pos)] : [];
    let total = have;
    while (total < need) {
      if (this.sourceDone) {
        break;
      }
      const r = await this.source.next();
      if (r.done === true) {
        this.sourceDone = true;
        break;
      }
      parts.push(r.value);
      total += r.value.length;
    }
    let next: Uint8Array;
    if (parts.length === 1 && parts[0] !== undefined) {
      next = parts[0];
    } else {
      next = new Uint8Array(total);
      let o = 0;
      for (const part of parts) {
        next.set(part, o);
        o += part.length;
      }
    }
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.pos = 0;
    return total >= need;
  }
}
