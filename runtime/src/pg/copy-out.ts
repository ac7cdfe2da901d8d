/**
 * `COPY ... TO STDOUT` as a pg Submittable whose stream yields the COPY data bytes, one Buffer per
 * socket read, with the protocol framing removed in place.
 *
 * Why not pg-copy-streams' `to()`: PostgreSQL sends one CopyData message per row, and its parser
 * slices a Buffer per message and concatenates them again, which cost about as much CPU as decoding
 * the rows (see docs/decisions/parquet.md). Here each socket chunk is compacted with `copyWithin`
 * (the 5-byte message headers are squeezed out) and pushed as one subarray: no per-row allocation.
 *
 * The connection hand-over follows pg-copy-streams 7 (same pg internals): on submit the socket's
 * pg 'data' listener is removed and the socket is read directly; at CopyDone, or at an
 * ErrorResponse, the unread bytes are handed back to pg, which then parses CommandComplete /
 * ErrorResponse and ReadyForQuery and calls the handle* methods below.
 */
import { Readable } from "node:stream";
import type pg from "pg";

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

type DataHandler = (chunk: Buffer) => void;

export class CopyOutQuery extends Readable implements pg.Submittable {
  /** Row count from CommandComplete ("COPY n"), once the COPY finished. */
  rowCount = 0;
  private connection: pg.Connection | null = null;
  private pgDataHandler: DataHandler | null = null;
  private readonly onReadable = () => this.forward();
  private wantMore = false;
  private forwarding = false;
  private handedBack = false;
  // Parser state across socket chunks.
  private code = -1;
  /** Header bytes of the current message seen so far (code + 4 length bytes), 0 between messages. */
  private headerFill = 0;
  private lengthSoFar = 0;
  /** Payload bytes of the current message still to come. */
  private remaining = 0;

  constructor(
    private readonly text: string,
    highWaterMark: number,
  ) {
    super({ highWaterMark });
  }

  submit(connection: pg.Connection): void {
    this.connection = connection;
    const socket = connection.stream;
    const listeners = socket.listeners("data") as DataHandler[];
    const handler = listeners.length === 1 ? listeners[0] : undefined;
    if (handler === undefined) {
      this.destroy(
        new Error(
          `internal: expected one pg data listener on the socket, found ${listeners.length}`,
        ),
      );
      return;
    }
    this.pgDataHandler = handler;
    socket.removeListener("data", handler);
    socket.pause();
    socket.on("readable", this.onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.wantMore = true;
    this.forward();
  }

  private forward(): void {
    const connection = this.connection;
    if (this.forwarding || !this.wantMore || connection === null || this.handedBack) {
      return;
    }
    this.forwarding = true;
    const socket = connection.stream;
    while (this.wantMore && !this.handedBack) {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) {
        break;
      }
      this.parse(chunk);
    }
    this.forwarding = false;
  }

  /** Strips the framing of `chunk` in place and pushes its COPY data. */
  private parse(chunk: Buffer): void {
    const n = chunk.length;
    let p = 0;
    let w = 0;
    while (p < n) {
      if (this.headerFill === 0 && this.remaining > 0) {
        const take = Math.min(this.remaining, n - p);
        if (this.code === COPY_DATA) {
          if (w !== p) {
            chunk.copyWithin(w, p, p + take);
          }
          w += take;
        }
        p += take;
        this.remaining -= take;
        continue;
      }
      if (this.headerFill === 0) {
        const code = chunk[p] ?? -1;
        if (code === ERROR_RESPONSE) {
          // pg parses the error (and what follows) itself and reports it through handleError.
          this.flush(chunk, w);
          this.handBack(chunk.subarray(p));
          return;
        }
        this.code = code;
        if (n - p >= 5) {
          this.remaining = chunk.readUInt32BE(p + 1) - 4;
          p += 5;
        } else {
          this.headerFill = 1;
          this.lengthSoFar = 0;
          p++;
          continue;
        }
      } else {
        this.lengthSoFar = this.lengthSoFar * 256 + (chunk[p] ?? 0);
        this.headerFill++;
        p++;
        if (this.headerFill < 5) {
          continue;
        }
        this.headerFill = 0;
        this.remaining = this.lengthSoFar - 4;
      }
      if (this.code === COPY_DONE) {
        this.flush(chunk, w);
        this.handBack(chunk.subarray(p));
        this.push(null);
        return;
      }
    }
    this.flush(chunk, w);
  }

  private flush(chunk: Buffer, length: number): void {
    if (length > 0) {
      this.wantMore = this.push(chunk.subarray(0, length));
    }
  }

  /** Gives the socket back to pg, with the bytes it has not parsed yet. */
  private handBack(unread: Buffer): void {
    this.handedBack = true;
    const connection = this.connection;
    const handler = this.pgDataHandler;
    if (connection === null || handler === null) {
      return;
    }
    const socket = connection.stream;
    socket.removeListener("readable", this.onReadable);
    socket.addListener("data", handler);
    handler(unread);
    // Like pg-copy-streams: resume on the next tick, after pg's handler may have paused it.
    process.nextTick(() => socket.resume());
  }

  handleError(error: Error): void {
    this.destroy(error);
  }

  handleCommandComplete(message: { text?: string } | undefined): void {
    const match = /COPY (\d+)/.exec(message?.text ?? "");
    if (match?.[1] !== undefined) {
      this.rowCount = Number.parseInt(match[1], 10);
    }
  }

  handleReadyForQuery(): void {}
}
