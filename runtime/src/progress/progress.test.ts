import { describe, expect, it } from "vitest";
import { Logger } from "../logger.js";
import { createProgress } from "./index.js";

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("createProgress", () => {
  it("redraws one terminal line in place, not before an interval has passed, and clears it", () => {
    const drawn: string[] = [];
    const c = clock();
    const logger = new Logger({}, { write: () => {}, isTTY: true }, "info");
    const p = createProgress({
      logger,
      label: "extract/lot_history",
      tty: (t) => drawn.push(t),
      now: c.now,
    });
    p.update({ rows: 10 });
    expect(drawn).toEqual([]);
    c.advance(250);
    p.update({ rows: 250_000, bytes: 5 * 1024 * 1024 });
    c.advance(50);
    p.update({ rows: 260_000 });
    expect(drawn).toEqual([
      "\r\x1b[2Kextract/lot_history: 250,000 rows, 5.0 MiB (1,000,000 rows/s, 20.0 MiB/s)",
    ]);
    p.done();
    expect(drawn.at(-1)).toBe("\r\x1b[2K");
  });

  it("logs a progress line every interval off a terminal, and nothing for a short stage", () => {
    const lines: string[] = [];
    const c = clock();
    const logger = new Logger({}, { write: (l) => lines.push(l), isTTY: false }, "info", "json");
    const short = createProgress({ logger, label: "x", tty: null, now: c.now });
    short.update({ rows: 5 });
    short.done();
    expect(lines).toEqual([]);
    const long = createProgress({ logger, label: "x", tty: null, now: c.now });
    c.advance(6_000);
    long.update({ rows: 600_000, bytes: 1024 });
    long.done();
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { msg: "progress", rows: 600_000, bytes: 1024, rowsPerSecond: 100_000 },
    ]);
  });
});
